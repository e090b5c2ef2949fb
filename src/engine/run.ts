import type pg from 'pg';
import { copyTable } from './copy.js';
import { CancelledError, errorInfo, type ErrorInfo } from './errors.js';
import type { ProgressListener } from './events.js';
import { displayName, ident, qualified, tableKey } from './ident.js';
import { makePlan, type ExistingPolicy, type Plan, type TablePlan } from './plan.js';
import { outcomeOf, summarize, type EndpointSummary, type Outcome, type Report, type TableReport } from './report.js';
import type { Selection } from './selection.js';
import type { Table } from './catalog.js';
import { endQuietly, openSession, type EndpointsInput, type Session } from './session.js';
import { VERSION } from './version.js';

export interface PlanOptions extends EndpointsInput {
  selection?: Selection;
  existing?: ExistingPolicy;
}

export interface PlanResult {
  source: EndpointSummary;
  target: EndpointSummary;
  plan: Plan;
}

export interface MigrateOptions extends PlanOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Sees the plan while the snapshot is open; resolving false stops before anything is written. */
  confirm?: (plan: PlanResult) => Promise<boolean>;
}

/** The plan alone: both sides are read, nothing is written. */
export async function planMigration(opts: PlanOptions): Promise<PlanResult> {
  const session = await openSession(opts);
  try {
    return await planFor(session, opts);
  } finally {
    await session.close();
  }
}

async function planFor(session: Session, opts: PlanOptions): Promise<PlanResult> {
  const existing = opts.existing ?? 'replace';
  const firstPass = makePlan({ source: session.sourceCatalog, target: session.targetCatalog, selection: opts.selection ?? {}, existing });
  const nonEmptyTargets = new Set<string>();
  if (existing === 'skip-nonempty') {
    for (const t of firstPass.tables.filter((p) => p.action === 'copy')) {
      if (await hasRows(session.target, t)) nonEmptyTargets.add(tableKey(t.schema, t.table));
    }
  }
  const plan = nonEmptyTargets.size
    ? makePlan({ source: session.sourceCatalog, target: session.targetCatalog, selection: opts.selection ?? {}, existing, nonEmptyTargets })
    : firstPass;
  return { ...session.summaries, plan };
}

/**
 * A plain table is read and counted without its inheritance children (ONLY), a partitioned one
 * through its partitions. Each side by its own kind: a plain source may load a partitioned target.
 */
function relation(t: TablePlan, side: 'source' | 'target'): string {
  const kind = side === 'source' ? t.source.kind : t.target?.kind;
  return `${kind === 'table' ? 'ONLY ' : ''}${qualified(t.schema, t.table)}`;
}

async function hasRows(client: pg.Client, t: TablePlan): Promise<boolean> {
  const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${relation(t, 'target')}) AS has`);
  return r.rows[0].has;
}

async function countRows(client: pg.Client, t: TablePlan, side: 'source' | 'target'): Promise<number> {
  const r = await client.query(`SELECT count(*)::int8 AS n FROM ${relation(t, side)}`);
  return Number(r.rows[0].n);
}

function blankReport(t: TablePlan): TableReport {
  return {
    schema: t.schema,
    table: t.table,
    status: t.action === 'skip' ? 'skipped' : 'failed',
    sourceRows: null,
    targetRows: null,
    targetRowsBefore: null,
    bytes: null,
    durationMs: null,
    format: t.action === 'copy' ? t.format : null,
    reason: t.reason,
    notes: [...t.notes],
    error: null,
  };
}

/**
 * Migrates the selected tables in one target transaction and commits only when every loaded table's
 * rows were counted on both sides and match. Anything else (a failure, a mismatch, a cancel) rolls
 * back and leaves the target as it was.
 */
export async function migrate(opts: MigrateOptions): Promise<Report> {
  const started = new Date();
  const session = await openSession(opts);
  const emit: ProgressListener = (e) => opts.onProgress?.(e);
  let planned: PlanResult | null = null;
  const reports = new Map<TablePlan, TableReport>();
  let outcome: Outcome | null = null;
  let committed = false;
  let runError: ErrorInfo | null = null;
  const finish = (): Report => {
    const tables = [...reports.values()];
    return {
      kind: 'migrate',
      tool: { name: 'archon', version: VERSION },
      ...session.summaries,
      existing: opts.existing ?? 'replace',
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      outcome: outcome ?? outcomeOf(tables, planned?.plan.unmatched ?? []),
      committed,
      summary: summarize(tables),
      tables,
      unmatched: planned?.plan.unmatched ?? [],
      error: runError,
    };
  };

  try {
    planned = await planFor(session, opts);
    for (const t of planned.plan.tables) reports.set(t, blankReport(t));
    if (opts.confirm && !(await opts.confirm(planned))) {
      for (const r of reports.values()) if (r.status !== 'skipped') Object.assign(r, { status: 'skipped', reason: 'not started: the run was declined at the review' });
      outcome = 'cancelled';
      return finish();
    }
    const toCopy = planned.plan.tables.filter((t) => t.action === 'copy');
    if (toCopy.length === 0) return finish();
    const result = await load(session, toCopy, reports, opts.existing ?? 'replace', emit, opts.signal);
    committed = result.committed;
    if (result.cancelled) outcome = 'cancelled';
    runError = result.error;
    return finish();
  } finally {
    await session.close();
  }
}

interface LoadResult {
  committed: boolean;
  cancelled: boolean;
  error: ErrorInfo | null;
}

async function load(
  s: Session,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  existing: ExistingPolicy,
  emit: ProgressListener,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const tgt = s.target;
  let current: TablePlan | null = null;
  let sequencesMoved = false;
  const checkCancel = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  try {
    checkCancel();
    await tgt.query('BEGIN');
    const { replica, restoreTriggers } = await silenceTriggers(tgt, tables, emit);
    let loading = tables;
    if (existing === 'replace') {
      emit({ type: 'phase', message: `emptying ${loading.length} target table(s)` });
      await truncate(tgt, loading);
    } else {
      // Nobody else writes these tables while they are counted and loaded.
      await tgt.query(`LOCK TABLE ${loading.map((t) => qualified(t.schema, t.table)).join(', ')} IN SHARE ROW EXCLUSIVE MODE`);
      if (existing === 'skip-nonempty') {
        const stillEmpty: TablePlan[] = [];
        for (const t of loading) {
          if (await hasRows(tgt, t)) Object.assign(reports.get(t)!, { status: 'skipped', reason: 'the target table already has rows (existing rows: skip tables that have rows)' });
          else stillEmpty.push(t);
        }
        loading = stillEmpty;
      }
    }
    for (const t of loading) reports.get(t)!.targetRowsBefore = existing === 'append' ? await countRows(tgt, t, 'target') : 0;

    const total = loading.length;
    for (const [i, t] of loading.entries()) {
      checkCancel();
      current = t;
      const r = reports.get(t)!;
      const began = Date.now();
      emit({ type: 'table-start', schema: t.schema, table: t.table, index: i, total, estimatedRows: t.estimatedRows, estimatedBytes: t.bytes });
      r.sourceRows = await countRows(s.source, t, 'source');
      let lastEmit = 0;
      const copied = await copyTable(
        s.source,
        tgt,
        t,
        (bytes) => {
          const now = Date.now();
          if (now - lastEmit >= 200) {
            lastEmit = now;
            emit({ type: 'table-progress', schema: t.schema, table: t.table, index: i, total, bytes });
          }
        },
        signal,
      );
      r.bytes = copied.bytes;
      r.durationMs = Date.now() - began;
      if (copied.sent !== r.sourceRows || copied.received !== copied.sent) {
        r.notes.push(`COPY moved ${copied.sent} row(s) out of the source and ${copied.received} into the target`);
      }
      emit({ type: 'table-done', schema: t.schema, table: t.table, index: i, total, rows: copied.received, bytes: copied.bytes, durationMs: r.durationMs });
    }
    current = null;
    checkCancel();
    await restoreTriggers();
    const orphans = new Map<TablePlan, string>();
    if (replica) {
      emit({ type: 'phase', message: 'checking foreign keys of the loaded tables' });
      for (const t of loading) {
        const problem = await danglingReferences(tgt, t, s.targetCatalog.tables);
        if (problem) orphans.set(t, problem);
      }
    }

    emit({ type: 'phase', message: 'counting rows on the target' });
    for (const t of loading) {
      const r = reports.get(t)!;
      r.targetRows = await countRows(tgt, t, 'target');
      const arrived = r.targetRows - (r.targetRowsBefore ?? 0);
      if (orphans.has(t)) {
        r.status = 'failed';
        r.reason = orphans.get(t)!;
      } else if (arrived === r.sourceRows) {
        r.status = 'verified';
        r.reason = null;
      } else {
        r.status = 'mismatch';
        r.reason = `the target gained ${arrived} row(s) but the source has ${r.sourceRows} in the snapshot`;
      }
    }
    checkCancel();
    const bad = loading.filter((t) => reports.get(t)!.status !== 'verified');
    if (bad.length) {
      await tgt.query('ROLLBACK');
      const names = bad.map((t) => displayName(t.schema, t.table)).join(', ');
      for (const t of loading) {
        const r = reports.get(t)!;
        if (r.status !== 'verified') r.reason += '; rolled back, the target is unchanged';
        else Object.assign(r, { status: 'failed', reason: `rolled back because ${names} did not verify; the target is unchanged` });
      }
      return { committed: false, cancelled: false, error: null };
    }
    checkCancel();
    // setval is not undone by ROLLBACK, so sequences move only once everything has verified.
    emit({ type: 'phase', message: 'moving sequences past the copied values' });
    for (const t of loading) {
      current = t;
      sequencesMoved = true;
      await moveSequences(s, t);
    }
    current = null;
    emit({ type: 'phase', message: 'committing' });
    await tgt.query('COMMIT');
    return { committed: true, cancelled: false, error: null };
  } catch (e) {
    const cancelled = e instanceof CancelledError || signal?.aborted === true;
    await rollbackQuietly(s);
    const info = errorInfo(e, s.secrets);
    const culprit = current ? displayName(current.schema, current.table) : null;
    const unchanged = sequencesMoved ? 'the target is unchanged except that some sequences may have moved forward (setval is not transactional)' : 'the target is unchanged';
    for (const t of tables) {
      const r = reports.get(t)!;
      if (r.status === 'skipped') continue;
      r.status = 'failed';
      r.targetRows = null;
      if (cancelled) r.reason = `cancelled; rolled back, ${unchanged}`;
      else if (t === current) {
        r.reason = `${info.message}${info.code ? ` [${info.code}]` : ''}; rolled back, ${unchanged}`;
        r.error = info;
      } else r.reason = `rolled back because ${culprit ?? 'the run'} failed; ${unchanged}`;
    }
    return { committed: false, cancelled, error: cancelled ? null : culprit ? null : info };
  }
}

async function rollbackQuietly(s: Session): Promise<void> {
  // After a broken COPY the source connection may be mid-stream: drop it (it never wrote anything).
  s.source.connection?.stream?.destroy();
  try {
    await Promise.race([s.target.query('ROLLBACK'), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 10_000).unref())]);
  } catch {
    // A target that cannot roll back is disconnected; the server then discards the transaction.
    s.target.connection?.stream?.destroy();
    await endQuietly(s.target);
  }
}

async function truncate(tgt: pg.Client, tables: TablePlan[]): Promise<void> {
  // One statement, so foreign keys between the emptied tables do not stop it; ONLY on each plain
  // table keeps its inheritance children (not selected) out of it.
  await tgt.query(`TRUNCATE ${tables.map((t) => relation(t, 'target')).join(', ')}`);
}

/**
 * Keeps the target's user triggers from rewriting copied rows: session_replication_role = replica
 * where the role may set it (superuser), else ALTER TABLE ... DISABLE TRIGGER inside the
 * transaction (table owner). Triggers that would still fire in that mode (ALWAYS, and in origin
 * mode ordinary ones) are disabled by name and restored to their own mode before commit.
 */
async function silenceTriggers(
  tgt: pg.Client,
  tables: TablePlan[],
  emit: ProgressListener,
): Promise<{ replica: boolean; restoreTriggers: () => Promise<void> }> {
  await tgt.query('SAVEPOINT archon_replica');
  let replica = true;
  try {
    await tgt.query('SET LOCAL session_replication_role = replica');
    await tgt.query('RELEASE SAVEPOINT archon_replica');
  } catch {
    await tgt.query('ROLLBACK TO SAVEPOINT archon_replica');
    replica = false;
  }
  const fires = new Set(replica ? ['A', 'R'] : ['O', 'A']);
  const silenced = tables.flatMap((t) => (t.target?.triggers ?? []).filter((tr) => fires.has(tr.enabled)).map((tr) => ({ t, tr })));
  for (const { t, tr } of silenced) {
    emit({ type: 'phase', message: `disabling trigger ${tr.name} on ${displayName(t.schema, t.table)} for the load` });
    await tgt.query(`ALTER TABLE ${qualified(t.schema, t.table)} DISABLE TRIGGER ${ident(tr.name)}`);
  }
  const mode = { O: '', A: 'ALWAYS ', R: 'REPLICA ', D: '' } as const;
  return {
    replica,
    restoreTriggers: async () => {
      for (const { t, tr } of silenced) await tgt.query(`ALTER TABLE ${qualified(t.schema, t.table)} ENABLE ${mode[tr.enabled]}TRIGGER ${ident(tr.name)}`);
    },
  };
}

/**
 * In replica mode PostgreSQL does not check foreign keys, so the load could leave rows pointing at
 * rows the target does not have (a referenced table that was skipped or not selected). Check each
 * foreign key of the loaded table the way the constraint would have.
 */
async function danglingReferences(tgt: pg.Client, t: TablePlan, targetTables: Table[]): Promise<string | null> {
  const problems: string[] = [];
  // A foreign key may also be declared on one partition only; those rows were loaded too.
  const name = displayName(t.schema, t.table);
  const holders = [t.target!, ...targetTables.filter((x) => x.partitionOf === name)];
  for (const holder of holders) for (const fk of holder.foreignKeys) {
    const child = fk.columns.map((c) => `c.${ident(c)}`);
    const match = fk.columns.map((c, i) => `p.${ident(fk.refColumns[i])} = c.${ident(c)}`).join(' AND ');
    const res = await tgt.query(
      `SELECT count(*)::int8 AS n FROM ${qualified(holder.schema, holder.name)} c
       WHERE ${child.map((c) => `${c} IS NOT NULL`).join(' AND ')}
         AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.refSchema, fk.refTable)} p WHERE ${match})`,
    );
    const n = Number(res.rows[0].n);
    if (n > 0) problems.push(`${n} row(s) reference ${displayName(fk.refSchema, fk.refTable)} rows that the target does not have (foreign key ${fk.name})`);
  }
  return problems.length ? problems.join('; ') : null;
}

/**
 * Moves each owned sequence (serial or identity) of the target past both the copied values and the
 * source's sequence. A failure fails the run: new rows would collide with the copied ids.
 */
async function moveSequences(s: Session, t: TablePlan): Promise<void> {
  const sourceSeqs = new Map(t.source.sequences.map((q) => [q.column, q]));
  for (const seq of t.target?.sequences ?? []) {
    if (!t.columns.includes(seq.column)) continue;
    const src = sourceSeqs.get(seq.column);
    let sourceValue: string | null = null;
    if (src) {
      // pg_sequences shows NULL instead of failing when the value is not visible, so the read-only
      // source transaction never breaks here.
      const v = await s.source.query(`SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2`, [src.schema, src.name]);
      sourceValue = v.rows[0]?.v ?? null;
    }
    try {
      await s.target.query(
        `SELECT setval($1::regclass, v, true) FROM (
           SELECT GREATEST((SELECT max(${ident(seq.column)}) FROM ${qualified(t.schema, t.table)})::int8, $2::int8,
                           (SELECT last_value FROM pg_sequences WHERE schemaname = $3 AND sequencename = $4)) AS v) x
         WHERE v IS NOT NULL`,
        [qualified(seq.schema, seq.name), sourceValue, seq.schema, seq.name],
      );
    } catch (e) {
      const info = errorInfo(e, s.secrets);
      throw Object.assign(new Error(`could not move sequence ${displayName(seq.schema, seq.name)} past the copied values: ${info.message}`), { code: info.code });
    }
  }
}

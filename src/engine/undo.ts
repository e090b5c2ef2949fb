// Taking a committed migration back: in one target transaction, each table of the run gets its
// backed-up rows again (and its sequences their values), the restored tables are verified against
// the backups by count and content, and only then is it committed. A table changed since the run
// stops it unless forced, since undo would throw that change away. Once the restore has verified,
// the run's own backups are dropped (nothing needs them any more). What the run created is dropped
// again: the tables it created, the columns it added, and the schemas and types it created for them
// unless something else has come to use them since (see keptObjects.ts).
import type pg from 'pg';
import { assertClosed, assertTrusted } from './journal/journalGuard.js';
import { displayName } from '../shared/names.js';
import type { JournaledRun } from '../shared/reportJournal.js';
import { type Endpoint, connect, endQuietly, parseEndpoint, secretsOf } from './connect/connection.js';
import { CancelledError, ConnectionError, LockTimeoutError, UsageError, redact } from './errors.js';
import { assertRunTableShape } from './journal/journalShape.js';
import { SQLSTATE, connectionFailed, sqlStateOf } from './sqlState.js';
import type { ProgressListener } from './events.js';
import { ident, qualified, tableKey } from './ident.js';
import { checkRowSecurity } from './schema/rowSecurity.js';
import {
  type KeptObject,
  createdLabel,
  dropBackupTables,
  dropCreatedObjects,
  dropUnused,
  keptReason,
  recordKept,
} from './journal/keptObjects.js';
import { DEFAULT_LOCK_TIMEOUT_MS } from './connect/locks.js';
import {
  type CreatedByRun,
  JOURNAL_SCHEMA,
  type StoredRead,
  backedUp,
  keptDigest,
  selectList,
  utcText,
  wholeTableDigest,
} from './journal/journal.js';
import { relationSql } from './catalog/relation.js';
import type { CreatedObject } from './schema/ddl.js';
import { silenceTriggersOn } from './load/triggers.js';
import {
  type InPlaceRestore,
  type InPlaceTable,
  type OutsideReference,
  putBackRows,
  refuseDanglingReferences,
  removeRows,
  tablesToRestoreInPlace,
} from './journal/undoInPlace.js';

export interface TargetOptions {
  /** PostgreSQL URL of the target whose journal is read. */
  target: string;
  env?: NodeJS.ProcessEnv;
  password?: string;
  lockTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface UndoOptions extends TargetOptions {
  /** The run to take back; default: the latest undoable run on the target. */
  run?: string;
  /** Restore tables changed since the run anyway (their changes are lost). */
  force?: boolean;
  onProgress?: ProgressListener;
  /** Told the run being taken back as soon as it is found, so a cancel or failure after it can name it. */
  onRun?: (run: JournaledRun) => void;
  /** Sees what will be restored, inside the transaction; false stops with nothing changed. */
  confirm?: (preview: UndoPreview) => Promise<boolean>;
}

export interface UndoTable {
  schema: string;
  table: string;
  /** Rows the table holds now, and the rows it will hold again. */
  rowsNow: number;
  rowsRestored: number;
  /** Changed since the run: its content is not what the run left. */
  changed: boolean;
  sequences: string[];
  /** The run created the table: undo drops it. */
  drops: boolean;
  /** Columns the run added to the table: undo drops them. */
  dropsColumns: string[];
  /** The run created the table and someone has dropped it since: a change, with nothing left to drop. */
  goneSince: boolean;
  /**
   * Tables that reference it by foreign key and are not emptied with it (`public.t (t_fkey)`): those
   * outside the run, or run tables restored in place themselves. It is restored in place rather than
   * emptied, so the rows they point at stay. Absent: emptied and refilled.
   */
  referencedBy?: string[];
}

/** What undo does to a table, for adapters to say in their words. */
export type UndoAction = 'already gone' | 'drop' | 'restore' | 'empty';

export const undoAction = (t: UndoTable): UndoAction =>
  t.goneSince ? 'already gone' : t.drops ? 'drop' : t.rowsRestored ? 'restore' : 'empty';

export interface UndoPreview extends Omit<JournaledRun, 'id'> {
  runId: string;
  tables: UndoTable[];
  /**
   * What the run created besides its tables and columns, in the order undo drops it (`view
   * "public"."v"`, `function "public"."f"()`, `schema "crm"`): each goes unless something uses it now.
   */
  objects: string[];
}

export interface UndoResult extends UndoPreview {
  /** False when the confirmation declined: nothing changed. */
  undone: boolean;
  /** When, as the journal records it and history shows it (`YYYY-MM-DD HH:MM:SS UTC`); null when not undone. */
  undoneAt: string | null;
  forced: boolean;
  /** Objects the run created that undo kept, and what holds each (`keptReason` words it). */
  kept: KeptObject[];
  /** What runs undone before kept only for this run's backups, dropped with them (`type "s"."t"`). */
  droppedForBackups: string[];
  /** Of `objects`, those dropped (the rest are in `kept`). */
  objectsDropped: string[];
}

/** Thrown when restored rows did not match their backup: rolled back, nothing changed. */
export class UndoVerifyError extends Error {}

interface RunTableRow {
  schema_name: string;
  table_name: string;
  kind: 'table' | 'partitioned table';
  columns: { name: string; generated: boolean }[];
  rows_after: string;
  digest_after: string;
  digest_read: StoredRead | null;
  created: CreatedByRun | null;
  backup_table: string | null;
  sequences: { schema: string; name: string; lastValue: string; isCalled: boolean }[];
}

interface Target {
  client: pg.Client;
  endpoint: Endpoint;
  secrets: string[];
  /** Takes the transaction back: a ROLLBACK, or when the session does not answer (cut mid-COPY), its end. */
  rollback(): Promise<void>;
  close(): Promise<void>;
}

/** One target connection whose statements a cancel ends on the server. */
export async function openTarget(opts: TargetOptions): Promise<Target> {
  const endpoint = parseEndpoint(opts.target, 'target', opts.env, opts.password);
  const timeout = Math.max(1, Math.round(opts.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS));
  const client = await connect(endpoint, { lockTimeoutMs: timeout });
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const cancel = () => {
    void connect(endpoint)
      .then(async (side) => {
        await side.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => {});
        await endQuietly(side);
      })
      .catch(() => {});
  };
  opts.signal?.addEventListener('abort', cancel);
  return {
    client,
    endpoint,
    secrets: secretsOf(endpoint),
    rollback: () => rollbackOrEnd(client, endpoint, pid),
    close: async () => {
      opts.signal?.removeEventListener('abort', cancel);
      await endQuietly(client);
    },
  };
}

/** A healthy server answers ROLLBACK at once; one that has not within this is treated as gone. */
const ROLLBACK_ANSWER_MS = 2000;
/** How often, and how many times, to look whether a terminated session has ended: 5 s in all. */
const SESSION_END_POLL_MS = 50;
const SESSION_END_POLLS = 100;

async function rollbackOrEnd(client: pg.Client, endpoint: Endpoint, pid: number): Promise<void> {
  const answered = await Promise.race([
    client.query('ROLLBACK').then(
      () => true,
      () => false,
    ),
    new Promise<boolean>((done) => setTimeout(() => done(false), ROLLBACK_ANSWER_MS).unref()),
  ]);
  if (answered) return;
  client.connection?.stream?.destroy();
  // The transaction is gone only when its session is: end it from the side and wait until it has.
  const side = await connect(endpoint);
  try {
    await side.query('SELECT pg_terminate_backend($1)', [pid]);
    for (let i = 0; i < SESSION_END_POLLS; i++) {
      const r = await side.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (!r.rowCount) return;
      await new Promise((done) => setTimeout(done, SESSION_END_POLL_MS));
    }
  } finally {
    await endQuietly(side);
  }
}

/** The journal must be there before anything else is asked of it. */
async function assertJournal(t: Target): Promise<void> {
  const r = await t.client.query(`SELECT to_regclass('archon.runs') IS NOT NULL AS has`);
  if (!r.rows[0].has)
    throw new UsageError(`no Archon journal on ${t.endpoint.label}: no migration recorded there can be undone`);
  // What undo writes back comes from here: only from a journal no other role could have changed.
  await assertJournalTrusted(t.client);
}

/**
 * Refuses a journal another role could have changed (journalGuard.ts), in the words of the commands
 * that only read or take back: what history shows and undo writes back must be what Archon wrote.
 */
export async function assertJournalTrusted(client: pg.Client): Promise<void> {
  try {
    await assertTrusted(client);
    await assertClosed(client);
  } catch (e) {
    throw new UsageError(String((e as Error).message).replace(/; nothing is committed$/, '; nothing changed'));
  }
}

/** Errors of the server in the words of this command: locks, privileges, cancels. */
export function undoError(e: unknown, t: Target, lockTimeoutMs: number | undefined): unknown {
  const err = e as { message?: string };
  const code = sqlStateOf(e);
  if (code === SQLSTATE.queryCanceled || e instanceof CancelledError) return new CancelledError();
  if (code === SQLSTATE.lockNotAvailable)
    return new LockTimeoutError(
      `gave up after waiting ${(lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS) / 1000} s for a lock on the target: another ` +
        'session is using these tables; end it or try again later; nothing changed',
    );
  // A connection lost mid-undo is the network's or the server's doing, said as such rather than as a crash.
  if (connectionFailed(e)) {
    const said = redact(err.message ?? String(e), t.secrets);
    return new ConnectionError(
      `the connection to the target ${t.endpoint.label} was lost during undo (${said}): the server rolls back a ` +
        'transaction that did not commit, so nothing changed unless the commit itself went through; `archon history` says whether it did',
      'target',
      'other',
      said,
      code,
    );
  }
  if (code === SQLSTATE.insufficientPrivilege)
    return new UsageError(
      `${t.endpoint.user} may not do this on ${t.endpoint.label}: ${redact(err.message ?? '', t.secrets)}; nothing changed`,
    );
  // Something made since the run depends on what undo must empty or drop (a view, a foreign key).
  // TRUNCATE refuses a table a foreign key references with 0A000 (read by code: its words follow
  // lc_messages); the tables undo truncates are the run's own, so no other 0A000 comes from there.
  if (code === SQLSTATE.dependentObjectsStillExist || code === SQLSTATE.featureNotSupported) {
    const detail = (e as { detail?: string }).detail;
    const why = redact(`${err.message}${detail ? ` (${detail.replace(/\n/g, '; ')})` : ''}`, t.secrets);
    return new UsageError(
      `undo cannot take the run back while other objects depend on its tables: ${why}. Rolled back, nothing ` +
        'changed; remove or change what depends on them, then undo again',
    );
  }
  return e;
}

/** Takes a run back; see the file's comment. */
export async function undo(opts: UndoOptions): Promise<UndoResult> {
  return inUndoTransaction(opts, async (t) => {
    const result = await undoInTransaction(t, opts);
    return { value: result, commit: result.undone };
  });
}

/**
 * What undo would do, read without changing anything: the run, its tables now and what each gets back,
 * as the confirmation sees it. Its transaction (which takes undo's locks, so the numbers are the ones
 * undo would act on) is rolled back. It looks past changes made since the run (as a forced undo would)
 * so that the preview can name them; what refuses an undo outright (a table a later run needs, a
 * reference undo would leave dangling) refuses here too.
 */
export async function previewUndo(opts: Omit<UndoOptions, 'force' | 'confirm'>): Promise<UndoPreview> {
  return inUndoTransaction(opts, async (t) => {
    const { preview } = await readyToUndo(t, { ...opts, force: true });
    return { value: preview, commit: false };
  });
}

/** One transaction on the target's journal, committed only when `work` says so; errors in undo's words. */
async function inUndoTransaction<T>(
  opts: UndoOptions,
  work: (t: Target) => Promise<{ value: T; commit: boolean }>,
): Promise<T> {
  const t = await openTarget(opts);
  try {
    await assertJournal(t);
    await t.client.query('BEGIN');
    const { value, commit } = await work(t);
    await t.client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return value;
  } catch (e) {
    await t.rollback().catch(() => {});
    throw opts.signal?.aborted ? new CancelledError() : undoError(e, t, opts.lockTimeoutMs);
  } finally {
    await t.close();
  }
}

/** What undo found, inside its transaction, with the run's tables locked: the preview and what acts on it. */
interface Ready {
  run: { id: string };
  rows: RunTableRow[];
  present: RunTableRow[];
  inPlace: RunTableRow[];
  unforced: Awaited<ReturnType<typeof unforceCreated>>;
  preview: UndoPreview;
  changed: UndoTable[];
}

/** Reads and locks everything undo acts on, and refuses what it must; changes no row. */
async function readyToUndo(t: Target, opts: UndoOptions): Promise<Ready> {
  const emit = opts.onProgress ?? (() => {});
  const run = await pickRun(t, opts.run);
  opts.onRun?.({ id: run.id, at: run.at, source: run.source, target: run.target, policy: run.policy });
  const rows = (
    await t.client.query<RunTableRow>('SELECT * FROM archon.run_tables WHERE run_id = $1 ORDER BY ord', [run.id])
  ).rows;
  for (const r of rows) assertRunTableShape({ ...r }, run.id, t.endpoint.label);
  const gone = await assertTablesThere(t, rows);
  const present = rows.filter((r) => !gone.has(r));
  await assertNoLaterRunNeeds(t, run.id, present);
  emit({ type: 'phase', message: `locking ${present.length} table(s)` });
  if (present.length) await t.client.query(`LOCK TABLE ${present.map(nameOf).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  const unforced = await unforceCreated(t.client, present);
  const refs = await tablesToRestoreInPlace(t.client, present.map(keyOf));
  const tables: UndoTable[] = [];
  for (const r of rows) {
    if (opts.signal?.aborted) throw new CancelledError();
    const table = gone.has(r) ? goneTable(r) : await previewTable(t, r, opts.signal);
    if (refs.inPlace.has(tableKey(r.schema_name, r.table_name))) table.referencedBy = referencing(r, refs.keeping);
    tables.push(table);
  }
  const { id, at, source, target, policy } = run;
  const objects = rows
    .flatMap((r) => r.created?.objects ?? [])
    .reverse()
    .map(createdLabel);
  const preview: UndoPreview = { runId: id, at, source, target, policy, tables, objects };
  const changed = tables.filter((x) => x.changed);
  if (changed.length && !opts.force) throw new UsageError(refusal(run.id, changed), { kind: 'force-undo' });
  const inPlace = present.filter((r) => refs.inPlace.has(tableKey(r.schema_name, r.table_name)));
  await refuseDanglingReferences(t.client, run.id, inPlace.map(inPlaceOf), refs.outside);
  return { run, rows, present, inPlace, unforced, preview, changed };
}

async function undoInTransaction(t: Target, opts: UndoOptions): Promise<UndoResult> {
  const emit = opts.onProgress ?? (() => {});
  const check = () => {
    if (opts.signal?.aborted) throw new CancelledError();
  };
  const { run, rows, present, inPlace, unforced, preview, changed } = await readyToUndo(t, opts);
  if (opts.confirm && !(await opts.confirm(preview)))
    return {
      ...preview,
      undone: false,
      undoneAt: null,
      forced: false,
      kept: [],
      droppedForBackups: [],
      objectsDropped: [],
    };
  check();
  await restore(t, present, new Set(inPlace), emit, opts.signal);
  const droppedForBackups = await dropOwnBackups(t.client, run.id, rows, emit);
  const kept = await dropCreated(t.client, present, rows, emit);
  await recordKept(t.client, run.id, kept);
  // Last: a setval the user may not ALTER around is not rolled back, so nothing may refuse after it.
  await restoreForced(t.client, unforced);
  for (const r of present) for (const s of r.sequences) await restoreSequence(t.client, s);
  check();
  // Its backups are gone with the undo: the journal says so, as `backups drop` would.
  const marked = await t.client.query<{ at: string }>(
    `UPDATE archon.runs SET undone_at = now(), undone_forced = $2,
            backups_dropped_at = CASE WHEN $3 THEN now() ELSE backups_dropped_at END WHERE id = $1
     RETURNING ${utcText('undone_at')} AS at`,
    [run.id, changed.length > 0, rows.some((r) => r.backup_table)],
  );
  check();
  emit({ type: 'phase', message: 'committing' });
  const undoneAt = marked.rows[0].at;
  return {
    ...preview,
    undone: true,
    undoneAt,
    forced: changed.length > 0,
    kept: [...kept.values()],
    droppedForBackups,
    objectsDropped: preview.objects.filter((o) => ![...kept.values()].some((k) => k.object === o)),
  };
}

const nameOf = (r: RunTableRow) => qualified(r.schema_name, r.table_name);
const relationOf = (r: RunTableRow) => relationSql({ schema: r.schema_name, name: r.table_name, kind: r.kind });
const backupOf = (r: RunTableRow) => qualified(JOURNAL_SCHEMA, r.backup_table!);
const keyOf = (r: RunTableRow) => ({ schema: r.schema_name, table: r.table_name });
const inPlaceOf = (r: RunTableRow): InPlaceTable => ({
  ...keyOf(r),
  kind: r.kind,
  backup: r.backup_table ? backupOf(r) : null,
  columns: backedUp(r.columns, r.created?.columns ?? []),
});

/** The tables whose foreign keys keep this one from being emptied, as the preview names them. */
const referencing = (r: RunTableRow, outside: OutsideReference[]): string[] =>
  outside
    .filter((o) => o.to === tableKey(r.schema_name, r.table_name))
    .map((o) => `${displayName(o.from.schema, o.from.table)} (${o.constraint})`);

interface RunRow extends JournaledRun {
  undoable: boolean;
  why_not: string | null;
  undone_at: string | null;
  backups_dropped_at: string | null;
}

const RUN_COLUMNS = `id, ${utcText('at')} AS at, source, target, policy,
  undoable, why_not, ${utcText('undone_at')} AS undone_at, ${utcText('backups_dropped_at')} AS backups_dropped_at`;

/** The run named, or the latest one that can still be undone; locked against a second undo. */
async function pickRun(t: Target, id: string | undefined): Promise<RunRow> {
  const r = id
    ? await t.client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM archon.runs WHERE id = $1 FOR UPDATE`, [id])
    : await t.client.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM archon.runs
          WHERE undoable AND undone_at IS NULL AND backups_dropped_at IS NULL ORDER BY runs.at DESC LIMIT 1 FOR UPDATE`,
      );
  const run = r.rows[0];
  const where = t.endpoint.label;
  if (!run && id) throw new UsageError(`no run "${id}" in the journal on ${where}`, { kind: 'list-runs' });
  if (!run) throw new UsageError(`no run on ${where} can be undone`, { kind: 'list-runs' });
  if (run.undone_at) throw new UsageError(`run ${run.id} was already undone at ${run.undone_at}; nothing changed`);
  if (!run.undoable) throw new UsageError(`run ${run.id} cannot be undone: ${run.why_not ?? 'no backup was kept'}`);
  if (run.backups_dropped_at)
    throw new UsageError(`run ${run.id} cannot be undone: its backups were dropped at ${run.backups_dropped_at}`);
  return run;
}

/** Every table of the run must be there, and its backup; a table the run created may be gone (returned). */
async function assertTablesThere(t: Target, rows: RunTableRow[]): Promise<Set<RunTableRow>> {
  const gone = new Set<RunTableRow>();
  for (const r of rows) {
    const q = await t.client.query('SELECT to_regclass($1) IS NOT NULL AS a, to_regclass($2) IS NOT NULL AS b', [
      nameOf(r),
      r.backup_table ? backupOf(r) : nameOf(r),
    ]);
    if (!q.rows[0].a && r.created?.table) gone.add(r);
    else if (!q.rows[0].a)
      throw new UsageError(`${displayName(r.schema_name, r.table_name)} no longer exists; nothing changed`);
    else if (!q.rows[0].b) throw new UsageError(`the backup of ${displayName(r.schema_name, r.table_name)} is gone`);
  }
  return gone;
}

/**
 * A later run that can still be undone and loaded a table this run created (or added columns to)
 * needs that table as it is to be undone: dropping it would leave that run impossible to undo.
 */
async function assertNoLaterRunNeeds(t: Target, runId: string, rows: RunTableRow[]): Promise<void> {
  const made = rows.filter((r) => r.created?.table || r.created?.columns.length);
  if (!made.length) return;
  const later = await t.client.query<{ id: string; schema_name: string; table_name: string }>(
    `SELECT l.run_id AS id, l.schema_name, l.table_name FROM archon.run_tables l JOIN archon.runs r ON r.id = l.run_id
      WHERE r.undoable AND r.undone_at IS NULL AND r.backups_dropped_at IS NULL AND r.id <> $1
        AND r.at >= (SELECT at FROM archon.runs WHERE id = $1)
        AND (l.schema_name, l.table_name) IN (SELECT * FROM unnest($2::text[], $3::text[]))
      ORDER BY r.at, r.id, l.ord LIMIT 1`,
    [runId, made.map((r) => r.schema_name), made.map((r) => r.table_name)],
  );
  const hit = later.rows[0];
  if (!hit) return;
  const mine = made.find((r) => r.schema_name === hit.schema_name && r.table_name === hit.table_name)!;
  const what = mine.created?.table
    ? `${displayName(hit.schema_name, hit.table_name)}, which run ${runId} created; undo would drop it`
    : `${displayName(hit.schema_name, hit.table_name)}, to which run ${runId} added column(s) ` +
      `${mine.created!.columns.join(', ')}; undo would drop them`;
  throw new UsageError(
    `refusing to undo run ${runId}: run ${hit.id}, which came after it and can still be undone, loaded ${what}, ` +
      `and run ${hit.id} could not be undone any more. Undo run ${hit.id} first, or drop its backups ` +
      `(archon backups drop ${hit.id}). Nothing changed.`,
  );
}

/**
 * A table with FORCE ROW LEVEL SECURITY (one the run created as the source had it, or one it replaced
 * the rows of as its owner) hides its rows from its owner, so this session (row_security = off) could
 * not compare, empty or restore it: the force is lifted inside this transaction; a rollback puts it
 * back. Returns the tables undo keeps, whose force restoreForced puts back before the commit.
 */
async function unforceCreated(c: pg.Client, rows: RunTableRow[]): Promise<RunTableRow[]> {
  const kept: RunTableRow[] = [];
  for (const r of rows) {
    const q = await c.query(
      `SELECT relforcerowsecurity AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)
         AS hides FROM pg_class WHERE oid = $1::regclass`,
      [nameOf(r)],
    );
    if (!q.rows[0].hides) continue;
    await c.query(`ALTER TABLE ${nameOf(r)} NO FORCE ROW LEVEL SECURITY`);
    if (!r.created?.table) kept.push(r);
  }
  return kept;
}

/** The force lifted on a table undo keeps, put back and found so in the catalog before the commit. */
async function restoreForced(c: pg.Client, rows: RunTableRow[]): Promise<void> {
  for (const r of rows) await c.query(`ALTER TABLE ${nameOf(r)} FORCE ROW LEVEL SECURITY`);
  await checkRowSecurity(
    c,
    rows.map((r) => ({ schema: r.schema_name, name: r.table_name, enabled: true, forced: true })),
  );
}

const countOf = async (c: pg.Client, from: string): Promise<number> =>
  Number((await c.query(`SELECT count(*)::int8 AS n FROM ${from}`)).rows[0].n);

/** A table the run created that has been dropped since: what undo would have done, done by someone else. */
const goneTable = (r: RunTableRow): UndoTable => ({
  schema: r.schema_name,
  table: r.table_name,
  rowsNow: 0,
  rowsRestored: 0,
  changed: true,
  sequences: [],
  drops: false,
  dropsColumns: [],
  goneSince: true,
});

async function previewTable(t: Target, r: RunTableRow, signal?: AbortSignal): Promise<UndoTable> {
  // The digest covers the columns the run saw: a column added since holds changes it cannot see,
  // and a column dropped since leaves rows the backup cannot be put back into.
  const current = await t.client.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [nameOf(r)],
  );
  const names = new Set(current.rows.map((c) => c.name));
  const addedByRun = new Set(r.created?.columns ?? []);
  const missing = r.columns.filter((c) => !names.has(c.name)).map((c) => c.name);
  // A column the run added and someone dropped since: a change, and one less for undo to drop.
  const goneAdded = missing.filter((c) => addedByRun.has(c));
  const gone = missing.filter((c) => !addedByRun.has(c));
  if (gone.length)
    throw new UsageError(
      `${displayName(r.schema_name, r.table_name)} no longer has column(s) ${gone.join(', ')}, which it had ` +
        'when the run committed; undo cannot put the rows back as they were. Nothing changed.',
    );
  const added = current.rows.length > r.columns.length - goneAdded.length; // the run's own are in r.columns
  // With a column it covered gone, the kept digest cannot be taken again: the table changed.
  const now = goneAdded.length ? null : await keptDigest(t.client, relationOf(r), r.digest_read, r.columns, signal);
  const rowsNow = now ? now.rows : await countOf(t.client, relationOf(r));
  const restored = r.backup_table ? await countOf(t.client, backupOf(r)) : 0;
  return {
    schema: r.schema_name,
    table: r.table_name,
    rowsNow,
    rowsRestored: restored,
    changed: added || now === null || now.hex() !== r.digest_after || rowsNow !== Number(r.rows_after),
    sequences: r.sequences.map((s) => displayName(s.schema, s.name)),
    drops: r.created?.table ?? false,
    dropsColumns: r.created?.columns ?? [],
    goneSince: false,
  };
}

function refusal(runId: string, changed: UndoTable[]): string {
  const now = (c: UndoTable) => (c.goneSince ? 'dropped since, though the run created it' : `${c.rowsNow} row(s) now`);
  const names = changed.map((c) => `${displayName(c.schema, c.table)} (${now(c)})`).join(', ');
  return (
    `refusing to undo run ${runId}: ${names} changed since the run; undo would replace those changes with ` +
    `the rows kept before the run. Nothing changed.`
  );
}

/**
 * Empties the run's tables together (foreign keys between them) and refills them; those a table
 * outside the run references are restored in place instead (see undoInPlace.ts). Then verifies every
 * one against its backup (sequences come after).
 */
async function restore(
  t: Target,
  rows: RunTableRow[],
  inPlace: ReadonlySet<RunTableRow>,
  emit: ProgressListener,
  signal?: AbortSignal,
): Promise<void> {
  const c = t.client;
  if (!rows.length) return;
  // Restored rows are the rows the table held: no user trigger may rewrite them (as during the load).
  // Not on a table the run created: undo drops it next, and no row goes into it.
  const refilled = rows.filter((r) => !r.created?.table);
  const triggers = await silenceTriggersOn(c, refilled.map(nameOf), emit);
  const emptied = rows.filter((r) => !inPlace.has(r));
  if (emptied.length) {
    emit({ type: 'phase', message: `emptying ${emptied.length} table(s)` });
    await c.query(`TRUNCATE ${emptied.map(relationOf).join(', ')}`);
  }
  // In place: rows go from referencing tables first, and come back to referenced tables first, so
  // that a foreign key between two such tables holds at each step where it is enforced.
  const order = rows.filter((r) => inPlace.has(r));
  const removed = new Map<RunTableRow, InPlaceRestore>();
  for (const r of [...order].reverse()) removed.set(r, await removeRows(c, inPlaceOf(r)));
  for (const r of order) {
    const n = await putBackRows(c, removed.get(r)!);
    emit({
      type: 'phase',
      message:
        `restored ${displayName(r.schema_name, r.table_name)} in place, since other tables reference it: ` +
        `${n.removed} row(s) removed, ${n.changed} set back, ${n.added} put back`,
    });
  }
  for (const r of emptied) {
    if (!r.backup_table) continue;
    emit({ type: 'phase', message: `restoring ${displayName(r.schema_name, r.table_name)}` });
    const cols = selectList(backedUp(r.columns, r.created?.columns ?? []).filter((x) => !x.generated));
    // A table of no columns takes no column list, and its rows come back all the same.
    const into = cols ? ` (${cols})` : '';
    await c.query(`INSERT INTO ${nameOf(r)}${into} OVERRIDING SYSTEM VALUE SELECT ${cols} FROM ${backupOf(r)}`);
  }
  await triggers.restore();
  emit({ type: 'phase', message: 'verifying the restored tables against their backups' });
  for (const r of rows) await verifyRestored(t, r, signal);
}

/**
 * The restore verified against the backups: the run needs them no more. What runs undone before
 * kept only for them goes too (returned).
 */
async function dropOwnBackups(
  c: pg.Client,
  runId: string,
  rows: RunTableRow[],
  emit: ProgressListener,
): Promise<string[]> {
  const tables = rows.flatMap((r) => (r.backup_table ? [r.backup_table] : []));
  if (tables.length) emit({ type: 'phase', message: `dropping the ${tables.length} backup(s) of run ${runId}` });
  return dropBackupTables(c, [runId], tables);
}

/**
 * What the run created goes again, once the rows are back: added columns, created tables (their
 * partitions and owned sequences with them), then the schemas, types and extensions created for
 * them, newest first. Those shared objects are dropped only if nothing uses them now (RESTRICT,
 * under a savepoint); one something else has come to use is kept, and said.
 */
async function dropCreated(
  c: pg.Client,
  rows: RunTableRow[],
  everyRow: RunTableRow[],
  emit: ProgressListener,
): Promise<Map<CreatedObject, KeptObject>> {
  for (const r of rows.filter((x) => x.created?.columns.length)) {
    emit({
      type: 'phase',
      message: `dropping the columns the run added to ${displayName(r.schema_name, r.table_name)}`,
    });
    const drops = r.created!.columns.map((col) => `DROP COLUMN IF EXISTS ${ident(col)}`).join(', ');
    await c.query(`ALTER TABLE ${nameOf(r)} ${drops}`);
  }
  const note = (message: string) => emit({ type: 'phase', message });
  const objects = everyRow.flatMap((r) => r.created?.objects ?? []).reverse();
  // The views and functions the run created (--create-objects) may read its tables or return their
  // rows: they go first, or no table could; one a table still uses (a default, a trigger) goes after it.
  const early = await dropUnused(c, objects.filter(isCreatedObject));
  const tables = rows.filter((x) => x.created?.table);
  if (tables.length) {
    emit({ type: 'phase', message: `dropping ${tables.length} table(s) the run created` });
    await c.query(`DROP TABLE ${tables.map(nameOf).join(', ')}`);
  }
  const rest = objects.filter((o) => !isCreatedObject(o) || early.includes(o));
  const kept = await dropCreatedObjects(c, rest, note);
  for (const k of kept.values()) note(`kept ${k.object}, which the run created: ${keptReason(k)}`);
  return kept;
}

/** What --create-objects creates (create/objects.ts), as opposed to what a table's DDL needed. */
const isCreatedObject = (o: CreatedObject) =>
  o.kind === 'view' ||
  o.kind === 'materialized view' ||
  o.kind === 'function' ||
  o.kind === 'procedure' ||
  o.kind === 'aggregate';

/** A statement the user may not run is taken back to its savepoint; any other error (a cancel) stands. */
const notAllowed = (c: pg.Client, savepoint: string) => async (e: { code?: string }) => {
  if (sqlStateOf(e) !== SQLSTATE.insufficientPrivilege) throw e;
  await c.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
};

/** ALTER SEQUENCE … RESTART gives the sequence new storage in this transaction, so the setval after it
 * is taken back with the rest if the undo rolls back. */
async function restoreSequence(c: pg.Client, s: RunTableRow['sequences'][number]): Promise<void> {
  const seq = qualified(s.schema, s.name);
  // One the run created went with its table or column.
  if (!(await c.query('SELECT to_regclass($1) IS NOT NULL AS there', [seq])).rows[0].there) return;
  // Only the owner may ALTER; a user who may merely UPDATE it gets setval alone (which no rollback undoes).
  await c.query('SAVEPOINT sequence');
  await c.query(`ALTER SEQUENCE ${seq} RESTART WITH ${BigInt(s.lastValue)}`).catch(notAllowed(c, 'sequence'));
  await c.query('SELECT setval($1::regclass, $2::int8, $3)', [seq, s.lastValue, s.isCalled]);
}

async function verifyRestored(t: Target, r: RunTableRow, signal?: AbortSignal): Promise<void> {
  const name = displayName(r.schema_name, r.table_name);
  const columns = backedUp(r.columns, r.created?.columns ?? []).map((c) => c.name);
  const now = await wholeTableDigest(t.client, relationOf(r), columns, { signal });
  const kept = r.backup_table
    ? await wholeTableDigest(t.client, backupOf(r), columns, { sameAs: now.how, signal })
    : null;
  const ok = kept ? now.digest.equals(kept.digest) : now.digest.rows === 0;
  if (!ok)
    throw new UndoVerifyError(
      `${name} did not verify after the restore (${now.digest.rows} row(s), the backup has ${kept?.digest.rows ?? 0}); rolled back, nothing changed`,
    );
}

// Orchestration only: the plan, the snapshot and the one target transaction, the order of the
// phases, cancellation. Each phase lives in its own file (existingRows, triggers, copy, verify,
// sequences); this file decides when they run and what a failure means for every table.
import { displayName } from '../shared/names.js';
import {
  type EndpointSummary,
  type ErrorInfo,
  type ExistingPolicy,
  type Outcome,
  type PlatformTable,
  type Report,
  type SchemaObject,
  type RootCause,
  type TableReport,
  contentNotChecked,
  refusalOf,
} from '../shared/report.js';
import { analyzeLoaded } from './create/analyze.js';
import type { Catalog } from './catalog/catalog.js';
import type { ObjectDdl } from './schema/ddl.js';
import { copyTable } from './load/copy.js';
import { CancelledError, ConnectionError, CopyStreamError, StallError, errorInfo } from './errors.js';
import type { ProgressListener } from './events.js';
import { type ContentDigest, withNamesPinned } from './verify/digest.js';
import { connectionLost, settleLoss } from './connect/connection.js';
import { digestsBefore, prepareExistingRows } from './load/existingRows.js';
import { tableKey } from './ident.js';
import { type Plan, type PlanInput, type TablePlan, type TableStep, makePlan } from './plan/plan.js';
import { type ReferenceFacts, newReferenceFacts, unmetReferences } from './verify/references.js';
import { largeObjectReason } from './catalog/largeObjects.js';
import { haveRows } from './catalog/relation.js';
import { lockTimeoutMessage } from './connect/locks.js';
import type { Selection } from './catalog/selection.js';
import { moveSequences, noteSequences, planSequenceMoves, unmovableSequences } from './load/sequences.js';
import { type EndpointsInput, type Session, abandon, lockBounded, openSession } from './connect/session.js';
import { report, tableReport } from './report.js';
import {
  type SchemaChanges,
  createAfterData,
  createAfterVerify,
  createBeforeData,
  ddlOf,
  planSchemaChanges,
} from './create/create.js';
import { missingObjects, planScope, tablelessSchemas } from './create/schemaObjects.js';
import { notCommitted, settleAccess, withAccessObjects } from './schema/access.js';
import { checkCreatedClosed, revokeTargetDefaults } from './create/defaultGrants.js';
import { countUnforced, liftForce, restoreForce } from './schema/rowSecurity.js';
import {
  createObjectsAfterData,
  createObjectsAfterTables,
  createObjectsBeforeTables,
  createdByObjects,
  functionPrelude,
  objectsNote,
  planObjects,
  settleObjects,
} from './create/objects.js';
import { silenceTriggers } from './load/triggers.js';
import { type LoadDigests, verifyLoaded } from './verify/verify.js';
import { type Journal, type UndoPlan, startJournal, undoPlan } from './journal/journal.js';
import { type RebuildRule, planRebuilds, rebuildIndexes } from './create/indexes.js';
import { contained, refusingConstraint, tableFailure } from './load/tableFailure.js';
import { addTraffic, trafficOf, trafficSince } from './connect/traffic.js';
import { type CopyAllContext, ParallelLoad, type ParallelOptions } from './load/parallel.js';
import { SQLSTATE, connectionFailed, sqlStateOf } from './sqlState.js';

export interface PlanOptions extends EndpointsInput, SchemaChanges {
  selection?: Selection;
  existing?: ExistingPolicy;
  /** Keep the rows a run replaces or appends to, so it can be undone (default true; --no-backup). */
  backup?: boolean;
  /** Cancels the reads on the server too (a plan may wait on a lock). */
  signal?: AbortSignal;
  /**
   * Index access methods rebuilt after a load into an existing table, and why (default: ivfflat). Not a
   * user's setting: the tests name a method their servers have, since none ships pgvector.
   */
  rebuildAfterLoad?: RebuildRule;
  /** Source sessions that will read the rows (default 4): the plan says how the source is read. */
  jobs?: number;
}

export interface PlanResult {
  source: EndpointSummary;
  target: EndpointSummary;
  plan: Plan;
  /** What the run keeps for undo, and whether it can be undone. */
  undo: UndoPlan;
  /** Source sessions that read the rows on the one snapshot (1: one stream per table). */
  jobs?: number;
}

export interface MigrateOptions extends PlanOptions, ParallelOptions {
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Sees the plan while the snapshot is open; resolving false stops before anything is written. */
  confirm?: (plan: PlanResult) => Promise<boolean>;
}

/** The plan alone: both sides are read, nothing is written. */
export async function planMigration(opts: PlanOptions): Promise<PlanResult> {
  const session = await openSession(opts, { signal: opts.signal });
  try {
    // Planning reads the target too (rows to keep for undo, a trial of the DDL): bounded like the rest.
    return await planBounded(session, opts);
  } finally {
    await session.close();
  }
}

/**
 * The plan, its waits bounded; a side's connection lost meanwhile (the plan's trial on the target,
 * its reads) is a ConnectionError that names that side: what the trial did went with its transaction.
 */
async function planBounded(session: Session, opts: PlanOptions): Promise<PlanResult> {
  try {
    const planned = await lockBounded(session.watch, () => planFor(session, opts));
    // A cancel that a trial took for a refusal (its savepoint caught it) would leave a false plan.
    if (opts.signal?.aborted) throw new CancelledError();
    return { ...planned, jobs: new ParallelLoad(opts).jobs };
  } catch (e) {
    // Whatever a cancel broke on its way (the statement after the cancelled one finds the trial's
    // transaction aborted, 25P02), the cause is the cancel: a clean one, nothing was written.
    if (opts.signal?.aborted) throw new CancelledError();
    if (connectionFailed(e)) await settleLoss([session.source, session.target]);
    const side = lostSide(e, session);
    if (!side) throw e;
    const info = errorInfo(e, session.secrets);
    throw new ConnectionError(
      `the connection to the ${side} (${session.summaries[side].label}) was lost while planning: ${info.message}; nothing was written`,
      side,
      'unreachable',
      info.message,
      info.code,
    );
  }
}

async function planFor(session: Session, opts: PlanOptions): Promise<PlanResult> {
  const input = {
    source: session.sourceCatalog,
    target: session.targetCatalog,
    selection: opts.selection ?? {},
    existing: opts.existing ?? 'replace',
  };
  // A table skipped can leave another without the rows its foreign key needs: planned again without
  // that one too, until nothing more falls (each round skips at least one table more, so this ends).
  const facts = newReferenceFacts();
  const largeObjects = new Map<string, string | null>();
  const refused = new Map<string, string>();
  const prelude = opts.createObjects ? await preludeOf(session, opts, makePlan(input)) : [];
  for (;;) {
    const plan = await planRound(session, opts, { ...input, refusedUpFront: refused }, prelude);
    const more = await refusedByRows(session, plan, input.target, { facts, largeObjects });
    for (const [k, why] of await unmovableSequences(session.target, plan.tables)) if (!more.has(k)) more.set(k, why);
    const settled = () => ![...more.keys()].some((k) => !refused.has(k));
    const schemas = settled() ? await tablelessSchemas(session, opts.selection, plan.tables) : [];
    const objects = settled() && opts.createObjects ? await planObjects(session, plan, schemas) : null;
    for (const [k, why] of objects?.create.refusedTables ?? []) if (!more.has(k)) more.set(k, why);
    if (settled()) {
      await noteSequences(session.target, plan.tables, input.source);
      await planRebuilds(session.target, plan.tables, input.existing, opts.rebuildAfterLoad);
      return {
        ...session.summaries,
        plan: objects
          ? withObjects(
              plan,
              withAccessObjects(
                objects.objects,
                plan.tables.map((t) => t.create?.access),
              ),
              objects.create.create,
            )
          : { ...plan, objects: await objectsOf(session, plan, schemas) },
        undo: await undoPlan(session.target, plan.tables, input.existing, opts.backup ?? true),
      };
    }
    for (const [k, why] of more) refused.set(k, why);
  }
}

/**
 * The functions the tables' trial creates first, those of the schemas without tables too: a domain's
 * CHECK may call one there (util.is_pos), and its schema is then created before it.
 */
const preludeOf = async (session: Session, opts: PlanOptions, first: Plan) =>
  functionPrelude(session, first, await tablelessSchemas(session, opts.selection, first.tables));

/** The objects around the plan's tables: what the run does not create, and the created tables' access. */
const objectsOf = async (session: Session, plan: Plan, schemas: string[]) =>
  withAccessObjects(
    await missingObjects(session, { tables: planScope(plan), status: 'not created', schemas }),
    plan.tables.map((t) => t.create?.access),
  );

/** The plan with what --create-objects creates, said in the notes of the first table it copies. */
function withObjects(plan: Plan, objects: Plan['objects'], create: ObjectDdl[]): Plan {
  const note = objectsNote(create);
  const first = plan.tables.find((t) => t.action === 'copy');
  if (note && first) first.notes.push(note);
  return { ...plan, objects, createObjects: create };
}

/** Copied tables the source's rows rule out, with why: OIDs naming large objects, then foreign keys left unmet. */
async function refusedByRows(
  session: Session,
  plan: Plan,
  target: Catalog,
  asked: { facts: ReferenceFacts; largeObjects: Map<string, string | null> },
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const p of plan.tables.filter((x) => x.action === 'copy')) {
    const why = await largeObjectReason(session.source, p.source, asked.largeObjects);
    if (why) out.set(tableKey(p.schema, p.table), why);
  }
  for (const [k, why] of await unmetReferences(session, plan, target, asked.facts)) if (!out.has(k)) out.set(k, why);
  return out;
}

async function planRound(session: Session, opts: PlanOptions, input: PlanInput, prelude: string[]): Promise<Plan> {
  const firstPass = makePlan(input);
  const create = (plan: Plan, nonEmptyTargets?: Set<string>) =>
    opts.createMissing || opts.addColumns
      ? planSchemaChanges(session, { ...input, nonEmptyTargets }, plan, opts, prelude)
      : plan;
  if (input.existing !== 'skip-nonempty') return create(firstPass);
  // Whether a target table has rows is asked of the server, then planned like any other reason.
  const nonEmptyTargets = new Set<string>();
  const copying = firstPass.tables.filter((p) => p.action === 'copy');
  const targets = copying.map((t) => t.target!);
  const has = await countUnforced(session.target, targets, () => haveRows(session.target, targets));
  for (const [i, t] of copying.entries()) if (has[i]) nonEmptyTargets.add(tableKey(t.schema, t.table));
  const plan = nonEmptyTargets.size ? makePlan({ ...input, nonEmptyTargets }) : firstPass;
  return create(plan, nonEmptyTargets);
}

/** Progress events at most five a second per table: enough for a live bar, few enough for a webview. */
const PROGRESS_INTERVAL_MS = 200;

const plannedReport = (t: TablePlan): TableReport => ({
  ...tableReport(t.schema, t.table, {
    status: t.action === 'skip' ? 'skipped' : 'not run',
    reason: t.reason,
    format: t.action === 'copy' ? t.format : null,
    notes: [...t.notes],
  }),
  ...(t.create ? { ddl: ddlOf(t) } : {}),
});

/**
 * Migrates the selected tables in one target transaction and commits only when every loaded table's
 * rows were counted on both sides and match. Anything else (a failure, a mismatch, a cancel) rolls
 * back and leaves the target as it was.
 */
export async function migrate(opts: MigrateOptions): Promise<Report> {
  const started = new Date();
  const session = await openSession(opts, { onProgress: opts.onProgress, signal: opts.signal });
  const existing = opts.existing ?? 'replace';
  const reports = new Map<TablePlan, TableReport>();
  let unmatched: string[] = [];
  let platformTables: PlatformTable[] = [];
  let objects: SchemaObject[] = [];
  let result: LoadResult = { committed: false, cancelled: false, error: null, causes: [] };
  let undo: UndoPlan | null = null;
  const parallel = new ParallelLoad(opts);
  const finish = (outcome: Outcome | null = result.cancelled ? 'cancelled' : null): Report => ({
    ...report({
      kind: 'migrate',
      session,
      started,
      existing,
      tables: [...reports.values()],
      unmatched,
      platformTables,
      objects: settleObjects(
        settleAccess(result.committed ? objects : notCommitted(objects), result.committed),
        result.committed,
      ),
      committed: result.committed,
      outcome,
      error: result.error,
      causes: result.causes,
    }),
    undo: undoState(result, undo),
    traffic: trafficOf(session.meters),
    phases: session.clock.phases(),
    ...(result.analyzed ? { analyzed: result.analyzed } : {}),
    ...parallel.reportFields(),
  });
  try {
    session.clock.enter('plan');
    const planned = await planBounded(session, opts);
    await parallel.prepare(session);
    unmatched = planned.plan.unmatched;
    platformTables = planned.plan.platformTables;
    objects = planned.plan.objects;
    undo = planned.undo;
    for (const t of planned.plan.tables) reports.set(t, plannedReport(t));
    if (opts.confirm) session.clock.enter('review');
    if (opts.confirm && !(await opts.confirm(planned))) {
      markDeclined(reports);
      return finish('cancelled');
    }
    const toCopy = planned.plan.tables.filter((t) => t.action === 'copy');
    if (toCopy.length === 0) return finish();
    const how = {
      existing,
      journal: { at: started, undo: planned.undo, unmatched },
      objects: planned.plan.createObjects ?? [],
      parallel,
    };
    session.clock.enter('prepare');
    result = await load(session, toCopy, reports, how, followed(session, opts.onProgress), opts.signal);
    await parallel.close(result.resumable === true);
    const done = finish();
    await result.journal?.keepReport(done);
    return done;
  } finally {
    await parallel.close();
    await session.close();
  }
}

/** Declined at the review: every table that was to run did not. */
function markDeclined(reports: Map<TablePlan, TableReport>): void {
  for (const r of reports.values()) {
    if (r.status !== 'skipped')
      Object.assign(r, { status: 'not run', reason: 'not run: the run was declined at the review' });
  }
}

/** The run's events, each seen by the session's clock (a stage that begins) before the adapter. */
const followed =
  (s: Session, listener?: ProgressListener): ProgressListener =>
  (e) => {
    s.clock.follow(e);
    listener?.(e);
  };

interface LoadResult {
  committed: boolean;
  cancelled: boolean;
  error: ErrorInfo | null;
  /** Every table whose failure or mismatch took the run back, in the order the run met them. */
  causes: RootCause[];
  /** The journal entry a committed run wrote. */
  journal?: Journal | null;
  /** After the commit: the loaded tables ANALYZEd, and those that could not be. */
  analyzed?: Report['analyzed'];
  /** Ended by a lost connection or a stall, not by the data nor the user: the spool is kept for --resume. */
  resumable?: boolean;
}

/** Only a committed run has a journal entry; one that was not committed has nothing to undo. */
function undoState(result: LoadResult, plan: UndoPlan | null): Report['undo'] {
  if (!plan) return null;
  if (result.committed && result.journal) return result.journal.state;
  if (result.committed) return { runId: null, possible: false, reason: plan.reason };
  return null;
}

/**
 * Where a load is, for the message when it fails: the table at work, those begun, those that failed on
 * their own (with their error in a line) and of those the ones whose rows did not load, the sequences
 * setval moved.
 */
interface LoadPosition {
  current: TablePlan | null;
  started: Set<TablePlan>;
  failed: Map<TablePlan, string>;
  notLoaded: Set<TablePlan>;
  sequencesMoved: string[];
}

/** What a load needs besides the tables: the policy, the journal's facts. */
interface LoadHow {
  existing: ExistingPolicy;
  journal: { at: Date; undo: UndoPlan; unmatched: string[] };
  /** What --create-objects creates around the tables, in order. */
  objects: ObjectDdl[];
  /** Reads the rows with more than one source session (--jobs 2 and more); else one stream, source to target. */
  parallel: ParallelLoad;
}

async function load(
  s: Session,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  how: LoadHow,
  emit: ProgressListener,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const { existing } = how;
  const at: LoadPosition = {
    current: null,
    started: new Set(),
    failed: new Map(),
    notLoaded: new Set(),
    sequencesMoved: [],
  };
  const checkCancel = () => {
    if (signal?.aborted) throw new CancelledError();
  };
  const step = tableStep(s, reports, at, emit);
  try {
    checkCancel();
    await s.target.query('BEGIN');
    const atTable = (t: TablePlan | null) => {
      at.current = t;
    };
    await createBeforeData(s.target, tables, emit, atTable, checkCancel, () =>
      createObjectsBeforeTables(s.target, how.objects, emit, checkCancel),
    );
    await createObjectsAfterTables(s.target, how.objects, emit, checkCancel);
    await revokeTargetDefaults(s.source, s.target, tables, (t, n) => reports.get(t)?.notes.push(n));
    s.clock.enter('prepare');
    await liftForce(s.target, tables);
    const triggers = await silenceTriggers(s.target, tables, emit);
    const { source, target } = s.summaries;
    const meta = { ...how.journal, source: source.label, target: target.label, existing };
    const journal = await startJournal(s.target, tables, meta, how.journal.undo, emit);
    const loading = await prepareExistingRows(s.target, tables, reports, existing, emit);
    const copying = { at, step, emit, signal, checkCancel, parallel: how.parallel, replica: triggers.replica };
    const digests = await copyAll(s, loading, reports, copying);
    const live = () => loading.filter((t) => !at.failed.has(t));
    await createAfterData(s.target, live(), reports, emit, step, checkCancel);
    await rebuildIndexes(s.target, live(), reports, { emit, step, checkCancel });
    checkCancel();
    await triggers.restore();
    // Triggers the run creates come after the rows (none fires during the COPY), and after the
    // target's own were restored (their names are not among those).
    await createObjectsAfterData(s.target, how.objects, emit, checkCancel);
    const notLoaded = new Set([...at.notLoaded].map((t) => tableKey(t.schema, t.table)));
    const verifying = { replica: triggers.replica, emit, digests, signal, step, notLoaded };
    const readBacks = await verifyLoaded(s, live(), reports, verifying);
    checkCancel();
    emit({ type: 'phase', message: 'checking where the sequences must move' });
    const moves = await planSequenceMoves(s, live(), failTable(s, reports, at, emit));
    checkCancel();
    const bad = loading.filter((t) => reports.get(t)!.status !== 'verified');
    if (bad.length) {
      await s.target.query('ROLLBACK');
      const causes = markRolledBack(loading, reports, bad, at.failed);
      return { committed: false, cancelled: false, error: null, causes };
    }
    checkCancel();
    emit({ type: 'phase', phase: 'sequences', message: 'moving sequences past the copied values' });
    await moveSequences(s, moves, (name) => at.sequencesMoved.push(name), reports);
    await journal?.record(loading, reports, readBacks, createdByObjects(how.objects));
    // Last of all: a forced table hides its rows from Archon's reads unless the user bypasses it.
    await createAfterVerify(s.target, loading, emit, atTable, checkCancel);
    await checkCreatedClosed(s.source, s.target, loading);
    await restoreForce(s.target, tables);
    checkCancel();
    emit({ type: 'phase', phase: 'commit', message: 'committing' });
    await s.target.query('COMMIT');
    const analyzed = await analyzeLoaded(s.target, loading, reports, emit, s.secrets);
    return { committed: true, cancelled: false, error: null, causes: [], journal, analyzed };
  } catch (e) {
    return failLoad(s, e, tables, reports, at, signal);
  }
}

/**
 * Every table's rows, one table at a time, each in its savepoint: a table the target refuses is
 * recorded and the next one goes on. Returns each loaded table's digests (as the rows left the
 * source, and under append of the rows the table held before).
 */
async function copyAll(
  s: Session,
  loading: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  o: CopyAllContext & { at: LoadPosition; parallel: ParallelLoad },
): Promise<Map<TablePlan, LoadDigests>> {
  const parallel = await o.parallel.copyAll(s, loading, reports, o);
  if (parallel) return parallel;
  const before = await digestsBefore(s.target, loading, reports);
  const digests = new Map<TablePlan, LoadDigests>();
  const estimatedBytes = loading.reduce((sum, t) => sum + t.bytes, 0);
  o.emit({ type: 'copy-start', total: loading.length, estimatedBytes });
  for (const [index, t] of loading.entries()) {
    o.checkCancel();
    o.at.started.add(t);
    const where = { index, total: loading.length, emit: o.emit, signal: o.signal, stallTimeoutMs: s.stallTimeoutMs };
    const loaded = await o.step(t, async () => {
      digests.set(t, { source: await copyOne(s, t, reports.get(t)!, where), before: before.get(t) ?? null });
    });
    if (!loaded) o.at.notLoaded.add(t);
  }
  return digests;
}

/**
 * One table: the stream, with throttled progress. The source's count in the snapshot is the one its COPY
 * reports (a count(*) first would read the table twice). A copy the target refuses still ends its
 * progress (the bytes that moved), so the progress goes on to the next table.
 */
async function copyOne(
  s: Session,
  t: TablePlan,
  r: TableReport,
  o: { index: number; total: number; emit: ProgressListener; signal?: AbortSignal; stallTimeoutMs: number },
): Promise<ContentDigest> {
  const { index, total, emit } = o;
  const where = { schema: t.schema, table: t.table, index, total };
  const began = Date.now();
  emit({ type: 'table-start', ...where, estimatedRows: t.estimatedRows, estimatedBytes: t.bytes });
  let lastEmit = 0;
  let moved = 0;
  const onBytes = (bytes: number, rows: number) => {
    moved = bytes;
    const now = Date.now();
    if (now - lastEmit < PROGRESS_INTERVAL_MS) return;
    lastEmit = now;
    emit({ type: 'table-progress', ...where, bytes, rows });
  };
  const stopSource = () => s.watch.cancelStatement('source');
  // Names (regclass, …) leave the source schema-qualified: the target reads them as the same objects.
  const copied = await withNamesPinned(s.source, t.namesObjects, () =>
    copyTable(s.source, s.target, t, onBytes, { signal: o.signal, stallTimeoutMs: o.stallTimeoutMs, stopSource }),
  ).catch((e) => {
    emit({ type: 'table-done', ...where, rows: null, bytes: moved, durationMs: Date.now() - began });
    throw e;
  });
  r.sourceRows = copied.sent;
  r.bytes = copied.bytes;
  r.durationMs = Date.now() - began;
  if (copied.digest.rows !== copied.sent || copied.received !== copied.sent) {
    const streamed = copied.digest.rows === copied.sent ? '' : ` (the stream carried ${copied.digest.rows})`;
    r.notes.push(
      `COPY moved ${copied.sent} row(s) out of the source${streamed} and ${copied.received} into the target`,
    );
  }
  emit({ type: 'table-done', ...where, rows: copied.received, bytes: copied.bytes, durationMs: r.durationMs });
  return copied.digest;
}

/**
 * The step every table's work goes through: contained in a savepoint, its bytes over the network counted
 * as the table's; a failure that is the table's own marks it failed (its rows not shown as arrived) and
 * says so, and the run goes on to find the others.
 */
function tableStep(
  s: Session,
  reports: Map<TablePlan, TableReport>,
  at: LoadPosition,
  emit: ProgressListener,
): TableStep {
  const fail = failTable(s, reports, at, emit);
  return async (t, work) => {
    at.current = t;
    const before = trafficOf(s.meters);
    const e = await contained(s, work).finally(() => addTraffic(reports.get(t)!, trafficSince(s.meters, before)));
    at.current = null;
    if (e === null) return true;
    fail(t, e, await refusingConstraint(s.target, e));
    return false;
  };
}

/** Records a table's own failure (its rows not shown as arrived) and says so; the run goes on. */
function failTable(
  s: Session,
  reports: Map<TablePlan, TableReport>,
  at: LoadPosition,
  emit: ProgressListener,
): (t: TablePlan, e: unknown, constraint?: ErrorInfo['constraint'] | null) => void {
  return (t, e, constraint) => {
    const notLoaded = new Set([...at.notLoaded].map((n) => tableKey(n.schema, n.table)));
    const failure = tableFailure(e, t, s, notLoaded, reports.get(t)!.targetRowsBefore);
    at.failed.set(t, failure.message);
    Object.assign(reports.get(t)!, {
      status: 'failed',
      reason: failure.message,
      error: constraint ? { ...failure.info, constraint } : failure.info,
      targetRows: null,
      content: contentNotChecked(null),
    });
    const name = displayName(t.schema, t.table);
    emit({
      type: 'phase',
      message: `${name} failed: ${failure.message}; going on with the other tables to find every problem (nothing will be committed)`,
    });
  };
}

/** Three names and how many more: a reason that stays readable when many tables failed. */
function someNames(tables: TablePlan[]): string {
  const names = tables.slice(0, 3).map((t) => displayName(t.schema, t.table));
  const more = tables.length - names.length;
  return more ? `${names.join(', ')} and ${more} other table(s)` : names.join(', ');
}

/**
 * Tables that failed or did not verify take the whole run back: they keep their status, the verified ones
 * become 'rolled back' (their rows and content no longer read as arrived) and say which tables did it.
 * Every such table is a cause, in load order.
 */
function markRolledBack(
  loaded: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  bad: TablePlan[],
  failed: ReadonlyMap<TablePlan, string>,
): RootCause[] {
  const failures = bad.filter((t) => reports.get(t)!.status === 'failed');
  const mismatches = bad.filter((t) => reports.get(t)!.status !== 'failed');
  const because = [
    ...(failures.length ? [`${someNames(failures)} failed`] : []),
    ...(mismatches.length ? [`${someNames(mismatches)} did not verify`] : []),
  ].join(' and ');
  const causes = bad.map((t) => {
    const r = reports.get(t)!;
    const message = failed.get(t) ?? r.reason ?? '';
    return { schema: r.schema, table: r.table, status: r.status, message, ...refusalOf(r.error) };
  });
  for (const t of loaded) {
    const r = reports.get(t)!;
    if (r.status !== 'verified') r.reason += '; rolled back, the target is unchanged';
    else
      Object.assign(r, {
        status: 'rolled back',
        targetRows: null,
        content: contentNotChecked(null),
        reason: `verified, then rolled back because ${because}; the target is unchanged`,
      });
  }
  return causes;
}

/** The error as the report says it: a lock wait names its holder, a lost connection its side. */
function failureInfo(s: Session, e: unknown, cancelled: boolean): ErrorInfo {
  const info = errorInfo(e, s.secrets);
  if (sqlStateOf(e) === SQLSTATE.lockNotAvailable) info.message = lockTimeoutMessage(s.watch);
  const gone = lostSide(e, s);
  if (gone && !cancelled) info.message = `the connection to the ${gone} was lost: ${info.message}`;
  return info;
}

/** What a rolled-back run left on the target: nothing, but sequences moved and any session left behind. */
const unchangedText = (at: LoadPosition, leftover: string | null | undefined): string =>
  [
    at.sequencesMoved.length
      ? `the target is unchanged except that sequence(s) ${at.sequencesMoved.join(', ')} moved forward (setval, ` +
        'which no rollback undoes; new ids skip ahead, nothing collides)'
      : 'the target is unchanged',
    ...(leftover ? [leftover] : []),
  ].join('; ');

/** An error or a cancel: roll back, and tell every table what happened and whose fault it was. */
async function failLoad(
  s: Session,
  e: unknown,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  at: LoadPosition,
  signal?: AbortSignal,
): Promise<LoadResult> {
  const cancelled = e instanceof CancelledError || signal?.aborted === true;
  const resumable = !cancelled && lostOrStalled(s, e);
  const info = failureInfo(s, e, cancelled);
  const leftover = await abandon(s, cancelled);
  const culprit = at.current && !cancelled ? at.current : null;
  const unchanged = unchangedText(at, leftover);
  const failure = `${info.message}${info.code ? ` [${info.code}]` : ''}`;
  const failedBefore = [...at.failed.keys()];
  const blamed = culprit ? [...failedBefore, culprit] : failedBefore;
  for (const t of tables) {
    const r = reports.get(t)!;
    if (r.status === 'skipped') continue;
    if (at.failed.has(t)) {
      // Its own failure stays what it was; what ended the run is told by the others.
      r.reason += `; rolled back, ${unchanged}`;
      continue;
    }
    Object.assign(r, { targetRows: null, content: contentNotChecked(null) });
    // Tables the run never reached are 'not run'; those it had begun were taken back with the rest.
    if (cancelled) {
      r.status = at.started.has(t) ? 'rolled back' : 'not run';
      r.reason = at.started.has(t) ? `cancelled; rolled back, ${unchanged}` : `cancelled before it ran; ${unchanged}`;
    } else if (t === culprit || !culprit) {
      // The culprit, or a failure outside any table's step (emptying, locking) that every table learns.
      Object.assign(r, { status: 'failed', reason: `${failure}; rolled back, ${unchanged}` });
      if (t === culprit) r.error = info;
    } else if (at.started.has(t))
      Object.assign(r, {
        status: 'rolled back',
        reason: `rolled back because ${someNames(blamed)} failed; ${unchanged}`,
      });
    else
      Object.assign(r, {
        status: 'not run',
        reason: `not run: the run stopped when ${displayName(culprit.schema, culprit.table)} failed; ${unchanged}`,
      });
  }
  const causeOf = (t: TablePlan, message: string): RootCause => ({
    schema: t.schema,
    table: t.table,
    status: 'failed',
    message,
    ...refusalOf(reports.get(t)!.error),
  });
  const causes = [
    ...failedBefore.map((t) => causeOf(t, at.failed.get(t)!)),
    ...(culprit ? [causeOf(culprit, failure)] : []),
  ];
  return { committed: false, cancelled, error: cancelled || culprit ? null : info, causes, resumable };
}

/**
 * A failure a later run can continue from the spool: a side's connection lost (the source's snapshot
 * with it, or the target's transaction), or no data moving. Asked before the run abandons its sessions.
 */
function lostOrStalled(s: Session, e: unknown): boolean {
  // A server's "terminating connection" can come before the client has marked its connection lost:
  // any failure of a connection leaves the spool as good as it was, so a resume may use it.
  if (connectionLost(s.source) || connectionLost(s.target) || connectionFailed(e)) return true;
  const cause = (e as { cause?: unknown } | null)?.cause;
  return e instanceof StallError || cause instanceof StallError || e instanceof ConnectionError;
}

/** For an error that ended a connection (terminated, reset, gone): which side it was, if known. */
function lostSide(e: unknown, s: Session): 'source' | 'target' | null {
  if (!connectionFailed(e)) return null;
  if (connectionLost(s.target)) return 'target';
  if (connectionLost(s.source)) return 'source';
  return e instanceof CopyStreamError ? e.side : null;
}

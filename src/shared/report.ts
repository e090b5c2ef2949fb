// The one report model: the CLI's JSON, Markdown and terminal table, the report page and the tests
// all read this. Browser-safe: no Node or PostgreSQL import anywhere under src/shared/.
import { formatBytes, plural } from './format.js';
import { displayName, visible } from './names.js';

/**
 * A table's status. 'rolled back' and 'not run' are the calm consequences of another table's failure (or
 * of a cancel): nothing of theirs was committed, and neither ever reads as verified. Reports written before
 * they existed have only the first four.
 */
export type TableStatus = 'verified' | 'mismatch' | 'skipped' | 'failed' | 'rolled back' | 'not run';
/** Every status, in the order summaries list them. */
export const TABLE_STATUSES: readonly TableStatus[] = [
  'verified',
  'mismatch',
  'skipped',
  'failed',
  'rolled back',
  'not run',
];
export type Outcome = 'verified' | 'not verified' | 'failed' | 'cancelled';
export type Role = 'source' | 'target';

/** What to do with rows already in a target table. */
export type ExistingPolicy = 'replace' | 'append' | 'skip-nonempty';
export const EXISTING_POLICIES: readonly ExistingPolicy[] = ['replace', 'append', 'skip-nonempty'];

const POLICY_TEXT: Record<ExistingPolicy, string> = {
  replace: 'Replace (emptied first)',
  append: 'Append (the rows there kept)',
  'skip-nonempty': 'Skip tables that have rows',
};

/**
 * A policy in the words of VS Code's existing-rows choices, for people reading a report or a dialog
 * (`skip-nonempty` is the CLI's option value). A value a journal holds that is not one is shown as is.
 */
export const policyText = (policy: string): string => POLICY_TEXT[policy as ExistingPolicy] ?? policy;

/** What a report keeps of a PostgreSQL error: enough to act on, never a secret. */
export interface ErrorInfo {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  where?: string;
  /**
   * The constraint that refused the rows, as the target defines it (`pg_get_constraintdef`; an index's
   * definition for a unique index without a constraint); null when it could not be read.
   */
  constraint?: { name: string; definition: string | null };
}

export interface EndpointSummary {
  role: Role;
  /** user@host:port/db — never a password. */
  label: string;
  /** The saved connection's name, where the run came from one (VS Code); absent from the CLI. */
  name?: string;
  serverVersion: string | null;
  /** The hosted platform recognised there (`Supabase`); null or absent for a plain server. */
  platform?: string | null;
}

/** `PostgreSQL 17.6`, or `Supabase, PostgreSQL 17.6` where a platform was recognised. */
export const serverText = (e: EndpointSummary): string =>
  `${e.platform ? `${e.platform}, ` : ''}PostgreSQL ${e.serverVersion ?? 'unknown'}`;

/**
 * A table of a hosted platform's own schemas that the platform rules left out of the run: listed with
 * the reason, never counted as a skipped table (nobody selected it).
 */
export interface PlatformTable {
  schema: string;
  table: string;
  kind: 'platform data' | 'platform internal';
  reason: string;
}

/** The kinds of object a run can name besides tables, in the order every rendering lists them. */
export const OBJECT_KINDS = [
  'schema',
  'function',
  'procedure',
  'aggregate',
  'view',
  'materialized view',
  'foreign table',
  'sequence',
  'type',
  'domain',
  'trigger',
  'policy',
  'row-level security',
  'grant',
  'default privilege',
  'rule',
  'operator',
  'collation',
  'text search configuration',
  'extension',
  'event trigger',
  'publication',
  'foreign server',
] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/**
 * What became of an object of the source that is not a table: 'not created' by a migration (or a
 * plan), 'missing on the target' in a comparison; with --create-objects, 'to be created' in a plan
 * and 'created' once a committed run found it on the target equal by definition to the source's;
 * 'differs' when the target already has it (same kind, schema, name, argument types) with another
 * definition, which the run keeps as it is.
 */
export type ObjectStatus = 'not created' | 'missing on the target' | 'to be created' | 'created' | 'differs';

/**
 * An object of the source's schemas (or a database-wide one) that the target lacks: named so nothing
 * is silently missing, never counted as a table; or one the run creates (--create-objects).
 */
export interface SchemaObject {
  kind: ObjectKind;
  /** As a person reads it: `public.f(integer, text)`, `t_touch on public.t`, `pgcrypto`. */
  name: string;
  status: ObjectStatus;
  /** Why it is not there after the run; for one created, what was checked. */
  reason: string;
  /** The run's tables that use it (a column's type, a default, a check, an index); absent when none does. */
  usedBy?: string[];
}

/** Whether the rows are the same, not only as many: match, differs, or not checked (with why). */
type ContentStatus = 'match' | 'differs' | 'not checked';

/** One row that differs, named by its key (primary key, or a unique key whose columns are NOT NULL). */
export interface RowDifference {
  /** The key as column=value pairs, e.g. `id=42`. */
  key: string;
  kind: 'missing on the target' | 'extra on the target' | 'changed';
}

export interface ContentCheck {
  status: ContentStatus;
  /** Why it was not checked, or how it differs; null when it matches. */
  reason: string | null;
  /**
   * 128-bit digests in hex of the source's rows and of the rows the target holds (after an append:
   * of the rows it gained): the sum of every row's hash, so row order does not matter.
   */
  sourceDigest: string | null;
  targetDigest: string | null;
  /** Up to 20 rows that differ, by key; empty when the table has no key or nothing differs. */
  differences: RowDifference[];
  /** How many rows differ in all, where it could be counted; null otherwise. */
  differingRows: number | null;
}

export const contentNotChecked = (reason: string | null): ContentCheck => ({
  status: 'not checked',
  reason,
  sourceDigest: null,
  targetDigest: null,
  differences: [],
  differingRows: null,
});

/** The content cell of a report's table: short, the same in every rendering. */
function contentText(c: ContentCheck): string {
  if (c.status === 'match') return 'same';
  if (c.status === 'not checked') return 'not checked';
  return c.differingRows === null ? 'DIFFERS' : `DIFFERS (${c.differingRows} row${c.differingRows === 1 ? '' : 's'})`;
}

/** The content cell of a table's row; blank where content says nothing: a table skipped, rolled back or
 * not run, or a report saved before content checks. */
export function contentCell(t: TableReport): string {
  if (!t.content || t.status === 'skipped' || t.status === 'rolled back' || t.status === 'not run') return '';
  if (t.content.status === 'not checked' && !t.content.reason) return '';
  return contentText(t.content);
}

/** The differing keys in a line, for renderings without room to expand them. */
export const differencesText = (c: ContentCheck): string =>
  c.differences.map((d) => `${d.key} ${d.kind}`).join('; ') +
  (c.differingRows !== null && c.differingRows > c.differences.length && c.differences.length ? '; …' : '');

/** The most differing keys a report lists per table. */
export const MAX_LISTED_DIFFERENCES = 20;

/**
 * Bytes over the network, counted on the sockets (protocol and TLS included): read from the source,
 * written to the target, what a metered or slow link carries.
 */
export interface Traffic {
  sourceRead: number;
  targetWritten: number;
}

/** Table's bytes over the network as a cell: `12.3 MB → 11.9 MB`, read from the source → written to the target. */
export const trafficCell = (t: TableReport): string =>
  t.traffic ? `${formatBytes(t.traffic.sourceRead)} → ${formatBytes(t.traffic.targetWritten)}` : '';

/** Bytes over the network in words: `read 12.3 MB from the source, wrote 11.9 MB to the target`. */
export const trafficText = (t: Traffic): string =>
  `read ${formatBytes(t.sourceRead)} from the source, wrote ${formatBytes(t.targetWritten)} to the target`;

/** A whole run's bytes over the network in words, with what they cover. */
export const runTrafficText = (t: Traffic): string =>
  `${trafficText(t)} (every connection of the run, the catalogs and checks included)`;

/** The run's bytes over the network, the closing line of the terminal's report; null when the report has none. */
export const trafficLine = (r: Pick<Report, 'traffic'>): string | null =>
  r.traffic ? `Network: ${runTrafficText(r.traffic)}.` : null;

/**
 * One phase of a run: its time and the statements sent to each side (each one round trip, a COPY
 * included), summed where the phase came back (`create` before and after the rows). `copies` counts
 * the COPY statements among them, `trials` the rolled-back trials of the DDL a run would execute.
 */
export interface PhaseTime {
  phase: string;
  ms: number;
  sourceQueries: number;
  targetQueries: number;
  copies: number;
  trials: number;
}

export interface TableReport {
  schema: string;
  table: string;
  status: TableStatus;
  sourceRows: number | null;
  targetRows: number | null;
  /** Rows the target table held before the load (append keeps them); 0 after replace. */
  targetRowsBefore: number | null;
  bytes: number | null;
  durationMs: number | null;
  format: 'binary' | 'text' | null;
  /** Null exactly when the status is verified. */
  reason: string | null;
  notes: string[];
  error: ErrorInfo | null;
  /** The content check; a table is verified only when its counts and its content match. */
  content: ContentCheck;
  /** Present when the run created the table on the target: the DDL it ran, in order (rows between). */
  ddl?: string[];
  /** What this table's copy and checks moved over the network (migrate; absent in older reports and in compare). */
  traffic?: Traffic | null;
  /** Present when a parallel load read the table in ranges of its pages: each range's rows, bytes and re-reads. */
  ranges?: RangeReport[];
}

/** One range of a table's pages as a parallel load read it (`toPage` null: to the end of the table). */
export interface RangeReport {
  index: number;
  fromPage: number;
  toPage: number | null;
  rows: number;
  bytes: number;
  /** Reads of this range after the first (its reader's connection dropped). */
  retries: number;
  /** Loaded from a failed run's spool, not read again (`migrate --resume`): the source still had it so. */
  reused?: boolean;
}

/** What "verified" proves in a report: equal counts and equal content, or (compare --counts-only) counts. */
export type Checks = 'counts and content' | 'counts only';

/** What every report of a command opens with: the tool that wrote it, when it began and how long it took. */
export interface ReportHeader {
  tool: { name: 'archon'; version: string };
  startedAt: string;
  durationMs: number;
}

export interface Report extends ReportHeader {
  kind: 'migrate' | 'compare';
  checks: Checks;
  source: EndpointSummary;
  target: EndpointSummary;
  existing: ExistingPolicy | null;
  outcome: Outcome;
  /** Whether anything was committed to the target (false for compare, rollbacks and cancels). */
  committed: boolean;
  summary: Record<TableStatus, number> & { total: number };
  tables: TableReport[];
  /** Tables or schemas the user named that matched nothing on the source: never silently ignored. */
  unmatched: string[];
  /** A platform's tables left out by its rules (absent in reports of plain servers and older reports). */
  platformTables?: PlatformTable[];
  /** Objects of the source the target lacks and the run did not create (absent when none, and in older reports). */
  objects?: SchemaObject[];
  /** A failure of the whole run (not of one table), e.g. a lost connection. */
  error: ErrorInfo | null;
  /**
   * After a commit, the loaded tables ANALYZEd (statistics for the planner and the row estimates) and
   * those that could not be (each says why in its notes). Absent when nothing was committed, and in
   * older reports.
   */
  analyzed?: { tables: number; failed: number };
  /**
   * The first table whose failure or mismatch rolled the run back, and why; null when nothing did (absent
   * in reports written before it existed). `causes` lists them all.
   */
  cause?: RootCause | null;
  /**
   * Every table that failed or did not verify and so took the run back, in the order the run met them:
   * one run names every problem (absent in reports written before it existed: read `cause`).
   */
  causes?: RootCause[];
  /** Whether this run can be taken back (`archon undo RUN`), and its id in the target's journal. */
  undo?: UndoState | null;
  /**
   * Present once the run has been taken back: when, as the target's journal records it (the time history
   * shows too), and the target user who did it where known. Absent for a run that stands, and in older
   * reports (which kept the time in `undo.undoneAt`: `undoneOf` reads both).
   */
  undone?: Undone | null;
  /**
   * What the whole run moved over the network, catalogs and plan included, on every connection to each
   * side (migrate; absent in older reports and in compare).
   */
  traffic?: Traffic | null;
  /** Time and round trips per phase, in the order the phases began (absent in older reports). */
  phases?: PhaseTime[];
  /**
   * Source sessions that read the rows (migrate; absent in older reports): with the spool's figures, those
   * of a parallel load; without, the setting, and the rows went in one stream per table.
   */
  jobs?: number;
  /** With more than one: the most bytes the spool between the readers and the writer held at once. */
  spoolPeakBytes?: number;
  /** With more than one: units (tables or page ranges) read again after a reader's connection dropped. */
  rereadUnits?: number;
  /** Where the spool's files were left when they could not be removed (they hold rows of the source). */
  spoolLeftAt?: string | null;
  /**
   * A run that failed because a connection was lost or stalled: the spool kept for `migrate --resume`
   * (its whole units, each with its sidecar and digest); null or absent when it was removed.
   */
  spoolKept?: SpoolKept | null;
  /** A run lost to a connection or a stall before any range was read whole: no spool to resume from. */
  keptNothing?: boolean;
  /** A run that continued a failed one (`migrate --resume`): which, and what its spool spared. */
  resumed?: Resumed | null;
}

/** A failed run's spool, left on disk for a resume. */
export interface SpoolKept {
  dir: string;
  runId: string;
  units: number;
  bytes: number;
}

/** What a resumed run took from the failed run's spool. */
export interface Resumed {
  fromRun: string;
  /** Units whose count and digest the source's server still gave at the new snapshot: loaded from the spool. */
  reused: number;
  /** Spooled units the source changed since (or whose file was not whole): read again. */
  reread: number;
  /** Units this run read from the source: those never spooled, and the `reread` ones. */
  read: number;
  /** The bytes of the reused units: not read from the source again. */
  bytesSaved: number;
}

/**
 * How the rows were read, in a line, when more than one source session read them: "Read by 4 source
 * sessions on one snapshot: public.pages in 12 page ranges; 1 unit read again after a dropped
 * connection; spool peak 40 MB." Null for a single stream (and older reports).
 */
export function parallelText(
  r: Pick<
    Report,
    'jobs' | 'spoolPeakBytes' | 'rereadUnits' | 'spoolLeftAt' | 'tables' | 'spoolKept' | 'keptNothing' | 'resumed'
  >,
): string | null {
  if (!r.jobs || r.spoolPeakBytes === undefined) return null;
  const split = r.tables.filter((t) => t.ranges?.length);
  const ranges = split.map((t) => `${displayName(t.schema, t.table)} in ${plural(t.ranges!.length, 'page range')}`);
  const parts = [
    `Read by ${plural(r.jobs, 'source session')} on one snapshot${ranges.length ? `: ${ranges.join(', ')}` : ''}`,
    ...(r.rereadUnits ? [`${plural(r.rereadUnits, 'unit')} read again after a dropped connection`] : []),
    `spool peak ${formatBytes(r.spoolPeakBytes)}`,
    ...(r.spoolLeftAt
      ? [`the spool's files could not be removed: delete ${r.spoolLeftAt} (it holds rows of the source)`]
      : []),
    ...(r.resumed ? [resumedText(r.resumed)] : []),
    ...(r.spoolKept ? [spoolKeptText(r.spoolKept)] : []),
    ...(r.keptNothing
      ? [
          'nothing was kept for a resume: no range had been read whole when the run was lost, so a new run starts from the beginning',
        ]
      : []),
  ];
  return `${parts.join('; ')}.`;
}

const resumedText = (x: Resumed): string =>
  `resumed run ${x.fromRun}: ${plural(x.reused, 'unit')} reused from its spool (${formatBytes(x.bytesSaved)} not read again), ` +
  `${plural(x.read, 'unit')} read from the source (${x.reread} of them spooled but changed since, or their file not whole)`;

/** Where a failed run's spool is, what it holds, and the two ways on from there. */
export const spoolKeptText = (k: SpoolKept): string =>
  `the spool was kept for a resume: ${plural(k.units, 'unit')} (${formatBytes(k.bytes)}) at ${k.dir}; ` +
  `archon migrate --resume ${k.runId} with the same options continues this run (what changed on the source is read again), ` +
  'or delete that folder to discard it (it holds rows of the source)';

/** When a migration was taken back: `YYYY-MM-DD HH:MM:SS UTC`, the journal's own time; who, where known. */
export interface Undone {
  at: string;
  by?: string;
}

/** Whether the run was taken back, from a report of any age; null when it stands. */
export function undoneOf(r: Pick<Report, 'undone' | 'undo' | 'committed'>): Undone | null {
  if (!r.committed) return null;
  return r.undone ?? (r.undo?.undoneAt ? { at: r.undo.undoneAt } : null);
}

/** `UNDONE at 2026-12-06 07:41:02 UTC (by postgres)`: how every rendering marks a run taken back. */
export const undoneText = (u: Undone): string => `UNDONE at ${u.at}${u.by ? ` (by ${u.by})` : ''}`;

/**
 * The line above an undone run's report, in every rendering: what holds now, so no badge or count below
 * reads as the target's present state. Null when the run stands.
 */
export function undoneBanner(r: Report): string | null {
  const u = undoneOf(r);
  if (!u || r.kind !== 'migrate') return null;
  return (
    `${undoneText(u)}: this migration was taken back; the target holds what it held before it (restored and ` +
    'verified against the backups). The tables below say what the run did before that.'
  );
}

/** What the run did for the target's statistics after its commit, in a line; null when it did nothing. */
export function analyzedText(r: Report): string | null {
  const a = r.analyzed;
  if (!a || a.tables === 0) return null;
  const done = a.tables - a.failed;
  const notes = a.failed === 1 ? 'its note says' : 'their notes say';
  if (done === 0)
    return `No loaded table could be analyzed after the commit (ANALYZE; ${notes} why): the target's row estimates do not count the rows that arrived yet`;
  const which = a.failed
    ? `${done} of ${plural(a.tables, 'loaded table')} analyzed after the commit (ANALYZE; ${a.failed} could not be, as ${notes})`
    : `${done === 1 ? 'The loaded table' : `All ${done} loaded tables`} analyzed after the commit (ANALYZE)`;
  return `${which}: ${a.failed ? "those tables'" : "the target's"} row estimates count the rows that arrived`;
}

/** The undo state in words, the same in every rendering; null when the report says nothing about undo. */
export function undoText(r: Report): string | null {
  const u = undoneOf(r);
  if (u) return undoneText(u);
  if (!r.committed || !r.undo) return null;
  if (r.undo.possible && r.undo.runId) return `undoable: run ${r.undo.runId} (archon undo ${r.undo.runId})`;
  return `cannot be undone: ${r.undo.reason ?? 'no journal was written'}`;
}

/** A migration's entry in the target's journal: its id (null when none was written) and whether undo is possible. */
export interface UndoState {
  runId: string | null;
  possible: boolean;
  /** Why undo is not possible; null when it is. */
  reason: string | null;
  /** Reports written before `Report.undone`: when the run was undone from the report's panel. */
  undoneAt?: string;
}

/** A table that took the run back, and its error in a line. */
export interface RootCause {
  schema: string;
  table: string;
  status: TableStatus;
  message: string;
  /** The target's constraint that refused its rows, with its definition (absent when none did, and in older reports). */
  constraint?: { name: string; definition: string | null };
  /**
   * The refused values in the server's own words (its error's detail: `Key (project_id)=(42) is not present
   * in table …`, `Failing row contains (…)`): the user's rows, shown in the report, never logged.
   */
  refused?: string;
}

/** What a constraint refused, for a cause: the constraint and the values, from a table's error. */
export function refusalOf(error: ErrorInfo | null | undefined): Pick<RootCause, 'constraint' | 'refused'> {
  if (!error?.constraint) return {};
  return { constraint: error.constraint, ...(error.detail ? { refused: error.detail } : {}) };
}

/** Every table that took the run back; a report written before `causes` existed names one at most. */
export const causesOf = (r: Pick<Report, 'cause' | 'causes'>): RootCause[] => r.causes ?? (r.cause ? [r.cause] : []);

/** A summary's count of a status; reports written before a status existed count it as 0. */
export const countOf = (s: Report['summary'], status: TableStatus): number => s[status] ?? 0;

export function summarize(tables: TableReport[]): Report['summary'] {
  const s = { verified: 0, mismatch: 0, skipped: 0, failed: 0, 'rolled back': 0, 'not run': 0, total: tables.length };
  for (const t of tables) s[t.status]++;
  return s;
}

export function outcomeOf(tables: TableReport[], unmatched: string[] = []): Outcome {
  if (tables.length === 0) return 'not verified';
  if (tables.some((t) => t.status === 'failed')) return 'failed';
  if (unmatched.length) return 'not verified';
  if (tables.every((t) => t.status === 'verified')) return 'verified';
  return 'not verified';
}

/**
 * How a status ranks when problems come first: the failures that need a fix (failed, mismatch, skipped),
 * then their consequences (rolled back, not run), then verified.
 */
export const STATUS_RANK: Record<TableStatus, number> = {
  failed: 0,
  mismatch: 1,
  skipped: 2,
  'rolled back': 3,
  'not run': 4,
  verified: 5,
};

/** The root causes first (in the order the run met them), then problems, then verified; name order inside each group. */
export function problemsFirst(tables: TableReport[], causes: readonly RootCause[] = []): TableReport[] {
  const rank = (t: TableReport) => {
    const i = causes.findIndex((c) => t.schema === c.schema && t.table === c.table);
    return i < 0 ? causes.length : i;
  };
  return [...tables].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (STATUS_RANK[a.status] ?? 0) - (STATUS_RANK[b.status] ?? 0) ||
      a.schema.localeCompare(b.schema) ||
      a.table.localeCompare(b.table),
  );
}

/** Rows the target gained beyond the source's count; null when either side was not counted. */
export const difference = (t: TableReport): number | null =>
  t.sourceRows === null || t.targetRows === null ? null : t.targetRows - (t.targetRowsBefore ?? 0) - t.sourceRows;

/**
 * A table's status as every rendering shows it: "verified" says when it rests on the counts alone
 * (compare --counts-only, or a report saved before content checks), so no badge or cell claims more.
 */
export function statusText(t: TableReport): string {
  return t.status === 'verified' && t.content?.status !== 'match' ? 'verified by count only' : t.status;
}

/** Each status's count, as the headline and the history say it: `4 verified by count and content, 2 skipped`. */
export function statusCounts(s: Report['summary'], checks: Checks | undefined): string {
  // Reports saved before content checks existed have no `checks`: they proved counts only.
  const by = checks === 'counts and content' ? 'by count and content' : 'by row count only (content not checked)';
  const parts = [`${s.verified} verified ${by}`];
  for (const k of ['mismatch', 'skipped', 'failed', 'rolled back', 'not run'] as const)
    if (countOf(s, k)) parts.push(`${countOf(s, k)} ${k}`);
  return parts.join(', ');
}

export function headline(r: Report): string {
  const s = r.summary;
  const what = r.kind === 'compare' ? 'Compared' : 'Migrated';
  const committed =
    r.kind === 'migrate'
      ? r.committed
        ? ' Changes committed to the target.'
        : ' Nothing was committed to the target.'
      : '';
  // A migration that committed nothing copied nothing that stayed: "Migrated" would say the opposite.
  const verb =
    r.kind !== 'migrate' || r.committed ? what : r.outcome === 'cancelled' ? 'Cancelled' : 'Nothing migrated of';
  const counts = `${plural(s.total, 'table')}: ${statusCounts(s, r.checks)}`;
  // Taken back since: what holds now comes first, what the run did after it.
  const undone = r.kind === 'migrate' ? undoneOf(r) : null;
  if (undone)
    return `${undoneText(undone)}: the target holds what it held before this run. The run had migrated ${counts}; outcome ${r.outcome}, committed.`;
  return `${verb} ${counts}. Outcome: ${r.outcome}.${committed}`;
}

/**
 * A committed run as the target's journal remembers it, in the report's words: `committed, outcome not
 * verified: 4 verified by count and content, 2 skipped`. Runs journaled before the outcome was kept say so.
 */
export function journaledResult(
  outcome: Outcome | null,
  summary: Report['summary'] | null,
  unmatched: string[] | null = null,
): string {
  if (!outcome || !summary) return 'committed (its outcome was not recorded: an older Archon ran it)';
  // A run is journaled only once every table it loaded verified by count and content.
  const counts = `committed, outcome ${outcome}: ${statusCounts(summary, 'counts and content')}`;
  if (!unmatched?.length) return counts;
  const names = unmatched.length === 1 ? 'name' : 'names';
  return `${counts}; ${unmatched.length} ${names} matched nothing: ${unmatched.map(visible).join(', ')}`;
}

/**
 * What stopped the run, in one line, for the banner above every rendering's table: the table whose failure
 * rolled everything back and its error (or, when several did, their names: `causeLines` gives each one's
 * error), or the cancel; null when nothing stopped it.
 */
export function stopBanner(r: Report): string | null {
  if (r.kind !== 'migrate' || r.committed) return null;
  if (r.outcome === 'cancelled') {
    const ran = r.tables.some((t) => t.status === 'rolled back' || t.status === 'not run');
    return ran ? 'Cancelled; nothing was committed. The target is as it was.' : null;
  }
  const causes = causesOf(r);
  // A failure of the run as a whole (emptying the tables, moving sequences), not of one table's copy.
  if (!causes.length) return r.error ? `The run failed: ${r.error.message}. Nothing was committed.` : null;
  const back = countOf(r.summary, 'rolled back');
  const notRun = countOf(r.summary, 'not run');
  const them = causes.length === 1 ? 'it' : 'them';
  const rest = [
    ...(back ? [`${plural(back, 'other table')} rolled back with ${them}`] : []),
    ...(notRun ? [`${plural(notRun, 'table')} not run`] : []),
  ];
  const tail = rest.length ? ` ${rest.join('; ')}.` : '';
  if (causes.length === 1) {
    const [c] = causes;
    return `Rolled back by ${causeName(c)}: ${c.message}.${tail} Nothing was committed.`;
  }
  return `Rolled back by ${plural(causes.length, 'table')}: ${causes.map(causeName).join(', ')}.${tail} Nothing was committed.`;
}

const causeName = (c: RootCause) => `${displayName(c.schema, c.table)} (${c.status})`;

/** Each cause with its error, one line each, under the banner: only when several tables took the run back. */
export function causeLines(r: Report): string[] {
  const causes = causesOf(r);
  if (r.kind !== 'migrate' || r.committed || r.outcome === 'cancelled' || causes.length < 2) return [];
  return causes.map((c) => `${causeName(c)}: ${c.message}`);
}

/**
 * Each cause a constraint refused, under the banner in every rendering: the constraint as the target
 * defines it and the values it refused, as the server said them (nothing more).
 */
export function refusalLines(r: Report): string[] {
  if (r.kind !== 'migrate' || r.committed) return [];
  return causesOf(r).flatMap((c) => {
    if (!c.constraint) return [];
    const def = c.constraint.definition ? ` is ${c.constraint.definition} on the target` : '';
    const refused = c.refused ? `; it refused: ${c.refused}` : '';
    return [`${displayName(c.schema, c.table)}: constraint ${c.constraint.name}${def}${refused}`];
  });
}

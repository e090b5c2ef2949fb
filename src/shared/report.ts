// The one report model: the CLI's JSON, Markdown and terminal table, the report page and the tests
// all read this. Browser-safe: no Node or PostgreSQL import anywhere under src/shared/.
import { plural } from './format.js';

export type TableStatus = 'verified' | 'mismatch' | 'skipped' | 'failed';
export type Outcome = 'verified' | 'not verified' | 'failed' | 'cancelled';
export type Role = 'source' | 'target';

/** What to do with rows already in a target table. */
export type ExistingPolicy = 'replace' | 'append' | 'skip-nonempty';
export const EXISTING_POLICIES: readonly ExistingPolicy[] = ['replace', 'append', 'skip-nonempty'];

/** What a report keeps of a PostgreSQL error: enough to act on, never a secret. */
export interface ErrorInfo {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

export interface EndpointSummary {
  role: Role;
  /** user@host:port/db — never a password. */
  label: string;
  serverVersion: string | null;
}

/** Whether the rows are the same, not only as many: match, differs, or not checked (with why). */
export type ContentStatus = 'match' | 'differs' | 'not checked';

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
export function contentText(c: ContentCheck): string {
  if (c.status === 'match') return 'same';
  if (c.status === 'not checked') return 'not checked';
  return c.differingRows === null ? 'DIFFERS' : `DIFFERS (${c.differingRows} row${c.differingRows === 1 ? '' : 's'})`;
}

/** The content cell of a table's row; blank where content says nothing: a skipped or failed table, or a
 * report saved before content checks. */
export function contentCell(t: TableReport): string {
  if (!t.content || t.status === 'skipped') return '';
  if (t.content.status === 'not checked' && !t.content.reason) return '';
  return contentText(t.content);
}

/** The differing keys in a line, for renderings without room to expand them. */
export const differencesText = (c: ContentCheck): string =>
  c.differences.map((d) => `${d.key} ${d.kind}`).join('; ') +
  (c.differingRows !== null && c.differingRows > c.differences.length && c.differences.length ? '; …' : '');

/** The most differing keys a report lists per table. */
export const MAX_LISTED_DIFFERENCES = 20;

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
}

/** What "verified" proves in a report: equal counts and equal content, or (compare --counts-only) counts. */
export type Checks = 'counts and content' | 'counts only';

export interface Report {
  kind: 'migrate' | 'compare';
  checks: Checks;
  tool: { name: 'archon'; version: string };
  source: EndpointSummary;
  target: EndpointSummary;
  existing: ExistingPolicy | null;
  startedAt: string;
  durationMs: number;
  outcome: Outcome;
  /** Whether anything was committed to the target (false for compare, rollbacks and cancels). */
  committed: boolean;
  summary: Record<TableStatus, number> & { total: number };
  tables: TableReport[];
  /** Tables or schemas the user named that matched nothing on the source: never silently ignored. */
  unmatched: string[];
  /** A failure of the whole run (not of one table), e.g. a lost connection. */
  error: ErrorInfo | null;
}

export function summarize(tables: TableReport[]): Report['summary'] {
  const s = { verified: 0, mismatch: 0, skipped: 0, failed: 0, total: tables.length };
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

/** How a status ranks when problems come first: failed, mismatch, skipped, then verified. */
export const STATUS_RANK: Record<TableStatus, number> = { failed: 0, mismatch: 1, skipped: 2, verified: 3 };

/** Problems first, then verified; name order inside each group. */
export function problemsFirst(tables: TableReport[]): TableReport[] {
  return [...tables].sort(
    (a, b) =>
      STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
      a.schema.localeCompare(b.schema) ||
      a.table.localeCompare(b.table),
  );
}

/** Rows the target gained beyond the source's count; null when either side was not counted. */
export const difference = (t: TableReport): number | null =>
  t.sourceRows === null || t.targetRows === null ? null : t.targetRows - (t.targetRowsBefore ?? 0) - t.sourceRows;

export function headline(r: Report): string {
  const s = r.summary;
  const what = r.kind === 'compare' ? 'Compared' : 'Migrated';
  // Reports saved before content checks existed have no `checks`: they proved counts only.
  const by = r.checks === 'counts and content' ? 'by count and content' : 'by row count only (content not checked)';
  const parts = [`${s.verified} verified ${by}`];
  if (s.mismatch) parts.push(`${s.mismatch} mismatch`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.failed) parts.push(`${s.failed} failed`);
  const committed =
    r.kind === 'migrate'
      ? r.committed
        ? ' Changes committed to the target.'
        : ' Nothing was committed to the target.'
      : '';
  return `${what} ${plural(s.total, 'table')}: ${parts.join(', ')}. Outcome: ${r.outcome}.${committed}`;
}

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
}

export interface Report {
  kind: 'migrate' | 'compare';
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
  const parts = [`${s.verified} verified`];
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

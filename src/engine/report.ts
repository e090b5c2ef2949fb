import type { ErrorInfo } from './errors.js';
import type { ExistingPolicy } from './plan.js';
import { displayName } from './names.js';

export type TableStatus = 'verified' | 'mismatch' | 'skipped' | 'failed';
export type Outcome = 'verified' | 'not verified' | 'failed' | 'cancelled';

export interface EndpointSummary {
  role: 'source' | 'target';
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

/** The one report model: the CLI's JSON and Markdown, the webview and the tests all read this. */
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

/** Problems first (failed, mismatch, skipped), then verified; name order inside each group. */
export function problemsFirst(tables: TableReport[]): TableReport[] {
  const rank: Record<TableStatus, number> = { failed: 0, mismatch: 1, skipped: 2, verified: 3 };
  return [...tables].sort((a, b) => rank[a.status] - rank[b.status] || a.schema.localeCompare(b.schema) || a.table.localeCompare(b.table));
}

export function toJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

const fmtRows = (n: number | null) => (n === null ? '—' : n.toLocaleString('en-US'));
export const difference = (t: TableReport): number | null =>
  t.sourceRows === null || t.targetRows === null ? null : t.targetRows - (t.targetRowsBefore ?? 0) - t.sourceRows;

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function headline(r: Report): string {
  const s = r.summary;
  const what = r.kind === 'compare' ? 'Compared' : 'Migrated';
  const parts = [`${s.verified} verified`];
  if (s.mismatch) parts.push(`${s.mismatch} mismatch`);
  if (s.skipped) parts.push(`${s.skipped} skipped`);
  if (s.failed) parts.push(`${s.failed} failed`);
  const committed = r.kind === 'migrate' ? (r.committed ? ' Changes committed to the target.' : ' Nothing was committed to the target.') : '';
  return `${what} ${s.total} table${s.total === 1 ? '' : 's'}: ${parts.join(', ')}. Outcome: ${r.outcome}.${committed}`;
}

function rowsOf(r: Report): string[][] {
  return problemsFirst(r.tables).map((t) => {
    const d = difference(t);
    return [
      displayName(t.schema, t.table),
      fmtRows(t.sourceRows),
      fmtRows(t.targetRows),
      d === null ? '—' : d === 0 ? '0' : d > 0 ? `+${d}` : String(d),
      t.status.toUpperCase(),
      t.reason ?? '',
    ];
  });
}

const HEADERS = ['table', 'source rows', 'target rows', 'difference', 'status', 'reason'];

export function toMarkdown(r: Report): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = [
    `# Archon ${r.kind === 'compare' ? 'comparison' : 'migration'} report`,
    '',
    `- **From** (source, read-only): \`${r.source.label}\` — PostgreSQL ${r.source.serverVersion ?? 'unknown'}`,
    `- **To** (target): \`${r.target.label}\` — PostgreSQL ${r.target.serverVersion ?? 'unknown'}`,
    `- **Started**: ${r.startedAt} · **Duration**: ${(r.durationMs / 1000).toFixed(1)} s${r.existing ? ` · **Existing rows**: ${r.existing}` : ''}`,
    `- **Outcome**: ${r.outcome} — ${headline(r)}`,
    '',
  ];
  if (r.error) lines.push(`> **Error:** ${esc(r.error.message)}${r.error.code ? ` (${r.error.code})` : ''}`, '');
  if (r.unmatched.length) lines.push(`> **Not found on the source:** ${esc(r.unmatched.join(', '))}`, '');
  lines.push(`| ${HEADERS.join(' | ')} |`, '| --- | ---: | ---: | ---: | --- | --- |');
  for (const row of rowsOf(r)) lines.push(`| ${row.map(esc).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** A plain-text table for the terminal. */
export function toText(r: Report, width = 120): string {
  const rows = rowsOf(r);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fixed = widths.slice(0, 5).reduce((a, b) => a + b + 2, 0);
  widths[5] = Math.max(20, Math.min(widths[5], width - fixed));
  const wrap = (s: string, w: number): string[] => {
    const out: string[] = [];
    let line = '';
    for (const word of s.split(' ')) {
      if (line && line.length + 1 + word.length > w) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
    return out;
  };
  const right = new Set([1, 2, 3]);
  const render = (cells: string[]) => {
    const reasonLines = wrap(cells[5], widths[5]);
    return reasonLines.map((rl, li) =>
      cells
        .slice(0, 5)
        .map((c) => (li > 0 ? '' : c))
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .concat(rl)
        .join('  ')
        .trimEnd(),
    );
  };
  const out = [...render(HEADERS), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(...render(row));
  if (r.unmatched.length) out.push('', `NOT FOUND on the source: ${r.unmatched.join(', ')}`);
  return out.join('\n') + '\n';
}

// An undo's report: what `archon undo --report/--markdown/--html` writes. The smallest model that
// says what the undo did and what it proved; rendered here for Markdown and a static page (JSON is
// the model itself). Browser-safe, as all of src/shared/.
import { formatCount, plural, seconds } from './format.js';
import { displayName, visible } from './names.js';
import type { ErrorInfo } from './report.js';
import { makeNonce } from './reportHtml.js';

export type UndoOutcome = 'undone' | 'declined' | 'failed' | 'cancelled';
export type UndoTableAction = 'restored' | 'emptied' | 'dropped' | 'already gone';

export interface UndoTableReport {
  schema: string;
  table: string;
  action: UndoTableAction;
  /** Rows the table held when the undo began. */
  rowsBefore: number;
  /** Rows it holds after the undo; null when the undo dropped it (the run had created it). */
  rowsAfter: number | null;
  /**
   * Counted and compared by content against its backup (or found empty) in the undo's transaction,
   * before the commit. A dropped table is not: nothing of it is left to prove.
   */
  verified: boolean;
  /** Columns the run had added, dropped again. */
  columnsDropped: string[];
  sequencesReset: string[];
  /** Changed since the run, restored all the same (--force): those changes are gone. */
  changedSinceRun: boolean;
}

export interface UndoReport {
  kind: 'undo';
  tool: { name: 'archon'; version: string };
  /** user@host:port/db — never a password. */
  target: string;
  /** The run taken back, as the journal remembers it; null when the undo failed before it found one. */
  run: { id: string; at: string; policy: string; source: string } | null;
  startedAt: string;
  durationMs: number;
  outcome: UndoOutcome;
  /** Whether anything was committed: only an undo that restored and verified every table commits. */
  committed: boolean;
  forced: boolean;
  /** Each table of the run and what the undo did to it; empty unless the undo committed. */
  tables: UndoTableReport[];
  /** Objects the run created that the undo kept, with why. */
  kept: { object: string; reason: string }[];
  /** What runs undone before kept only for this run's backups, dropped with them. */
  droppedForBackups: string[];
  error: ErrorInfo | null;
}

/** The undo in one line, the same in every rendering. */
export function undoHeadline(r: UndoReport): string {
  const run = r.run ? `run ${r.run.id}` : 'the run';
  if (r.outcome === 'declined') return `Undo of ${run} declined: nothing changed on the target.`;
  if (r.outcome === 'cancelled') return `Undo of ${run} cancelled: rolled back, nothing changed on the target.`;
  if (r.outcome === 'failed')
    return `Undo of ${run} failed: ${r.error?.message ?? 'unknown error'}. Rolled back, nothing changed.`;
  const count = (a: UndoTableAction) => r.tables.filter((t) => t.action === a).length;
  const verified = r.tables.filter((t) => t.verified).length;
  const parts = [`${plural(verified, 'table')} verified against the backups by count and content`];
  if (count('dropped')) parts.push(`${count('dropped')} dropped (the run created them)`);
  if (count('already gone')) parts.push(`${count('already gone')} already dropped`);
  return `Undone: ${run}; ${parts.join(', ')}. Changes committed to the target.`;
}

const ACTION_WORDS: Record<UndoTableAction, string> = {
  restored: 'restored',
  emptied: 'emptied (it was empty)',
  dropped: 'dropped (the run created it)',
  'already gone': 'already dropped',
};

export const UNDO_HEADERS = ['Table', 'Undo', 'Rows before', 'Rows after', 'Verified', 'Details'];

/** Each table's cells, for the Markdown and HTML tables alike. */
export function undoTableCells(r: UndoReport): string[][] {
  return r.tables.map((t) => {
    const details = [
      ...(t.columnsDropped.length ? [`column(s) ${t.columnsDropped.join(', ')} dropped (the run added them)`] : []),
      ...(t.sequencesReset.length ? [`sequence(s) ${t.sequencesReset.join(', ')} reset`] : []),
      ...(t.changedSinceRun ? ['changed since the run: those changes are lost (--force)'] : []),
    ];
    return [
      displayName(t.schema, t.table),
      ACTION_WORDS[t.action],
      formatCount(t.rowsBefore),
      formatCount(t.rowsAfter),
      t.verified ? 'count and content' : '—',
      details.join('; '),
    ].map(visible);
  });
}

/** The facts above the table, as label and text. */
export function undoFacts(r: UndoReport): [string, string][] {
  const facts: [string, string][] = [['Target', r.target]];
  if (r.run) facts.push(['Run', `${r.run.id} of ${r.run.at} (${r.run.policy}, from ${r.run.source})`]);
  facts.push(['Started', `${r.startedAt} · took ${seconds(r.durationMs)}`], ['Outcome', undoHeadline(r)]);
  for (const k of r.kept) facts.push(['Kept', `${k.object}, though the run created it: ${k.reason}`]);
  if (r.droppedForBackups.length) facts.push(['Dropped with the backups', r.droppedForBackups.join(', ')]);
  return facts.map(([label, text]) => [label, visible(text)]);
}

const cellMd = (s: string) => s.replace(/\|/g, '\\|');

export function undoMarkdown(r: UndoReport): string {
  const lines = ['# Archon undo report', '', ...undoFacts(r).map(([l, t]) => `- **${l}**: ${cellMd(t)}`)];
  if (r.tables.length) {
    lines.push('', `| ${UNDO_HEADERS.join(' | ')} |`, `| ${UNDO_HEADERS.map(() => '---').join(' | ')} |`);
    for (const row of undoTableCells(r)) lines.push(`| ${row.map(cellMd).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A static page: no script, only its own style, so it opens anywhere as it is. */
export function undoHtml(r: UndoReport): string {
  const nonce = makeNonce();
  const facts = undoFacts(r).map(([l, t]) => `<li><strong>${esc(l)}</strong>: ${esc(t)}</li>`);
  const head = `<tr>${UNDO_HEADERS.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = undoTableCells(r).map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  const table = r.tables.length ? `<table>\n${head}\n${rows.join('\n')}\n</table>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'">
<title>Archon undo report</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #999;padding:.3em .6em;text-align:left}</style>
</head>
<body>
<h1>Archon undo report</h1>
<ul>
${facts.join('\n')}
</ul>
${table}
</body>
</html>
`;
}

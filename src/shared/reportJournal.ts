// The reports of the commands on a target's journal, `archon undo` and `archon backups drop`: the
// smallest models that say what the command did and what it proved, rendered here for Markdown and
// a static page (JSON is the model itself). Browser-safe, as all of src/shared/.
import { formatBytes, formatCount, plural, seconds } from './format.js';
import { displayName, visible } from './names.js';
import { type ErrorInfo, type ReportHeader, policyText } from './report.js';
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
  /**
   * Tables outside the run whose foreign keys point into it (`public.t (t_fkey)`): restored in place,
   * not emptied, so the rows they point at stayed (absent or empty: emptied and refilled).
   */
  referencedBy?: string[];
  /** Columns the run had added, dropped again. */
  columnsDropped: string[];
  sequencesReset: string[];
  /** Changed since the run, restored all the same (--force): those changes are gone. */
  changedSinceRun: boolean;
}

/** A run as the journal names it: what history, undo's preview and undo's report say of a past run. */
export interface JournaledRun {
  id: string;
  /** When the run began (UTC text, as the journal keeps it). */
  at: string;
  /** user@host:port/db of each side — never a password. */
  source: string;
  target: string;
  /** What it did to rows the target held, in the journal's words. */
  policy: string;
}

export interface UndoReport extends ReportHeader {
  kind: 'undo';
  /** user@host:port/db — never a password. */
  target: string;
  /** The run taken back, as the journal remembers it; null when the undo failed before it found one. */
  run: Omit<JournaledRun, 'target'> | null;
  /** When the undo committed, as the target's journal records it (the time history shows); null when it did not. */
  undoneAt?: string | null;
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
  /** What the run created besides its tables (views, functions, schemas, types …) that the undo dropped (absent in older reports). */
  objectsDropped?: string[];
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
      ...(t.referencedBy?.length ? [`in place, since ${t.referencedBy.join(', ')} reference(s) it`] : []),
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
  if (r.run) facts.push(['Run', `${r.run.id} of ${r.run.at} (${policyText(r.run.policy)}, from ${r.run.source})`]);
  facts.push(['Started', `${r.startedAt} · took ${seconds(r.durationMs)}`], ['Outcome', undoHeadline(r)]);
  if (r.undoneAt) facts.push(['Undone at', r.undoneAt]);
  if (r.objectsDropped?.length) facts.push(['Dropped', `what the run created: ${r.objectsDropped.join(', ')}`]);
  for (const k of r.kept) facts.push(['Kept', `${k.object}, though the run created it: ${k.reason}`]);
  if (r.droppedForBackups.length) facts.push(['Dropped with the backups', r.droppedForBackups.join(', ')]);
  return facts.map(([label, text]) => [label, visible(text)]);
}

/** What `backups drop` did: the runs whose backups are gone (those can no longer be undone). */
export interface BackupsReport extends ReportHeader {
  kind: 'backups drop';
  /** user@host:port/db — never a password. */
  target: string;
  outcome: 'dropped' | 'declined';
  committed: boolean;
  runs: string[];
  /** Of `runs`, those already undone: their backups were no longer needed (absent in older reports). */
  alreadyUndone?: string[];
  tables: number;
  bytes: number;
  /** What undone runs kept only for these backups, dropped with them. */
  objects: string[];
}

function backupsFacts(r: BackupsReport): [string, string][] {
  const outcome =
    r.outcome === 'declined'
      ? 'Declined: nothing was dropped.'
      : `Dropped ${r.tables} backup table(s) of ${plural(r.runs.length, 'run')}, ${formatBytes(r.bytes)}` +
        `${droppedRunsText(r.runs, r.alreadyUndone ?? [])}.`;
  const facts: [string, string][] = [
    ['Target', r.target],
    ['Started', `${r.startedAt} · took ${seconds(r.durationMs)}`],
    ['Outcome', outcome],
  ];
  if (r.objects.length) facts.push(['Dropped with them', r.objects.join(', ')]);
  return facts.map(([label, text]) => [label, visible(text)]);
}

/** A journal command's report as a page: facts, then a table when there is one. */
interface Page {
  title: string;
  facts: [string, string][];
  headers: string[];
  rows: string[][];
}

export const undoPage = (r: UndoReport): Page => ({
  title: 'Archon undo report',
  facts: undoFacts(r),
  headers: UNDO_HEADERS,
  rows: undoTableCells(r),
});

export const backupsPage = (r: BackupsReport): Page => ({
  title: 'Archon backups report',
  facts: backupsFacts(r),
  headers: [],
  rows: [],
});

const cellMd = (s: string) => s.replace(/\|/g, '\\|');

export function pageMarkdown(p: Page): string {
  const lines = [`# ${p.title}`, '', ...p.facts.map(([l, t]) => `- **${l}**: ${cellMd(t)}`)];
  if (p.rows.length) {
    lines.push('', `| ${p.headers.join(' | ')} |`, `| ${p.headers.map(() => '---').join(' | ')} |`);
    for (const row of p.rows) lines.push(`| ${row.map(cellMd).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A static page: no script, only its own style, so it opens anywhere as it is. */
export function pageHtml(p: Page): string {
  const nonce = makeNonce();
  const facts = p.facts.map(([l, t]) => `<li><strong>${esc(l)}</strong>: ${esc(t)}</li>`);
  const head = `<tr>${p.headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  const rows = p.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`);
  const table = p.rows.length ? `<table>\n${head}\n${rows.join('\n')}\n</table>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'">
<title>${esc(p.title)}</title>
<style nonce="${nonce}">body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}th,td{border:1px solid #999;padding:.3em .6em;text-align:left}</style>
</head>
<body>
<h1>${esc(p.title)}</h1>
<ul>
${facts.join('\n')}
</ul>
${table}
</body>
</html>
`;
}

/**
 * Which runs a drop took the undo from, and which had been undone already (their backups used by
 * that undo): "can no longer be undone" would be false of those, they never could be again.
 */
export function droppedRunsText(runs: readonly string[], alreadyUndone: readonly string[]): string {
  const lost = runs.filter((r) => !alreadyUndone.includes(r));
  const parts = [
    lost.length ? `${lost.join(', ')} can no longer be undone` : '',
    alreadyUndone.length
      ? `${alreadyUndone.join(', ')} ${alreadyUndone.length === 1 ? 'was' : 'were'} already undone (the undo used ${alreadyUndone.length === 1 ? 'its backup' : 'their backups'}; no longer needed)`
      : '',
  ].filter((p) => p);
  return parts.length ? `: ${parts.join('; ')}` : '';
}

// The target's Archon journal (schema archon: runs and their backups) as the tree and "Drop Backups…"
// show it, without `vscode` so it is unit-tested. Never counted among the database's tables.
import type { DropResult, RunEntry } from '../engine/index.js';
import { formatBytes, plural } from '../shared/format.js';
import { journaledResult } from '../shared/report.js';
import { droppedRunsText } from '../shared/reportJournal.js';
import type { Item } from './wizardModel.js';

interface NodeView {
  label: string;
  description: string;
  tooltip: string;
}

const backupBytes = (runs: readonly RunEntry[]) => runs.reduce((sum, r) => sum + r.backupBytes, 0);

/** Runs whose backups are still there to drop. */
export const withBackups = (runs: readonly RunEntry[]): RunEntry[] => runs.filter((r) => r.backupBytes > 0);

/** The journal's node under a target connection: its runs and what their backups take. */
export function journalView(runs: readonly RunEntry[]): NodeView {
  const kept = withBackups(runs);
  const backups = kept.length ? `backups ${formatBytes(backupBytes(kept))}` : 'no backups';
  return {
    label: 'Archon journal',
    description: `${plural(runs.length, 'run')} · ${backups}`,
    tooltip:
      'Schema archon on this database: what Archon wrote to take its migrations back (archon.runs, and a ' +
      `backup of the rows each run replaced or appended to). ${plural(kept.length, 'run')} keep backups ` +
      `(${formatBytes(backupBytes(kept))}); Archon: Drop Backups… frees that space (those runs can then no longer be undone). ` +
      'Not one of your tables: never migrated, never counted.',
  };
}

/** One run under the journal: when, how it ended, whether it can be undone, what its backups take. */
export function journalRunView(r: RunEntry): NodeView {
  const state = r.undoneAt ? 'UNDONE' : r.undoable ? 'undoable' : 'not undoable';
  const backups = r.backupBytes > 0 ? `backups ${formatBytes(r.backupBytes)}` : 'no backups';
  return {
    label: r.at,
    description: `${state} · ${backups}`,
    tooltip: [
      `Run ${r.id}, ${r.policy} from ${r.source}`,
      journaledResult(r.outcome, r.summary, r.unmatched),
      r.tables.join(', '),
      r.undoable ? `undoable (archon undo ${r.id})` : (r.why ?? ''),
    ]
      .filter(Boolean)
      .join('\n'),
  };
}

/** The runs to pick from in "Drop Backups…", each with its size; `chosen` (a run's node) is preselected. */
export function dropPickItems(runs: readonly RunEntry[], chosen?: string): (Item<RunEntry> & { picked: boolean })[] {
  return withBackups(runs).map((r) => ({
    label: `${r.at} · ${formatBytes(r.backupBytes)}`,
    description: `run ${r.id}, ${r.policy} from ${r.source}`,
    detail: `${r.tables.join(', ')} · ${r.undoable ? 'undoable until its backups are dropped' : (r.why ?? '')}`,
    picked: r.id === chosen,
    value: r,
  }));
}

/** The question before dropping: how many runs, how much space, and that they can no longer be undone. */
export function dropQuestion(picked: readonly RunEntry[], target: string): { message: string; detail: string } {
  const runs = picked.length === 1 ? `run ${picked[0].id}` : plural(picked.length, 'run');
  return {
    message: `Drop the backups of ${runs} on ${target} (${formatBytes(backupBytes(picked))})?`,
    detail:
      `${picked.length === 1 ? 'It' : 'They'} can then no longer be undone. The migrated rows stay as they are; ` +
      'only the copies kept for undo in schema archon are dropped.',
  };
}

/** What was dropped, in a line: the runs, the tables and the space freed, and what went with them. */
export function droppedText(results: readonly DropResult[], target: string): string {
  const runs = results.flatMap((r) => r.runs);
  const tables = results.reduce((n, r) => n + r.tables, 0);
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  const objects = results.flatMap((r) => r.objects);
  const undone = results.flatMap((r) => r.alreadyUndone);
  const fate = undone.length
    ? droppedRunsText(runs, undone).slice(2)
    : `${runs.length === 1 ? 'it' : 'they'} can no longer be undone`;
  const also = objects.length ? ` Dropped with them what undone runs kept only for them: ${objects.join(', ')}.` : '';
  return (
    `Archon: dropped the backups of ${runs.length === 1 ? `run ${runs[0]}` : plural(runs.length, 'run')} on ${target}: ` +
    `${plural(tables, 'backup table')}, ${formatBytes(bytes)} freed; ${fate}.${also}`
  );
}

// archon history: the runs in a target's journal, newest first.
import { type RunEntry, history } from '../engine/index.js';
import { formatBytes, formatCount } from '../shared/format.js';
import { visible } from '../shared/names.js';
import { journaledResult, undoneText } from '../shared/report.js';
import type { Values } from './options.js';
import { journalTarget } from './target.js';
import { type CliIo, EXIT } from './terminal.js';

export async function runHistory(values: Values, _args: string[], io: CliIo, secrets: string[]): Promise<number> {
  return printHistory(await history(journalTarget(values, io, secrets)), io);
}

function printHistory(runs: RunEntry[], io: CliIo): number {
  if (!runs.length) {
    io.out('No migration recorded on this target (no Archon journal, or it is empty).\n');
    return EXIT.ok;
  }
  for (const line of runs.flatMap(historyLines)) io.out(`${line}\n`);
  return EXIT.ok;
}

/** One run of `archon history`: an undone run says so on its first line, in the words its report uses. */
export function historyLines(r: RunEntry): string[] {
  const undo = r.undoable ? `undoable (archon undo ${r.id}; backups ${formatBytes(r.backupBytes)})` : r.why;
  const undone = r.undoneAt ? `  ${undoneText({ at: r.undoneAt })}` : '';
  return [
    `${r.id}  ${r.at}  ${r.policy}  from ${r.source}${undone}`,
    `    ${journaledResult(r.outcome, r.summary, r.unmatched)}`,
    `    ${r.tables.length} table(s), ${formatCount(r.rowsLoaded)} row(s) loaded: ${r.tables.join(', ')}`,
    `    undo: ${visible(undo ?? '')}`,
  ];
}

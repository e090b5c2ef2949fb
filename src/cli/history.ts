// archon history: the runs in a target's journal, newest first.
import { type RunEntry, history } from '../engine/index.js';
import { formatBytes, formatCount } from '../shared/format.js';
import { visible } from '../shared/names.js';
import { journaledResult } from '../shared/report.js';
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
  for (const r of runs) {
    const undo = r.undoable ? `undoable (archon undo ${r.id}; backups ${formatBytes(r.backupBytes)})` : r.why;
    io.out(`${r.id}  ${r.at}  ${r.policy}  from ${r.source}\n`);
    io.out(`    ${journaledResult(r.outcome, r.summary, r.unmatched)}\n`);
    io.out(`    ${r.tables.length} table(s), ${formatCount(r.rowsLoaded)} row(s) loaded: ${r.tables.join(', ')}\n`);
    io.out(`    undo: ${visible(undo ?? '')}\n`);
  }
  return EXIT.ok;
}

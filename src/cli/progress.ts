// A run's progress on stderr: on a terminal one line rewritten, elsewhere (a log) a line per event.
import { type ProgressEvent, RunProgress, phaseText, progressLine, runLine, tableDoneText } from '../engine/index.js';
import { displayName, visible } from '../shared/names.js';
import type { CliIo } from './terminal.js';

export function progressPrinter(io: CliIo): (e: ProgressEvent) => void {
  // On a terminal the table at work and the totals rewrite one line; elsewhere (a log) each event is a
  // line of its own, with the totals when a table finishes.
  const progress = new RunProgress();
  let lastLine = 0;
  return (e) => {
    progress.update(e);
    const n = 'index' in e ? `[${e.index + 1}/${e.total}] ` : '';
    switch (e.type) {
      case 'phase':
        // A stage's next table rewrites the terminal's line, with the stage's own progress.
        if (e.at && io.isTTY) io.err(`\r${visible(runLine(progress.snapshot()))}\x1b[K`);
        else io.err(`${io.isTTY ? '\r\x1b[K' : ''}… ${visible(phaseText(e))}\n`);
        break;
      case 'table-start':
        if (!io.isTTY) io.err(`${n}${displayName(e.schema, e.table)}: started\n`);
        break;
      case 'table-progress': {
        // A line at most twice a second: a terminal over ssh should not be flooded.
        if (!io.isTTY || Date.now() - lastLine < 500) break;
        lastLine = Date.now();
        const p = progress.snapshot();
        io.err(`\r${visible(runLine(p))}\x1b[K`);
        break;
      }
      case 'table-done': {
        const start = io.isTTY ? '\r' : '';
        io.err(`${start}${n}${displayName(e.schema, e.table)}: ${tableDoneText(e)}`);
        io.err(` · ${progressLine(progress.snapshot())}${io.isTTY ? '\x1b[K' : ''}\n`);
        break;
      }
    }
  };
}

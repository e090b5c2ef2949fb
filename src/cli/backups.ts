// archon backups drop: free the space undo backups take; those runs can no longer be undone.
import { UsageError, dropBackups } from '../engine/index.js';
import { formatBytes } from '../shared/format.js';
import { visible } from '../shared/names.js';
import type { Values } from './options.js';
import { journalTarget } from './target.js';
import { type CliIo, EXIT, assertCanAsk, cancellable, confirmed } from './terminal.js';

export async function runBackups(values: Values, args: string[], io: CliIo, secrets: string[]): Promise<number> {
  const target = journalTarget(values, io, secrets);
  if (args[0] !== 'drop') throw new UsageError('use: archon backups drop RUN|--older-than 7d --target URL');
  const run = args[1];
  const older = values['older-than'];
  if (!run === !older) throw new UsageError('backups drop needs a run id or --older-than (one of them)');
  const olderThanMs = older ? duration(older) : undefined;
  // Dropping backups cannot be taken back: asked like any other write, refused without a terminal.
  if (!values.yes) {
    assertCanAsk(values.yes, io, 'drop backups');
    io.err(
      `Drop the backups of ${run ? `run ${run}` : `every run older than ${older}`}? Those runs can no longer be undone.\n`,
    );
    const yes = await cancellable(io, 'nothing was dropped', (signal) => confirmed(io, signal));
    if (!yes) return EXIT.notVerified;
  }
  const dropped = await dropBackups({ ...target, run, olderThanMs });
  io.out(
    `Dropped ${dropped.tables} backup table(s) of ${dropped.runs.length} run(s), ${formatBytes(dropped.bytes)}` +
      `${dropped.runs.length ? `: ${dropped.runs.join(', ')} can no longer be undone` : ''}.\n`,
  );
  if (dropped.objects.length)
    io.out(`Dropped with them what undone runs kept only for those backups: ${visible(dropped.objects.join(', '))}.\n`);
  return EXIT.ok;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

function duration(text: string): number {
  const m = /^(\d+)([mhdw])$/.exec(text);
  if (!m) throw new UsageError(`--older-than takes a number and m, h, d or w, e.g. 7d (got "${text}")`);
  const ms = Number(m[1]) * UNITS[m[2]];
  // PostgreSQL's timestamps end in 294276 AD; a century is more than any backup will be kept.
  if (ms > 100 * 365 * UNITS.d) throw new UsageError(`--older-than ${text} is more than a century`);
  return ms;
}

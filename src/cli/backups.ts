// archon backups drop: free the space undo backups take; those runs can no longer be undone.
import { type DropResult, UsageError, VERSION, dropBackups } from '../engine/index.js';
import { formatBytes } from '../shared/format.js';
import { visible } from '../shared/names.js';
import { type BackupsReport, backupsPage, droppedRunsText, pageHtml, pageMarkdown } from '../shared/reportJournal.js';
import { toJson } from '../shared/reportJson.js';
import type { Values } from './options.js';
import { reportOutputs, writeReports } from './reports.js';
import { journalTarget } from './target.js';
import { type CliIo, EXIT, assertCanAsk, cancellable, confirmed } from './terminal.js';

const REPORTS = {
  json: toJson,
  markdown: (r: BackupsReport) => pageMarkdown(backupsPage(r)),
  html: (r: BackupsReport) => pageHtml(backupsPage(r)),
};

export async function runBackups(values: Values, args: string[], io: CliIo, secrets: string[]): Promise<number> {
  const { label, ...target } = journalTarget(values, io, secrets);
  if (args[0] !== 'drop') throw new UsageError('use: archon backups drop RUN|--older-than 7d --target URL');
  const run = args[1];
  const older = values['older-than'];
  if (!run === !older) throw new UsageError('backups drop needs a run id or --older-than (one of them)');
  const olderThanMs = older ? duration(older) : undefined;
  const outputs = reportOutputs(values, REPORTS);
  const started = { at: new Date().toISOString(), ms: Date.now() };
  const yes = await askToDrop(values.yes, io, run ? `run ${run}` : `every run older than ${older}`);
  const dropped = yes ? await dropBackups({ ...target, run, olderThanMs }) : null;
  if (dropped) describeDropped(dropped, io);
  const report: BackupsReport = {
    kind: 'backups drop',
    tool: { name: 'archon', version: VERSION },
    target: label,
    startedAt: started.at,
    durationMs: Date.now() - started.ms,
    outcome: dropped ? 'dropped' : 'declined',
    committed: !!dropped,
    runs: dropped?.runs ?? [],
    alreadyUndone: dropped?.alreadyUndone ?? [],
    tables: dropped?.tables ?? 0,
    bytes: dropped?.bytes ?? 0,
    objects: dropped?.objects ?? [],
  };
  const written = writeReports(outputs, report, io, dropped ? 'the backups were dropped; ' : '');
  return dropped && written ? EXIT.ok : EXIT.notVerified;
}

/** Dropping backups cannot be taken back: asked like any other write, refused without a terminal. */
async function askToDrop(yes: boolean | undefined, io: CliIo, which: string): Promise<boolean> {
  if (yes) return true;
  assertCanAsk(yes, io, 'drop backups');
  io.err(`Drop the backups of ${which}? Those runs can no longer be undone.\n`);
  return cancellable(io, 'nothing was dropped', (signal) => confirmed(io, signal));
}

function describeDropped(dropped: DropResult, io: CliIo): void {
  io.out(
    `Dropped ${dropped.tables} backup table(s) of ${dropped.runs.length} run(s), ${formatBytes(dropped.bytes)}` +
      `${droppedRunsText(dropped.runs, dropped.alreadyUndone)}.\n`,
  );
  if (dropped.objects.length)
    io.out(`Dropped with them what undone runs kept only for those backups: ${visible(dropped.objects.join(', '))}.\n`);
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

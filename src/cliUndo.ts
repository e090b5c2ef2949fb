// The CLI's commands on a target's journal: undo a run, list the runs, drop backups.
import { type CliIo, type Values, cancellable, confirmed, milliseconds, passwordOf } from './cli.js';
import {
  CancelledError,
  DEFAULT_LOCK_TIMEOUT_MS,
  type RunEntry,
  type TargetOptions,
  type UndoPreview,
  UndoVerifyError,
  UsageError,
  dropBackups,
  history,
  keptReason,
  parseEndpoint,
  undo,
  undoAction,
} from './engine/index.js';
import { formatBytes, formatCount } from './shared/format.js';
import { displayName, visible } from './shared/names.js';
import { type UndoState, journaledResult } from './shared/report.js';

export const JOURNAL_COMMANDS = ['undo', 'history', 'backups'] as const;
export type JournalCommand = (typeof JOURNAL_COMMANDS)[number];

export const JOURNAL_USAGE = `  archon undo [RUN] --target URL [--force]            take a migration back (default: the latest one
                                                       that can be); verified, all or nothing
  archon history --target URL                          the migrations on a target, newest first
  archon backups drop RUN|--older-than 7d --target URL drop undo backups (that run can no longer be undone)`;

/** After a committed migration: how to take it back, or why it cannot be. */
export function describeUndo(u: UndoState): string {
  if (u.possible && u.runId) return `Undo: archon undo ${u.runId} --target URL (run id ${u.runId})\n`;
  return `Undo: not possible for this run: ${visible(u.reason ?? 'no journal was written')}\n`;
}

export async function runJournalCommand(
  command: JournalCommand,
  values: Values,
  args: string[],
  io: CliIo,
  secrets: string[],
): Promise<number> {
  const url = values.target ?? io.env.ARCHON_TARGET_URL;
  secrets.push(
    ...passwordOf(url),
    ...[io.env.ARCHON_TARGET_PASSWORD, io.env.PGPASSWORD].filter((p): p is string => !!p),
  );
  if (!url) throw new UsageError('missing --target URL (the database whose migrations are listed or undone)');
  if (values.source) throw new UsageError(`${command} works on the target alone; leave out --source`);
  parseEndpoint(url, 'target', io.env);
  const target: TargetOptions = {
    target: url,
    env: io.env,
    lockTimeoutMs: milliseconds('--lock-timeout', values['lock-timeout'], DEFAULT_LOCK_TIMEOUT_MS),
  };
  if (command === 'history') return printHistory(await history(target), io);
  if (command === 'backups') return drop(target, values, args, io);
  if (args.length > 1) throw new UsageError(`unexpected argument "${args[1]}"`);
  return runUndo(target, values, args[0], io);
}

async function runUndo(target: TargetOptions, values: Values, run: string | undefined, io: CliIo): Promise<number> {
  if (!values.yes && !io.isTTY) {
    throw new UsageError('refusing to write to the target without confirmation: no terminal to ask on; pass --yes');
  }
  try {
    const result = await cancellable(io, 'rolling back the undo', (signal) =>
      undo({
        ...target,
        run,
        force: !!values.force,
        signal,
        onProgress: (e) => {
          if (e.type === 'phase') io.err(`… ${visible(e.message)}\n`);
        },
        confirm: async (preview) => {
          io.out(describePreview(preview));
          return values.yes ? true : confirmed(io, signal);
        },
      }),
    );
    if (!result.undone) return 1;
    io.out(`Undone: run ${result.runId}; every restored table verified against its backup (count and content).\n`);
    if (result.droppedForBackups.length)
      io.out(
        `Dropped with its backups what undone runs kept only for them: ${visible(result.droppedForBackups.join(', '))}\n`,
      );
    for (const k of result.kept)
      io.out(`${visible(`Kept ${k.object}, though the run created it: ${keptReason(k)}`)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof CancelledError) {
      // The undo may have emptied and refilled tables before the cancel: all of it was taken back.
      io.err('archon: cancelled; the undo was rolled back, nothing changed\n');
      return 1;
    }
    if (!(e instanceof UndoVerifyError)) throw e;
    io.err(`archon: ${visible(e.message)}\n`);
    return 1;
  }
}

function describePreview(p: UndoPreview): string {
  const lines = [
    `Undo run ${p.runId} of ${p.at} (${p.policy}, from ${p.source})`,
    `  ON  ${p.target}  (one transaction; committed only if every restored table verifies)`,
    '',
  ];
  for (const t of p.tables) {
    const now = `${formatCount(t.rowsNow)} row(s) now`;
    const back = {
      'already gone': 'already dropped (the run created it)',
      drop: 'dropped (the run created it)',
      restore: `${formatCount(t.rowsRestored)} row(s) restored`,
      empty: 'emptied (it was empty)',
    }[undoAction(t)];
    const columns = t.dropsColumns.length
      ? `; column(s) ${t.dropsColumns.join(', ')} dropped (the run added them)`
      : '';
    const seqs = t.sequences.length ? `; sequence(s) ${t.sequences.join(', ')} reset` : '';
    const changed = t.changed ? '  CHANGED since the run: those changes are lost (--force)' : '';
    lines.push(`  ${displayName(t.schema, t.table)}: ${now} → ${back}${columns}${seqs}${changed}`);
  }
  return `${lines.join('\n')}\n\n`;
}

function printHistory(runs: RunEntry[], io: CliIo): number {
  if (!runs.length) {
    io.out('No migration recorded on this target (no Archon journal, or it is empty).\n');
    return 0;
  }
  for (const r of runs) {
    const undo = r.undoable ? `undoable (archon undo ${r.id}; backups ${formatBytes(r.backupBytes)})` : r.why;
    io.out(`${r.id}  ${r.at}  ${r.policy}  from ${r.source}\n`);
    io.out(`    ${journaledResult(r.outcome, r.summary, r.unmatched)}\n`);
    io.out(`    ${r.tables.length} table(s), ${formatCount(r.rowsLoaded)} row(s) loaded: ${r.tables.join(', ')}\n`);
    io.out(`    undo: ${visible(undo ?? '')}\n`);
  }
  return 0;
}

async function drop(target: TargetOptions, values: Values, args: string[], io: CliIo): Promise<number> {
  if (args[0] !== 'drop') throw new UsageError('use: archon backups drop RUN|--older-than 7d --target URL');
  const run = args[1];
  const older = values['older-than'];
  if (!run === !older) throw new UsageError('backups drop needs a run id or --older-than (one of them)');
  const olderThanMs = older ? duration(older) : undefined;
  // Dropping backups cannot be taken back: asked like any other write, refused without a terminal.
  if (!values.yes) {
    if (!io.isTTY)
      throw new UsageError('refusing to drop backups without confirmation: no terminal to ask on; pass --yes');
    io.err(
      `Drop the backups of ${run ? `run ${run}` : `every run older than ${older}`}? Those runs can no longer be undone.\n`,
    );
    const yes = await cancellable(io, 'nothing was dropped', (signal) => confirmed(io, signal));
    if (!yes) return 1;
  }
  const dropped = await dropBackups({ ...target, run, olderThanMs });
  io.out(
    `Dropped ${dropped.tables} backup table(s) of ${dropped.runs.length} run(s), ${formatBytes(dropped.bytes)}` +
      `${dropped.runs.length ? `: ${dropped.runs.join(', ')} can no longer be undone` : ''}.\n`,
  );
  if (dropped.objects.length)
    io.out(`Dropped with them what undone runs kept only for those backups: ${visible(dropped.objects.join(', '))}.\n`);
  return 0;
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

// archon undo: take a migration back, verified, all or nothing; and its report, written the way
// migrate writes its own.
import {
  CancelledError,
  type TargetOptions,
  type UndoPreview,
  type UndoResult,
  type UndoTable,
  UndoVerifyError,
  VERSION,
  errorInfo,
  keptReason,
  undo,
  undoAction,
} from '../engine/index.js';
import { formatCount } from '../shared/format.js';
import { displayName, visible } from '../shared/names.js';
import type { UndoState } from '../shared/report.js';
import { toJson } from '../shared/reportJson.js';
import {
  type UndoOutcome,
  type UndoReport,
  type UndoTableReport,
  pageHtml,
  pageMarkdown,
  undoPage,
} from '../shared/reportJournal.js';
import type { Values } from './options.js';
import { reportOutputs, writeReports } from './reports.js';
import { journalTarget } from './target.js';
import { type CliIo, EXIT, assertCanAsk, cancellable, confirmed, failure } from './terminal.js';

const REPORTS = {
  json: toJson,
  markdown: (r: UndoReport) => pageMarkdown(undoPage(r)),
  html: (r: UndoReport) => pageHtml(undoPage(r)),
};

/** After a committed migration: how to take it back, or why it cannot be. */
export function describeUndo(u: UndoState): string {
  if (u.possible && u.runId) return `Undo: archon undo ${u.runId} --target URL (run id ${u.runId})\n`;
  return `Undo: not possible for this run: ${visible(u.reason ?? 'no journal was written')}\n`;
}

export async function runUndo(values: Values, args: string[], io: CliIo, secrets: string[]): Promise<number> {
  const { label, ...target } = journalTarget(values, io, secrets);
  const outputs = reportOutputs(values, REPORTS);
  assertCanAsk(values.yes, io);
  const started = { at: new Date().toISOString(), ms: Date.now(), label };
  const ended = await undone(values, args[0], target, io, secrets);
  const report = undoReport(ended, started, secrets);
  const written = writeReports(outputs, report, io, report.committed ? 'the undo was committed; ' : '');
  if ('exit' in ended && ended.exit !== undefined) return ended.exit;
  return report.committed && written ? EXIT.ok : EXIT.notVerified;
}

type UndoneRun = NonNullable<UndoReport['run']>;

/** How an undo ended: its result, or the error that rolled it back, the run it was taking back, and (said already) its exit. */
type Ended = { result: UndoResult } | { error: Error; run: UndoneRun | null; exit?: number };

/**
 * The undo itself, said as it goes. Once the run it takes back is found, whatever ends it (a cancel, a
 * failed verification, a lost connection, a refusal) is said and returned for the report, which names
 * the run; before that (no journal, no such run, no connection) nothing began: thrown, no report.
 */
async function undone(
  values: Values,
  run: string | undefined,
  target: TargetOptions,
  io: CliIo,
  secrets: string[],
): Promise<Ended> {
  let found: UndoneRun | null = null;
  try {
    const result = await cancellable(io, 'rolling back the undo', (signal) =>
      undo({
        ...target,
        run,
        force: !!values.force,
        signal,
        onRun: ({ id, at, policy, source }) => {
          found = { id, at, policy, source };
        },
        onProgress: (e) => {
          if (e.type === 'phase') io.err(`… ${visible(e.message)}\n`);
        },
        confirm: async (preview) => {
          io.out(describePreview(preview));
          return values.yes ? true : confirmed(io, signal);
        },
      }),
    );
    if (result.undone) describeDone(result, io);
    return { result };
  } catch (e) {
    if (e instanceof CancelledError) {
      // The undo may have emptied and refilled tables before the cancel: all of it was taken back.
      io.err('archon: cancelled; the undo was rolled back, nothing changed\n');
      return { error: e, run: found };
    }
    if (e instanceof UndoVerifyError) {
      io.err(`archon: ${visible(e.message)}\n`);
      return { error: e, run: found };
    }
    if (!found) throw e;
    // Said as any error of the command is (exit 2 for a lost connection or a refusal), and reported too.
    return { error: e as Error, run: found, exit: failure(e, io, secrets) };
  }
}

function describeDone(result: UndoResult, io: CliIo): void {
  io.out(
    `Undone: run ${result.runId} at ${result.undoneAt}; every restored table verified against its backup (count and content).\n`,
  );
  if (result.droppedForBackups.length)
    io.out(
      `Dropped with its backups what undone runs kept only for them: ${visible(result.droppedForBackups.join(', '))}\n`,
    );
  if (result.objectsDropped.length)
    io.out(`${visible(`Dropped what the run created: ${result.objectsDropped.join(', ')}`)}\n`);
  for (const k of result.kept) io.out(`${visible(`Kept ${k.object}, though the run created it: ${keptReason(k)}`)}\n`);
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
    const inPlace = t.referencedBy?.length ? `; in place, since ${t.referencedBy.join(', ')} reference(s) it` : '';
    const changed = t.changed ? '  CHANGED since the run: those changes are lost (--force)' : '';
    lines.push(`  ${displayName(t.schema, t.table)}: ${now} → ${back}${inPlace}${columns}${seqs}${changed}`);
  }
  if (p.objects.length)
    lines.push(`  and what the run created, each unless something uses it now: ${visible(p.objects.join(', '))}`);
  return `${lines.join('\n')}\n\n`;
}

const runOf = (r: UndoResult): UndoneRun => ({ id: r.runId, at: r.at, policy: r.policy, source: r.source });

function outcomeOf(ended: Ended): UndoOutcome {
  if ('result' in ended) return ended.result.undone ? 'undone' : 'declined';
  return ended.error instanceof CancelledError ? 'cancelled' : 'failed';
}

/** What the undo did, as its report says it: only a committed undo names what became of each table. */
function undoReport(ended: Ended, started: { at: string; ms: number; label: string }, secrets: string[]): UndoReport {
  const result = 'result' in ended ? ended.result : null;
  const outcome = outcomeOf(ended);
  const done = result?.undone ? result : null;
  return {
    kind: 'undo',
    tool: { name: 'archon', version: VERSION },
    target: started.label,
    run: 'result' in ended ? runOf(ended.result) : ended.run,
    startedAt: started.at,
    durationMs: Date.now() - started.ms,
    undoneAt: done?.undoneAt ?? null,
    outcome,
    committed: !!done,
    forced: !!done?.forced,
    tables: done ? done.tables.map(tableReport) : [],
    kept: done ? done.kept.map((k) => ({ object: k.object, reason: keptReason(k) })) : [],
    droppedForBackups: done ? done.droppedForBackups : [],
    objectsDropped: done ? done.objectsDropped : [],
    error: outcome === 'failed' && 'error' in ended ? errorInfo(ended.error, secrets) : null,
  };
}

const ACTIONS = {
  'already gone': 'already gone',
  drop: 'dropped',
  restore: 'restored',
  empty: 'emptied',
} as const;

function tableReport(t: UndoTable): UndoTableReport {
  const action = ACTIONS[undoAction(t)];
  // The engine verified every table still there against its backup (or as empty) before the commit.
  const kept = action === 'restored' || action === 'emptied';
  return {
    schema: t.schema,
    table: t.table,
    action,
    rowsBefore: t.rowsNow,
    rowsAfter: kept ? t.rowsRestored : null,
    verified: kept,
    ...(t.referencedBy?.length ? { referencedBy: t.referencedBy } : {}),
    columnsDropped: t.dropsColumns,
    sequencesReset: t.sequences,
    changedSinceRun: t.changed,
  };
}

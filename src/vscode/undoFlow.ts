// Taking a migration back from VS Code: the report's "Undo Migration" button and the command
// "Archon: Migration History". The engine does the work (one verified transaction); this file asks,
// shows progress and says what happened.
import * as vscode from 'vscode';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  type RunEntry,
  type UndoPreview,
  type UndoResult,
  history,
  keptReason,
  previewUndo,
  runReport,
  undo,
  undoAction,
} from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import { formatCount } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import { type Report, policyText, undoneText } from '../shared/report.js';
import { type ConnectionProfile, type ConnectionStore, urlOf } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { errorMessage } from './errorWords.js';
import { historyActions, historyItem, sameChanges } from './undoModel.js';

interface UndoDeps {
  credentials: Credentials;
  log: vscode.LogOutputChannel;
  /** Called after an undo changed the target (to refresh the tree). */
  afterUndo?: () => void;
  /** Shows a run's report in the report panel; `undo` (when given) takes that run back from it. */
  openReport?: (report: Report, undo?: () => Promise<string | null>) => void;
}

const lockWait = (): number => {
  const seconds = vscode.workspace.getConfiguration('archon').get<number>('lockTimeoutSeconds');
  return seconds && seconds > 0 ? seconds * 1000 : DEFAULT_LOCK_TIMEOUT_MS;
};

/** What a confirmation names: each table, its rows now and the rows it gets back. */
function previewText(p: UndoPreview): string {
  return p.tables
    .map((t) => {
      const back = {
        'already gone': 'already dropped since the migration (which created it)',
        drop: 'dropped (the migration created it)',
        restore: `${formatCount(t.rowsRestored)} row(s) restored`,
        empty: 'emptied',
      }[undoAction(t)];
      const columns = t.dropsColumns.length ? `, column(s) ${t.dropsColumns.join(', ')} dropped` : '';
      // Said, since the rows that stay are not rewritten: what points at them stays valid.
      const inPlace = t.referencedBy?.length ? ` in place (${t.referencedBy.join(', ')} references it)` : '';
      const changed = t.changed ? ' — CHANGED since the migration: those changes would be lost' : '';
      return `${displayName(t.schema, t.table)}: ${formatCount(t.rowsNow)} row(s) now → ${back}${inPlace}${columns}${changed}`;
    })
    .concat(
      p.objects.length
        ? [`And what the migration created, each unless something uses it now: ${p.objects.join(', ')}`]
        : [],
    )
    .join('\n');
}

/** The question before an undo: what each table gets back, and the changes that would be lost. */
async function confirmUndo(p: UndoPreview, target: ConnectionProfile): Promise<boolean> {
  const detail = `${previewText(p)}\n\nOn ${endpointLabel(target)}, in one transaction, verified against the backups.`;
  const changed = p.tables.filter((t) => t.changed).length;
  const button = changed ? 'Undo Anyway' : 'Undo Migration';
  const question = changed
    ? `${changed} table(s) changed since migration ${p.runId}. Undo it anyway, losing those changes?`
    : `Undo migration ${p.runId} (${policyText(p.policy)} from ${p.source})?`;
  return (await vscode.window.showWarningMessage(question, { modal: true, detail }, button)) === button;
}

/**
 * Asks, then undoes run `runId` (default: the latest undoable) on `target`. Resolves to when it was
 * undone, as the journal records it (history shows the same time); null when it was not.
 */
export async function undoRun(deps: UndoDeps, target: ConnectionProfile, runId?: string): Promise<string | null> {
  const { credentials, log } = deps;
  const base = { target: urlOf(target), run: runId, lockTimeoutMs: lockWait() };
  try {
    // Read first, changing nothing; nothing is held while the user reads it.
    const p = await credentials.withPassword(target, 'target', (password) => previewUndo({ ...base, password }));
    if (!(await confirmUndo(p, target))) return null;
    const changed = p.tables.filter((t) => t.changed).length;
    log.info(`Undoing run ${p.runId} on ${endpointLabel(target)}`);
    const title = `Archon: undoing migration ${p.runId}`;
    const options = { location: vscode.ProgressLocation.Notification, title, cancellable: true };
    const result = await vscode.window.withProgress(options, async (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      const onProgress = (e: { type: string; message?: string }) => {
        if (e.type === 'phase' && e.message) progress.report({ message: e.message });
      };
      return credentials.withPassword(target, 'target', (password) =>
        // Forced when the user was shown changes and chose to lose them: only those (any other
        // change made in the meantime declines here, or refuses unforced).
        undo({
          ...base,
          run: p.runId,
          password,
          force: changed > 0,
          signal: controller.signal,
          onProgress,
          confirm: async (now) => sameChanges(p, now),
        }),
      );
    });
    if (!result.undone) {
      void vscode.window.showWarningMessage(
        'Archon: the tables changed again while you decided; nothing was undone. Choose Undo Migration again to see them.',
      );
      return null;
    }
    const text = `Archon: migration ${p.runId} undone; every restored table verified against its backup. Undone at ${result.undoneAt}.${aftermath(result)}`;
    log.info(text);
    void vscode.window.showInformationMessage(text);
    deps.afterUndo?.();
    return result.undoneAt;
  } catch (e) {
    log.error(`Undo: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Archon: undo not done: ${errorMessage(e)}`);
    return null;
  }
}

/** What an undo did beyond the tables: what it kept and why, what it dropped with its backups. */
function aftermath(result: UndoResult): string {
  const dropped = result.droppedForBackups.length
    ? ` Dropped with its backups what undone migrations kept only for them: ${result.droppedForBackups.join(', ')}.`
    : '';
  const objects = result.objectsDropped.length
    ? ` Dropped what the migration created: ${result.objectsDropped.join(', ')}.`
    : '';
  const kept = result.kept.map((k) => ` Kept ${k.object}, though the migration created it: ${keptReason(k)}.`);
  return `${objects}${dropped}${kept.join('')}`;
}

/** "Archon: Migration History": a target, its runs newest first, and undo for one that can be. */
export async function migrationHistory(deps: UndoDeps, store: ConnectionStore): Promise<void> {
  const connections = store.list();
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({ label: c.name, description: endpointLabel(c), profile: c })),
    { title: 'Archon: Migration History', placeHolder: 'The database whose migrations to list' },
  );
  if (!picked) return;
  try {
    const runs = await deps.credentials.withPassword(picked.profile, 'target', (password) =>
      history({ target: urlOf(picked.profile), password }),
    );
    if (!runs.length) {
      void vscode.window.showInformationMessage(`Archon: no migration recorded on ${picked.profile.name}.`);
      return;
    }
    const run = await vscode.window.showQuickPick(
      runs.map((r) => ({ ...historyItem(r), run: r })),
      {
        title: `Migrations on ${picked.profile.name}, newest first`,
        placeHolder: 'Pick a run to open its report or undo it',
      },
    );
    if (!run) return;
    const action = await vscode.window.showQuickPick(historyActions(run.run), {
      title: `Run ${run.run.id} on ${picked.profile.name}`,
      placeHolder: run.run.undoneAt ? undoneText({ at: run.run.undoneAt }) : 'What to do with this run',
    });
    if (action?.action === 'undo') await undoRun(deps, picked.profile, run.run.id);
    if (action?.action === 'report') await openRunReport(deps, picked.profile, run.run);
  } catch (e) {
    void vscode.window.showErrorMessage(`Archon: ${errorMessage(e)}`);
  }
}

/** A run's report from the target's journal, in the report panel, marked as the journal has it now. */
async function openRunReport(deps: UndoDeps, target: ConnectionProfile, run: RunEntry): Promise<void> {
  const report = run.hasReport
    ? await deps.credentials.withPassword(target, 'target', (password) =>
        runReport({ target: urlOf(target), password, run: run.id }),
      )
    : null;
  if (!report) {
    void vscode.window.showInformationMessage(
      `Archon: the journal on ${target.name} keeps no report for run ${run.id}: an older Archon ran it.`,
    );
    return;
  }
  const undo = run.undoable ? () => undoRun(deps, target, run.id) : undefined;
  deps.openReport?.(report, undo);
}

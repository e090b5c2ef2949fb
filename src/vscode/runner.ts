// Runs what the flows ask for (a migration, a comparison) with cancellable progress, and opens the report.
import * as vscode from 'vscode';
import { DEFAULT_LOCK_TIMEOUT_MS, type ProgressListener, compare, migrate } from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import { displayName } from '../shared/names.js';
import { type Report, headline, parallelText, policyText, trafficLine } from '../shared/report.js';
import { urlOf, type ConnectionProfile } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { ReportPanel } from './reportPanel.js';
import { ActiveRun } from './runProgress.js';
import { undoRun } from './undoFlow.js';
import { sourceJobs } from './settings.js';
import type { MigrationRequest } from './wizard.js';
import { retryWithout, retryableTables, runEndNotice, type TableKey } from './wizardModel.js';
import { errorMessage } from './errorWords.js';
import { WALKTHROUGH_KEYS } from './walkthroughKeys.js';

interface RunnerDeps {
  extensionUri: vscode.Uri;
  credentials: Credentials;
  log: vscode.LogOutputChannel;
  /** The saved profile by id, as it is now (for retries). */
  profile: (id: string) => ConnectionProfile | undefined;
  /** Called after a run that may have changed the target (to refresh the tree). */
  afterRun?: () => void;
  /** Shows the plan of a request made outside the wizard (a retry); true when the user starts it. */
  review: (req: MigrationRequest, title: string) => Promise<boolean>;
  /** Where a parallel load's spool goes: the extension's storage (its own, not the shared temp folder). */
  spoolDir?: string;
}

/** Created once per activation: runs migrations (one at a time) and comparisons. */
export class Runner {
  private running = false;
  /** The run going now, for the status bar's command and for shutdown. */
  readonly active = new ActiveRun();

  constructor(private readonly deps: RunnerDeps) {}

  /** True (and says so) while a migration runs: flows ask this before their first question. */
  refuseIfBusy(): boolean {
    if (this.running)
      void vscode.window.showWarningMessage('Archon: a migration is already running; wait for its report.');
    return this.running;
  }

  /** Runs a migration with cancellable progress, logs it, and opens the report. One at a time. */
  async migrate(req: MigrationRequest): Promise<Report | undefined> {
    if (this.refuseIfBusy()) return undefined;
    this.running = true;
    try {
      return await this.migrateOnce(req);
    } finally {
      this.running = false;
    }
  }

  /** Compares two databases, counts and content, and opens the report. */
  async compare(source: ConnectionProfile, target: ConnectionProfile): Promise<Report | undefined> {
    const { log, credentials } = this.deps;
    log.info(`Comparing counts and content: ${endpointLabel(source)} and ${endpointLabel(target)}`);
    return this.reportingErrors(async () => {
      const title = `Archon: comparing ${source.name} and ${target.name}`;
      const report = await this.withProgress(
        title,
        () => {},
        (signal, onProgress) =>
          credentials.both(source, target, (passwords) =>
            compare({ source: urlOf(source), target: urlOf(target), passwords, signal, onProgress, ...waits() }),
          ),
      );
      log.info(headline(report));
      named(report, source, target);
      this.announce(report, ReportPanel.show(this.deps.extensionUri, log, report));
      return report;
    });
  }

  private async migrateOnce(req: MigrationRequest): Promise<Report | undefined> {
    const { source, target, tables, existing } = req;
    const { log, credentials } = this.deps;
    const direction = `FROM ${endpointLabel(source)} (read-only) TO ${endpointLabel(target)}`;
    log.info(`Migrating ${tables.length} table(s) ${direction}, rows already in the target: ${policyText(existing)}`);
    return this.reportingErrors(async () => {
      const title = `Archon: ${source.name} → ${target.name}`;
      const cancelled = () => log.warn('Cancelled by the user: rolling back the target');
      const report = await this.withProgress(title, cancelled, (signal, onProgress) =>
        credentials.both(source, target, (passwords) =>
          migrate({
            source: urlOf(source),
            target: urlOf(target),
            passwords,
            selection: { only: tables },
            existing,
            createMissing: req.createMissing,
            addColumns: req.addColumns,
            backup: req.backup !== false,
            createObjects: req.createObjects,
            signal,
            onProgress,
            ...waits(),
            jobs: sourceJobs(),
            ...(this.deps.spoolDir ? { spoolDir: this.deps.spoolDir } : {}),
            ...(req.resume ? { resume: req.resume } : {}),
          }),
        ),
      );
      log.info(headline(report));
      named(report, source, target);
      void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS.migrationFinished, true);
      const traffic = trafficLine(report);
      if (traffic) log.info(traffic);
      const parallel = parallelText(report);
      if (parallel) log.info(parallel);
      const failed = report.tables.filter((t) => t.status !== 'verified');
      for (const t of failed) log.warn(`${displayName(t.schema, t.table)}: ${t.status}: ${t.reason}`);
      // Offered only when running again can help: not for tables skipped by the plan (schema, privileges).
      // A retry is a new run: only the Resume button continues the failed run (its spool is gone after one).
      const { resume: _resumed, ...fresh } = req;
      const retryable = retryableTables(report);
      const retry = retryable.length
        ? () => void this.retry(fresh, retryable, 'Archon: Retry Failed Tables')
        : undefined;
      const rest = retryWithout(req.tables, report);
      const restTitle = `Archon: ${rest?.label.replace(/…$/, '')}`;
      const retryRest = rest && { label: rest.label, run: () => void this.retry(fresh, rest.tables, restTitle) };
      const runId = report.undo?.possible ? report.undo.runId : null;
      const undo = runId
        ? () => undoRun({ credentials, log, afterUndo: this.deps.afterRun }, target, runId)
        : undefined;
      const kept = report.spoolKept;
      const resume = kept && {
        label: 'Resume',
        run: () => void this.retry({ ...fresh, resume: kept.runId }, req.tables, 'Archon: Resume'),
      };
      this.announce(
        report,
        ReportPanel.show(this.deps.extensionUri, log, report, retry, undo, retryRest ?? undefined, resume?.run),
        resume ?? retryRest ?? undefined,
      );
      this.deps.afterRun?.();
      return report;
    });
  }

  /**
   * Runs the tables that did not verify again, with the connections as saved now, after the same
   * review as the wizard's: nothing is written unless the user chooses "Start migration".
   */
  private async retry(req: MigrationRequest, tables: TableKey[], title: string): Promise<void> {
    if (this.refuseIfBusy()) return;
    // Edited since, or removed, the connections must not be used as they were.
    const source = this.deps.profile(req.source.id);
    const target = this.deps.profile(req.target.id);
    if (!source || !target) {
      void vscode.window.showWarningMessage('Archon: a connection of this run was removed; start a new migration.');
      return;
    }
    const again = { ...req, source, target, tables };
    if (await this.deps.review(again, title)) await this.migrate(again);
  }

  /** A cancellable notification and a status-bar item; the engine's events go to both and to the log. */
  private withProgress<T>(
    title: string,
    onCancel: () => void,
    run: (signal: AbortSignal, onProgress: ProgressListener) => Promise<T>,
  ): Thenable<T> {
    const location = vscode.ProgressLocation.Notification;
    return vscode.window.withProgress({ location, title, cancellable: true }, async (progress, token) => {
      const view = this.active.begin(title, progress, this.deps.log, onCancel);
      token.onCancellationRequested(() => view.cancel());
      try {
        return await run(view.signal, (e) => view.onEvent(e));
      } finally {
        view.dispose();
      }
    });
  }

  /** The run has ended: a notification says how, with a button back to its report (and the next step, when there is one). */
  private announce(report: Report, reveal: () => void, next?: { label: string; run: () => void }): void {
    const { text, warn } = runEndNotice(report);
    const buttons = ['Open Report', ...(next ? [next.label] : [])];
    const shown = warn
      ? vscode.window.showWarningMessage(text, ...buttons)
      : vscode.window.showInformationMessage(text, ...buttons);
    void shown.then((choice) => (choice === next?.label ? next?.run() : choice && reveal()));
  }

  /** A failed run: logged and shown, never thrown at VS Code. */
  private async reportingErrors(run: () => Promise<Report>): Promise<Report | undefined> {
    try {
      return await run();
    } catch (e) {
      this.deps.log.error((e as Error).message);
      void vscode.window.showErrorMessage(`Archon: ${errorMessage(e)}`);
      return undefined;
    }
  }
}

/** The report names each side by its saved connection's name, as the user knows them, besides the address. */
function named(report: Report, source: ConnectionProfile, target: ConnectionProfile): void {
  report.source.name = source.name;
  report.target.name = target.name;
}

/** The user's bound on lock waits (setting archon.lockTimeoutSeconds), read at each run. */
function waits(): { lockTimeoutMs: number } {
  const seconds = vscode.workspace.getConfiguration('archon').get<number>('lockTimeoutSeconds');
  return { lockTimeoutMs: seconds && seconds > 0 ? seconds * 1000 : DEFAULT_LOCK_TIMEOUT_MS };
}

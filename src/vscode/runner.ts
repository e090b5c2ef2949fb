import * as vscode from 'vscode';
import { type ProgressEvent, compare, migrate } from '../engine/index.js';
import { formatBytes, formatCount, seconds } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import { type Report, headline } from '../shared/report.js';
import { describe, urlOf, type ConnectionProfile } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { ReportPanel } from './reportPanel.js';
import type { MigrationRequest } from './wizard.js';

export interface RunnerDeps {
  extensionUri: vscode.Uri;
  credentials: Credentials;
  log: vscode.LogOutputChannel;
  /** The saved profile by id, as it is now (for retries). */
  profile: (id: string) => ConnectionProfile | undefined;
  /** Called after a run that may have changed the target (to refresh the tree). */
  afterRun?: () => void;
}

function logProgress(log: vscode.LogOutputChannel, e: ProgressEvent): string | null {
  switch (e.type) {
    case 'phase':
      log.info(e.message);
      return e.message;
    case 'table-start':
      log.info(`[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}: started`);
      return `[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}`;
    case 'table-progress': {
      return `[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}: ${formatBytes(e.bytes)}`;
    }
    case 'table-done':
      log.info(`[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}: ${e.rows} rows, ${formatBytes(e.bytes)} in ${seconds(e.durationMs)}`);
      return `[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}: ${formatCount(e.rows)} rows`;
  }
}

let running = false;

/** Runs a migration with cancellable progress, logs it, and opens the report. One at a time. */
export async function runMigration(deps: RunnerDeps, req: MigrationRequest): Promise<Report | undefined> {
  if (running) {
    void vscode.window.showWarningMessage('Archon: a migration is already running; wait for its report.');
    return undefined;
  }
  running = true;
  try {
    return await migrateOnce(deps, req);
  } finally {
    running = false;
  }
}

async function migrateOnce(deps: RunnerDeps, req: MigrationRequest): Promise<Report | undefined> {
  const { source, target } = req;
  deps.log.info(`Migrating ${req.tables.length} table(s) FROM ${describe(source)} (read-only) TO ${describe(target)}, existing rows: ${req.existing}`);
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Archon: ${source.name} → ${target.name}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => {
          deps.log.warn('Cancelled by the user: rolling back the target');
          controller.abort();
        });
        return deps.credentials.both(source, target, (passwords) =>
          migrate({
            source: urlOf(source),
            target: urlOf(target),
            passwords,
            selection: { only: req.tables },
            existing: req.existing,
            signal: controller.signal,
            onProgress: (e) => {
              const message = logProgress(deps.log, e);
              const increment = e.type === 'table-done' ? 100 / e.total : undefined;
              if (message) progress.report({ message, increment });
            },
          }),
        );
      },
    );
    deps.log.info(headline(report));
    for (const t of report.tables.filter((x) => x.status !== 'verified')) deps.log.warn(`${displayName(t.schema, t.table)}: ${t.status}: ${t.reason}`);
    const retryable = report.tables.filter((t) => t.status !== 'verified').map((t): [string, string] => [t.schema, t.table]);
    const retry = () => {
      // The connections as saved now: edited since, or removed, they must not be used as they were.
      const s = deps.profile(source.id);
      const t = deps.profile(target.id);
      if (!s || !t) return void vscode.window.showWarningMessage('Archon: a connection of this run was removed; start a new migration.');
      void runMigration(deps, { ...req, source: s, target: t, tables: retryable });
    };
    ReportPanel.show(deps.extensionUri, deps.log, report, retryable.length ? retry : undefined);
    deps.afterRun?.();
    return report;
  } catch (e) {
    deps.log.error((e as Error).message);
    void vscode.window.showErrorMessage(`Archon: ${(e as Error).message}`);
    return undefined;
  }
}

export async function runCompare(deps: RunnerDeps, source: ConnectionProfile, target: ConnectionProfile): Promise<Report | undefined> {
  deps.log.info(`Comparing row counts: ${describe(source)} and ${describe(target)}`);
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Archon: comparing ${source.name} and ${target.name}`, cancellable: true },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return deps.credentials.both(source, target, (passwords) =>
          compare({
            source: urlOf(source),
            target: urlOf(target),
            passwords,
            signal: controller.signal,
            onProgress: (e) => {
              const message = logProgress(deps.log, e);
              if (message) progress.report({ message, increment: e.type === 'table-done' ? 100 / e.total : undefined });
            },
          }),
        );
      },
    );
    deps.log.info(headline(report));
    ReportPanel.show(deps.extensionUri, deps.log, report);
    return report;
  } catch (e) {
    deps.log.error((e as Error).message);
    void vscode.window.showErrorMessage(`Archon: ${(e as Error).message}`);
    return undefined;
  }
}

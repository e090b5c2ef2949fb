// The extension's settings (contributes.configuration, archon.*), read in one place with their
// defaults and bounds, at each use so a change applies to the next run without a reload.
// archon.lockTimeoutSeconds is read by runner.ts.
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { EXISTING_POLICIES, type ExistingPolicy } from '../shared/report.js';
import { DEFAULT_POLICY } from './wizardModel.js';
import { DEFAULT_JOBS } from '../engine/index.js';

const config = () => vscode.workspace.getConfiguration('archon');

/** The existing-rows choice the wizard and Copy Table highlight first (the step is still shown). */
export function defaultExistingRows(): ExistingPolicy {
  const v = config().get<string>('defaultExistingRows');
  return EXISTING_POLICIES.find((p) => p === v) ?? DEFAULT_POLICY;
}

/** Source sessions that read at once (archon.jobs), a whole number from 1 to 32. */
export function sourceJobs(): number {
  const v = Math.floor(config().get<number>('jobs') ?? DEFAULT_JOBS);
  return Number.isFinite(v) ? Math.min(32, Math.max(1, v)) : DEFAULT_JOBS;
}

/** Whether Copy Table's Replace asks once more, naming the table and its rows, before it empties it. */
export const confirmBeforeWriting = (): boolean => config().get<boolean>('confirmBeforeWriting') !== false;

/** The folder an export proposes: the setting (with ~ expanded), else the first workspace folder, else home. */
export function reportFolder(): vscode.Uri {
  const setting = config().get<string>('reportLocation')?.trim();
  if (setting) return vscode.Uri.file(setting.replace(/^~(?=$|[\\/])/, homedir()));
  return vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
}

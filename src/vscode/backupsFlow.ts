// "Archon: Drop Backups…": from the command palette or the Archon journal in the tree. A target, the runs
// whose backups to drop (each with its size), a question naming the space and that those runs can no
// longer be undone, then the engine's dropBackups and what it dropped.
import * as vscode from 'vscode';
import { DEFAULT_LOCK_TIMEOUT_MS, type DropResult, type RunEntry, dropBackups, history } from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import { type ConnectionProfile, type ConnectionStore, urlOf } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { errorMessage } from './errorWords.js';
import { dropPickItems, dropQuestion, droppedText, withBackups } from './journalModel.js';

interface DropDeps {
  store: ConnectionStore;
  credentials: Credentials;
  log: vscode.LogOutputChannel;
  /** Called after backups were dropped (to refresh the tree). */
  afterDrop?: () => void;
}

const TITLE = 'Archon: Drop Backups';

const lockWait = (): number => {
  const seconds = vscode.workspace.getConfiguration('archon').get<number>('lockTimeoutSeconds');
  return seconds && seconds > 0 ? seconds * 1000 : DEFAULT_LOCK_TIMEOUT_MS;
};

/** Asks which database when the command was not run on one of its nodes: targets first. */
async function pickTarget(store: ConnectionStore): Promise<ConnectionProfile | undefined> {
  const all = store.list().sort((a, b) => Number(b.role === 'target') - Number(a.role === 'target'));
  const picked = await vscode.window.showQuickPick(
    all.map((c) => ({ label: c.name, description: endpointLabel(c), profile: c })),
    { title: TITLE, placeHolder: 'The database whose Archon backups to drop' },
  );
  return picked?.profile;
}

/** Drops the backups of the runs the user picks on a target; `chosen` (a run's node) starts picked. */
export async function dropBackupsFlow(deps: DropDeps, target?: ConnectionProfile, chosen?: string): Promise<void> {
  const profile = target ?? (await pickTarget(deps.store));
  if (!profile) return;
  try {
    const conn = (password: string | undefined) => ({ target: urlOf(profile), password, lockTimeoutMs: lockWait() });
    const runs = await deps.credentials.withPassword(profile, 'target', (password) => history(conn(password)));
    if (!withBackups(runs).length) {
      void vscode.window.showInformationMessage(`Archon: no backups to drop on ${profile.name}.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(dropPickItems(runs, chosen), {
      title: `${TITLE} on ${profile.name}`,
      placeHolder: 'The runs whose backups to drop (Space picks, Enter continues); they can then no longer be undone',
      canPickMany: true,
    });
    const runsPicked = (picked ?? []).map((p) => p.value as RunEntry);
    if (!runsPicked.length) return;
    const q = dropQuestion(runsPicked, profile.name);
    const drop = 'Drop Backups';
    if ((await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, drop)) !== drop) return;
    const results: DropResult[] = [];
    await deps.credentials.withPassword(profile, 'target', async (password) => {
      for (const r of runsPicked) results.push(await dropBackups({ ...conn(password), run: r.id }));
    });
    const text = droppedText(results, profile.name);
    deps.log.info(text);
    void vscode.window.showInformationMessage(text);
    deps.afterDrop?.();
  } catch (e) {
    deps.log.error(`Drop Backups on ${endpointLabel(profile)}: ${errorMessage(e)}`);
    void vscode.window.showErrorMessage(`Archon: ${errorMessage(e)}`);
  }
}

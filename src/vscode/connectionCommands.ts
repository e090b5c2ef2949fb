// The commands on saved connections: add, edit, fix, rename, remove, move between groups, test.
import * as vscode from 'vscode';
import { ConnectionError, testConnection } from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import { connectionForm } from './connectionForm.js';
import { editFormState, newFormState } from './connectionFormModel.js';
import { type BrokenState, type ConnectionProfile, type ConnectionStore, urlOf } from './connectionStore.js';
import { errorMessage } from './errorWords.js';

/** The broken state an error leaves on a saved connection: only failures to connect count. */
export function brokenFrom(e: unknown): BrokenState | undefined {
  return e instanceof ConnectionError ? { reason: e.reason, message: errorMessage(e) } : undefined;
}

/** Tests with progress; reports the version or the error, and marks the connection working or broken. */
export async function testWithFeedback(
  store: ConnectionStore,
  profile: ConnectionProfile,
  password: string | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const label = endpointLabel(profile);
  try {
    const version = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Archon: connecting to ${label}…` },
      () => testConnection({ url: urlOf(profile), password, role: profile.role }),
    );
    await store.setBroken(profile.id, undefined);
    log.info(`Connection ${profile.name} (${label}): PostgreSQL ${version}`);
    void vscode.window.showInformationMessage(`Archon: ${profile.name} is reachable: PostgreSQL ${version}.`);
    return version;
  } catch (e) {
    await store.setBroken(profile.id, brokenFrom(e));
    log.warn(`Connection ${profile.name}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Archon: ${errorMessage(e)}`);
    return undefined;
  }
}

/** The role a new connection gets unless the user came from a group: source first, then target. */
function roleForNew(store: ConnectionStore, role?: Role): Role {
  return role ?? (store.list().some((p) => p.role === 'source') ? 'target' : 'source');
}

export async function addConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  role?: Role,
): Promise<ConnectionProfile | undefined> {
  const result = await connectionForm(newFormState(roleForNew(store, role)), async () => undefined);
  if (!result) return undefined;
  const { profile, passwordStored } = await store.save({ ...result.profile, broken: result.broken }, result.password);
  warnWithoutKeyring(passwordStored);
  log.info(`Added connection ${profile.name} (${endpointLabel(profile)}) as ${profile.role}${brokenNote(profile)}`);
  announce(profile, 'saved');
  return profile;
}

/** Edit changes the saved connection in place: same id, same place in the tree, its password kept unless retyped. */
export async function editConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  profile: ConnectionProfile,
): Promise<ConnectionProfile | undefined> {
  const hasPassword = (await store.password(profile.id)) !== undefined;
  const result = await connectionForm(editFormState(profile, hasPassword), () => store.password(profile.id));
  if (!result) return undefined;
  const updated = await store.update(profile.id, { ...result.profile, broken: result.broken });
  if (result.password !== undefined) warnWithoutKeyring(await store.setPassword(profile.id, result.password));
  log.info(`Edited connection ${updated.name} (${endpointLabel(updated)})${brokenNote(updated)}`);
  announce(updated, 'updated');
  return updated;
}

/**
 * Fix Connection on a broken node: a refused password needs only the password again (tested before
 * it is kept); anything else opens the form with the failure on top.
 */
export async function fixConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  profile: ConnectionProfile,
): Promise<ConnectionProfile | undefined> {
  // A refused password asks for the password again, masked, for as long as it is refused (Escape
  // stops); only another kind of failure opens the whole form.
  let current = profile;
  while (current.broken?.reason === 'auth') {
    const password = await vscode.window.showInputBox({
      title: `Archon: Fix Connection: password for ${current.name} (${endpointLabel(current)})`,
      prompt: current.broken.message,
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return undefined;
    if ((await testWithFeedback(store, current, password || undefined, log)) !== undefined) {
      warnWithoutKeyring(await store.setPassword(current.id, password));
      return store.get(current.id);
    }
    current = store.get(current.id) ?? current;
  }
  return editConnection(store, log, current);
}

const brokenNote = (p: ConnectionProfile) => (p.broken ? ' (saved although it does not connect)' : '');

function announce(p: ConnectionProfile, what: string): void {
  if (p.broken)
    void vscode.window.showWarningMessage(
      `Archon: ${p.name} ${what}, marked broken: it does not connect. Use Fix Connection on it in the Archon view.`,
    );
  else void vscode.window.showInformationMessage(`Archon: ${p.name} ${what}: it connects (${endpointLabel(p)}).`);
}

function warnWithoutKeyring(passwordStored: boolean): void {
  if (passwordStored) return;
  void vscode.window.showWarningMessage(
    'Archon: SecretStorage is not available here (no OS keyring?). ' +
      'The password is kept for this session only and will be asked for again.',
  );
}

export async function renameConnection(store: ConnectionStore, profile: ConnectionProfile): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: `Rename ${profile.name}`,
    value: profile.name,
    validateInput: (v) => (v.trim() ? undefined : 'A name for the tree'),
  });
  if (name) await store.update(profile.id, { name: name.trim() });
}

export async function removeConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  profile: ConnectionProfile,
): Promise<void> {
  const remove = 'Remove';
  const question =
    `Remove the connection ${profile.name} (${endpointLabel(profile)}) and its saved password? ` +
    'The database itself is not touched.';
  const ok = await vscode.window.showWarningMessage(question, { modal: true }, remove);
  if (ok !== remove) return;
  await store.remove(profile.id);
  log.info(`Removed connection ${profile.name}`);
}

export async function moveConnection(store: ConnectionStore, profile: ConnectionProfile, role: Role): Promise<void> {
  await store.update(profile.id, { role });
}

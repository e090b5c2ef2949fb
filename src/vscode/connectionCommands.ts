// The commands on saved connections: add, edit, rename, remove, move between groups, test.
import * as vscode from 'vscode';
import { testConnection } from '../engine/index.js';
import { SSL_MODES, endpointLabel, verifiesCertificate } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import {
  profileFromUrl,
  urlOf,
  type ConnectionFields,
  type ConnectionProfile,
  type ConnectionStore,
} from './connectionStore.js';

const SSL_ITEMS: vscode.QuickPickItem[] = SSL_MODES.map((m) => ({ label: m.mode, detail: m.detail }));

async function askRole(current?: Role): Promise<Role | undefined> {
  const items: (vscode.QuickPickItem & { role: Role })[] = [
    { label: '$(lock) Source (read-only)', detail: 'Archon reads from it and never writes to it', role: 'source' },
    { label: '$(arrow-circle-down) Target', detail: 'Migrations write into it', role: 'target' },
  ];
  const chosen = await vscode.window.showQuickPick(items, {
    title: 'Which group does this connection belong in?',
    placeHolder: current ? `now: ${current}` : undefined,
    ignoreFocusOut: true,
  });
  return chosen?.role;
}

const HOST = /^[A-Za-z0-9._-]+$|^\[?[0-9A-Fa-f:.]+\]?$/;

async function askFields(defaults?: Partial<ConnectionFields>): Promise<ConnectionFields | undefined> {
  const input = (title: string, value: string | undefined, validateInput?: (v: string) => string | undefined) =>
    vscode.window.showInputBox({ title: `New connection: ${title}`, value, ignoreFocusOut: true, validateInput });
  const host = await input('host', defaults?.host ?? 'localhost', (v) =>
    HOST.test(v.trim()) ? undefined : 'A host name or IP address only (the port and database come next)',
  );
  if (host === undefined) return undefined;
  const port = await input('port', String(defaults?.port ?? 5432), (v) =>
    /^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number, 1 to 65535',
  );
  if (port === undefined) return undefined;
  const database = await input('database', defaults?.database ?? 'postgres', (v) =>
    v.trim() ? undefined : 'The database name',
  );
  if (database === undefined) return undefined;
  const user = await input('user', defaults?.user ?? 'postgres', (v) => (v.trim() ? undefined : 'The user name'));
  if (user === undefined) return undefined;
  const ssl = await vscode.window.showQuickPick(SSL_ITEMS, {
    title: 'New connection: sslmode',
    placeHolder: `now: ${defaults?.sslmode ?? 'prefer'}`,
    ignoreFocusOut: true,
  });
  if (!ssl) return undefined;
  let sslrootcert: string | undefined;
  if (verifiesCertificate(ssl.label)) {
    const ca = await input('CA certificate file (empty: the system CAs)', defaults?.sslrootcert ?? '');
    if (ca === undefined) return undefined;
    sslrootcert = ca.trim() || undefined;
  }
  return {
    host: host.trim(),
    port: Number(port),
    database: database.trim(),
    user: user.trim(),
    sslmode: ssl.label,
    sslrootcert,
  };
}

async function askPassword(profileLabel: string, keepHint: boolean): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: `Password for ${profileLabel}`,
    prompt: keepHint
      ? 'Leave empty to keep the saved password'
      : 'Stored in VS Code SecretStorage, never in settings. Leave empty to use ~/.pgpass or no password.',
    password: true,
    ignoreFocusOut: true,
  });
}

/** A pasted URL, checked as it is typed: the fields to save and the password apart. */
async function askUrl(): Promise<ReturnType<typeof profileFromUrl> | undefined> {
  const url = await vscode.window.showInputBox({
    title: 'Archon: Add Connection: PostgreSQL URL',
    placeHolder: 'postgresql://user:password@host:5432/dbname?sslmode=require',
    prompt: 'The password, if the URL has one, goes to SecretStorage; the rest is saved without it.',
    ignoreFocusOut: true,
    password: false,
    validateInput: (v) => {
      try {
        profileFromUrl(v);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
  });
  return url === undefined ? undefined : profileFromUrl(url);
}

/** Tests with progress; reports the version or the error. Returns the version on success. */
export async function testWithFeedback(
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
    log.info(`Connection ${profile.name} (${label}): PostgreSQL ${version}`);
    void vscode.window.showInformationMessage(`Archon: ${profile.name} is reachable: PostgreSQL ${version}.`);
    return version;
  } catch (e) {
    log.warn(`Connection ${profile.name}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Archon: ${(e as Error).message}`);
    return undefined;
  }
}

export async function addConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  role?: Role,
): Promise<ConnectionProfile | undefined> {
  const how = await vscode.window.showQuickPick(
    [
      {
        label: '$(link) Paste a PostgreSQL URL',
        detail: 'postgresql://user:password@host:5432/dbname?sslmode=require (a pooler URL works)',
        id: 'url',
      },
      { label: '$(list-unordered) Enter host, port, database, user…', detail: 'Field by field', id: 'fields' },
    ],
    { title: 'Archon: Add Connection', ignoreFocusOut: true },
  );
  if (!how) return undefined;
  const parsed = how.id === 'url' ? await askUrl() : { fields: await askFields(), password: undefined };
  const fields = parsed?.fields;
  if (!fields) return undefined;
  const password = parsed?.password ?? (await askPassword(endpointLabel(fields), false));
  if (password === undefined) return undefined;
  const name = await vscode.window.showInputBox({
    title: 'Archon: Add Connection: name',
    value: `${fields.database} on ${fields.host}`,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'A name for the tree'),
  });
  if (name === undefined) return undefined;
  const chosenRole = role ?? (await askRole());
  if (!chosenRole) return undefined;
  const { profile, passwordStored } = await store.save({ ...fields, name: name.trim(), role: chosenRole }, password);
  if (!passwordStored) {
    void vscode.window.showWarningMessage(
      'Archon: SecretStorage is not available here (no OS keyring?). ' +
        'The password is kept for this session only and will be asked for again.',
    );
  }
  log.info(`Added connection ${profile.name} (${endpointLabel(profile)}) as ${profile.role}`);
  await testWithFeedback(profile, password || undefined, log);
  return profile;
}

export async function editConnection(
  store: ConnectionStore,
  log: vscode.LogOutputChannel,
  profile: ConnectionProfile,
): Promise<void> {
  const fields = await askFields(profile);
  if (!fields) return;
  const password = await askPassword(endpointLabel(fields), true);
  if (password === undefined) return;
  const updated = await store.update(profile.id, fields);
  if (password) await store.setPassword(profile.id, password);
  log.info(`Edited connection ${updated.name} (${endpointLabel(updated)})`);
  await testWithFeedback(updated, password || (await store.password(profile.id)), log);
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

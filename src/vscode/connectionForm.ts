// The one connection form, for Add and Edit: a quick pick that lists the fields with their values,
// Test and Save. A quick input rather than a webview: keyboard-first like the rest of VS Code, the
// password typed in a masked input box, nothing to load, theme and screen reader support for free.
// Save tests first; a connection that fails its test is saved only through "Save anyway", and then
// marked broken in the tree.
import * as vscode from 'vscode';
import { ConnectionError, testConnection, withoutPassword } from '../engine/index.js';
import { SSL_MODES, verifiesCertificate } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import {
  type BrokenState,
  type ConnectionFields,
  type ConnectionProfile,
  profileFromUrl,
  urlOf,
} from './connectionStore.js';
import { errorMessage } from './errorWords.js';
import { type FieldId, type FormItem, type FormState, defaultName, formItems } from './connectionFormModel.js';

/** What the form ends with: the profile to save, the password typed (if any) and whether it works. */
interface FormResult {
  profile: Omit<ConnectionProfile, 'id'>;
  password: string | undefined;
  broken: BrokenState | undefined;
}

/** Reads the saved password of the connection being edited (the form never shows it). */
type SavedPassword = () => Promise<string | undefined>;

export async function connectionForm(state: FormState, saved: SavedPassword): Promise<FormResult | undefined> {
  for (;;) {
    const action = await showForm(state, saved);
    if (!action) return undefined;
    if (action === 'saved' || action === 'saved-anyway') {
      const broken = action === 'saved' ? undefined : brokenOf(state);
      const { nameTouched: _n, password, passwordSaved: _p, result: _r, failedSave: _f, title: _t, ...fields } = state;
      return { profile: fields, password, broken };
    }
    if (action === 'paste') await pasteConnectionString(state);
    else await editField(state, action);
  }
}

function brokenOf(state: FormState): BrokenState | undefined {
  const r = state.result;
  return r && !r.ok ? { reason: r.reason, message: r.message } : undefined;
}

type Action = FieldId | 'paste' | 'saved' | 'saved-anyway';

/** One showing of the form; Test and Save run inside it (busy), a field closes it to be edited. */
function showForm(state: FormState, saved: SavedPassword): Promise<Action | undefined> {
  const qp = vscode.window.createQuickPick<FormItem>();
  qp.title = state.title;
  qp.placeholder = 'Choose a field to change, then Test or Save (Save tests first)';
  qp.ignoreFocusOut = true;
  qp.matchOnDescription = true;
  qp.items = formItems(state);
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Action | undefined) => {
      done = true;
      resolve(a);
      qp.dispose();
    };
    qp.onDidHide(() => !done && finish(undefined));
    qp.onDidAccept(async () => {
      const id = qp.selectedItems[0]?.id;
      if (!id || id === 'result') return;
      if (id === 'save-anyway') return finish('saved-anyway');
      if (id !== 'test' && id !== 'save') return finish(id);
      qp.busy = true;
      qp.enabled = false;
      await runTest(state, saved);
      qp.busy = false;
      qp.enabled = true;
      if (id === 'save' && state.result?.ok) return finish('saved');
      if (id === 'save') state.failedSave = true;
      qp.value = ''; // the whole form again, the result on top
      qp.items = formItems(state);
      qp.activeItems = qp.items.filter((i) => i.id === 'result');
    });
    qp.show();
  });
}

async function runTest(state: FormState, saved: SavedPassword): Promise<void> {
  try {
    const password = state.password ?? (state.passwordSaved ? await saved() : undefined);
    const version = await testConnection({ url: urlOf({ ...state, id: 'form' }), password, role: state.role });
    state.result = { ok: true, version };
  } catch (e) {
    const reason = e instanceof ConnectionError ? e.reason : 'other';
    const said = e instanceof ConnectionError ? e.serverMessage : undefined;
    state.result = { ok: false, reason, message: errorMessage(e), said };
  }
}

/** Any change makes the last test's result stale. */
function changed(state: FormState): void {
  state.result = undefined;
  state.failedSave = false;
  if (!state.nameTouched) state.name = defaultName(state);
}

async function editField(state: FormState, id: FieldId): Promise<void> {
  if (id === 'role') return pickRole(state);
  if (id === 'sslmode') return pickSslMode(state);
  if (id === 'password') {
    const typed = await vscode.window.showInputBox({
      title: `${state.title}: password`,
      prompt: state.passwordSaved
        ? 'A password is saved: type a new one, or press Escape to keep it'
        : 'Kept in VS Code SecretStorage, never in settings. Empty: no password.',
      password: true,
      ignoreFocusOut: true,
    });
    if (typed === undefined) return;
    state.password = typed;
    return changed(state);
  }
  const spec = FIELD_INPUTS[id];
  const value = await vscode.window.showInputBox({
    title: `${state.title}: ${spec.title}`,
    value: String(state[id] ?? ''),
    ignoreFocusOut: true,
    validateInput: spec.validate,
  });
  if (value === undefined) return;
  // A whole connection string pasted into a field fills the form as a paste does; its password is
  // never kept in the field (a name or host is shown, logged and saved in the clear).
  const stripped = withoutPassword(value);
  if (stripped.password !== undefined || /^\s*(?:jdbc:)?postgres(?:ql)?:\/\//i.test(value)) {
    try {
      const parsed = profileFromUrl(stripped.text);
      Object.assign(state, blankAddress(), parsed.fields);
      state.password = stripped.password ?? parsed.password ?? state.password;
    } catch (e) {
      void vscode.window.showWarningMessage(`Archon: that looks like a connection string: ${(e as Error).message}`);
    }
    return changed(state);
  }
  if (id === 'port') state.port = Number(value);
  else if (id === 'sslrootcert') state.sslrootcert = value.trim() || undefined;
  else state[id] = value.trim();
  if (id === 'name') state.nameTouched = true;
  changed(state);
}

const HOST = /^[A-Za-z0-9._-]+$|^\[?[0-9A-Fa-f:.]+\]?$/;
const required = (what: string) => (v: string) => (v.trim() ? undefined : what);

const FIELD_INPUTS: Record<
  'name' | 'host' | 'port' | 'database' | 'user' | 'sslrootcert',
  { title: string; validate?: (v: string) => string | undefined }
> = {
  name: { title: 'name', validate: required('A name for the tree') },
  host: {
    title: 'host',
    validate: (v) => (HOST.test(v.trim()) ? undefined : 'A host name or IP address only (the port is its own field)'),
  },
  port: {
    title: 'port',
    validate: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port, 1 to 65535'),
  },
  database: { title: 'database', validate: required('The database name') },
  user: { title: 'user', validate: required('The user name') },
  sslrootcert: { title: 'CA certificate file (empty: the system CAs)' },
};

async function pickRole(state: FormState): Promise<void> {
  const items: (vscode.QuickPickItem & { role: Role })[] = [
    { label: '$(lock) Source (read-only)', detail: 'Archon reads from it and never writes to it', role: 'source' },
    { label: '$(arrow-circle-down) Target', detail: 'Migrations write into it', role: 'target' },
  ];
  const qp = vscode.window.createQuickPick<(typeof items)[number]>();
  const chosen = await pickOne(qp, `${state.title}: group`, items, (i) => i.role === state.role);
  if (chosen) state.role = chosen.role;
}

/** The sslmode list, with the connection's current mode highlighted (not always the first). */
async function pickSslMode(state: FormState): Promise<void> {
  const items = SSL_MODES.map((m) => ({
    label: m.mode,
    description: m.mode === state.sslmode ? 'current' : undefined,
    detail: m.detail,
  }));
  const qp = vscode.window.createQuickPick<(typeof items)[number]>();
  const chosen = await pickOne(qp, `${state.title}: sslmode`, items, (i) => i.label === state.sslmode);
  if (!chosen || chosen.label === state.sslmode) return;
  state.sslmode = chosen.label;
  if (!verifiesCertificate(chosen.label)) state.sslrootcert = undefined;
  changed(state);
}

function pickOne<T extends vscode.QuickPickItem>(
  qp: vscode.QuickPick<T>,
  title: string,
  items: T[],
  isCurrent: (i: T) => boolean,
): Promise<T | undefined> {
  qp.title = title;
  qp.items = items;
  qp.activeItems = items.filter(isCurrent);
  qp.ignoreFocusOut = true;
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]);
      qp.dispose();
    });
    qp.onDidHide(() => {
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/**
 * A pasted URL or key-value string fills the fields. Its password is taken out of the box as soon as
 * it arrives (the box then shows the text without it) and kept apart, for SecretStorage.
 */
async function pasteConnectionString(state: FormState): Promise<void> {
  const box = vscode.window.createInputBox();
  box.title = `${state.title}: paste a URL or key-value string`;
  box.placeholder = 'postgresql://user:password@host:5432/dbname?sslmode=require  or  host=… port=… dbname=… user=…';
  box.prompt = 'A password in it is taken out at once and kept in SecretStorage, never shown or saved with the rest.';
  box.ignoreFocusOut = true;
  let password: string | undefined;
  const parsed = await new Promise<ReturnType<typeof profileFromUrl> | undefined>((resolve) => {
    box.onDidChangeValue((value) => {
      const stripped = withoutPassword(value);
      if (stripped.password !== undefined) {
        password = stripped.password;
        box.value = stripped.text;
        box.prompt = `The password (${stripped.password.length} characters) was taken out; it goes to SecretStorage.`;
      }
      box.validationMessage = value.trim() ? validate(stripped.text) : undefined;
    });
    box.onDidAccept(() => {
      if (validate(box.value)) return;
      resolve(profileFromUrl(box.value));
      box.dispose();
    });
    box.onDidHide(() => {
      resolve(undefined);
      box.dispose();
    });
    box.show();
  });
  if (!parsed) return;
  Object.assign(state, blankAddress(), parsed.fields);
  state.password = password ?? parsed.password ?? state.password;
  changed(state);
}

function validate(text: string): string | undefined {
  try {
    profileFromUrl(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Fields a pasted string may leave out are cleared, not kept from before. */
const blankAddress = (): Partial<ConnectionFields> => ({ sslrootcert: undefined });

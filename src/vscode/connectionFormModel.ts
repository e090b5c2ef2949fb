// What the connection form shows, from its state (no `vscode` import, unit-tested): one row per
// field with its value, the last test's result on top, Test and Save below. Never the password.
import { SSL_MODES, verifiesCertificate } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import type { ConnectionProfile } from './connectionStore.js';

export interface FormState extends Omit<ConnectionProfile, 'id' | 'broken'> {
  /** "Archon: New Connection" or "Archon: Edit Connection: <name>": every prompt of the form says it. */
  title: string;
  /** The user typed a name: it no longer follows the database and host. */
  nameTouched: boolean;
  /** A password typed or pasted in this form; undefined keeps the saved one (or none). */
  password: string | undefined;
  /** The connection being edited has a password in SecretStorage. */
  passwordSaved: boolean;
  /** The last test; `said` is the server's own words, short enough for the row (the message is in full). */
  result?: { ok: true; version: string } | { ok: false; reason: string; message: string; said?: string };
  /** Save was chosen and the test failed: "Save anyway" is offered. */
  failedSave: boolean;
}

export type FieldId = 'name' | 'role' | 'host' | 'port' | 'database' | 'user' | 'password' | 'sslmode' | 'sslrootcert';

export interface FormItem {
  id: FieldId | 'paste' | 'test' | 'save' | 'save-anyway' | 'result';
  label: string;
  description?: string;
  detail?: string;
  alwaysShow?: boolean;
}

/**
 * "app on db.example.com", with the port where it is not PostgreSQL's own ("app on localhost:5433"):
 * two servers on one host differ by their port, and so must their names.
 */
export const defaultName = (s: Pick<FormState, 'database' | 'host' | 'port'>): string =>
  `${s.database} on ${s.host}${s.port && s.port !== 5432 ? `:${s.port}` : ''}`;

/** A new connection's form: the usual local defaults; the group the user came from, else the empty one. */
export function newFormState(role: Role): FormState {
  const fields = { host: 'localhost', port: 5432, database: 'postgres', user: 'postgres', sslmode: 'prefer' };
  return {
    title: 'Archon: New Connection',
    ...fields,
    name: defaultName(fields),
    role,
    nameTouched: false,
    password: undefined,
    passwordSaved: false,
    failedSave: false,
  };
}

/** The form for a saved connection, its last known failure shown on top. */
export function editFormState(p: ConnectionProfile, passwordSaved: boolean): FormState {
  const { id: _id, broken, ...fields } = p;
  return {
    ...fields,
    title: `Archon: Edit Connection: ${p.name}`,
    nameTouched: true,
    password: undefined,
    passwordSaved,
    failedSave: false,
    result: broken ? { ok: false, reason: broken.reason, message: broken.message } : undefined,
  };
}

function passwordText(s: FormState): string {
  if (s.password) return '•'.repeat(8);
  if (s.password === '') return 'none';
  return s.passwordSaved ? 'saved in SecretStorage' : 'none (asked for when the server wants one)';
}

export function formItems(s: FormState): FormItem[] {
  const items: FormItem[] = [];
  if (s.result) items.push(resultItem(s.result));
  items.push(
    { id: 'paste', label: '$(link) Paste a URL or key-value string…', detail: 'fills the fields below' },
    { id: 'name', label: 'Name', description: s.name },
    { id: 'role', label: 'Group', description: s.role === 'source' ? 'Source (read-only)' : 'Target' },
    { id: 'host', label: 'Host', description: s.host },
    { id: 'port', label: 'Port', description: String(s.port) },
    { id: 'database', label: 'Database', description: s.database },
    { id: 'user', label: 'User', description: s.user },
    { id: 'password', label: 'Password', description: passwordText(s) },
    { id: 'sslmode', label: 'sslmode', description: s.sslmode, detail: sslDetail(s.sslmode) },
  );
  if (verifiesCertificate(s.sslmode))
    items.push({ id: 'sslrootcert', label: 'CA certificate', description: s.sslrootcert ?? 'the system CAs' });
  items.push(
    { id: 'test', label: '$(plug) Test Connection', alwaysShow: true },
    { id: 'save', label: '$(check) Save', detail: 'tests first: saved when it connects', alwaysShow: true },
  );
  if (s.failedSave)
    items.push({
      id: 'save-anyway',
      label: '$(warning) Save anyway',
      detail: 'saved although it does not connect now; shown as broken in the tree until fixed',
      alwaysShow: true,
    });
  return items;
}

function resultItem(r: NonNullable<FormState['result']>): FormItem {
  return r.ok
    ? { id: 'result', label: `$(pass) Connected: PostgreSQL ${r.version}`, alwaysShow: true }
    : {
        id: 'result',
        label: `$(error) Does not connect: ${FAILURE_WORDS[r.reason] ?? 'see below'}`,
        detail: r.said ?? r.message,
        alwaysShow: true,
      };
}

/** The engine's ConnectFailure in a few words (the full message is the row's detail and tooltip). */
const FAILURE_WORDS: Record<string, string> = {
  auth: 'the password was refused (or none was given)',
  unreachable: 'nothing answers at that host and port',
  'host-not-found': 'host not found',
  timeout: 'no answer in time',
  tls: 'an SSL problem',
  'database-not-found': 'no such database',
  privilege: 'this user may not connect',
};

const sslDetail = (mode: string): string | undefined => SSL_MODES.find((m) => m.mode === mode)?.detail;

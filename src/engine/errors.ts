import type { DatabaseError } from 'pg';
import type { ErrorInfo, Role } from '../shared/report.js';
import { SQLSTATE, sqlStateOf } from './sqlState.js';

export function errorInfo(err: unknown, secrets: readonly string[] = []): ErrorInfo {
  const e = err as Partial<DatabaseError> & { message?: string };
  const info: ErrorInfo = { message: redact(String(e?.message ?? err), secrets) };
  if (typeof e?.code === 'string') info.code = e.code;
  if (e?.detail) info.detail = redact(e.detail, secrets);
  if (e?.hint) info.hint = redact(e.hint, secrets);
  if (e?.where) info.where = redact(e.where, secrets);
  return info;
}

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  // A short secret is not masked: masking every "e" in a message would spell the password out.
  for (const s of secrets) {
    if (s.length >= 6) out = out.split(s).join('********');
  }
  // Belt and braces: a URL with credentials that slipped into a message loses its password.
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+):[^@\s]+@/gi, '$1:********@');
}

/**
 * Why a connection failed, for adapters to act on (ask for a password, suggest a flag) without
 * reading the message: auth (wrong or missing password, refused by pg_hba), unreachable (nothing
 * listens there), host-not-found, timeout, tls (SSL refused or a certificate not trusted),
 * database-not-found, privilege (no CONNECT), not-postgres (something else answers there), other.
 */
export type ConnectFailure =
  | 'auth'
  | 'unreachable'
  | 'host-not-found'
  | 'timeout'
  | 'tls'
  | 'database-not-found'
  | 'privilege'
  | 'not-postgres'
  | 'other';

/**
 * What would mend a failure, as data: each adapter says it in its own words (the CLI names flags,
 * environment variables and URL parameters; VS Code its connection form, commands and settings).
 * The message never does.
 */
export type Remedy =
  /** Another password: the one given was refused, or none was given and the server asks for one. */
  | { kind: 'password' }
  /** Another sslmode, one of `use` (the server has no SSL, or it insists on it). */
  | { kind: 'sslmode'; use: readonly string[] }
  /** Undo refused because tables changed since the run: it may be forced, losing those changes. */
  | { kind: 'force-undo' }
  /** A run that is not in the journal: the runs there can be listed. */
  | { kind: 'list-runs' }
  /** A lock waited for too long: the wait can be set longer. */
  | { kind: 'lock-wait' };

/** A failure to reach or log in to an endpoint: the CLI maps it to exit code 2. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly role: Role,
    readonly reason: ConnectFailure,
    /** The server's (or the network's) own words, redacted: for a prompt that quotes them. */
    readonly serverMessage: string,
    readonly code?: string,
    readonly remedy?: Remedy,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** Bad options or input that make a run impossible (exit code 2 in the CLI). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly remedy?: Remedy,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A statement waited for a lock longer than the run allows; the message names who held it. */
export class LockTimeoutError extends Error {
  readonly remedy: Remedy = { kind: 'lock-wait' };

  constructor(message: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

/** The remedy an error carries, whatever its class. */
export const remedyOf = (e: unknown): Remedy | undefined => (e as { remedy?: Remedy } | null)?.remedy;

/** No byte moved between the source and the target for too long: a stalled network or server. */
export class StallError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no data moved between the source and the target for ${timeoutMs / 1000} s (a stalled network or server?)`);
    this.name = 'StallError';
  }
}

/** The server's fields a copy stream's error carries on (pg's DatabaseError), read by errorInfo and the rules. */
const SERVER_FIELDS = [
  'code',
  'severity',
  'detail',
  'hint',
  'where',
  'schema',
  'table',
  'column',
  'constraint',
] as const;

/**
 * A copy stream that failed, and on which side: a lost connection can then be named, and a failure of
 * the source (whose snapshot is the run's) ends the run. The cause's server fields are kept on it, so
 * the rules that read a SQLSTATE and the report read it as they would the cause.
 */
export class CopyStreamError extends Error {
  readonly code?: string;
  readonly severity?: string;

  constructor(
    readonly side: Role,
    readonly cause: unknown,
  ) {
    super(String((cause as { message?: unknown } | null)?.message ?? cause));
    this.name = 'CopyStreamError';
    const fields = cause as Record<string, unknown> | null;
    for (const f of SERVER_FIELDS) if (fields?.[f] !== undefined) Object.assign(this, { [f]: fields[f] });
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled by the user');
    this.name = 'CancelledError';
  }
}

/**
 * SQLSTATE classes (their first two characters) and codes that are no one table's fault: a lost or
 * failing server (08, 57, 58, XX), a transaction that cannot go on (25, 40: a deadlock is another
 * session's doing), resources (53: out of disk or memory), a statement timeout or cancel (57014) and
 * a lock waited for too long (55P03: a bounded wait stays bounded, never retried). Anything else the
 * target says while a table is loaded, built or checked is that table's problem.
 */
const RUN_ENDING = { classes: ['08', '25', '40', '53', '57', '58', 'XX'], codes: [SQLSTATE.lockNotAvailable] } as const;

/**
 * Whether an error ends the whole run rather than failing one table: the rule above, a cancel, a
 * stalled network, an error from the source (its snapshot is the run's), and anything that is not
 * the server's word at all (no SQLSTATE: a lost socket, a bug).
 */
export function endsTheRun(e: unknown): boolean {
  if (e instanceof CancelledError || e instanceof StallError || e instanceof LockTimeoutError) return true;
  if (e instanceof CopyStreamError && e.side === 'source') return true;
  const code = sqlStateOf(e);
  if (code === undefined) return true;
  return (RUN_ENDING.codes as readonly string[]).includes(code) || RUN_ENDING.classes.some((c) => code.startsWith(c));
}

import pg from 'pg';
import { parse } from 'pg-connection-string';
import { type DatabaseAddress, SSL_MODES, endpointLabel } from '../../shared/endpoint.js';
import type { Role } from '../../shared/report.js';
import { type ConnectFailure, ConnectionError, type Remedy, UsageError, errorInfo } from '../errors.js';
import { notPostgres } from './probe.js';
import { SOCKET_CODES, SQLSTATE, driverWords, isSocketCode, isTlsFailure, sqlStateOf } from '../sqlState.js';
import { meterOf } from './traffic.js';
import { countQueries } from './trips.js';

/** A parsed PostgreSQL URL: the pg config (which may hold a password) and its redacted faces. */
export interface Endpoint extends DatabaseAddress {
  role: Role;
  config: pg.ClientConfig;
  /** user@host:port/db — safe for logs and reports. */
  label: string;
  sslmode: string;
  /** The URL's connect_timeout, when it has one. */
  connectTimeoutMs?: number;
}

/** What a PostgreSQL URL says, field by field; absent fields stay undefined (no defaults yet). */
export interface UrlParts {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: string;
  sslrootcert?: string;
  /** connect_timeout, in milliseconds. */
  connectTimeoutMs?: number;
  /** The TLS options pg-connection-string derived (with the CA file read). */
  ssl: unknown;
}

const KNOWN_SSL_MODES = new Set(SSL_MODES.map((m) => m.mode));

/**
 * The one parser of connection strings: the engine, the CLI and the extension's connection store all
 * read them here. A PostgreSQL URL or a libpq key-value string (`host=… port=… dbname=…`), which is
 * read into the same URL first. Never echoes the input: whatever it is, it may hold a password.
 * `what` names it in messages.
 */
export function parseUrl(text: string, what: string): UrlParts {
  const url = isKeyValue(text) ? urlFromKeyValue(text, what) : text;
  if (!/^postgres(ql)?:\/\//i.test(url.trim())) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new UsageError(
      `the ${what} must be a PostgreSQL URL, one that starts with postgresql:// (like postgresql://user@host:5432/dbname), ` +
        `or a key-value string (like host=localhost port=5432 dbname=app)${scheme ? `; got a ${scheme}: URL` : ''}`,
    );
  }
  checkPort(url.trim(), what);
  let p: ReturnType<typeof parse>;
  try {
    p = parse(url.trim(), { useLibpqCompat: true });
  } catch (e) {
    throw new UsageError(`the ${what} URL is not valid: ${errorInfo(e).message}`);
  }
  const sslmode = typeof p.sslmode === 'string' ? p.sslmode : undefined;
  if (sslmode !== undefined && !KNOWN_SSL_MODES.has(sslmode)) {
    throw new UsageError(
      `the ${what} has an unknown sslmode "${sslmode}" (use prefer, disable, require, verify-ca or verify-full)`,
    );
  }
  const nonEmpty = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return {
    host: nonEmpty(p.host),
    port: Number(p.port) || undefined,
    database: nonEmpty(p.database),
    user: nonEmpty(p.user),
    password: nonEmpty(p.password),
    sslmode,
    sslrootcert: nonEmpty((p as { sslrootcert?: unknown }).sslrootcert),
    connectTimeoutMs: connectTimeoutOf((p as { connect_timeout?: unknown }).connect_timeout, what),
    ssl: p.ssl,
  };
}

/**
 * The longest connect_timeout a timer can hold (2^31-1 ms, about 24.8 days): Node runs a longer one
 * after 1 ms, with a warning, so a longer one is refused rather than turned into no wait at all.
 */
export const MAX_CONNECT_TIMEOUT_S = Math.floor(0x7fffffff / 1000);

/**
 * libpq's connect_timeout (whole seconds) as milliseconds. libpq reads 0 as "wait for ever"; Archon
 * bounds every wait, so 0 and anything not a positive number is refused rather than read otherwise.
 */
function connectTimeoutOf(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const seconds = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!(seconds > 0)) {
    throw new UsageError(
      `the ${what} has connect_timeout=${String(value).slice(0, 20)}: give a whole number of seconds above 0 ` +
        '(Archon bounds every wait, so 0 — "wait for ever" in libpq — is not taken)',
    );
  }
  if (seconds > MAX_CONNECT_TIMEOUT_S) {
    throw new UsageError(
      `the ${what} has connect_timeout=${String(value).slice(0, 20)}: at most ${MAX_CONNECT_TIMEOUT_S} seconds (about 24 days), the longest wait a timer can hold`,
    );
  }
  return seconds * 1000;
}

/** libpq's keywords Archon reads from a key-value string; any other keyword is refused, as libpq does. */
const KEYWORDS = new Set([
  'host',
  'port',
  'dbname',
  'user',
  'password',
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'application_name',
]);

/** `keyword=` at the start (after blanks): what tells a key-value string from a URL. */
const isKeyValue = (text: string): boolean => /^\s*[a-z_]+\s*=/i.test(text);

/**
 * libpq's key-value syntax: `keyword = value` pairs apart by blanks; a value in single quotes may
 * hold blanks, and a backslash escapes the next character (in or out of quotes).
 */
function splitKeyValue(text: string, what: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const re = /\s*([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)/iy;
  let at = 0;
  while (at < text.length && text.slice(at).trim() !== '') {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new UsageError(`the ${what} is not a valid key-value string (like host=db port=5432 dbname=app)`);
    const key = m[1].toLowerCase();
    if (!KEYWORDS.has(key)) throw new UsageError(`the ${what} has an unknown keyword "${key}"`);
    const raw = m[2].startsWith("'") ? m[2].slice(1, -1) : m[2];
    pairs.set(key, raw.replace(/\\(.)/g, '$1'));
    at = re.lastIndex;
  }
  return pairs;
}

/** The URL that says what a key-value string says (a socket directory as the host parameter). */
function urlFromKeyValue(text: string, what: string): string {
  const kv = splitKeyValue(text, what);
  const enc = encodeURIComponent;
  const user = kv.get('user');
  const password = kv.get('password');
  const auth = user || password ? `${enc(user ?? '')}${password ? `:${enc(password)}` : ''}@` : '';
  const host = kv.get('host') ?? '';
  const port = kv.get('port');
  if (port !== undefined && !/^\d+$/.test(port)) {
    throw new UsageError(`the ${what}'s port "${port}" is not a port: use a number from 1 to 65535`);
  }
  const socket = host.startsWith('/');
  const hostPart = socket ? '' : host.includes(':') ? `[${host}]` : enc(host);
  const query = new URLSearchParams();
  // A socket directory has no place in a URL's authority: pg-connection-string reads it as a parameter.
  if (socket) query.set('host', host);
  if (socket && port) query.set('port', port);
  for (const [k, v] of kv) if (!['host', 'port', 'dbname', 'user', 'password'].includes(k)) query.set(k, v);
  const q = query.toString();
  return `postgresql://${auth}${hostPart}${port && !socket ? `:${port}` : ''}/${enc(kv.get('dbname') ?? '')}${q ? `?${q}` : ''}`;
}

/**
 * The same connection string without its password, for showing back to the user, and the password
 * apart. Unparseable text comes back as it is (validation says why), with no password taken.
 */
export function withoutPassword(text: string): { text: string; password?: string } {
  if (isKeyValue(text)) {
    let kv: Map<string, string>;
    try {
      kv = splitKeyValue(text, 'connection');
    } catch {
      return { text };
    }
    const password = kv.get('password');
    if (!password) return { text };
    const re = /(^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|(?:[^\s'\\]|\\.)*)\s*/i;
    return { text: text.replace(re, '$1').trim(), password };
  }
  // user:password@ in a URL (also behind jdbc:), and a password=… query parameter.
  const m = /^(\s*(?:jdbc:)?postgres(?:ql)?:\/\/)([^@/?#]*):([^@]*)@/i.exec(text);
  let rest = text;
  let password: string | undefined;
  if (m) {
    password = decoded(m[3]);
    rest = `${m[1]}${m[2]}@${text.slice(m[0].length)}`;
  }
  const q = /([?&])password=([^&#]*)(&?)/i.exec(rest);
  if (q && /^\s*(?:jdbc:)?postgres(?:ql)?:/i.test(rest)) {
    password = decoded(q[2]);
    const joiner = q[1] === '?' && q[3] ? '?' : q[1] === '?' ? '' : q[3] ? '&' : '';
    rest = `${rest.slice(0, q.index)}${joiner}${rest.slice(q.index + q[0].length)}`;
  }
  return password === undefined ? { text } : { text: rest, password: password || undefined };
}

const decoded = (s: string): string => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The port as written after the host (never the rest of the URL: it may hold a password). */
function checkPort(url: string, what: string): void {
  const authority = /^[a-z]+:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)?.[1];
  if (port === undefined || port === '') return;
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new UsageError(`the ${what} URL's port "${port}" is not a port: use a number from 1 to 65535`);
  }
}

/**
 * A URL for one side, with libpq's defaults and sslmode meanings (require = encrypted without
 * certificate checks; verify-full = encrypted and checked against `sslrootcert` or the system CAs).
 * The password comes from the caller (the extension's secret storage), the URL,
 * ARCHON_<ROLE>_PASSWORD, PGPASSWORD or ~/.pgpass (pg reads the last two itself when none is given).
 */
/** Keepalive probes after 30 s of silence: with the kernel's retries, a dead peer shows within a minute or so. */
const KEEPALIVE_IDLE_MS = 30_000;

export function parseEndpoint(
  url: string,
  role: Role,
  env: NodeJS.ProcessEnv = process.env,
  password?: string,
): Endpoint {
  const u = parseUrl(url, role);
  const host = u.host ?? 'localhost';
  const port = u.port ?? 5432;
  const user = u.user ?? env.PGUSER ?? process.env.USER ?? 'postgres';
  const database = u.database ?? user;
  const config: pg.ClientConfig = {
    host,
    port,
    user,
    database,
    password: password || u.password || env[`ARCHON_${role.toUpperCase()}_PASSWORD`] || undefined,
    // Like libpq, no sslmode means prefer: encrypted when the server offers it, plain otherwise.
    ssl: (u.sslmode ? u.ssl : { rejectUnauthorized: false }) as pg.ClientConfig['ssl'],
    application_name: `archon (${role})`,
    connectionTimeoutMillis: u.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    // A dead peer is noticed in about a minute, not the operating system's default two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_IDLE_MS,
  };
  return {
    role,
    config,
    label: endpointLabel({ user, host, port, database }),
    host,
    port,
    database,
    user,
    sslmode: u.sslmode ?? 'prefer',
    ...(u.connectTimeoutMs ? { connectTimeoutMs: u.connectTimeoutMs } : {}),
  };
}

/** A connection that failed to open is ended within this; it may be half-open, and the error matters more. */
const FAILED_GOODBYE_MS = 1000;

/** How long a connection's whole startup may take: long enough for a slow hosted server's TLS and auth. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * Settings for every session Archon opens, in one round trip: no server-side statement or idle limits,
 * the lock wait the caller bounds (0: none), stable text formats.
 */
const sessionSetup = (lockTimeoutMs: number) =>
  [
    'SET statement_timeout = 0',
    'SET idle_in_transaction_session_timeout = 0',
    // PostgreSQL 17's transaction_timeout, where the server has it: the run's one target transaction
    // lasts as long as the load, and a role's limit (hosted platforms set them) would end it mid-way.
    `SELECT pg_catalog.set_config(name, '0', false) FROM pg_catalog.pg_settings WHERE name = 'transaction_timeout'`,
    `SET lock_timeout = ${Math.max(0, Math.round(lockTimeoutMs))}`,
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    'SET extra_float_digits = 3',
    "SET bytea_output = 'hex'",
    "SET client_encoding = 'UTF8'",
    // As pg_dump does: a read that row-level security would narrow fails instead of returning less.
    'SET row_security = off',
  ].join('; ');

export function secretsOf(ep: Endpoint): string[] {
  return typeof ep.config.password === 'string' && ep.config.password ? [ep.config.password] : [];
}

/**
 * Opens a session; failures name the endpoint (never its password) and become ConnectionError.
 * `lockTimeoutMs` bounds every lock wait of the session (default: no bound); `connectTimeoutMs` the
 * whole startup (default DEFAULT_CONNECT_TIMEOUT_MS).
 */
export async function connect(
  ep: Endpoint,
  opts: { lockTimeoutMs?: number; connectTimeoutMs?: number } = {},
): Promise<pg.Client> {
  const setup = {
    sql: sessionSetup(opts.lockTimeoutMs ?? 0),
    // The caller's bound first (it knows its context), then the URL's connect_timeout.
    timeoutMs: opts.connectTimeoutMs ?? ep.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  try {
    return await open(ep.config, ep, setup);
  } catch (e) {
    // sslmode=prefer (and allow): a server without SSL gets a plain connection, as libpq does.
    if ((ep.sslmode === 'prefer' || ep.sslmode === 'allow') && e instanceof ConnectionError && withoutSsl.has(e)) {
      return open({ ...ep.config, ssl: false }, ep, setup);
    }
    throw e;
  }
}

async function open(
  config: pg.ClientConfig,
  ep: Endpoint,
  setup: { sql: string; timeoutMs: number },
): Promise<pg.Client> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: setup.timeoutMs });
  meterOf(ep).watch(client);
  countQueries(client);
  // An idle client whose socket drops emits 'error'; without a listener that would crash the process.
  // Either event marks the connection lost, so a failure can say which side it was.
  client.on('error', () => lost.add(client));
  client.on('end', () => lost.add(client));
  // node-postgres' own timeout covers the TCP connect; a peer that answers and then says nothing
  // (an SSH banner, a half-open proxy) would hold the handshake forever. The whole startup has a deadline.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      client.connection?.stream?.destroy();
      reject(new HandshakeTimeout(setup.timeoutMs));
    }, setup.timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        await client.query(setup.sql);
      })(),
      deadline,
    ]);
    clearTimeout(timer);
    return client;
  } catch (e) {
    clearTimeout(timer);
    await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, FAILED_GOODBYE_MS).unref())]);
    const info = errorInfo(e, secretsOf(ep));
    let reason = classify(e, !!config.ssl);
    // Read off the socket, not with a 'data' listener: one would change how the stream flows for pg.
    const heard = (client.connection?.stream as { bytesRead?: number } | undefined)?.bytesRead ?? 0;
    const stranger = await strangerAt(e, ep, heard);
    if (stranger) {
      reason = 'not-postgres';
      info.message = stranger;
    }
    // node-postgres' words when the server wants a password and none was found anywhere.
    const said = reason === 'auth' && !info.code ? 'the server asks for a password and none was given' : info.message;
    const noSsl = driverWords(e) === 'no-ssl';
    const why = describeFailure(reason, said, info.code, ep, { noSsl, timeoutMs: setup.timeoutMs });
    const message = `could not connect to the ${ep.role} ${ep.label}: ${why}`;
    const failure = new ConnectionError(message, ep.role, reason, said, info.code, remedyFor(reason, noSsl, ep));
    if (noSsl) withoutSsl.add(failure);
    throw failure;
  }
}

/** The handshake deadline: typed, so a failure can say no PostgreSQL answered without reading words. */
class HandshakeTimeout extends Error {
  constructor(ms: number) {
    super(`timeout: no PostgreSQL handshake within ${ms / 1000} s`);
  }
}

/**
 * Words for a peer that is not PostgreSQL, or null, from a probe (probe.ts). A peer that said nothing
 * until the deadline is not probed: it would say nothing again, and the deadline is the whole wait.
 */
async function strangerAt(e: unknown, ep: Endpoint, heardBytes: number): Promise<string | null> {
  if (ep.host.startsWith('/')) return null;
  const timedOut = e instanceof HandshakeTimeout || classify(e, false) === 'timeout';
  if (timedOut && heardBytes === 0) return null;
  return mayNotBePostgres(e, ep) ? notPostgres(ep.host, ep.port) : null;
}

/** The failures that come when the bytes that came back were not PostgreSQL's (or none came). */
const mayNotBePostgres = (e: unknown, ep: Endpoint): boolean =>
  !ep.host.startsWith('/') &&
  (e instanceof HandshakeTimeout ||
    isSocketCode(e, SOCKET_CODES.reset) ||
    ['terminated', 'ssl-failed'].includes(driverWords(e) ?? ''));

/**
 * The reason from the error's SQLSTATE where PostgreSQL gave one, else from Node's code for a network
 * or TLS error, else from node-postgres' own words (sqlState.ts, driverWords). `encrypted`: whether
 * the client asked for SSL, which tells a pg_hba refusal for want of SSL from one for want of a line.
 */
function classify(e: unknown, encrypted: boolean): ConnectFailure {
  const state = sqlStateOf(e);
  if (state === SQLSTATE.invalidPassword) return 'auth';
  // pg_hba.conf has no line for this client: over plain TCP often because the server wants SSL.
  if (state === SQLSTATE.invalidAuthorization) return encrypted ? 'privilege' : 'tls';
  if (state === SQLSTATE.invalidCatalogName) return 'database-not-found';
  if (state === SQLSTATE.insufficientPrivilege) return 'privilege';
  if (isSocketCode(e, SOCKET_CODES.unreachable)) return 'unreachable';
  if (isSocketCode(e, SOCKET_CODES.hostNotFound)) return 'host-not-found';
  if (e instanceof HandshakeTimeout || isSocketCode(e, SOCKET_CODES.timeout)) return 'timeout';
  if (isTlsFailure(e)) return 'tls';
  const words = driverWords(e);
  if (words === 'timeout') return 'timeout';
  if (words === 'no-ssl' || words === 'ssl-failed') return 'tls';
  if (words === 'password-missing') return 'auth';
  return 'other';
}

/** Failures because the server has no SSL: sslmode=prefer then connects without it. */
const withoutSsl = new WeakSet<ConnectionError>();

function describeFailure(
  reason: ConnectFailure,
  m: string,
  code: string | undefined,
  ep: Endpoint,
  seen: { noSsl: boolean; timeoutMs: number },
): string {
  switch (reason) {
    case 'unreachable':
      if (ep.host.startsWith('/')) {
        return `no PostgreSQL socket at ${ep.host}/.s.PGSQL.${ep.port} (is the server running, with its socket there?)`;
      }
      return `connection refused (is PostgreSQL running on ${ep.host}:${ep.port}?)`;
    case 'host-not-found':
      return `host "${ep.host}" not found`;
    case 'timeout':
      return `no answer within ${seen.timeoutMs / 1000} s from ${ep.host}:${ep.port}`;
    case 'auth':
    case 'database-not-found':
      return m;
    case 'tls':
      if (seen.noSsl) return `${m} (sslmode=${ep.sslmode} needs SSL)`;
      return m;
    default:
      return code ? `${m} [${code}]` : m;
  }
}

/** What would mend it, for the adapters to word: never part of the message (it differs per adapter). */
function remedyFor(reason: ConnectFailure, noSsl: boolean, ep: Endpoint): Remedy | undefined {
  if (reason === 'auth') return { kind: 'password' };
  if (reason !== 'tls') return undefined;
  if (noSsl) return { kind: 'sslmode', use: ['prefer', 'disable'] };
  if (ep.sslmode === 'disable') return { kind: 'sslmode', use: ['require'] };
  return undefined;
}

/** How long a client may take to say goodbye before it is dropped: a healthy server answers at once. */
const GOODBYE_MS = 5000;

/** Ends a client within GOODBYE_MS whatever its state; a client that cannot say goodbye is dropped. */
export async function endQuietly(client: pg.Client): Promise<void> {
  await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, GOODBYE_MS).unref())]);
}

const lost = new WeakSet<pg.Client>();

/** Whether the server ended this connection (terminated, restarted, the network gone) or it errored. */
export const connectionLost = (client: pg.Client): boolean => lost.has(client);

/** How long a failed statement's connection is given to show it is gone (its socket closing). */
const SETTLE_MS = 1000;

/**
 * After a statement failed because its connection went: waits (bounded) until one of `clients` is
 * known lost. A server's "terminating connection" error comes before its socket closes, and a
 * failure should name the side it came from.
 */
export async function settleLoss(clients: pg.Client[]): Promise<void> {
  for (let waited = 0; waited < SETTLE_MS && !clients.some(connectionLost); waited += 10)
    await new Promise((r) => setTimeout(r, 10));
}

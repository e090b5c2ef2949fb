import pg from 'pg';
import { parse } from 'pg-connection-string';
import { ConnectionError, UsageError, errorInfo } from './errors.js';

export type Role = 'source' | 'target';

/** A parsed PostgreSQL URL: the pg config (which may hold a password) and its redacted faces. */
export interface Endpoint {
  role: Role;
  config: pg.ClientConfig;
  /** user@host:port/db — safe for logs and reports. */
  label: string;
  host: string;
  port: number;
  database: string;
  user: string;
  sslmode: string;
}

const SSL_MODES = new Set(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);

/**
 * Parses a PostgreSQL URL with libpq's sslmode meanings (require = encrypted without certificate
 * checks; verify-full = encrypted and checked against `sslrootcert` or the system CAs).
 * The password comes from the caller (the extension's secret storage), the URL,
 * ARCHON_<ROLE>_PASSWORD, PGPASSWORD or ~/.pgpass (pg reads the last two itself when none is given).
 */
export function parseEndpoint(url: string, role: Role, env: NodeJS.ProcessEnv = process.env, password?: string): Endpoint {
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    // Never echo the input: whatever it is, it may hold a password.
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new UsageError(`the ${role} must be a PostgreSQL URL like postgresql://user@host:5432/dbname${scheme ? ` (got a ${scheme}: URL)` : ''}`);
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(url, { useLibpqCompat: true });
  } catch (e) {
    throw new UsageError(`the ${role} URL is not valid: ${errorInfo(e).message}`);
  }
  // Like libpq, no sslmode means prefer: encrypted when the server offers it, plain otherwise.
  const sslmode = String(parsed.sslmode ?? 'prefer');
  if (!SSL_MODES.has(sslmode)) {
    throw new UsageError(`the ${role} URL has an unknown sslmode "${sslmode}" (use disable, require, verify-ca or verify-full)`);
  }
  const host = parsed.host ?? 'localhost';
  const port = Number(parsed.port) || 5432;
  const user = parsed.user ?? env.PGUSER ?? process.env.USER ?? 'postgres';
  const database = parsed.database ?? user;
  const secret = password || parsed.password || env[`ARCHON_${role.toUpperCase()}_PASSWORD`] || undefined;
  const config: pg.ClientConfig = {
    host,
    port,
    user,
    database,
    password: secret,
    ssl: (parsed.sslmode ? parsed.ssl : { rejectUnauthorized: false }) as pg.ClientConfig['ssl'],
    application_name: `archon (${role})`,
    connectionTimeoutMillis: 15_000,
    keepAlive: true,
  };
  const label = `${user}@${host}:${port}/${database}`;
  return { role, config, label, host, port, database, user, sslmode };
}

/** Settings for every session Archon opens: no server-side time limits, stable text formats. */
const SESSION_SETUP = [
  'SET statement_timeout = 0',
  'SET idle_in_transaction_session_timeout = 0',
  'SET lock_timeout = 0',
  "SET TimeZone = 'UTC'",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET client_encoding = 'UTF8'",
].join('; ');

export function secretsOf(ep: Endpoint): string[] {
  return typeof ep.config.password === 'string' && ep.config.password ? [ep.config.password] : [];
}

/** Opens a session; failures name the endpoint (never its password) and become ConnectionError. */
export async function connect(ep: Endpoint): Promise<pg.Client> {
  try {
    return await open(ep.config, ep);
  } catch (e) {
    // sslmode=prefer (and allow): a server without SSL gets a plain connection, as libpq does.
    if ((ep.sslmode === 'prefer' || ep.sslmode === 'allow') && e instanceof ConnectionError && /does not support SSL/i.test(e.message)) {
      return open({ ...ep.config, ssl: false }, ep);
    }
    throw e;
  }
}

async function open(config: pg.ClientConfig, ep: Endpoint): Promise<pg.Client> {
  const client = new pg.Client(config);
  // An idle client whose socket drops emits 'error'; without a listener that would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query(SESSION_SETUP);
    return client;
  } catch (e) {
    await client.end().catch(() => {});
    const info = errorInfo(e, secretsOf(ep));
    throw new ConnectionError(`could not connect to the ${ep.role} ${ep.label}: ${describeConnectFailure(info, ep)}`, info.code);
  }
}

function describeConnectFailure(info: ReturnType<typeof errorInfo>, ep: Endpoint): string {
  const m = info.message;
  if (/ECONNREFUSED/.test(m)) return `connection refused (is PostgreSQL running on ${ep.host}:${ep.port}?)`;
  if (/ENOTFOUND|EAI_AGAIN/.test(m)) return `host "${ep.host}" not found`;
  if (/timeout/i.test(m)) return `no answer within 15 s from ${ep.host}:${ep.port}`;
  if (info.code === '28P01') return `${m} (check the password in the URL, ARCHON_${ep.role.toUpperCase()}_PASSWORD, PGPASSWORD or ~/.pgpass)`;
  if (info.code === '3D000') return m;
  if (/does not support SSL/i.test(m)) return `${m} (sslmode=${ep.sslmode} needs SSL; use sslmode=prefer or disable for this server)`;
  if (/no encryption|SSL/i.test(m) && ep.sslmode === 'disable') return `${m} (the server may require ?sslmode=require)`;
  return info.code ? `${m} [${info.code}]` : m;
}

// One connection at a time, read-only: what the tree and the pickers show.
import { displayName } from '../../shared/names.js';
import type { Role } from '../../shared/report.js';
import { type Catalog, readCatalog } from '../catalog/catalog.js';
import { connect, endQuietly, parseEndpoint } from './connection.js';
import { LockTimeoutError } from '../errors.js';
import { assertNotTransactionPoolerAddress } from './pooler.js';
import { type RelationRef, countRows } from '../catalog/relation.js';
import { SQLSTATE, sqlStateOf } from '../sqlState.js';

export interface ConnectionTarget {
  url: string;
  password?: string;
  /** Names the side in error messages ("could not connect to the target …"). */
  role?: Role;
  /** How long a read waits for a lock someone else holds (default DEFAULT_INSPECT_LOCK_TIMEOUT_MS). */
  lockTimeoutMs?: number;
  /** How long connecting may take (default: connect's). */
  connectTimeoutMs?: number;
}

const endpointOf = (c: ConnectionTarget) => {
  const ep = parseEndpoint(c.url, c.role ?? 'source', process.env, c.password);
  assertNotTransactionPoolerAddress(ep);
  return ep;
};
/** The tree and the pickers read while a person waits: a table locked by someone else is a message, not a hang. */
export const DEFAULT_INSPECT_LOCK_TIMEOUT_MS = 10_000;

const lockTimeoutOf = (c: ConnectionTarget) => c.lockTimeoutMs ?? DEFAULT_INSPECT_LOCK_TIMEOUT_MS;

const open = (c: ConnectionTarget, ep = endpointOf(c)) =>
  connect(ep, { lockTimeoutMs: lockTimeoutOf(c), connectTimeoutMs: c.connectTimeoutMs });

/** Runs a read; a lock wait that gave up says so, naming the side. */
async function bounded<T>(c: ConnectionTarget, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (sqlStateOf(e) !== SQLSTATE.lockNotAvailable) throw e;
    throw new LockTimeoutError(
      `gave up after waiting ${lockTimeoutOf(c) / 1000} s for a lock on the ${c.role ?? 'source'} while ` +
        `reading ${what}: another session holds it (see pg_locks); try again when it is done`,
    );
  }
}

/** Connects, reads the catalog in a read-only transaction, disconnects: for trees and pickers. */
export async function inspect(c: ConnectionTarget): Promise<Catalog> {
  const ep = endpointOf(c);
  const client = await open(c, ep);
  try {
    await client.query('BEGIN READ ONLY');
    return await bounded(c, 'the catalog', () => readCatalog(client, ep.host));
  } finally {
    await endQuietly(client);
  }
}

/** The server's version, or a ConnectionError that says what went wrong and where. */
export async function testConnection(c: ConnectionTarget): Promise<string> {
  const client = await open(c);
  try {
    return (await client.query(`SELECT current_setting('server_version') AS v`)).rows[0].v.split(' ')[0];
  } finally {
    await endQuietly(client);
  }
}

/** The exact row count of one table, read-only, counted as a migration counts it. */
export async function countTableRows(c: ConnectionTarget, table: RelationRef): Promise<number> {
  const client = await open(c);
  try {
    await client.query('BEGIN READ ONLY');
    return await bounded(c, displayName(table.schema, table.name), () => countRows(client, table));
  } finally {
    await endQuietly(client);
  }
}

// One connection at a time, read-only: what the tree and the pickers show.
import type { Role } from '../shared/report.js';
import { type Catalog, readCatalog } from './catalog.js';
import { connect, endQuietly, parseEndpoint } from './connection.js';
import { assertNotTransactionPoolerAddress } from './pooler.js';
import { type RelationRef, countRows } from './relation.js';

export interface ConnectionTarget {
  url: string;
  password?: string;
  /** Names the side in error messages ("could not connect to the target …"). */
  role?: Role;
}

const endpointOf = (c: ConnectionTarget) => {
  const ep = parseEndpoint(c.url, c.role ?? 'source', process.env, c.password);
  assertNotTransactionPoolerAddress(ep);
  return ep;
};
const open = (c: ConnectionTarget) => connect(endpointOf(c));

/** Connects, reads the catalog in a read-only transaction, disconnects: for trees and pickers. */
export async function inspect(c: ConnectionTarget): Promise<Catalog> {
  const client = await open(c);
  try {
    await client.query('BEGIN READ ONLY');
    return await readCatalog(client, endpointOf(c).host);
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
    return await countRows(client, table);
  } finally {
    await endQuietly(client);
  }
}

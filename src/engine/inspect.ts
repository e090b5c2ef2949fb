import { readCatalog, type Catalog } from './catalog.js';
import { connect, parseEndpoint, type Role } from './connection.js';
import { qualified } from './ident.js';
import { endQuietly } from './session.js';

export interface ConnectionTarget {
  url: string;
  password?: string;
  /** Names the side in error messages ("could not connect to the target …"). */
  role?: Role;
}

const open = (c: ConnectionTarget) => connect(parseEndpoint(c.url, c.role ?? 'source', process.env, c.password));

/** Connects, reads the catalog in a read-only transaction, disconnects: for trees and pickers. */
export async function inspect(c: ConnectionTarget): Promise<Catalog> {
  const client = await open(c);
  try {
    await client.query('BEGIN READ ONLY');
    return await readCatalog(client);
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

/** The exact row count of one table, read-only. */
export async function countTableRows(c: ConnectionTarget, schema: string, table: string): Promise<number> {
  const client = await open(c);
  try {
    await client.query('BEGIN READ ONLY');
    return Number((await client.query(`SELECT count(*)::int8 AS n FROM ${qualified(schema, table)}`)).rows[0].n);
  } finally {
    await endQuietly(client);
  }
}

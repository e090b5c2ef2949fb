import type pg from 'pg';
import type { TableKind } from './catalog.js';
import { qualified } from '../ident.js';

/** A table as a statement names it: where it is, and what kind of relation it is on that server. */
export interface RelationRef {
  schema: string;
  name: string;
  kind: TableKind;
}

/**
 * The one rule for reading and counting a table: a plain table without its inheritance children
 * (ONLY, since they are tables of their own), a partitioned table through its partitions (it has no
 * rows of its own). Each side by its own kind: a plain source may load a partitioned target.
 */
export function relationSql(t: RelationRef): string {
  return `${t.kind === 'table' ? 'ONLY ' : ''}${qualified(t.schema, t.name)}`;
}

export async function countRows(client: pg.Client, t: RelationRef): Promise<number> {
  const r = await client.query(`SELECT count(*)::int8 AS n FROM ${relationSql(t)}`);
  return Number(r.rows[0].n);
}

export async function hasRows(client: pg.Client, t: RelationRef): Promise<boolean> {
  const r = await client.query(`SELECT EXISTS (SELECT 1 FROM ${relationSql(t)}) AS has`);
  return r.rows[0].has;
}

/**
 * Several tables' row counts in one statement (a round trip each would grow with the tables), in the
 * order given; each table read by the same rule as countRows.
 */
export async function countRowsOf(client: pg.Client, ts: RelationRef[]): Promise<number[]> {
  if (!ts.length) return [];
  const parts = ts.map((t, i) => `SELECT ${i} AS i, count(*)::int8 AS n FROM ${relationSql(t)}`);
  const r = await client.query<{ i: number; n: string }>(parts.join(' UNION ALL '));
  const counts = new Array<number>(ts.length);
  for (const row of r.rows) counts[row.i] = Number(row.n);
  return counts;
}

/** Whether each table has rows, in one statement, in the order given. */
export async function haveRows(client: pg.Client, ts: RelationRef[]): Promise<boolean[]> {
  if (!ts.length) return [];
  const parts = ts.map((t, i) => `SELECT ${i} AS i, EXISTS (SELECT 1 FROM ${relationSql(t)}) AS has`);
  const r = await client.query<{ i: number; has: boolean }>(parts.join(' UNION ALL '));
  const has = new Array<boolean>(ts.length);
  for (const row of r.rows) has[row.i] = row.has;
  return has;
}

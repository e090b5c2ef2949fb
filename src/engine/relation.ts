import type pg from 'pg';
import type { TableKind } from './catalog.js';
import { qualified } from './ident.js';

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

// Large objects live outside their table (pg_largeobject), named by an OID the table holds. Archon
// copies tables, not large objects: a copied OID would name nothing on the target, or another
// large object that happens to have that OID, and the rows would still compare equal. So a table
// whose OIDs name large objects on the source is refused up front; OIDs that name none are numbers.
import type pg from 'pg';
import type { Column, Table } from './catalog.js';
import { ident, tableKey } from '../ident.js';
import { relationSql } from './relation.js';

/**
 * Why the table cannot be copied or compared for its large objects, or null. Reads the source only,
 * in its snapshot; answers are kept in `asked` (by tableKey) across the plan's rounds.
 */
export async function largeObjectReason(
  source: pg.Client,
  t: Table,
  asked: Map<string, string | null>,
): Promise<string | null> {
  const key = tableKey(t.schema, t.name);
  if (!asked.has(key)) asked.set(key, await firstReason(source, t));
  return asked.get(key)!;
}

async function firstReason(source: pg.Client, t: Table): Promise<string | null> {
  for (const c of t.columns.filter((x) => x.oidValued && !x.generated)) {
    if (await namesLargeObject(source, t, c)) return reason(c.name);
  }
  return null;
}

/** Whether a value of the column (an element, for an array) is the OID of an existing large object. */
async function namesLargeObject(source: pg.Client, t: Table, c: Column): Promise<boolean> {
  // A domain's value compares as its base type's; an array's elements are unnested first.
  const values =
    c.category === 'A'
      ? `SELECT v::oid FROM ${relationSql(t)} r, unnest(r.${ident(c.name)}) v`
      : `SELECT r.${ident(c.name)}::oid FROM ${relationSql(t)} r`;
  const r = await source.query(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_largeobject_metadata m WHERE m.oid IN (${values})) AS refs`,
  );
  return r.rows[0].refs;
}

const reason = (column: string) =>
  `column ${column} holds references to large objects (OIDs in pg_largeobject_metadata); Archon does not ` +
  'copy or compare large objects, so on the target these rows would point at nothing, or at another large ' +
  'object with the same OID: move the data into a bytea column first';

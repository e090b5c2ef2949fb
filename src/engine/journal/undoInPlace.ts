// Undo of a table that a table outside the run references by foreign key. TRUNCATE refuses to empty
// such a table (and emptying it would break the rows that point into it), so its content is put
// back row by row instead: the rows the backup lacks are deleted, the rows it holds differently are
// set back, the rows it holds that are gone come back; rows both hold are never touched, so what
// points at them stays valid. Rows outside the run that point at rows undo removes stop the undo,
// named, before anything changes.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { UsageError } from '../errors.js';
import { ident, qualified, tableKey } from '../ident.js';
import { relationSql } from '../catalog/relation.js';
import { SQLSTATE, sqlStateOf } from '../sqlState.js';

/** A run table as the in-place restore needs it (a row of archon.run_tables, narrowed). */
export interface InPlaceTable {
  schema: string;
  table: string;
  kind: 'table' | 'partitioned table';
  /** The backup's table in the journal's schema, qualified; null when the table held no rows. */
  backup: string | null;
  /** The columns the backup keeps (those the table had before the run). */
  columns: { name: string; generated: boolean }[];
}

/** A foreign key of a table outside the run into a table of the run. */
export interface OutsideReference {
  constraint: string;
  /** The referencing relation, as a statement reads it and as a person reads it. */
  from: { schema: string; table: string; kind: 'table' | 'partitioned table' };
  columns: string[];
  /** The run table it points into (tableKey) and the columns it points at there. */
  to: string;
  refColumns: string[];
}

interface ForeignKeyRow {
  constraint: string;
  from_schema: string;
  from_table: string;
  from_kind: string;
  /** The referencing relation and the partitioned tables above it, as [schema, name]. */
  from_up: [string, string][];
  /** The referenced relation and the partitioned tables above it. */
  to_up: [string, string][];
  columns: string[];
  ref_columns: string[];
}

// A key declared on a partition counts as its partitioned table's, on either side; conparentid = 0
// keeps the copies PostgreSQL makes for each partition out, since the declared key covers them.
// pg_partition_ancestors lists nothing for a table that is not a partition: the relation itself is added.
const up = (rel: string) => `(SELECT ${rel} AS relid UNION SELECT relid FROM pg_partition_ancestors(${rel}))`;
const FOREIGN_KEYS_SQL = `
SELECT c.conname AS constraint, fn.nspname AS from_schema, fr.relname AS from_table, fr.relkind AS from_kind,
       (SELECT jsonb_agg(jsonb_build_array(n.nspname, r.relname)) FROM ${up('c.conrelid')} a
          JOIN pg_class r ON r.oid = a.relid JOIN pg_namespace n ON n.oid = r.relnamespace) AS from_up,
       (SELECT jsonb_agg(jsonb_build_array(n.nspname, r.relname)) FROM ${up('c.confrelid')} a
          JOIN pg_class r ON r.oid = a.relid JOIN pg_namespace n ON n.oid = r.relnamespace) AS to_up,
       ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS columns,
       ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS ref_columns
  FROM pg_constraint c JOIN pg_class fr ON fr.oid = c.conrelid JOIN pg_namespace fn ON fn.oid = fr.relnamespace
 WHERE c.contype = 'f' AND c.conparentid = 0
   AND EXISTS (SELECT 1 FROM ${up('c.confrelid')} a WHERE a.relid = ANY($1::regclass[]))
 ORDER BY fn.nspname, fr.relname, c.conname`;

/**
 * Which of the run's tables TRUNCATE cannot empty: those a table outside the emptied set references
 * (tables outside the run, and run tables that are themselves restored in place). Returned with the
 * foreign keys into them from outside the run, which the restore must keep valid, and every foreign
 * key that keeps one from being emptied, for the preview to name.
 */
export async function tablesToRestoreInPlace(
  c: pg.Client,
  tables: { schema: string; table: string }[],
): Promise<{ inPlace: Set<string>; outside: OutsideReference[]; keeping: OutsideReference[] }> {
  const inRun = new Set(tables.map((t) => tableKey(t.schema, t.table)));
  if (!tables.length) return { inPlace: new Set(), outside: [], keeping: [] };
  const rows = (await c.query<ForeignKeyRow>(FOREIGN_KEYS_SQL, [tables.map((t) => qualified(t.schema, t.table))])).rows;
  const keys = rows.map((r) => ({
    row: r,
    from: r.from_up.map(([s, n]) => tableKey(s, n)),
    to: r.to_up.map(([s, n]) => tableKey(s, n)).find((k) => inRun.has(k))!,
  }));
  const truncated = new Set(inRun);
  for (let changed = true; changed; ) {
    changed = false;
    for (const k of keys) {
      if (!truncated.has(k.to) || k.from.some((f) => truncated.has(f))) continue;
      truncated.delete(k.to);
      changed = true;
    }
  }
  const reference = (k: (typeof keys)[number]): OutsideReference => ({
    constraint: k.row.constraint,
    from: {
      schema: k.row.from_schema,
      table: k.row.from_table,
      kind: k.row.from_kind === 'p' ? 'partitioned table' : 'table',
    },
    columns: k.row.columns,
    to: k.to,
    refColumns: k.row.ref_columns,
  });
  const inPlace = new Set([...inRun].filter((k) => !truncated.has(k)));
  return {
    inPlace,
    outside: keys.filter((k) => !k.from.some((f) => inRun.has(f))).map(reference),
    // Outside the run, or a run table restored in place itself: why each of these is not emptied.
    keeping: keys.filter((k) => inPlace.has(k.to) && !k.from.some((f) => truncated.has(f))).map(reference),
  };
}

/** How many referencing rows a refusal names by key, per foreign key. */
const NAMED_ROWS = 3;

/**
 * Rows outside the run that point at rows undo removes (their key is not among the kept rows): they
 * would be left pointing at nothing, so undo refuses, naming them. Read-only.
 */
export async function refuseDanglingReferences(
  c: pg.Client,
  runId: string,
  tables: InPlaceTable[],
  outside: OutsideReference[],
): Promise<void> {
  const byKey = new Map(tables.map((t) => [tableKey(t.schema, t.table), t]));
  const found: string[] = [];
  for (const ref of outside) {
    const t = byKey.get(ref.to);
    if (!t) continue;
    // A key into a column the run added points at nothing the backup keeps: dropping that column
    // refuses on its own, naming the constraint.
    const kept = new Set(t.columns.map((x) => x.name));
    if (!ref.refColumns.every((x) => kept.has(x))) continue;
    const hit = await danglingRows(c, t, ref);
    if (hit) found.push(hit);
  }
  if (!found.length) return;
  throw new UsageError(
    `refusing to undo run ${runId}: rows outside the run point at rows that undo would remove: ` +
      `${found.join('; ')}. Delete those rows or point them elsewhere, then undo again. Nothing changed.`,
  );
}

/** One foreign key's referencing rows whose key the backup lacks, in words; null when there are none. */
async function danglingRows(c: pg.Client, t: InPlaceTable, ref: OutsideReference): Promise<string | null> {
  const from = relationSql({ schema: ref.from.schema, name: ref.from.table, kind: ref.from.kind });
  const fromName = qualified(ref.from.schema, ref.from.table);
  const pk = await primaryKey(c, fromName);
  // Asked before the read: a refused read aborts the transaction, after which nothing can be asked.
  const unread = await whyUnread(c, fromName);
  // A row with a NULL in its key points at nothing (MATCH SIMPLE), and MATCH FULL allows no partial key.
  const set = ref.columns.map((x) => `x.${ident(x)} IS NOT NULL`).join(' AND ');
  const kept = t.backup
    ? ` AND NOT EXISTS (SELECT 1 FROM ${t.backup} b WHERE ${ref.refColumns
        .map((r, i) => `b.${ident(r)} = x.${ident(ref.columns[i])}`)
        .join(' AND ')})`
    : '';
  const texts = (cols: string[]) => `jsonb_build_array(${cols.map((x) => `x.${ident(x)}::text`).join(', ')})`;
  const r = await c
    .query<{ key: (string | null)[]; val: string[]; total: string }>(
      `SELECT ${texts(pk ?? ref.columns)} AS key, ${texts(ref.columns)} AS val, count(*) OVER () AS total
         FROM ${from} x WHERE ${set}${kept} LIMIT ${NAMED_ROWS}`,
    )
    .catch((e: { code?: string }) => {
      // Unread, its rows could point at rows undo removes, and a cascading key would change them.
      if (sqlStateOf(e) !== SQLSTATE.insufficientPrivilege) throw e;
      const [schema, table] = JSON.parse(ref.to) as [string, string];
      throw new UsageError(
        `undo must read ${displayName(ref.from.schema, ref.from.table)}, whose foreign key ${ref.constraint} ` +
          `references ${displayName(schema, table)}, to know that none of its rows points at a row undo removes, ` +
          `and ${unread}. Nothing changed.`,
      );
    });
  if (!r.rows.length) return null;
  const pairs = (cols: string[], vals: (string | null)[]) => cols.map((x, i) => `${x}=${vals[i] ?? 'NULL'}`).join(', ');
  const named = r.rows.map((row) =>
    pk ? `row ${pairs(pk, row.key)} (${pairs(ref.columns, row.val)})` : `row ${pairs(ref.columns, row.val)}`,
  );
  const total = Number(r.rows[0].total);
  const more = total > named.length ? ` and ${total - named.length} more` : '';
  const [schema, table] = JSON.parse(ref.to) as [string, string];
  // The rows named are the referencing table's, so its name leads: "id=3" is never read as the referenced row.
  return (
    `in ${displayName(ref.from.schema, ref.from.table)}, ${named.join(', ')}${more} reference ` +
    `${displayName(schema, table)} (constraint ${ref.constraint})`
  );
}

/**
 * Why a table could not be read: no SELECT, or (with SELECT) row-level security, which hides rows from
 * Archon's sessions (row_security = off) rather than filtering them.
 */
async function whyUnread(c: pg.Client, table: string): Promise<string> {
  const r = await c.query<{ may: boolean }>(`SELECT has_table_privilege($1::regclass, 'SELECT') AS may`, [table]);
  return r.rows[0]?.may
    ? 'its row-level security hides rows from this user: undo as its owner (when not forced), a superuser or a role with BYPASSRLS'
    : 'this user may not read it: grant SELECT on it, or undo as its owner';
}

/** The primary key's columns in order, or null when the table has none. */
async function primaryKey(c: pg.Client, table: string): Promise<string[] | null> {
  const r = await c.query<{ cols: string[] }>(
    `SELECT ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) AS cols
       FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [table],
  );
  return r.rows[0]?.cols ?? null;
}

/**
 * A key that names a row in both the table and its backup: the primary key, else a unique key of
 * plain NOT NULL columns; each column one the backup keeps. Null when there is none.
 */
async function rowKey(c: pg.Client, table: string, kept: ReadonlySet<string>): Promise<string[] | null> {
  const r = await c.query<{ cols: string[] }>(
    `SELECT array_agg(a.attname::text ORDER BY k.o) AS cols
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n
      WHERE i.indrelid = $1::regclass AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
      GROUP BY i.indexrelid, i.indisprimary
     HAVING bool_and(a.attnotnull)
      ORDER BY i.indisprimary DESC, count(*), i.indexrelid`,
    [table],
  );
  return r.rows.map((x) => x.cols).find((cols) => cols.every((x) => kept.has(x))) ?? null;
}

/** What a restore in place did, for the progress line. */
export interface InPlaceCounts {
  removed: number;
  changed: number;
  added: number;
}

/**
 * A table on its way back in place: how its rows are told apart — its key, or (null) their content,
 * as many copies of each row as the backup has — and how many rows went.
 */
export interface InPlaceRestore {
  table: InPlaceTable;
  key: string[] | null;
  removed: number;
}

const names = (t: InPlaceTable) => ({
  name: qualified(t.schema, t.table),
  rel: relationSql({ schema: t.schema, name: t.table, kind: t.kind }),
  all: t.columns.filter((x) => !x.generated).map((x) => ident(x.name)),
});

/** Each row's content as text: every type has an output function, not every type an equality operator. */
const rowText = (alias: string, cols: string[]) => `ROW(${cols.map((x) => `${alias}.${x}`).join(', ')})::text`;

/**
 * First, referencing tables before those they reference: the rows the backup lacks go (by key), or
 * the copies of a row beyond those the backup holds (by content). Rows both hold stay untouched.
 */
export async function removeRows(c: pg.Client, t: InPlaceTable): Promise<InPlaceRestore> {
  const { name, rel, all } = names(t);
  if (!t.backup) {
    const r = await c.query(`DELETE FROM ${rel}`);
    return { table: t, key: null, removed: r.rowCount ?? 0 };
  }
  const key = await rowKey(c, name, new Set(t.columns.map((x) => x.name)));
  if (key) {
    const r = await c.query(
      `DELETE FROM ${rel} AS t WHERE NOT EXISTS (SELECT 1 FROM ${t.backup} b WHERE ${sameKey(key)})`,
    );
    return { table: t, key, removed: r.rowCount ?? 0 };
  }
  const r = await c.query(
    `DELETE FROM ${rel} AS t WHERE (t.tableoid, t.ctid) IN (
       SELECT n.o, n.c FROM (SELECT x.tableoid AS o, x.ctid AS c, ${rowText('x', all)} AS r,
                                    row_number() OVER (PARTITION BY ${rowText('x', all)}) AS i FROM ${rel} x) n
         LEFT JOIN (SELECT ${rowText('b', all)} AS r, count(*) AS k FROM ${t.backup} b GROUP BY 1) b ON b.r = n.r
        WHERE n.i > coalesce(b.k, 0))`,
  );
  return { table: t, key: null, removed: r.rowCount ?? 0 };
}

const sameKey = (key: string[]) => key.map((k) => `b.${ident(k)} = t.${ident(k)}`).join(' AND ');

/**
 * Then, referenced tables before those that reference them: the rows the backup holds with other
 * values are set back (a referenced row keeps its key), and the rows that are gone come back.
 */
export async function putBackRows(c: pg.Client, r: InPlaceRestore): Promise<InPlaceCounts> {
  const t = r.table;
  if (!t.backup) return { removed: r.removed, changed: 0, added: 0 };
  return r.key ? byKey(c, r, r.key) : byCopies(c, r);
}

async function byKey(c: pg.Client, r: InPlaceRestore, key: string[]): Promise<InPlaceCounts> {
  const t = r.table;
  const { name, rel, all } = names(t);
  const same = sameKey(key);
  // An identity column GENERATED ALWAYS takes no value in UPDATE; one that differs fails verification.
  const always = await identityAlways(c, name);
  const settable = t.columns
    .filter((x) => !x.generated && !key.includes(x.name) && !always.has(x.name))
    .map((x) => ident(x.name));
  let changed = 0;
  if (settable.length) {
    const u = await c.query(
      `UPDATE ${rel} AS t SET (${settable.join(', ')}) = ROW(${settable.map((x) => `b.${x}`).join(', ')})
         FROM ${t.backup} b WHERE ${same} AND ${rowText('t', all)} IS DISTINCT FROM ${rowText('b', all)}`,
    );
    changed = u.rowCount ?? 0;
  }
  const into = all.length ? ` (${all.join(', ')})` : '';
  const added = await c.query(
    `INSERT INTO ${name}${into} OVERRIDING SYSTEM VALUE SELECT ${all.map((x) => `b.${x}`).join(', ')}
       FROM ${t.backup} b WHERE NOT EXISTS (SELECT 1 FROM ${rel} AS t WHERE ${same})`,
  );
  return { removed: r.removed, changed, added: added.rowCount ?? 0 };
}

/** Without a key: each distinct row as often as the backup holds it. */
async function byCopies(c: pg.Client, r: InPlaceRestore): Promise<InPlaceCounts> {
  const t = r.table;
  const { name, rel, all } = names(t);
  const into = all.length ? ` (${all.join(', ')})` : '';
  const named = [...all, ident('archon:row'), ident('archon:copy')].join(', ');
  const added = await c.query(
    `INSERT INTO ${name}${into} OVERRIDING SYSTEM VALUE
     SELECT ${all.map((x) => `n.${x}`).join(', ')}
       FROM (SELECT ${all.map((x) => `b.${x}`).join(', ')}${all.length ? ', ' : ''}${rowText('b', all)},
                    row_number() OVER (PARTITION BY ${rowText('b', all)}) FROM ${t.backup} b) AS n(${named})
       LEFT JOIN (SELECT ${rowText('t', all)} AS r, count(*) AS k FROM ${rel} AS t GROUP BY 1) t
         ON t.r = n.${ident('archon:row')}
      WHERE n.${ident('archon:copy')} > coalesce(t.k, 0)`,
  );
  return { removed: r.removed, changed: 0, added: added.rowCount ?? 0 };
}

async function identityAlways(c: pg.Client, table: string): Promise<Set<string>> {
  const r = await c.query<{ name: string }>(
    `SELECT attname AS name FROM pg_attribute WHERE attrelid = $1::regclass AND attidentity = 'a' AND NOT attisdropped`,
    [table],
  );
  return new Set(r.rows.map((x) => x.name));
}

import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { tableKey } from '../ident.js';
import { type DetectedPlatform, readPlatform } from './platform.js';

export type TableKind = 'table' | 'partitioned table' | 'view' | 'materialized view' | 'foreign table';

export interface Column {
  name: string;
  /** format_type(): what a person reads, e.g. `character varying(20)` or `vector(1536)`. */
  type: string;
  typeSchema: string;
  /** pg_type.typcategory: S string, N numeric, A array, U user-defined, ... */
  category: string;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
  identity: boolean;
  /** Binary COPY is safe across servers only when the wire format carries no database-local OIDs. */
  binarySafe: boolean;
  /** regclass and its kin (or arrays, domains of them): values that are names, rendered by search_path. */
  namesObjects?: boolean;
  /** The extension that provides the column's type (or its element type), if any. */
  typeExtension: string | null;
  /**
   * For a composite type (or an array or domain of one, at any depth): its fields in declared order,
   * nested types spelled out, `a integer, i inner_t (x integer, y text)`. COPY fills fields by
   * position, so two sides must agree on all of it.
   */
  fields: string | null;
  /**
   * For money (or an array or domain of it): how this session renders 1234567.891 as money. lc_monetary
   * decides the currency and its decimals, so what a stored amount means: sides that render it
   * otherwise would change the value.
   */
  moneyFormat: string | null;
  /**
   * The values are OIDs (oid, a domain over it such as the lo extension's `lo`, or an array of
   * either, at any depth): they may name large objects, which live outside the table.
   */
  oidValued: boolean;
}

export interface ForeignKey {
  name: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  /** MATCH FULL: a row may not mix NULL and non-NULL key values. */
  matchFull: boolean;
  /** False for NOT VALID: rows present when it was added were never checked, only rows written since. */
  validated: boolean;
}

/**
 * A unique, primary-key or exclusion constraint checked only at commit: replica mode skips that
 * check, so Archon makes it after the load.
 */
export interface DeferrableUnique {
  name: string;
  columns: string[];
  /** UNIQUE NULLS NOT DISTINCT: two NULLs are duplicates too. */
  nullsNotDistinct: boolean;
  /** For an exclusion constraint, the operator per column (`OPERATOR(pg_catalog.&&)`); else null. */
  operators: string[] | null;
}

/** A sequence a column takes its values from: one it owns (serial, identity), or one its default calls. */
interface ColumnSequence {
  column: string;
  schema: string;
  name: string;
  /** The column owns it; false when only its default calls it (a sequence created on its own, as Pagila's). */
  owned: boolean;
}

export interface Table {
  schema: string;
  name: string;
  kind: TableKind;
  /** Set on partitions: the partitioned table whose copy carries this one's rows. */
  partitionOf: string | null;
  estimatedRows: number | null;
  bytes: number;
  columns: Column[];
  primaryKey: string[] | null;
  /** Unique constraints, each as its columns (a key for naming rows when there is no primary key). */
  uniqueKeys: string[][];
  deferrableUniques: DeferrableUnique[];
  foreignKeys: ForeignKey[];
  /** CHECK constraints declared on the table itself, with their definitions (`pg_get_constraintdef`). */
  checks: { name: string; definition: string }[];
  sequences: ColumnSequence[];
  /** User triggers with their firing mode: O origin, A always, R replica, D disabled. */
  triggers: { name: string; enabled: 'O' | 'A' | 'R' | 'D' }[];
  privileges: { select: boolean; insert: boolean; update: boolean; delete: boolean; truncate: boolean };
  /** The table's owner (a role that sees every row, unless row security is forced). */
  owner: string;
  /**
   * Row-level security applies to the connected user here: a read would see only the rows its
   * policies allow (Archon's sessions set row_security = off, so such a read fails instead).
   */
  rowSecurity: boolean;
  /** The table's own switches (relrowsecurity, relforcerowsecurity), whoever connects. */
  rls: { enabled: boolean; forced: boolean };
  /** The connected user has the owner's rights (may ALTER the table, e.g. to disable a trigger). */
  isOwner: boolean;
}

export interface Catalog {
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  user: string;
  /** Nothing can be written here: default_transaction_read_only is on, or the server is a standby. */
  readOnly: boolean;
  /** The user may SET session_replication_role (a superuser, or granted it on PostgreSQL 15+). */
  mayUseReplicaMode: boolean;
  extensions: { name: string; version: string }[];
  tables: Table[];
  /** The hosted platform the server belongs to (Supabase, …), from what it shows; null for a plain server. */
  platform?: DetectedPlatform | null;
}

const KINDS: Record<string, TableKind> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

// 'archon' holds the run journal and undo backups (journal.ts): never a user's table to migrate.
/** PostgreSQL's FirstNormalObjectId: OIDs below it are built in (initdb's), above it the user's. */
const FIRST_NORMAL_OBJECT_ID = 16384;

const SYSTEM_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'archon')
  AND n.nspname !~ '^pg_(toast|temp_)'`;

/**
 * The on-disk size of relation `rel`, without waiting: pg_total_relation_size takes a share lock on
 * the table and its indexes, so a relation someone holds (or waits for) exclusively, say under an
 * ALTER or VACUUM FULL that has nothing to do with this run, is sized from its page counts instead.
 */
const sizeOf = (rel: string) => `CASE
  WHEN ${rel} = ANY (busy.oids) OR EXISTS (SELECT 1 FROM pg_index bi WHERE bi.indrelid = ${rel} AND bi.indexrelid = ANY (busy.oids))
  THEN (SELECT coalesce(sum(pc.relpages), 0)::int8 * current_setting('block_size')::int8 FROM pg_class pc
         WHERE pc.oid = ${rel} OR pc.oid = (SELECT reltoastrelid FROM pg_class WHERE oid = ${rel})
            OR pc.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ${rel}))
  ELSE pg_total_relation_size(${rel})::int8 END`;

const TABLES_SQL = `
WITH busy AS MATERIALIZED (
  SELECT coalesce(array_agg(l.relation), '{}') AS oids FROM pg_locks l
   WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_backend_pid()
     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS relkind,
       c.relispartition AS is_partition,
       (SELECT ARRAY[pn.nspname::text, pc.relname::text] FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace WHERE i.inhrelid = c.oid LIMIT 1) AS parent,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT sum(GREATEST(l.reltuples, 0))::int8 FROM pg_partition_tree(c.oid) t
                    JOIN pg_class l ON l.oid = t.relid WHERE t.isleaf)
            WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::int8 END AS estimated_rows,
       CASE WHEN c.relkind = 'p'
            THEN (SELECT coalesce(sum(${sizeOf('t.relid')}), 0)::int8 FROM pg_partition_tree(c.oid) t)
            WHEN c.relkind IN ('r', 'm') THEN ${sizeOf('c.oid')} ELSE 0 END AS bytes,
       json_build_object('select', has_table_privilege(c.oid, 'SELECT'), 'insert', has_table_privilege(c.oid, 'INSERT'),
                         'update', has_table_privilege(c.oid, 'UPDATE'), 'delete', has_table_privilege(c.oid, 'DELETE'),
                         'truncate', has_table_privilege(c.oid, 'TRUNCATE')) AS privileges,
       pg_get_userbyid(c.relowner) AS owner, pg_has_role(c.relowner, 'USAGE') AS is_owner,
       (c.relrowsecurity AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)
        AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE'))) AS row_security,
       json_build_object('enabled', c.relrowsecurity, 'forced', c.relforcerowsecurity) AS rls,
       coalesce((SELECT json_agg(json_build_object('name', tg.tgname, 'enabled', tg.tgenabled) ORDER BY tg.tgname)
                   FROM pg_trigger tg WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal), '[]') AS triggers
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN busy
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${SYSTEM_SCHEMA_FILTER}
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname`;

const REG_TYPES = `'^_?reg(proc|procedure|oper|operator|class|type|role|namespace|config|dictionary|collation)$'`;

/** Every type that may have structure: composites (and rows of tables), domains, arrays; by oid. */
const SHAPES_SQL = `
SELECT t.oid::int8 AS oid, t.typtype AS kind, t.typbasetype::int8 AS base, t.typelem::int8 AS elem,
       t.typcategory = 'A' AS "isArray",
       (SELECT json_agg(json_build_object('name', fa.attname, 'type', format_type(fa.atttypid, fa.atttypmod),
                                          'oid', fa.atttypid::int8::text) ORDER BY fa.attnum)
          FROM pg_attribute fa WHERE fa.attrelid = t.typrelid AND fa.attnum > 0 AND NOT fa.attisdropped) AS fields
FROM pg_type t
WHERE t.typtype IN ('c', 'd') OR (t.typcategory = 'A' AND t.typelem >= ${FIRST_NORMAL_OBJECT_ID})`;

interface Shape {
  kind: string;
  base: string;
  elem: string;
  isArray: boolean;
  fields: { name: string; type: string; oid: string }[] | null;
}

/** A type's fields at every depth, spelled out; null for a type without fields anywhere inside. */
function fieldsOf(shapes: Map<string, Shape>, oid: string, depth = 0): string | null {
  const s = shapes.get(oid);
  if (!s || depth > 20) return null;
  if (s.kind === 'd') return fieldsOf(shapes, s.base, depth + 1);
  if (s.isArray) return fieldsOf(shapes, s.elem, depth + 1);
  if (s.kind !== 'c' || !s.fields) return null;
  return s.fields
    .map((f) => {
      const inner = fieldsOf(shapes, f.oid, depth + 1);
      return `${f.name} ${f.type}${inner === null ? '' : ` (${inner})`}`;
    })
    .join(', ');
}

const MONEY = '790';
const MONEY_ARRAY = '791';

/** Whether a type holds money anywhere inside: itself, an array of it, a domain or composite over it, at any depth. */
function holdsMoney(shapes: Map<string, Shape>, oid: string, depth = 0): boolean {
  if (oid === MONEY || oid === MONEY_ARRAY) return true;
  const s = shapes.get(oid);
  if (!s || depth > 20) return false;
  if (s.kind === 'd') return holdsMoney(shapes, s.base, depth + 1);
  if (s.isArray) return holdsMoney(shapes, s.elem, depth + 1);
  return (s.fields ?? []).some((f) => holdsMoney(shapes, f.oid, depth + 1));
}

const OID = '26';
const OID_ARRAY = '1028';

/** Whether a type's values are OIDs: oid itself, or a domain or array over it, at any depth (not inside composites). */
function holdsOids(shapes: Map<string, Shape>, oid: string, depth = 0): boolean {
  if (oid === OID || oid === OID_ARRAY) return true;
  const s = shapes.get(oid);
  if (!s || depth > 20) return false;
  if (s.kind === 'd') return holdsOids(shapes, s.base, depth + 1);
  return s.isArray && holdsOids(shapes, s.elem, depth + 1);
}

const COLUMNS_SQL = `
SELECT a.attrelid::int8 AS table_oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       tn.nspname AS "typeSchema", t.typcategory AS category, a.attnotnull AS "notNull", a.atthasdef AS "hasDefault",
       a.attgenerated <> '' AS generated, a.attidentity <> '' AS identity,
       (t.typsend <> 0 AND t.typreceive <> 0
        AND (a.atttypid < ${FIRST_NORMAL_OBJECT_ID} OR (t.typtype IN ('b', 'e') AND t.typcategory <> 'A'))
        AND NOT EXISTS (SELECT 1 FROM pg_type x WHERE x.oid IN (t.oid, t.typelem, t.typbasetype) AND (
          x.typsend = 0 OR x.typreceive = 0 OR (x.typnamespace = 'pg_catalog'::regnamespace AND (
            -- regclass and its kin travel as OIDs in binary, which name other objects on another server
            x.typname ~ ${REG_TYPES}
            -- binary input refuses values text accepts (an empty tsquery, an empty int2vector)
            OR x.typname IN ('tsquery', 'int2vector', 'oidvector')
            -- intervals became able to hold ±infinity in 17, which older servers' binary input lets
            -- through as a huge finite interval; text input refuses it, loudly
            OR (x.typname = 'interval' AND current_setting('server_version_num')::int < 170000)))))
       ) AS "binarySafe",
       EXISTS (SELECT 1 FROM pg_type x WHERE x.oid IN (t.oid, t.typelem, t.typbasetype)
                AND x.typnamespace = 'pg_catalog'::regnamespace AND x.typname ~ ${REG_TYPES}) AS "namesObjects",
       (SELECT e.extname FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
         WHERE d.classid = 'pg_type'::regclass AND d.deptype = 'e'
           AND d.objid = CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE t.oid END LIMIT 1) AS "typeExtension",
       a.atttypid::int8 AS "typeOid"
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${SYSTEM_SCHEMA_FILTER} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

const CONSTRAINTS_SQL = `
SELECT con.conrelid::int8 AS table_oid, con.conname AS name, con.contype AS type, con.condeferrable AS deferrable,
       pg_get_constraintdef(con.oid) ~ 'NULLS NOT DISTINCT' AS nulls_not_distinct,
       CASE WHEN con.contype = 'x' THEN ARRAY(
         SELECT format('OPERATOR(%I.%s)', opn.nspname, op.oprname) FROM unnest(con.conexclop) WITH ORDINALITY x(oid, ord)
         JOIN pg_operator op ON op.oid = x.oid JOIN pg_namespace opn ON opn.oid = op.oprnamespace ORDER BY x.ord) END AS operators,
       con.confmatchtype = 'f' AS "matchFull", con.convalidated AS validated,
       CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid) END AS definition,
       rn.nspname AS "refSchema", rc.relname AS "refTable",
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.ord) AS columns,
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num ORDER BY k.ord) AS "refColumns"
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.contype IN ('p', 'f', 'u', 'x', 'c') AND ${SYSTEM_SCHEMA_FILTER} AND con.conparentid = 0
ORDER BY con.conrelid, con.conname`;

// Found through pg_depend, never by reading default expressions: a default that calls nextval('s')
// depends on s (from its pg_attrdef row); an owned sequence depends on its column.
const SEQUENCES_SQL = `
SELECT u.rel::int8 AS table_oid, a.attname AS column, sn.nspname AS schema, s.relname AS name, bool_or(u.owned) AS owned
FROM (SELECT d.refobjid AS rel, d.refobjsubid AS attnum, d.objid AS seq, true AS owned FROM pg_depend d
       WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
      UNION ALL
      SELECT ad.adrelid, ad.adnum, d.refobjid, false FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
       WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass) u
JOIN pg_class s ON s.oid = u.seq AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum
GROUP BY u.rel, a.attnum, a.attname, sn.nspname, s.relname
ORDER BY u.rel, a.attnum, sn.nspname, s.relname`;

/** Reads everything the plan needs in a handful of queries (not one per table). */
export async function readCatalog(client: pg.Client, host = ''): Promise<Catalog> {
  const info = await client.query<{
    v: string;
    n: string;
    db: string;
    usr: string;
    ro: boolean;
    su: boolean;
    money: string;
  }>(
    `SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n,
            current_database() AS db, current_user AS usr,
            current_setting('default_transaction_read_only') = 'on' OR pg_is_in_recovery() AS ro,
            (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
            1234567.891::numeric::money::text AS money`,
  );
  const versionNum = Number(info.rows[0].n);
  // PostgreSQL 15 lets a superuser grant SET on a parameter (hosted platforms grant this one).
  const replicaGranted =
    versionNum >= 150000 &&
    (await client.query(`SELECT has_parameter_privilege('session_replication_role', 'SET') AS ok`)).rows[0].ok;
  const ext = await client.query<{ name: string; version: string }>(
    `SELECT extname AS name, extversion AS version FROM pg_extension ORDER BY 1`,
  );
  const tables = (await client.query(TABLES_SQL)).rows.map((r) => [r.oid as string, tableOf(r)] as const);
  const byOid = new Map(tables);
  // The queries name their columns as the interfaces do: a row is the object, less its table's oid.
  const shapes = new Map((await client.query(SHAPES_SQL)).rows.map(({ oid, ...shape }) => [oid as string, shape]));
  for (const { table_oid, typeOid, ...column } of (await client.query(COLUMNS_SQL)).rows) {
    const moneyFormat = holdsMoney(shapes, typeOid) ? info.rows[0].money : null;
    const oidValued = holdsOids(shapes, typeOid);
    byOid
      .get(table_oid)
      ?.columns.push({ ...column, fields: fieldsOf(shapes, typeOid), moneyFormat, oidValued } as Column);
  }
  for (const { table_oid, type, deferrable, nulls_not_distinct, operators, definition, ...key } of (
    await client.query(CONSTRAINTS_SQL)
  ).rows) {
    const t = byOid.get(table_oid);
    if (!t) continue;
    if (type !== 'f' && deferrable) {
      t.deferrableUniques.push({
        name: key.name,
        columns: key.columns,
        nullsNotDistinct: nulls_not_distinct,
        operators,
      });
    }
    if (type === 'p') t.primaryKey = key.columns;
    else if (type === 'u') t.uniqueKeys.push(key.columns);
    else if (type === 'f') t.foreignKeys.push(key as ForeignKey);
    else if (type === 'c') t.checks.push({ name: key.name, definition });
  }
  for (const r of (await client.query(SEQUENCES_SQL)).rows) {
    byOid.get(r.table_oid)?.sequences.push({ column: r.column, schema: r.schema, name: r.name, owned: r.owned });
  }
  return {
    serverVersion: info.rows[0].v.split(' ')[0],
    serverVersionNum: versionNum,
    database: info.rows[0].db,
    user: info.rows[0].usr,
    readOnly: info.rows[0].ro,
    mayUseReplicaMode: info.rows[0].su || replicaGranted,
    extensions: ext.rows,
    tables: tables.map(([, t]) => t),
    platform: await readPlatform(client, host),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a row of TABLES_SQL, shaped by that query.
function tableOf(r: any): Table {
  return {
    schema: r.schema,
    name: r.name,
    kind: KINDS[r.relkind],
    partitionOf: r.is_partition && r.parent ? displayName(r.parent[0], r.parent[1]) : null,
    estimatedRows: r.estimated_rows === null ? null : Number(r.estimated_rows),
    bytes: Number(r.bytes),
    columns: [],
    primaryKey: null,
    uniqueKeys: [],
    deferrableUniques: [],
    foreignKeys: [],
    checks: [],
    sequences: [],
    triggers: r.triggers,
    privileges: r.privileges,
    owner: r.owner,
    isOwner: r.is_owner,
    rowSecurity: r.row_security,
    rls: r.rls,
  };
}

export function isCopyable(t: Table): boolean {
  return (t.kind === 'table' || t.kind === 'partitioned table') && t.partitionOf === null;
}

/** A partitioned table's partitions, at every level (rows loaded through the parent land in them). */
export function partitionsOf(t: Pick<Table, 'schema' | 'name'>, tables: Table[]): Table[] {
  const name = displayName(t.schema, t.name);
  const direct = tables.filter((x) => x.partitionOf === name);
  return direct.flatMap((p) => [p, ...partitionsOf(p, tables)]);
}

/**
 * Every relation's partition root by tableKey: itself, or the partitioned table at the top of its
 * tree, whose copy carries the partition's rows (and so answers for the keys declared on it).
 */
export function partitionRoots(tables: Table[]): Map<string, Table> {
  const byName = new Map(tables.map((t) => [displayName(t.schema, t.name), t]));
  const rootOf = (t: Table): Table => {
    const parent = t.partitionOf === null ? undefined : byName.get(t.partitionOf);
    return parent ? rootOf(parent) : t;
  };
  return new Map(tables.map((t) => [tableKey(t.schema, t.name), rootOf(t)]));
}

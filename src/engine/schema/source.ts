// What the source's catalog says about the tables Archon is asked to create on the target: their
// columns, constraints, indexes, sequences (owned or called by defaults), partitions, inheritance
// parents, the types they use, their row-level security, and the objects around them that Archon
// does not create. Read inside the source's snapshot, with the server's own deparsers (format_type,
// pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_partkeydef).
import type pg from 'pg';

export interface SourceRelation {
  oid: string;
  schema: string;
  name: string;
  /** r plain, p partitioned. */
  relkind: string;
  unlogged: boolean;
  partkey: string | null;
  /** The partition bound (`FOR VALUES …`) and its parent's oid, on a partition. */
  bound: string | null;
  parent: string | null;
  /** The tables it inherits from (INHERITS, not partitioning), in their order; null when none. */
  inherits: InheritanceParent[] | null;
  comment: string | null;
  /** What exists around the table that Archon does not create. */
  triggers: string[] | null;
  policies: string[] | null;
  /** The views and materialized views over it, each named with its kind: `materialized view public.mv`. */
  views: string[] | null;
  publications: string[] | null;
  rules: string[] | null;
  grants: boolean;
  /** relrowsecurity and relforcerowsecurity: Archon gives a table it creates the same (ddl.ts). */
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  /** pg_class.relreplident: d default, n nothing, f full, i an index (named in replicaIndex). */
  replicaIdentity: string;
  replicaIndex: string | null;
}

/** An inheritance parent as its child's DDL needs it: its name, and what its columns give the child. */
export interface InheritanceParent {
  schema: string;
  name: string;
  columns: { name: string; notNull: boolean; default: string | null }[];
}

export interface SourceColumn {
  rel: string;
  name: string;
  type: string;
  notNull: boolean;
  /** a ALWAYS, d BY DEFAULT, '' none. */
  identity: string;
  /** s STORED, '' none. */
  generated: string;
  /** Declared on this relation (not only inherited from a parent, partitioned or not). */
  local: boolean;
  /** A collation other than the type's default, qualified, with its provider (b builtin is PostgreSQL 17+). */
  collation: string | null;
  collationProvider: string | null;
  expr: string | null;
  comment: string | null;
}

export interface SourceSequence {
  rel: string;
  column: string;
  /** a serial (owned), i identity, n called by the column's default (owned by it or not: see ownedBy). */
  deptype: string;
  schema: string;
  name: string;
  type: string;
  start: string;
  increment: string;
  min: string;
  max: string;
  cache: string;
  cycle: boolean;
  /** The column that owns the sequence on the source (OWNED BY), wherever it is; null when none does. */
  ownedBy: { schema: string; table: string; column: string } | null;
}

export interface SourceConstraint {
  rel: string;
  name: string;
  /** c check, p primary key, u unique, x exclusion, f foreign key. */
  type: string;
  def: string;
  /** Inherited from a parent (a partition's or an inheritance child's copy of its parent's constraint). */
  inherited: boolean;
  /** The table's columns it is declared on (a CHECK: those its expression reads). */
  columns: string[];
  /** For a foreign key: the table it references (its oid, schema and name). */
  refRel: string | null;
  refSchema: string | null;
  refTable: string | null;
}

export interface SourceIndex {
  rel: string;
  schema: string;
  name: string;
  def: string;
  method: string;
  /** The table's columns it reads: its keys, and those its expressions and predicate use. */
  columns: string[];
  /** The partitioned index this one is attached to (a partition's index), if any. */
  parentSchema: string | null;
  parentName: string | null;
}

export interface SourceType {
  oid: string;
  /** The relations (oids) whose columns reach this type. */
  rels: string[];
  schema: string;
  name: string;
  /** e enum, d domain, c composite, r range, b base, m multirange. */
  typtype: string;
  /** For a composite: whether it stands alone (CREATE TYPE) or is some table's row type. */
  standalone: boolean;
  extension: string | null;
  extensionSchema: string | null;
  labels: string[] | null;
  base: string | null;
  domainNotNull: boolean;
  domainDefault: string | null;
  /** A domain's own collation, when it differs from its base type's. */
  domainCollation: string | null;
  domainChecks: string[] | null;
  /** Its checks that call a function of the database's own, added once the functions exist. */
  domainLateChecks: string[] | null;
  fields: { name: string; type: string }[] | null;
}

/** An extension's object that something the DDL creates depends on (pg_depend), named by pg_describe_object. */
export interface SourceExtensionUse {
  /** The relation (oid) whose DDL needs it, or null when a type does (`type`). */
  rel: string | null;
  /** The type (oid) whose DDL needs it: a domain's default or check. */
  type: string | null;
  /** The column it is needed for (its type, default or generation), or null for a constraint or index. */
  column: string | null;
  /** The constraint or index that needs it, by name; null for a column or a type. */
  object: string | null;
  extension: string;
  /** What needs it and what it needs: `index public.docs_trgm`, `operator class public.gin_trgm_ops for access method gin`. */
  user: string;
  used: string;
}

/** An extension the DDL needs, with the schema the source has it in and the extensions it requires. */
export interface SourceExtension {
  name: string;
  schema: string;
  requires: string[];
  /** The schema as the deparsers write it (quote_ident). */
  quotedSchema: string;
  /**
   * Its objects in that schema as the deparsers name them after it, `citext`, `gin_trgm_ops`, `<->`:
   * written in the target's schema for the extension when it has it elsewhere. One whose name a
   * relation of that schema shares is left out (a reference to that relation must not move).
   */
  members: string[];
}

export interface SourceDefinitions {
  relations: SourceRelation[];
  columns: SourceColumn[];
  sequences: SourceSequence[];
  constraints: SourceConstraint[];
  indexes: SourceIndex[];
  /** The user-defined types the columns use, dependencies first. */
  types: SourceType[];
  /** The extensions' objects the relations and types depend on. */
  extensionUses: SourceExtensionUse[];
  /** The extensions those and the types come from, with the ones they require, required ones first. */
  extensions: SourceExtension[];
}

const RELATIONS_SQL = `
SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS relkind,
       c.relpersistence = 'u' AS unlogged,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END AS bound,
       (SELECT i.inhparent::text FROM pg_inherits i WHERE i.inhrelid = c.oid AND c.relispartition) AS parent,
       (SELECT json_agg(json_build_object('schema', pn.nspname, 'name', pc.relname, 'columns',
                 (SELECT json_agg(json_build_object('name', pa.attname, 'notNull', pa.attnotnull,
                                                    'default', pg_get_expr(pd.adbin, pd.adrelid)) ORDER BY pa.attnum)
                    FROM pg_attribute pa LEFT JOIN pg_attrdef pd ON pd.adrelid = pa.attrelid AND pd.adnum = pa.attnum
                   WHERE pa.attrelid = pc.oid AND pa.attnum > 0 AND NOT pa.attisdropped)) ORDER BY i.inhseqno)
          FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = pc.relnamespace
         WHERE i.inhrelid = c.oid AND NOT c.relispartition) AS inherits,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger
         WHERE tgrelid = c.oid AND NOT tgisinternal) AS triggers,
       (SELECT array_agg(polname::text ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT array_agg(DISTINCT format('%s %I.%I', CASE v.relkind WHEN 'm' THEN 'materialized view' ELSE 'view' END,
                                         vn.nspname, v.relname)) FROM pg_depend d
          JOIN pg_rewrite rw ON rw.oid = d.objid JOIN pg_class v ON v.oid = rw.ev_class
          JOIN pg_namespace vn ON vn.oid = v.relnamespace
         WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
           AND d.refobjid = c.oid AND v.oid <> c.oid) AS views,
       (SELECT array_agg(p.pubname::text ORDER BY p.pubname) FROM pg_publication_rel pr
          JOIN pg_publication p ON p.oid = pr.prpubid WHERE pr.prrelid = c.oid) AS publications,
       (SELECT array_agg(rulename::text ORDER BY rulename) FROM pg_rewrite
         WHERE ev_class = c.oid AND rulename <> '_RETURN') AS rules,
       c.relacl IS NOT NULL AS grants, c.relrowsecurity AS "rowSecurity",
       c.relforcerowsecurity AS "forceRowSecurity", c.relreplident::text AS "replicaIdentity",
       (SELECT ic.relname FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
         WHERE x.indrelid = c.oid AND x.indisreplident) AS "replicaIndex"
FROM (SELECT p.relid, min(p.level) AS level, min(r.ord) AS ord
        FROM unnest($1::text[]) WITH ORDINALITY AS r(rel, ord),
             LATERAL (SELECT relid, level FROM pg_partition_tree(r.rel::regclass)
                      UNION SELECT r.rel::regclass, 0) p
       GROUP BY p.relid) t
JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY t.ord, t.level, n.nspname, c.relname`;

const COLUMNS_SQL = `
SELECT a.attrelid::text AS rel, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS "notNull", a.attidentity::text AS identity, a.attgenerated::text AS generated,
       a.attislocal AS local,
       CASE WHEN a.attcollation <> t.typcollation AND a.attcollation <> 0
            THEN format('%I.%I', cn.nspname, co.collname) END AS collation,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collprovider::text END AS "collationProvider",
       pg_get_expr(ad.adbin, ad.adrelid) AS expr, col_description(a.attrelid, a.attnum) AS comment
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`;

// The sequences the relations own (serial, identity) and those their column defaults call, owned or
// not (Pagila creates them on their own), both found through pg_depend: a default calling
// nextval('s') depends on s from its pg_attrdef row.
const SEQUENCES_SQL = `
SELECT u.rel::text AS rel, a.attname AS column, u.deptype, sn.nspname AS schema,
       s.relname AS name, format_type(q.seqtypid, NULL) AS type, q.seqstart::text AS start,
       q.seqincrement::text AS increment, q.seqmin::text AS min, q.seqmax::text AS max, q.seqcache::text AS cache,
       q.seqcycle AS cycle,
       (SELECT json_build_object('schema', own.nspname, 'table', oc.relname, 'column', oa.attname) FROM pg_depend od
          JOIN pg_class oc ON oc.oid = od.refobjid JOIN pg_namespace own ON own.oid = oc.relnamespace
          JOIN pg_attribute oa ON oa.attrelid = od.refobjid AND oa.attnum = od.refobjsubid
         WHERE od.classid = 'pg_class'::regclass AND od.objid = s.oid AND od.refclassid = 'pg_class'::regclass
           AND od.deptype = 'a') AS "ownedBy"
FROM (SELECT d.refobjid AS rel, d.refobjsubid AS attnum, d.objid AS seq, d.deptype::text AS deptype FROM pg_depend d
       WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
         AND d.refobjid = ANY($1::oid[])
      UNION
      SELECT ad.adrelid, ad.adnum, d.refobjid, 'n' FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
       WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
         AND ad.adrelid = ANY($1::oid[])) u
JOIN pg_class s ON s.oid = u.seq AND s.relkind = 'S' JOIN pg_namespace sn ON sn.oid = s.relnamespace
JOIN pg_sequence q ON q.seqrelid = s.oid
JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum
ORDER BY u.rel, a.attnum, u.deptype`;

// A foreign key that references a partitioned table has a copy per referenced partition, on the
// same table, that PostgreSQL makes and names itself: never one to create.
const CONSTRAINTS_SQL = `
SELECT con.conrelid::text AS rel, con.conname AS name, con.contype::text AS type, pg_get_constraintdef(con.oid) AS def,
       (con.conparentid <> 0 OR NOT con.conislocal) AS inherited,
       ARRAY(SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey) ORDER BY a.attnum) AS columns,
       rc.oid::text AS "refRel", rn.nspname AS "refSchema", rc.relname AS "refTable"
FROM pg_constraint con
LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE con.conrelid = ANY($1::oid[]) AND con.contype IN ('c', 'p', 'u', 'x', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint pc WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)
ORDER BY con.conrelid, array_position(ARRAY['p', 'u', 'x', 'c', 'f']::"char"[], con.contype), con.conname`;

// Indexes that back a constraint are created by it. A partition's index attached to its parent's is
// named with that parent index: it is created under its own name and attached, as pg_dump does.
const INDEXES_SQL = `
SELECT i.indrelid::text AS rel, n.nspname AS schema, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS def,
       am.amname AS method, pn.nspname AS "parentSchema", pc.relname AS "parentName",
       -- expressions and predicates record the columns they read in pg_depend
       ARRAY(SELECT a.attname::text FROM pg_attribute a
              WHERE a.attrelid = i.indrelid AND a.attnum > 0
                AND (a.attnum = ANY (i.indkey::int2[])
                     OR EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = i.indexrelid AND d.refobjid = i.indrelid AND d.refobjsubid = a.attnum))
              ORDER BY a.attnum) AS columns
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
JOIN pg_am am ON am.oid = ic.relam
LEFT JOIN pg_inherits h ON h.inhrelid = i.indexrelid
LEFT JOIN pg_class pc ON pc.oid = h.inhparent LEFT JOIN pg_namespace pn ON pn.oid = pc.relnamespace
WHERE i.indrelid = ANY($1::oid[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                    AND c.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname`;

/**
 * Whether a domain's check (co) calls a function of the database's own (not built in, not an
 * extension's): that function is created after the types (its signature may name one), so the check
 * is added to the domain once it exists.
 */
const CALLS_OWN_FUNCTION = `EXISTS (SELECT 1 FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid
   WHERE d.classid = 'pg_constraint'::regclass AND d.objid = co.oid AND d.refclassid = 'pg_proc'::regclass
     AND p.pronamespace <> 'pg_catalog'::regnamespace
     AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e'))`;

// Every user-defined type the columns reach (through arrays, domains and composite fields), the
// deepest first so each is created after what it is made of.
const TYPES_SQL = `
WITH RECURSIVE used(rel, oid, depth) AS (
  SELECT DISTINCT a.attrelid, a.atttypid, 0 FROM pg_attribute a
   WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
  UNION
  SELECT u.rel, d.dep, u.depth + 1 FROM used u JOIN pg_type t ON t.oid = u.oid
  CROSS JOIN LATERAL (SELECT t.typelem AS dep UNION ALL SELECT t.typbasetype
                      UNION ALL SELECT fa.atttypid FROM pg_attribute fa
                       WHERE t.typtype = 'c' AND fa.attrelid = t.typrelid AND fa.attnum > 0 AND NOT fa.attisdropped) d
  WHERE d.dep <> 0 AND u.depth < 20)
SELECT t.oid::text AS oid, u.rels, n.nspname AS schema, t.typname AS name, t.typtype::text AS typtype,
       coalesce((SELECT relkind = 'c' FROM pg_class WHERE oid = t.typrelid), false) AS standalone,
       e.extname AS extension, en.nspname AS "extensionSchema",
       (SELECT array_agg(enumlabel::text ORDER BY enumsortorder) FROM pg_enum WHERE enumtypid = t.oid) AS labels,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base,
       t.typnotnull AS "domainNotNull", pg_get_expr(t.typdefaultbin, 0) AS "domainDefault",
       (SELECT format('%I.%I', cn.nspname, co.collname) FROM pg_collation co
          JOIN pg_namespace cn ON cn.oid = co.collnamespace JOIN pg_type bt ON bt.oid = t.typbasetype
         WHERE t.typtype = 'd' AND co.oid = t.typcollation AND t.typcollation <> bt.typcollation) AS "domainCollation",
       (SELECT array_agg(format('CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) ORDER BY conname)
          FROM pg_constraint co WHERE contypid = t.oid AND NOT ${CALLS_OWN_FUNCTION}) AS "domainChecks",
       (SELECT array_agg(format('CONSTRAINT %I %s', conname, pg_get_constraintdef(oid)) ORDER BY conname)
          FROM pg_constraint co WHERE contypid = t.oid AND ${CALLS_OWN_FUNCTION}) AS "domainLateChecks",
       (SELECT json_agg(json_build_object('name', fa.attname, 'type', format_type(fa.atttypid, fa.atttypmod))
                        ORDER BY fa.attnum)
          FROM pg_attribute fa WHERE t.typtype = 'c' AND fa.attrelid = t.typrelid AND fa.attnum > 0
           AND NOT fa.attisdropped) AS fields
FROM (SELECT oid, max(depth) AS depth, array_agg(DISTINCT rel::text) AS rels FROM used GROUP BY oid) u
JOIN pg_type t ON t.oid = u.oid JOIN pg_namespace n ON n.oid = t.typnamespace
LEFT JOIN pg_depend dep ON dep.classid = 'pg_type'::regclass AND dep.objid = t.oid AND dep.deptype = 'e'
LEFT JOIN pg_extension e ON e.oid = dep.refobjid LEFT JOIN pg_namespace en ON en.oid = e.extnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT (t.typcategory = 'A' AND t.typelem <> 0)
ORDER BY u.depth DESC, n.nspname, t.typname`;

// What the DDL creates depends on, through pg_depend: each relation (its columns' types and collations,
// its partition key's operator classes), its defaults and generation expressions (pg_attrdef), its
// constraints (CHECK functions, exclusion operators), its indexes (operator classes, functions and
// operators in expressions and predicates), and the types Archon creates (a domain's default and
// checks). Whatever of that an extension owns (deptype 'e') needs the extension on the target; an
// array type counts as its element (before PostgreSQL 17 an extension does not own its types' arrays).
const EXTENSION_USES_SQL = `
WITH roots(classid, objid, rel, type, col, object, label) AS (
  SELECT 'pg_class'::regclass, r.oid, r.oid, NULL::oid, NULL::int2, NULL::name, NULL FROM unnest($1::oid[]) r(oid)
  UNION ALL SELECT 'pg_attrdef'::regclass, ad.oid, ad.adrelid, NULL, ad.adnum, NULL, NULL FROM pg_attrdef ad
   WHERE ad.adrelid = ANY($1::oid[])
  UNION ALL SELECT 'pg_constraint'::regclass, con.oid, con.conrelid, NULL, NULL, con.conname, NULL FROM pg_constraint con
   WHERE con.conrelid = ANY($1::oid[])
  UNION ALL SELECT 'pg_class'::regclass, i.indexrelid, i.indrelid, NULL, NULL, ic.relname, NULL FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = ANY($1::oid[])
  UNION ALL SELECT 'pg_type'::regclass, t.oid, NULL, t.oid, NULL, NULL, NULL FROM unnest($2::oid[]) t(oid)
  -- pg_describe_object leaves out which domain a check belongs to.
  UNION ALL SELECT 'pg_constraint'::regclass, con.oid, NULL, con.contypid, NULL, NULL,
                   format('constraint %s on domain %s', con.conname, format_type(con.contypid, NULL))
    FROM pg_constraint con WHERE con.contypid = ANY($2::oid[]))
SELECT DISTINCT r.rel::text AS rel, r.type::text AS type,
       (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = r.rel
           AND a.attnum = coalesce(r.col, CASE WHEN r.objid = r.rel THEN nullif(d.objsubid, 0) END)) AS column,
       r.object::text AS object, e.extname AS extension, coalesce(r.label, pg_describe_object(d.classid, d.objid, d.objsubid)) AS user,
       pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid) AS used
FROM roots r
JOIN pg_depend d ON d.classid = r.classid AND d.objid = r.objid AND d.deptype IN ('n', 'a')
LEFT JOIN pg_type arr ON d.refclassid = 'pg_type'::regclass AND arr.oid = d.refobjid AND arr.typcategory = 'A'
  AND arr.typelem <> 0
JOIN pg_depend x ON x.classid = d.refclassid AND x.objid = coalesce(arr.typelem, d.refobjid) AND x.deptype = 'e'
  AND x.refclassid = 'pg_extension'::regclass
JOIN pg_extension e ON e.oid = x.refobjid
ORDER BY 1, 2, 5, 6, 7`;

// The extensions named and those they require (CREATE EXTENSION refuses one whose required
// extension is missing), the most deeply required first.
const EXTENSIONS_SQL = `
WITH RECURSIVE need(oid, depth) AS (
  SELECT e.oid, 0 FROM pg_extension e WHERE e.extname = ANY($1::text[])
  UNION
  SELECT d.refobjid, n.depth + 1 FROM need n
  JOIN pg_depend d ON d.classid = 'pg_extension'::regclass AND d.objid = n.oid
   AND d.refclassid = 'pg_extension'::regclass
  WHERE n.depth < 20)
SELECT e.extname AS name, en.nspname AS schema,
       coalesce((SELECT array_agg(r.extname::text ORDER BY r.extname) FROM pg_depend d
                  JOIN pg_extension r ON r.oid = d.refobjid
                 WHERE d.classid = 'pg_extension'::regclass AND d.objid = e.oid
                   AND d.refclassid = 'pg_extension'::regclass), '{}') AS requires,
       quote_ident(en.nspname) AS "quotedSchema",
       coalesce((SELECT array_agg(DISTINCT m.q) FROM pg_depend d
                  CROSS JOIN LATERAL (
                    SELECT typnamespace, typname, quote_ident(typname) FROM pg_type
                     WHERE d.classid = 'pg_type'::regclass AND oid = d.objid
                    UNION ALL SELECT pronamespace, proname, quote_ident(proname) FROM pg_proc
                     WHERE d.classid = 'pg_proc'::regclass AND oid = d.objid
                    UNION ALL SELECT oprnamespace, oprname, oprname::text FROM pg_operator
                     WHERE d.classid = 'pg_operator'::regclass AND oid = d.objid
                    UNION ALL SELECT opcnamespace, opcname, quote_ident(opcname) FROM pg_opclass
                     WHERE d.classid = 'pg_opclass'::regclass AND oid = d.objid
                    UNION ALL SELECT opfnamespace, opfname, quote_ident(opfname) FROM pg_opfamily
                     WHERE d.classid = 'pg_opfamily'::regclass AND oid = d.objid
                    UNION ALL SELECT collnamespace, collname, quote_ident(collname) FROM pg_collation
                     WHERE d.classid = 'pg_collation'::regclass AND oid = d.objid) m(nsp, name, q)
                 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid AND d.deptype = 'e'
                   AND m.nsp = e.extnamespace
                   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = m.nsp AND c.relname = m.name)),
                '{}') AS members
FROM (SELECT oid, max(depth) AS depth FROM need GROUP BY oid) n
JOIN pg_extension e ON e.oid = n.oid JOIN pg_namespace en ON en.oid = e.extnamespace
ORDER BY n.depth DESC, e.extname`;

/**
 * Reads the definitions of `tables` (qualified, quoted names) and of their partitions. Every name
 * the deparsers print is schema-qualified (search_path is pg_catalog only while reading, as pg_dump
 * does), so the DDL means the same on a target whose search_path differs.
 */
export async function readDefinitions(source: pg.Client, tables: string[]): Promise<SourceDefinitions> {
  const path = (await source.query(`SELECT current_setting('search_path') AS p`)).rows[0].p as string;
  await source.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  try {
    const relations = (await source.query<SourceRelation>(RELATIONS_SQL, [tables])).rows;
    const oids = [relations.map((r) => r.oid)];
    const rows = async <T extends pg.QueryResultRow>(sql: string) => (await source.query<T>(sql, oids)).rows;
    const types = await rows<SourceType>(TYPES_SQL);
    const created = types.filter((t) => !t.extension).map((t) => t.oid);
    const uses = (await source.query<SourceExtensionUse>(EXTENSION_USES_SQL, [...oids, created])).rows;
    const named = [...new Set([...uses.map((u) => u.extension), ...types.flatMap((t) => t.extension ?? [])])];
    return {
      relations,
      columns: await rows<SourceColumn>(COLUMNS_SQL),
      sequences: await rows<SourceSequence>(SEQUENCES_SQL),
      constraints: await rows<SourceConstraint>(CONSTRAINTS_SQL),
      indexes: await rows<SourceIndex>(INDEXES_SQL),
      types,
      extensionUses: uses,
      extensions: (await source.query<SourceExtension>(EXTENSIONS_SQL, [named])).rows,
    };
  } finally {
    await source.query(`SELECT set_config('search_path', $1, true)`, [path]);
  }
}

// The source's objects that are not tables (functions, views, sequences, types, triggers, policies,
// extensions, …) which the target lacks and the run does not create: named in the plan and the
// report so nothing is silently missing. Both sides are listed by one query (the source inside its
// snapshot), in the schemas the run's tables live in (a platform's own schemas aside) and
// database-wide; an object the target has (same kind, schema, name and argument types) is not
// missing. What an extension brings, and what is part of another object (an array type, a table's
// row type, a range's constructor), is never listed: it comes with its owner.
import type pg from 'pg';
import { displayName, shownName } from '../../shared/names.js';
import { OBJECT_KINDS, type ObjectKind, type ObjectStatus, type SchemaObject } from '../../shared/report.js';
import { kindPlural } from '../../shared/reportObjects.js';
import { type Table, partitionsOf } from '../catalog/catalog.js';
import { ident, qualified, tableKey } from '../ident.js';
import { JOURNAL_SCHEMA } from '../journal/journal.js';
import type { Plan } from '../plan/plan.js';
import type { Selection } from '../catalog/selection.js';
import { tableKind } from '../catalog/platform.js';
import type { CreatedObject } from '../schema/ddl.js';
import type { Session } from '../connect/session.js';

/** A table of the run, as far as the objects around it are concerned. */
export interface ScopeTable {
  schema: string;
  table: string;
  /** The run creates it (so whatever hangs on it is created without it). */
  created: boolean;
  /** The schemas, types, extensions and sequences the run creates for it, as its DDL names them. */
  creates: CreatedObject[];
}

/** One object as a side's catalog lists it. */
interface ObjectRow {
  kind: ObjectKind;
  /** Null for a database-wide object. */
  schema: string | null;
  name: string;
  /** Argument types of a function or an operator, as its signature shows them. */
  args: string | null;
  /** The relation a trigger, policy, rule or row-level security belongs to. */
  table: string | null;
  /** Where a database-wide object's insides live: an event trigger's function, an extension's objects. */
  home: string | null;
  classid: string;
  objid: string;
}

/** An object a run's table depends on (a type, a function in a default, a sequence, an extension's member). */
interface UseRow {
  classid: string;
  objid: string;
  schema: string;
  table: string;
  /** The extension the object belongs to, if any. */
  extension: string | null;
}

/**
 * A type as signatures show it: built-in types as PostgreSQL writes them, others by name alone, since
 * the same extension's type may live in another schema on the other server.
 */
export const typeText = (oid: string) => `(SELECT CASE
    WHEN t.typnamespace = 'pg_catalog'::regnamespace THEN format_type(t.oid, NULL)
    WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN quote_ident(e.typname) || '[]'
    ELSE quote_ident(t.typname) END
  FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem WHERE t.oid = ${oid})`;

/** Every object of the kinds Archon does not create, in schemas $1 and database-wide. */
const objectsSql = (versionNum: number) => `
SELECT o.kind, o.schema, o.name, o.args, o.tbl AS "table", o.home,
       o.classid::oid::int8::text AS classid, o.objid::int8::text AS objid
FROM (
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind,
         n.nspname AS schema, p.proname AS name,
         (SELECT coalesce(string_agg(${typeText('a.t')}, ', ' ORDER BY a.ord), '')
            FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, ord)) AS args,
         NULL::name AS tbl, NULL::name AS home, 'pg_proc'::regclass AS classid, p.oid AS objid
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY ($1)
  UNION ALL
  SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
         ELSE 'sequence' END, n.nspname, c.relname, NULL, NULL, NULL, 'pg_class'::regclass, c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm', 'f', 'S')
     -- a sequence a column owns (serial) goes with its table
     AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
              AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'))
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, n.nspname, t.typname, NULL, NULL, NULL,
         'pg_type'::regclass, t.oid
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE n.nspname = ANY ($1) AND t.typtype IN ('b', 'c', 'd', 'e', 'r', 'm')
  UNION ALL
  SELECT 'trigger', n.nspname, tg.tgname, NULL, c.relname, NULL, 'pg_trigger'::regclass, tg.oid
    FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY ($1) AND NOT tg.tgisinternal
     -- a partition's copy of its parent's trigger is the parent's (before 13, such copies are internal)
     ${versionNum >= 130000 ? 'AND tg.tgparentid = 0' : ''}
  UNION ALL
  SELECT 'policy', n.nspname, pol.polname, NULL, c.relname, NULL, 'pg_policy'::regclass, pol.oid
    FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY ($1)
  UNION ALL
  SELECT 'row-level security', n.nspname, c.relname, NULL, c.relname, NULL, 'pg_class'::regclass, c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY ($1) AND c.relrowsecurity
  UNION ALL
  SELECT 'rule', n.nspname, r.rulename, NULL, c.relname, NULL, 'pg_rewrite'::regclass, r.oid
    FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = ANY ($1) AND r.rulename <> '_RETURN'
  UNION ALL
  SELECT 'operator', n.nspname, o.oprname,
         coalesce(${typeText('o.oprleft')}, 'NONE') || ', ' || coalesce(${typeText('o.oprright')}, 'NONE'),
         NULL, NULL, 'pg_operator'::regclass, o.oid
    FROM pg_operator o JOIN pg_namespace n ON n.oid = o.oprnamespace WHERE n.nspname = ANY ($1)
  UNION ALL
  SELECT 'collation', n.nspname, co.collname, NULL, NULL, NULL, 'pg_collation'::regclass, co.oid
    FROM pg_collation co JOIN pg_namespace n ON n.oid = co.collnamespace WHERE n.nspname = ANY ($1)
  UNION ALL
  SELECT 'text search configuration', n.nspname, cf.cfgname, NULL, NULL, NULL, 'pg_ts_config'::regclass, cf.oid
    FROM pg_ts_config cf JOIN pg_namespace n ON n.oid = cf.cfgnamespace WHERE n.nspname = ANY ($1)
  UNION ALL
  SELECT 'event trigger', NULL, ev.evtname, NULL, NULL, fn.nspname, 'pg_event_trigger'::regclass, ev.oid
    FROM pg_event_trigger ev JOIN pg_proc f ON f.oid = ev.evtfoid JOIN pg_namespace fn ON fn.oid = f.pronamespace
  UNION ALL
  SELECT 'publication', NULL, pubname, NULL, NULL, NULL, 'pg_publication'::regclass, oid FROM pg_publication
  UNION ALL
  SELECT 'foreign server', NULL, srvname, NULL, NULL, NULL, 'pg_foreign_server'::regclass, oid FROM pg_foreign_server
  UNION ALL
  SELECT 'extension', NULL, x.extname, NULL, NULL, xn.nspname, 'pg_extension'::regclass, x.oid
    FROM pg_extension x JOIN pg_namespace xn ON xn.oid = x.extnamespace
) o
WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = o.classid AND d.objid = o.objid AND d.deptype IN ('e', 'i'))`;

/**
 * What the run's tables ($1, qualified names) and their partitions depend on, through their columns'
 * types (and what those are made of), defaults, constraints and indexes; with the extension of each.
 */
const USES_SQL = `
WITH RECURSIVE sel(root, rel) AS (
  SELECT r.oid, r.oid FROM (SELECT x::regclass::oid AS oid FROM unnest($1::text[]) x) r
  UNION SELECT s.root, i.inhrelid FROM sel s JOIN pg_inherits i ON i.inhparent = s.rel),
parts(root, classid, objid) AS (
  SELECT root, 'pg_class'::regclass::oid, rel FROM sel
  UNION ALL SELECT s.root, 'pg_attrdef'::regclass::oid, ad.oid FROM sel s JOIN pg_attrdef ad ON ad.adrelid = s.rel
  UNION ALL SELECT s.root, 'pg_constraint'::regclass::oid, c.oid FROM sel s JOIN pg_constraint c ON c.conrelid = s.rel
  UNION ALL SELECT s.root, 'pg_class'::regclass::oid, i.indexrelid FROM sel s JOIN pg_index i ON i.indrelid = s.rel),
used(root, classid, objid, depth) AS (
  SELECT p.root, d.refclassid, d.refobjid, 0 FROM parts p
    JOIN pg_depend d ON d.classid = p.classid AND d.objid = p.objid AND d.deptype = 'n'
  UNION
  SELECT u.root, 'pg_type'::regclass::oid, x.dep, u.depth + 1
    FROM used u JOIN pg_type t ON u.classid = 'pg_type'::regclass::oid AND t.oid = u.objid
    CROSS JOIN LATERAL (SELECT t.typelem AS dep UNION ALL SELECT t.typbasetype
      UNION ALL SELECT fa.atttypid FROM pg_attribute fa
       WHERE t.typtype = 'c' AND fa.attrelid = t.typrelid AND fa.attnum > 0 AND NOT fa.attisdropped
      UNION ALL SELECT rg.rngsubtype FROM pg_range rg WHERE rg.rngtypid = t.oid) x
   WHERE x.dep <> 0 AND u.depth < 20)
SELECT DISTINCT u.classid::int8::text AS classid, u.objid::int8::text AS objid, n.nspname AS schema,
       c.relname AS "table",
       (SELECT x.extname FROM pg_depend e JOIN pg_extension x ON x.oid = e.refobjid
         WHERE e.classid = u.classid AND e.objid = u.objid AND e.deptype = 'e' LIMIT 1) AS extension
FROM used u JOIN pg_class c ON c.oid = u.root JOIN pg_namespace n ON n.oid = c.relnamespace`;

const ATTACHED: ReadonlySet<ObjectKind> = new Set(['trigger', 'policy', 'row-level security', 'rule']);
const RELATIONS: ReadonlySet<ObjectKind> = new Set(['view', 'materialized view', 'foreign table']);

/** The object as people read it; two sides name the same object the same way. */
function nameOf(r: ObjectRow): string {
  if (r.kind === 'row-level security') return displayName(r.schema!, r.table!);
  if (r.table !== null) return `${shownName(r.name)} on ${displayName(r.schema!, r.table)}`;
  if (r.schema === null) return shownName(r.name);
  // An operator's name is its symbol, never quoted.
  if (r.kind === 'operator') return `${shownName(r.schema)}.${r.name}(${r.args})`;
  return r.args === null ? displayName(r.schema, r.name) : `${displayName(r.schema, r.name)}(${r.args})`;
}

const keyOf = (r: ObjectRow) => `${r.kind} ${nameOf(r)}`;
/** The object as the DDL names what it creates (CreatedObject). */
const createdKey = (r: { kind: string; name: string }) => `${r.kind} ${r.name}`;
const sqlName = (r: ObjectRow) => (r.schema === null ? ident(r.name) : qualified(r.schema, r.name));
const idOf = (r: { classid: string; objid: string }) => `${r.classid}/${r.objid}`;

/** Everything the reasons need to know about the run. */
interface Context {
  status: ObjectStatus;
  /** The run's tables and their partitions, by tableKey. */
  tables: Map<string, ScopeTable>;
  onTarget: ReadonlySet<string>;
  /** Run tables that use an object, by object (classid/objid). */
  usedBy: Map<string, string[]>;
  /** Run tables that need an extension, by extension. */
  needs: Map<string, string[]>;
  /** The source's views and materialized views the target lacks, by tableKey: their triggers are listed. */
  views: ReadonlySet<string>;
}

/** The run's tables that use the object (an extension: any of its members), for the report to name. */
const usersOf = (r: ObjectRow, c: Context) => (r.kind === 'extension' ? c.needs.get(r.name) : c.usedBy.get(idOf(r)));

/**
 * What --create-objects would create, said where it is left out (the VS Code review says its own
 * choice instead: createModel.ts). Short, so a plan's line stays one line.
 */
export const WHEN_ASKED = 'created only with --create-objects';

/** Why the object is not on the target after the run, in words that objects in the same case share. */
function reasonOf(r: ObjectRow, c: Context): string {
  const migrating = c.status === 'not created';
  if (r.kind === 'extension')
    return c.needs.has(r.name)
      ? 'not installed on the target; install it there first'
      : 'not installed on the target; no selected table uses it';
  // An INSTEAD OF trigger or a rule on a view the target lacks: created with its view (create/objects.ts).
  if (onMissingView(r, c))
    return migrating
      ? `its view is not on the target either; views and their triggers are ${WHEN_ASKED}`
      : 'its view is not on the target either';
  if (ATTACHED.has(r.kind)) {
    const t = c.tables.get(tableKey(r.schema!, r.table!));
    if (t?.created && migrating)
      return r.kind === 'trigger' || r.kind === 'rule'
        ? `its table is created without it (${WHEN_ASKED})`
        : 'its table is created without it';
    if (!c.onTarget.has(tableKey(r.schema!, r.table!))) return 'its table is not on the target either';
    const lacks = `the target's table ${r.kind === 'row-level security' ? 'does not enable it' : 'lacks it'}`;
    return migrating ? `${lacks}; Archon copies rows, not ${kindPlural(r.kind)}` : lacks;
  }
  if (RELATIONS.has(r.kind) && r.kind !== 'foreign table' && migrating)
    return `only tables are copied; ${kindPlural(r.kind)} are ${WHEN_ASKED}`;
  if (RELATIONS.has(r.kind)) return migrating ? 'only tables are copied' : 'only tables are compared';
  if (r.kind === 'type' || r.kind === 'domain') return 'no selected table uses it';
  if (r.kind === 'sequence' && migrating) return 'no column owns it, and no table the run creates calls it';
  if (migrating && (r.kind === 'function' || r.kind === 'procedure' || r.kind === 'aggregate')) return WHEN_ASKED;
  return migrating
    ? `Archon creates tables, not ${kindPlural(r.kind)}`
    : `compare reads tables' rows, not ${kindPlural(r.kind)}`;
}

/** A trigger or rule on a view the target lacks, which --create-objects creates with it. */
const onMissingView = (r: ObjectRow, c: Context) =>
  (r.kind === 'trigger' || r.kind === 'rule') && c.views.has(tableKey(r.schema!, r.table!));

/** Whether the source still names it after everything that comes with the run's tables is set aside. */
function stillMissing(r: ObjectRow, c: Context, created: ReadonlySet<string>, platformSchema: (s: string) => boolean) {
  // Listed among the tables already (a view named in the selection is a skipped row).
  if (RELATIONS.has(r.kind) && c.tables.has(tableKey(r.schema!, r.name))) return false;
  // A type a run table uses goes with that table: created with it, or named in its reason.
  if ((r.kind === 'type' || r.kind === 'domain') && c.usedBy.has(idOf(r))) return false;
  // Hung on a relation that neither the run brings nor the target has: that relation is what is missing.
  if (ATTACHED.has(r.kind)) {
    const k = tableKey(r.schema!, r.table!);
    if (!c.tables.has(k) && !c.onTarget.has(k) && !onMissingView(r, c)) return false;
  }
  // A table the run creates gets the source's row-level security with it (rowSecurity.ts).
  if (
    r.kind === 'row-level security' &&
    c.status === 'not created' &&
    c.tables.get(tableKey(r.schema!, r.table!))?.created
  )
    return false;
  // Created by the run for a table that needs it (an extension, a sequence a default calls).
  if (created.has(createdKey({ kind: r.kind, name: sqlName(r) }))) return false;
  // A platform's own: its extensions (unless a run table needs one) and its event triggers.
  if (r.kind === 'extension' && !c.needs.has(r.name) && platformSchema(r.home!)) return false;
  if (r.kind === 'event trigger' && platformSchema(r.home!)) return false;
  return true;
}

/**
 * The objects the target lacks around the run's tables: in their schemas (a platform's own schemas
 * aside) and database-wide, in the order of OBJECT_KINDS, then by name.
 */
export async function missingObjects(s: Session, scope: Scope): Promise<SchemaObject[]> {
  return (await missingObjectRows(s, scope)).map((m) => m.object);
}

/** The run's tables, and the schemas without one of them whose objects count too (tablelessSchemas). */
export interface Scope {
  tables: ScopeTable[];
  status: ObjectStatus;
  schemas?: string[];
}

/**
 * The source's schemas that hold none of the run's tables but whose objects are the run's too: when
 * the selection names nothing (the whole database), a schema of functions and views alone (`util`) is
 * as much the database as `public`. A selection by table or schema keeps to its tables' schemas; what
 * is left out there is said where something needs it (create/objects.ts). Never the journal's schema.
 */
export async function tablelessSchemas(
  s: Session,
  selection: Selection | undefined,
  tables: { schema: string }[],
): Promise<string[]> {
  const sel = selection ?? {};
  if (sel.schemas?.length || sel.tables?.length || sel.only) return [];
  const withTables = new Set(tables.map((t) => t.schema));
  const r = await s.source.query<{ n: string }>(
    `SELECT n.nspname::text AS n FROM pg_namespace n
      WHERE n.nspname !~ '^pg_' AND n.nspname NOT IN ('information_schema', $1)
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass AND d.objid = n.oid
                         AND d.deptype = 'e')
      ORDER BY 1`,
    [JOURNAL_SCHEMA],
  );
  return r.rows.map((x) => x.n).filter((n) => !withTables.has(n));
}

/** One missing object, with its catalog address on the source (for what creates it: create/objects.ts). */
export interface MissingObject {
  object: SchemaObject;
  classid: string;
  objid: string;
}

/** missingObjects, each with its address on the source. */
export async function missingObjectRows(s: Session, scope: Scope): Promise<MissingObject[]> {
  if (!scope.tables.length) return [];
  const platforms = [s.sourceCatalog.platform?.id, s.targetCatalog.platform?.id];
  const platformSchema = (schema: string) => platforms.some((p) => tableKind(p, schema, '').kind !== 'user');
  const schemas = [...new Set([...scope.tables.map((t) => t.schema), ...(scope.schemas ?? [])])].filter(
    (x) => !platformSchema(x),
  );
  const list = async (c: pg.Client, versionNum: number) =>
    (await c.query<ObjectRow>(objectsSql(versionNum), [schemas])).rows;
  const [source, target] = await Promise.all([
    list(s.source, s.sourceCatalog.serverVersionNum),
    list(s.target, s.targetCatalog.serverVersionNum),
  ]);
  const uses = (await s.source.query<UseRow>(USES_SQL, [scope.tables.map((t) => qualified(t.schema, t.table))])).rows;
  const c: Context = {
    status: scope.status,
    tables: withPartitions(scope.tables, s.sourceCatalog.tables),
    onTarget: new Set(s.targetCatalog.tables.map((t) => tableKey(t.schema, t.name))),
    usedBy: groupBy(uses, idOf),
    needs: groupBy(
      uses.filter((u) => u.extension !== null),
      (u) => u.extension!,
    ),
    views: new Set(),
  };
  const have = new Set(target.map(keyOf));
  c.views = new Set(
    source
      .filter((r) => (r.kind === 'view' || r.kind === 'materialized view') && !have.has(keyOf(r)))
      .map((r) => tableKey(r.schema!, r.name)),
  );
  const created = new Set(scope.tables.flatMap((t) => t.creates.map(createdKey)));
  const rank = (k: ObjectKind) => OBJECT_KINDS.indexOf(k);
  return source
    .filter((r) => !have.has(keyOf(r)) && stillMissing(r, c, created, platformSchema))
    .map((r): MissingObject => {
      const users = usersOf(r, c);
      const o = { kind: r.kind, name: nameOf(r), status: scope.status, reason: reasonOf(r, c) };
      return { object: users?.length ? { ...o, usedBy: users } : o, classid: r.classid, objid: r.objid };
    })
    .sort(
      ({ object: a }, { object: b }) => rank(a.kind) - rank(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
}

/** The run's tables by key, and their partitions at every level, which come (or are created) with them. */
function withPartitions(tables: ScopeTable[], catalog: Table[]): Map<string, ScopeTable> {
  const out = new Map(tables.map((t) => [tableKey(t.schema, t.table), t]));
  for (const t of tables)
    for (const p of partitionsOf({ schema: t.schema, name: t.table }, catalog))
      if (!out.has(tableKey(p.schema, p.name)))
        out.set(tableKey(p.schema, p.name), { ...t, schema: p.schema, table: p.name });
  return out;
}

/** Each key's run tables, by name, each once, in name order. */
function groupBy(uses: UseRow[], key: (u: UseRow) => string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const u of uses) {
    const names = out.get(key(u)) ?? [];
    const name = displayName(u.schema, u.table);
    if (!names.includes(name)) names.push(name);
    out.set(key(u), names);
  }
  for (const names of out.values()) names.sort();
  return out;
}

/** A plan's tables as the objects around them see them. */
export const planScope = (plan: Plan): ScopeTable[] =>
  plan.tables.map((t) => ({
    schema: t.schema,
    table: t.table,
    created: t.create?.kind === 'create',
    creates: t.create?.created ?? [],
  }));

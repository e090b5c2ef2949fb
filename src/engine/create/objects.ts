// Functions, procedures, views, materialized views and triggers the target lacks, created on request
// (--create-objects) from the source's own deparsers, inside the run's one transaction, in the order
// pg_depend gives them: functions before the tables (with check_function_bodies off, as pg_dump
// restores them, so a body may name a table created later; a function used by a default must exist
// before its table), views and functions that need a created relation after the tables, triggers
// and the refresh of materialized views after the rows (so no trigger fires during the COPY). What
// the target's version refuses is found at plan time in a rolled-back trial and becomes that object's
// reason, with what depends on it; after the run creates them, each is read back from the target's
// catalog and compared with the source's by definition: a difference fails the run.
import type pg from 'pg';
import { displayName, shownName } from '../../shared/names.js';
import type { SchemaObject } from '../../shared/report.js';
import { errorInfo } from '../errors.js';
import { SQLSTATE } from '../sqlState.js';
import { aggregateDef } from '../schema/aggregates.js';
import { targetDefaults, targetRoles } from '../schema/grants.js';
import { checkObjectGrants, objectAclNote, planObjectAcls } from '../schema/objectsAccess.js';
import {
  ambiguousOverloads,
  differingFunctionReason,
  existingDiffering,
  forgetDiffering,
  triggerFunctions,
} from './objectsExisting.js';
import { callingDiffering, differingCalleeReason, namedInBody } from '../schema/callees.js';
import { tableKind } from '../catalog/platform.js';
import type { ProgressListener } from '../events.js';
import { ident, literal, qualified, tableKey } from '../ident.js';
import type { Plan, TablePlan } from '../plan/plan.js';
import {
  type CreatableKind,
  type CreatedObject,
  type Lookup,
  type ObjectDdl,
  type Phase,
  normalizeDefinition,
  ownPart,
  sharedPart,
} from '../schema/ddl.js';
import { planOwners, wrongOwners } from './objectsOwner.js';
import { type MissingObject, missingObjectRows, planScope } from './schemaObjects.js';
import type { Session } from '../connect/session.js';

/** The objects a plan creates, in the order they run, and what it leaves out with why. */
export interface ObjectsPlan {
  create: ObjectDdl[];
  /** Tables whose DDL needs an object that cannot be created (a function in a default), with why. */
  refusedTables: Map<string, string>;
}

/** One object of the source as its catalog describes it, before it is written as DDL. */
interface Candidate
  extends Pick<ObjectDdl, 'kind' | 'statements' | 'afterData' | 'created' | 'lookup' | 'definition' | 'query' | 'acl'> {
  missing: MissingObject;
  /** Reason it is not created; null while it may be. */
  reason: string | null;
  base: Phase;
  /** A function's or view's schema, whose default privileges its ACL answers to. */
  schema?: string;
  /** Other candidates it depends on, by address (classid/objid). */
  needs: string[];
  /** Relations it depends on that are tables, by tableKey. */
  tables: string[];
  /** Others it makes, as a created table's note names them: a trigger's copies on partitions. */
  covers?: string[];
  /** Its source owner and whether its rights are that owner's (a definer function, a view not security_invoker). */
  source?: OwnerOf;
  /** What the plan and report say of its owner on the target. */
  ownerNote?: string;
  /** The owner the after-run check expects. */
  owner?: string;
}

interface OwnerOf {
  owner: string;
  ownerSuper: boolean;
  sensitive: boolean;
}

const idOf = (r: { classid: string; objid: string }) => `${r.classid}/${r.objid}`;

const FUNCTIONS_SQL = `
SELECT p.oid::int8::text AS objid, n.nspname AS schema, p.proname AS name, p.prokind AS prokind,
       p.oid::regprocedure::text AS signature, l.lanname AS language,
       CASE WHEN p.prokind <> 'a' THEN pg_get_functiondef(p.oid) ELSE ${aggregateDef('p.oid')} END AS def,
       CASE WHEN p.pronargs = 0 THEN '*' ELSE pg_get_function_identity_arguments(p.oid) END AS args,
       obj_description(p.oid, 'pg_proc') AS comment, p.prosecdef AS "ownerSensitive",
       pg_get_userbyid(p.proowner) AS owner, (SELECT r.rolsuper FROM pg_roles r WHERE r.oid = p.proowner) AS "ownerSuper"
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
 WHERE p.oid = ANY ($1::oid[])`;

const VIEWS_SQL = `
SELECT c.oid::int8::text AS objid, n.nspname AS schema, c.relname AS name, c.relkind AS relkind,
       pg_get_viewdef(c.oid) AS def, coalesce(c.reloptions, '{}') AS options, c.relispopulated AS populated,
       obj_description(c.oid, 'pg_class') AS comment,
       coalesce((SELECT json_agg(json_build_array(a.attname, col_description(c.oid, a.attnum)) ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                    AND col_description(c.oid, a.attnum) IS NOT NULL), '[]') AS "columnComments",
       ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.indexrelid) AS indexes,
       pg_get_userbyid(c.relowner) AS owner, (SELECT r.rolsuper FROM pg_roles r WHERE r.oid = c.relowner) AS "ownerSuper"
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY ($1::oid[])`;

/** Each trigger with its relation's kind, and the table a partition's trigger goes with (its root). */
const TRIGGERS_SQL = `
SELECT t.oid::int8::text AS objid, n.nspname AS schema, c.relname AS "table", t.tgname AS name,
       c.oid::int8::text AS relid, c.relkind::text AS relkind, rn.nspname AS "rootSchema", r.relname AS "rootTable",
       pg_get_triggerdef(t.oid) AS def, t.tgenabled AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_class r ON r.oid = coalesce(pg_partition_root(c.oid), c.oid) JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE t.oid = ANY ($1::oid[])`;

/**
 * A trigger's parent, read through to_jsonb: pg_trigger.tgparentid is 13's (before, a partition's
 * copies are internal triggers, with no state of their own to set), and naming it would fail on 12.
 */
const PARENT = (trigger: string) => `(to_jsonb(${trigger}) ->> 'tgparentid')::oid`;

/**
 * The copies of each trigger ($1) on the partitions below its table, parents first: CREATE TRIGGER
 * makes them, but their enabled state and comment are each partition's own.
 */
const CLONES_SQL = `
WITH RECURSIVE clone(top, oid, depth) AS (
  SELECT ${PARENT('t')}, t.oid, 1 FROM pg_trigger t WHERE ${PARENT('t')} = ANY ($1::oid[])
  UNION ALL
  SELECT c.top, t.oid, c.depth + 1 FROM clone c JOIN pg_trigger t ON ${PARENT('t')} = c.oid)
SELECT c.top::int8::text AS top, n.nspname AS schema, r.relname AS "table", t.tgname AS name,
       t.tgenabled AS enabled, obj_description(t.oid, 'pg_trigger') AS comment
  FROM clone c JOIN pg_trigger t ON t.oid = c.oid JOIN pg_class r ON r.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = r.relnamespace
 ORDER BY c.depth, n.nspname, r.relname`;

/** A trigger's copies on partitions, as readDefinition appends them: each one's table, state and comment. */
const CLONES_OF = (trigger: string) => `coalesce((
  WITH RECURSIVE clone(oid) AS (
    SELECT x.oid FROM pg_trigger x WHERE ${PARENT('x')} = ${trigger}
    UNION ALL SELECT x.oid FROM clone JOIN pg_trigger x ON ${PARENT('x')} = clone.oid)
  SELECT ' CLONES ' || string_agg(x.tgrelid::regclass::text || ' ' || x.tgenabled::text ||
           coalesce(' COMMENT ' || obj_description(x.oid, 'pg_trigger'), ''), ', ' ORDER BY x.tgrelid::regclass::text)
    FROM clone JOIN pg_trigger x ON x.oid = clone.oid), '')`;

/**
 * What each object ($1 classids, $2 objids) depends on: a view through its rewrite rule; a row type
 * counts as its relation. Each with the relation's schema, name and kind when it is one (a partition
 * named as the table at the top of its tree, which is what a run creates).
 */
const DEPENDS_SQL = `
WITH obj(classid, objid) AS (SELECT * FROM unnest($1::oid[], $2::oid[])),
dep AS (
  SELECT o.classid, o.objid, d.refclassid, d.refobjid FROM obj o
    JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid AND d.deptype = 'n'
  UNION
  SELECT o.classid, o.objid, d.refclassid, d.refobjid FROM obj o
    JOIN pg_rewrite r ON o.classid = 'pg_class'::regclass AND r.ev_class = o.objid
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.deptype = 'n'),
ref AS (
  SELECT d.classid, d.objid,
         CASE WHEN t.typrelid <> 0 THEN 'pg_class'::regclass::oid ELSE d.refclassid END AS refclassid,
         CASE WHEN t.typrelid <> 0 THEN t.typrelid ELSE d.refobjid END AS refobjid
    FROM dep d LEFT JOIN pg_type t ON d.refclassid = 'pg_type'::regclass AND t.oid = d.refobjid)
SELECT DISTINCT r.classid::int8::text AS classid, r.objid::int8::text AS objid,
       r.refclassid::int8::text AS refclassid, r.refobjid::int8::text AS refobjid,
       n.nspname AS schema, top.relname AS name, c.relkind::text AS relkind
  FROM ref r LEFT JOIN pg_class c ON r.refclassid = 'pg_class'::regclass AND c.oid = r.refobjid
  LEFT JOIN pg_class top ON top.oid = coalesce(pg_partition_root(c.oid), c.oid)
  LEFT JOIN pg_namespace n ON n.oid = top.relnamespace
 WHERE NOT (r.refclassid = r.classid AND r.refobjid = r.objid)`;

interface DependRow {
  classid: string;
  objid: string;
  refclassid: string;
  refobjid: string;
  schema: string | null;
  name: string | null;
  relkind: string | null;
}

/** Runs `read` with search_path set to pg_catalog alone, so every name a deparser prints is qualified. */
async function qualifiedNames<T>(c: pg.Client, read: () => Promise<T>): Promise<T> {
  const path = (await c.query(`SELECT current_setting('search_path') AS p`)).rows[0].p as string;
  await c.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  const restore = () => c.query(`SELECT set_config('search_path', $1, true)`, [path]);
  let value: T;
  try {
    value = await read();
  } catch (e) {
    // The transaction may be aborted: the error that did it is the one to tell.
    await restore().catch(() => {});
    throw e;
  }
  await restore();
  return value;
}

/** The definition of one object as `c` prints it (with its comment and state), or null when it is not there. */
async function readDefinition(c: pg.Client, l: Lookup): Promise<string | null> {
  const params =
    l.kind === 'schema'
      ? [l.name]
      : l.kind === 'function' || l.kind === 'aggregate'
        ? [l.signature]
        : l.kind === 'relation'
          ? [l.relation]
          : [l.relation, l.name];
  const r = await c.query<{ d: string }>(DEFINITION_SQL[l.kind], params);
  return r.rows.length ? normalizeDefinition(r.rows[0].d) : null;
}

const comment = (oid: string, catalog: string) => `coalesce(' COMMENT ' || obj_description(${oid}, '${catalog}'), '')`;

/** How each kind of object's definition is read, with its comment and state ($1, $2: its Lookup). */
const DEFINITION_SQL: Record<Lookup['kind'], string> = {
  schema: `SELECT 'SCHEMA ' || quote_ident(n.nspname) || ${comment('n.oid', 'pg_namespace')} AS d FROM pg_namespace n WHERE n.nspname = $1`,
  function: `SELECT pg_get_functiondef(p) || ${comment('p', 'pg_proc')} AS d FROM to_regprocedure($1) p WHERE p IS NOT NULL`,
  aggregate: `SELECT ${aggregateDef('p')} || ${comment('p', 'pg_proc')} AS d FROM to_regprocedure($1) p WHERE p IS NOT NULL`,
  relation: `SELECT pg_get_viewdef(c.oid) || ' OPTIONS ' || coalesce(array_to_string(c.reloptions, ','), '') ||
                  ' POPULATED ' || c.relispopulated::text || ${comment('c.oid', 'pg_class')} ||
                  coalesce((SELECT ' COLUMNS ' || string_agg(quote_ident(a.attname) || ' COMMENT ' ||
                                   col_description(c.oid, a.attnum), ', ' ORDER BY a.attnum)
                              FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                               AND col_description(c.oid, a.attnum) IS NOT NULL), '') AS d
             FROM pg_class c WHERE c.oid = to_regclass($1)`,
  trigger: `SELECT pg_get_triggerdef(t.oid) || ' ENABLED ' || t.tgenabled::text || ${comment('t.oid', 'pg_trigger')} ||
                  ${CLONES_OF('t.oid')} AS d
             FROM pg_trigger t WHERE t.tgrelid = to_regclass($1) AND t.tgname = $2`,
  rule: `SELECT pg_get_ruledef(r.oid) || ' ENABLED ' || r.ev_enabled::text || ${comment('r.oid', 'pg_rewrite')} AS d
             FROM pg_rewrite r WHERE r.ev_class = to_regclass($1) AND r.rulename = $2`,
};

/** ALTER TABLE … ENABLE/DISABLE for a trigger's tgenabled (a rule's ev_enabled), as pg_dump writes it; nothing for the default. */
function enabledState(table: string, trigger: string, enabled: string, always = false, what = 'TRIGGER'): string[] {
  const how = { O: always ? 'ENABLE' : null, D: 'DISABLE', A: 'ENABLE ALWAYS', R: 'ENABLE REPLICA' }[enabled];
  return how ? [`ALTER TABLE ${table} ${how} ${what} ${trigger}`] : [];
}

interface CloneRow {
  top: string;
  schema: string;
  table: string;
  name: string;
  enabled: string;
  comment: string | null;
}

/**
 * A trigger's copies on partitions, set as the source has them once the trigger made them: when
 * any of them or the trigger is not simply enabled, each copy's state is said (whether ALTER TABLE
 * on a parent reaches its partitions changed between versions), and each copy's comment.
 */
function cloneStatements(enabled: string, clones: CloneRow[]): string[] {
  const explicit = enabled !== 'O' || clones.some((c) => c.enabled !== 'O');
  return clones.flatMap((c) => {
    const table = qualified(c.schema, c.table);
    const trigger = ident(c.name);
    return [
      ...(explicit ? enabledState(table, trigger, c.enabled, true) : []),
      ...(c.comment !== null ? [`COMMENT ON TRIGGER ${trigger} ON ${table} IS ${literal(c.comment)}`] : []),
    ];
  });
}

/** The source's missing functions, procedures and aggregates as candidates. */
async function functionCandidates(s: Session, missing: MissingObject[], languages: ReadonlySet<string>) {
  const byOid = new Map(missing.map((m) => [m.objid, m]));
  const rows = (await s.source.query(FUNCTIONS_SQL, [[...byOid.keys()]])).rows;
  return rows.map((f): Candidate => {
    // As the server names it (read with search_path pg_catalog: qualified, argument types only).
    const signature = f.signature as string;
    const kind = f.prokind === 'p' ? 'procedure' : f.prokind === 'a' ? 'aggregate' : 'function';
    const what = kind.toUpperCase();
    // An aggregate's COMMENT names its arguments as CREATE AGGREGATE does (ORDER BY, or *).
    const named = kind === 'aggregate' ? `${qualified(f.schema, f.name)}(${f.args})` : signature;
    const reason = !languages.has(f.language) ? `language ${f.language} is not installed on the target` : null;
    return {
      missing: byOid.get(f.objid)!,
      kind,
      reason,
      base: 1,
      statements: reason
        ? []
        : [
            f.def.replace(/\s+$/, ''),
            ...(f.comment !== null ? [`COMMENT ON ${what} ${named} IS ${literal(f.comment)}`] : []),
          ],
      afterData: [],
      created: { kind, name: signature },
      lookup: kind === 'aggregate' ? { kind: 'aggregate', signature } : { kind: 'function', signature },
      definition: '',
      schema: f.schema,
      needs: [],
      tables: [],
      source: { owner: f.owner, ownerSuper: f.ownerSuper, sensitive: f.ownerSensitive },
    };
  });
}

/** security_invoker is PostgreSQL 15's: on an older target the view would run with its owner's rights. */
function viewOptionReason(options: string[], targetVersionNum: number): string | null {
  if (targetVersionNum < 150000 && options.some((o) => /^security_invoker=(true|on|1|yes)$/i.test(o)))
    return "it is security_invoker, which needs PostgreSQL 15 on the target: without it the view would read with its owner's rights, more open than on the source";
  return null;
}

async function viewCandidates(s: Session, missing: MissingObject[]) {
  const byOid = new Map(missing.map((m) => [m.objid, m]));
  const rows = (await s.source.query(VIEWS_SQL, [[...byOid.keys()]])).rows;
  return rows.map((v): Candidate => {
    const name = qualified(v.schema, v.name);
    const mat = v.relkind === 'm';
    const options = v.options as string[];
    const body = (v.def as string).replace(/;\s*$/, '');
    const withOptions = options.length ? ` WITH (${options.join(', ')})` : '';
    const what = mat ? 'MATERIALIZED VIEW' : 'VIEW';
    return {
      missing: byOid.get(v.objid)!,
      kind: mat ? 'materialized view' : 'view',
      reason: viewOptionReason(options, s.targetCatalog.serverVersionNum),
      base: 2,
      statements: [
        `CREATE ${what} ${name}${withOptions} AS${body}${mat ? ' WITH NO DATA' : ''}`,
        ...(v.indexes as string[]),
        ...(v.comment !== null ? [`COMMENT ON ${what} ${name} IS ${literal(v.comment)}`] : []),
        ...(v.columnComments as [string, string][]).map(
          ([column, text]) => `COMMENT ON COLUMN ${name}.${ident(column)} IS ${literal(text)}`,
        ),
      ],
      // An unpopulated materialized view on the source stays so on the target.
      afterData: mat && v.populated ? [`REFRESH MATERIALIZED VIEW ${name}`] : [],
      created: { kind: mat ? 'materialized view' : 'view', name },
      lookup: { kind: 'relation', relation: name },
      definition: '',
      query: body,
      schema: v.schema,
      needs: [],
      tables: [],
      // A view reads its relations with its owner's rights, unless security_invoker.
      source: {
        owner: v.owner,
        ownerSuper: v.ownerSuper,
        sensitive: !options.some((o) => /^security_invoker=(true|on|1|yes)$/i.test(o)),
      },
    };
  });
}

/**
 * Triggers, only on tables the run creates (a partition's with its partitioned table) and on views it
 * creates (INSTEAD OF): an existing target table's triggers are its owner's.
 */
async function triggerCandidates(
  s: Session,
  missing: MissingObject[],
  creating: ReadonlySet<string>,
  views: Candidate[],
) {
  const byOid = new Map(missing.map((m) => [m.objid, m]));
  const viewIds = new Map(views.map((v) => [v.missing.objid, idOf(v.missing)]));
  const rows = (await s.source.query(TRIGGERS_SQL, [[...byOid.keys()]])).rows;
  const kept = rows.filter((t) => creating.has(tableKey(t.rootSchema, t.rootTable)) || viewIds.has(t.relid));
  const clones = (await s.source.query<CloneRow>(CLONES_SQL, [kept.map((t) => t.objid)])).rows;
  return kept.map((t): Candidate => {
    const table = qualified(t.schema, t.table);
    const trigger = ident(t.name);
    const mine = clones.filter((c) => c.top === t.objid);
    const onView = viewIds.get(t.relid);
    return {
      missing: byOid.get(t.objid)!,
      kind: 'trigger',
      reason: null,
      base: 3,
      statements: [
        t.def,
        ...enabledState(table, trigger, t.enabled),
        ...(t.comment !== null ? [`COMMENT ON TRIGGER ${trigger} ON ${table} IS ${literal(t.comment)}`] : []),
        ...cloneStatements(t.enabled, mine),
      ],
      afterData: [],
      created: null,
      lookup: { kind: 'trigger', relation: table, name: t.name },
      definition: '',
      // A view's trigger needs the view; a table's needs the table (pg_depend says neither: 'a').
      needs: onView ? [onView] : [],
      tables: onView ? [] : [tableKey(t.rootSchema, t.rootTable)],
      covers: mine.map((c) => `trigger ${c.name} on ${displayName(c.schema, c.table)}`),
    };
  });
}

const RULES_SQL = `
SELECT r.oid::int8::text AS objid, n.nspname AS schema, c.relname AS "table", r.rulename AS name,
       c.oid::int8::text AS relid, pg_get_ruledef(r.oid) AS def, r.ev_enabled AS enabled,
       obj_description(r.oid, 'pg_rewrite') AS comment, pg_get_userbyid(c.relowner) AS owner,
       (SELECT o.rolsuper FROM pg_roles o WHERE o.oid = c.relowner) AS "ownerSuper"
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE r.oid = ANY ($1::oid[])`;

/**
 * Rules, as triggers: only on tables the run creates and on views it creates, after the rows (COPY
 * fires none, but pg_dump's order is kept), with their enabled state and comment.
 */
async function ruleCandidates(s: Session, missing: MissingObject[], creating: ReadonlySet<string>, views: Candidate[]) {
  const byOid = new Map(missing.map((m) => [m.objid, m]));
  const viewIds = new Map(views.map((v) => [v.missing.objid, idOf(v.missing)]));
  const rows = (await s.source.query(RULES_SQL, [[...byOid.keys()]])).rows;
  const kept = rows.filter((r) => creating.has(tableKey(r.schema, r.table)) || viewIds.has(r.relid));
  return kept.map((r): Candidate => {
    const table = qualified(r.schema, r.table);
    const onView = viewIds.get(r.relid);
    return {
      missing: byOid.get(r.objid)!,
      kind: 'rule',
      reason: null,
      base: 3,
      statements: [
        (r.def as string).replace(/;\s*$/, ''),
        ...enabledState(table, ident(r.name), r.enabled, false, 'RULE'),
        ...(r.comment !== null ? [`COMMENT ON RULE ${ident(r.name)} ON ${table} IS ${literal(r.comment)}`] : []),
      ],
      afterData: [],
      created: null,
      lookup: { kind: 'rule', relation: table, name: r.name },
      definition: '',
      // Its relation, which pg_depend ties it to automatically ('a'), not as a need.
      needs: onView ? [onView] : [],
      tables: onView ? [] : [tableKey(r.schema, r.table)],
      // A table's rule acts with its table's owner's rights (a view's: the view's, given its owner).
      ...(onView ? {} : { source: { owner: r.owner, ownerSuper: r.ownerSuper, sensitive: true } }),
    };
  });
}

/** The source's definitions of the candidates, read the way readDefinition reads the target's. */
async function sourceDefinitions(s: Session, candidates: Candidate[]): Promise<void> {
  await qualifiedNames(s.source, async () => {
    for (const c of candidates.filter((x) => !x.reason))
      c.definition = (await readDefinition(s.source, c.lookup)) ?? '';
  });
}

/** Each candidate's dependencies on other candidates and on tables, from the source's pg_depend. */
async function dependencies(
  s: Session,
  candidates: Candidate[],
  onTarget: ReadonlySet<string>,
  creating: ReadonlySet<string>,
) {
  const byId = new Map(candidates.map((c) => [idOf(c.missing), c]));
  const rows = (
    await s.source.query<DependRow>(DEPENDS_SQL, [
      candidates.map((c) => c.missing.classid),
      candidates.map((c) => c.missing.objid),
    ])
  ).rows;
  for (const d of rows) {
    const c = byId.get(idOf(d))!;
    const ref = `${d.refclassid}/${d.refobjid}`;
    if (byId.has(ref)) c.needs.push(ref);
    else if (d.relkind === 'r' || d.relkind === 'p') {
      const k = tableKey(d.schema!, d.name!);
      if (creating.has(k)) c.tables.push(k);
      else if (!onTarget.has(k) && !c.reason)
        c.reason = `it depends on table ${displayName(d.schema!, d.name!)}, which is neither on the target nor created by this run`;
    }
  }
}

/**
 * Each candidate's phase and place: after what it needs (a function that needs a created table or a
 * view comes after the tables); a cycle, or a need that is not created, becomes the reason.
 */
function order(candidates: Candidate[]): Candidate[] {
  const byId = new Map(candidates.map((c) => [idOf(c.missing), c]));
  const out: Candidate[] = [];
  const state = new Map<Candidate, 'visiting' | 'done'>();
  const visit = (c: Candidate): void => {
    if (state.get(c) === 'done') return;
    if (state.get(c) === 'visiting') {
      c.reason ??= 'it depends on itself through other objects (a cycle Archon does not break)';
      return;
    }
    state.set(c, 'visiting');
    let phase = (c.tables.length ? Math.max(c.base, 2) : c.base) as Phase;
    for (const id of c.needs) {
      const n = byId.get(id)!;
      visit(n);
      if (n.reason && !c.reason)
        c.reason = `it depends on ${n.kind} ${n.missing.object.name}, which is not created: ${n.reason}`;
      phase = Math.max(phase, n.base) as Phase;
    }
    c.base = phase;
    state.set(c, 'done');
    out.push(c);
  };
  for (const c of candidates) visit(c);
  // A reason found late (a cycle) reaches what depends on it too.
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of out.filter((x) => !x.reason)) {
      const n = c.needs.map((id) => byId.get(id)!).find((x) => x.reason);
      if (n) {
        c.reason = `it depends on ${n.kind} ${n.missing.object.name}, which is not created: ${n.reason}`;
        changed = true;
      }
    }
  }
  return out.sort((a, b) => a.base - b.base);
}

const toDdl = (c: Candidate): ObjectDdl => ({
  kind: c.kind,
  name: c.missing.object.name,
  phase: c.base,
  statements: c.statements,
  afterData: c.afterData,
  created: c.kind === 'trigger' || c.kind === 'rule' ? null : c.created,
  lookup: c.lookup,
  definition: c.definition,
  ...(c.query ? { query: c.query } : {}),
  ...(c.acl ? { acl: c.acl } : {}),
  ...(c.owner !== undefined ? { owner: c.owner } : {}),
});

/** Tables the run creates (by tableKey). */
const creatingOf = (plan: Plan) =>
  new Set(plan.tables.filter((t) => t.create?.kind === 'create').map((t) => tableKey(t.schema, t.table)));

/** The source's functions and procedures the target lacks, as the statements the table trial runs first. */
export async function functionPrelude(s: Session, plan: Plan, schemas: string[] = []): Promise<string[]> {
  const missing = await missingObjectRows(s, { tables: planScope(plan), status: 'not created', schemas });
  const fns = missing.filter((m) => m.object.kind === 'function' || m.object.kind === 'procedure');
  if (!fns.length) return [];
  const languages = await targetLanguages(s);
  const candidates = (await qualifiedNames(s.source, () => functionCandidates(s, fns, languages))).filter(
    (c) => !c.reason,
  );
  // A schema of functions alone (util) comes with them: a domain's CHECK may call one before any
  // table is created. One a table creates too is refused in the trial's savepoint, and harmlessly.
  const created = await schemaCandidates(s, plan, candidates);
  return [...created, ...candidates].flatMap((c) => c.statements.slice(0, 1));
}

async function targetLanguages(s: Session): Promise<Set<string>> {
  return new Set((await s.target.query('SELECT lanname FROM pg_language')).rows.map((r) => r.lanname as string));
}

/**
 * What --create-objects creates around a plan's tables: read from the source, ordered by pg_depend,
 * tried on the target in a transaction that is rolled back (each refusal becomes that object's reason
 * and the trial runs again without it and what depends on it). Returns the objects of the plan's list
 * with the status each gets, and the objects plan.
 */
export async function planObjects(
  s: Session,
  plan: Plan,
  schemas: string[] = [],
): Promise<{ objects: SchemaObject[]; create: ObjectsPlan }> {
  const missing = await missingObjectRows(s, { tables: planScope(plan), status: 'not created', schemas });
  const creating = creatingOf(plan);
  const onTarget = new Set(s.targetCatalog.tables.map((t) => tableKey(t.schema, t.name)));
  const of = (kinds: string[]) => missing.filter((m) => kinds.includes(m.object.kind));
  const languages = await targetLanguages(s);
  const candidates = await qualifiedNames(s.source, async () => {
    const views = await viewCandidates(s, of(['view', 'materialized view']));
    return [
      ...(await functionCandidates(s, of(['function', 'procedure', 'aggregate']), languages)),
      ...views,
      ...(await triggerCandidates(s, of(['trigger']), creating, views)),
      ...(await ruleCandidates(s, of(['rule']), creating, views)),
    ];
  });
  candidates.unshift(...(await schemaCandidates(s, plan, candidates)));
  await sourceDefinitions(s, candidates);
  await planOwners(s.target, candidates);
  await withSourceAcls(s, candidates);
  await dependencies(s, candidates, onTarget, creating);
  const differing = await againstTarget(s, plan, candidates);
  forgetDiffering(plan, differing);
  const refusedTables = new Map<string, string>();
  let ordered = order(candidates);
  for (;;) {
    const trial = await tryObjects(
      s,
      plan,
      ordered.filter((c) => !c.reason),
    );
    for (const [k, why] of trial.tables) refusedTables.set(k, why);
    if (!trial.refused.size || trial.tables.size) {
      for (const [c, why] of trial.refused) c.reason = why;
      break;
    }
    for (const [c, why] of trial.refused) c.reason = why;
    // Placed again from scratch: what depended on a refused object now has its reason.
    for (const c of ordered) c.base = baseOf(c);
    ordered = order(ordered);
  }
  unusedSchemas(ordered);
  const made = ordered.filter((c) => !c.reason);
  forgetNotCreated(plan, ordered);
  return {
    objects: [...objectsOf(missing, candidates), ...differing],
    create: { create: made.map(toDdl), refusedTables },
  };
}

/** The plan's list: each missing object with what becomes of it, and the schemas the run creates for them. */
function objectsOf(missing: MissingObject[], candidates: Candidate[]): SchemaObject[] {
  const byName = new Map(candidates.map((c) => [idOf(c.missing), c]));
  const schemas = candidates.filter((c) => c.kind === 'schema' && !c.reason).map((c) => c.missing);
  return [...schemas, ...missing].map(({ object, classid, objid }): SchemaObject => {
    const c = byName.get(`${classid}/${objid}`);
    if (!c) return object;
    if (!c.reason)
      return { ...object, status: 'to be created', reason: `${TO_BE_CREATED}${c.ownerNote ? `; ${c.ownerNote}` : ''}` };
    return { ...object, reason: `not created: ${c.reason}` };
  });
}

/**
 * The schemas the target lacks that hold objects the run creates and no table of the run creates (a
 * schema of functions alone, tablelessSchemas): created first, with the source's grants and comment.
 */
async function schemaCandidates(s: Session, plan: Plan, candidates: Candidate[]): Promise<Candidate[]> {
  const byTables = new Set(
    plan.tables.flatMap((t) => (t.create?.created ?? []).filter((o) => o.kind === 'schema')).map((o) => o.name),
  );
  const wanted = [...new Set(candidates.flatMap((c) => (c.schema === undefined ? [] : [c.schema])))].filter(
    (n) => !byTables.has(ident(n)),
  );
  if (!wanted.length) return [];
  const there = new Set(
    (await s.target.query<{ n: string }>('SELECT nspname::text AS n FROM pg_namespace')).rows.map((r) => r.n),
  );
  const rows = (
    await s.source.query(
      `SELECT n.nspname::text AS name, 'pg_namespace'::regclass::oid::int8::text AS classid, n.oid::int8::text AS objid,
              obj_description(n.oid, 'pg_namespace') AS comment
         FROM pg_namespace n WHERE n.nspname = ANY ($1::text[])`,
      [wanted.filter((n) => !there.has(n))],
    )
  ).rows;
  return rows.map((r): Candidate => {
    const id = `${r.classid}/${r.objid}`;
    for (const c of candidates.filter((x) => x.schema === r.name)) c.needs.push(id);
    return {
      missing: {
        object: { kind: 'schema', name: shownName(r.name), status: 'not created', reason: '' },
        classid: r.classid,
        objid: r.objid,
      },
      kind: 'schema',
      reason: null,
      base: 1,
      statements: [
        `CREATE SCHEMA ${ident(r.name)}`,
        ...(r.comment !== null ? [`COMMENT ON SCHEMA ${ident(r.name)} IS ${literal(r.comment)}`] : []),
      ],
      afterData: [],
      created: { kind: 'schema', name: ident(r.name) },
      lookup: { kind: 'schema', name: r.name },
      definition: '',
      schema: r.name,
      needs: [],
      tables: [],
    };
  });
}

/** A schema created for objects none of which could be created is not created either. */
function unusedSchemas(ordered: Candidate[]): void {
  for (const c of ordered.filter((x) => x.kind === 'schema' && !x.reason)) {
    const id = idOf(c.missing);
    if (!ordered.some((o) => !o.reason && o.needs.includes(id))) c.reason = 'nothing the run creates is in it';
  }
}

const baseOf = (c: Candidate): Phase =>
  c.kind === 'trigger' || c.kind === 'rule' ? 3 : c.kind === 'view' || c.kind === 'materialized view' ? 2 : 1;

/** Each function's, procedure's and view's creation followed by the statements that give it the source's ACL. */
async function withSourceAcls(s: Session, candidates: Candidate[]): Promise<void> {
  const made = candidates.filter((c) => !c.reason && c.created && c.schema !== undefined);
  const byObject = new Map(
    made.map((c) => [{ kind: c.kind, schema: c.schema!, sqlName: c.created!.name, shown: c.missing.object.name }, c]),
  );
  const target = {
    roles: await targetRoles(s.target),
    user: s.targetCatalog.user,
    defaults: await targetDefaults(s.target),
  };
  for (const [o, { acl, statements }] of await planObjectAcls(s.source, [...byObject.keys()], target)) {
    const c = byObject.get(o)!;
    c.acl = acl;
    c.statements.push(...statements);
  }
}

/**
 * The target's own objects that differ from the source's, named; a trigger whose function is one of
 * them, and a function that would make the target's calls ambiguous, get their reason not to be created.
 */
async function againstTarget(s: Session, plan: Plan, candidates: Candidate[]): Promise<SchemaObject[]> {
  const platforms = [s.sourceCatalog.platform?.id, s.targetCatalog.platform?.id];
  const schemas = [...new Set(plan.tables.map((t) => t.schema))].filter((x) =>
    platforms.every((p) => tableKind(p, x, '').kind === 'user'),
  );
  const existing = await existingDiffering(s, schemas);
  const open = candidates.filter((c) => !c.reason);
  const triggers = open.filter((c) => c.kind === 'trigger');
  const fns = await triggerFunctions(
    s.source,
    triggers.map((c) => c.missing.objid),
  );
  for (const c of triggers) {
    const fn = fns.get(c.missing.objid);
    if (fn && existing.functions.has(fn)) c.reason = differingFunctionReason(fn);
  }
  const calling = await callingDiffering(
    s,
    open.filter((c) => !c.reason).map((c) => c.missing),
  );
  for (const c of open.filter((x) => !x.reason)) {
    const body = c.lookup.kind === 'function' ? namedInBody(c.statements[0], existing.functions) : null;
    const fn = calling.get(idOf(c.missing)) ?? body;
    if (fn) c.reason = differingCalleeReason(fn);
  }
  const signatures = open.filter((c) => c.lookup.kind === 'function').map((c) => c.created!.name);
  const clashes = await ambiguousOverloads(s, signatures);
  for (const c of open) if (c.created && clashes.has(c.created.name)) c.reason = clashes.get(c.created.name)!;
  return existing.objects;
}

/** Said where an object names a schema the target lacks: the run keeps to its tables' schemas. */
const OTHER_SCHEMA =
  ' (Archon creates objects in the schemas of the selected tables, or every schema when none is selected; select a table of that schema too, or create what it needs on the target first)';

export const TO_BE_CREATED = "created in the run's transaction, then compared with the source's by definition";
export const CREATED = "created, and equal by definition to the source's (read back from the target's catalog)";

/**
 * A created table's note that names its triggers and views as not created leaves out those the run
 * now creates; one it tried and cannot create is named in a note of its own, with its reason (not
 * "Archon creates tables, not these", which --create-objects makes untrue).
 */
function forgetNotCreated(plan: Plan, tried: Candidate[]): void {
  const named = (c: Candidate) => [`${c.kind} ${c.missing.object.name}`, ...(c.covers ?? [])];
  // A refused trigger's copies on partitions stay named with the table's others.
  const names = new Set(tried.flatMap((c) => (c.reason ? named(c).slice(0, 1) : named(c))));
  const why = new Map(tried.filter((c) => c.reason).map((c) => [`${c.kind} ${c.missing.object.name}`, c.reason!]));
  const prefix = 'not created (Archon creates tables, not these): ';
  for (const t of plan.tables.filter((p) => p.create?.notCreated.length)) {
    const refused = t.create!.notCreated.filter((n) => why.has(n));
    t.create!.notCreated = t.create!.notCreated.filter((n) => !names.has(n));
    const i = t.notes.findIndex((n) => n.startsWith(prefix));
    if (i < 0) continue;
    const own = refused.map((n) => `${n} not created: ${why.get(n)}`);
    if (t.create!.notCreated.length) t.notes.splice(i, 1, `${prefix}${t.create!.notCreated.join(', ')}`, ...own);
    else t.notes.splice(i, 1, ...own);
  }
}

/**
 * The objects' statements in the run's order, with the created tables' DDL between them, in one
 * transaction that is rolled back; then every function once more with check_function_bodies on, now
 * that everything it may name exists, so a body the target cannot parse is known too. Returns each
 * object the target refused, with its words, and each table whose DDL failed for want of one.
 */
async function tryObjects(
  s: Session,
  plan: Plan,
  objects: Candidate[],
): Promise<{ refused: Map<Candidate, string>; tables: Map<string, string> }> {
  const refused = new Map<Candidate, string>();
  const tables = new Map<string, string>();
  const attempt = async (statements: string[]): Promise<string | null> => {
    await s.target.query('SAVEPOINT archon_try_object');
    let sql = '';
    try {
      for (sql of statements) await s.target.query(sql);
      await s.target.query('RELEASE SAVEPOINT archon_try_object');
      return null;
    } catch (e) {
      await s.target.query('ROLLBACK TO SAVEPOINT archon_try_object');
      const info = errorInfo(e, s.secrets);
      const statement = sql.replace(/\s+/g, ' ').slice(0, 200);
      return `the target refuses \`${statement}${sql.length > 200 ? '…' : ''}\`: ${info.message}${info.code ? ` [${info.code}]` : ''}${info.code === SQLSTATE.invalidSchemaName ? OTHER_SCHEMA : ''}`;
    }
  };
  const byId = new Map(objects.map((o) => [idOf(o.missing), o]));
  const phase = async (p: Phase, part: (o: Candidate) => string[]) => {
    for (const o of objects.filter((x) => x.base === p && !refused.has(x))) {
      // What needs a refused object is refused for it, not for the error its absence causes.
      const lost = o.needs.map((id) => byId.get(id)).find((n) => n && refused.has(n));
      const why = lost
        ? `it depends on ${lost.kind} ${lost.missing.object.name}, which is not created: ${refused.get(lost)}`
        : await attempt(part(o));
      if (why) refused.set(o, why);
    }
  };
  const created = plan.tables.filter((t) => t.create).sort((a, b) => a.create!.order - b.create!.order);
  const tablePart = async (pick: (t: TablePlan) => string[]) => {
    for (const t of created) {
      const why = await attempt(pick(t));
      if (why) tables.set(tableKey(t.schema, t.table), `an object it needs could not be created first: ${why}`);
    }
  };
  await s.target.query('BEGIN');
  try {
    await s.target.query('SET LOCAL check_function_bodies = off');
    await tablePart((t) => sharedPart(t.create!));
    await phase(1, (o) => o.statements);
    await tablePart((t) => ownPart(t.create!));
    await phase(2, (o) => o.statements);
    await tablePart((t) => t.create!.after);
    await phase(3, (o) => o.statements);
    await phase(2, (o) => o.afterData);
    await s.target.query('SET LOCAL check_function_bodies = on');
    for (const o of objects.filter((x) => x.lookup.kind === 'function' && !refused.has(x))) {
      const why = await attempt(o.statements.slice(0, 1));
      if (why) refused.set(o, why);
    }
    return { refused, tables };
  } finally {
    await s.target.query('ROLLBACK');
  }
}

/** Runs the statements of one phase (the run's transaction is open), each object named as it goes. */
async function runPhase(
  tgt: pg.Client,
  objects: ObjectDdl[],
  part: (o: ObjectDdl) => string[],
  checkCancel: () => void,
): Promise<void> {
  for (const o of objects) {
    for (const sql of part(o)) {
      checkCancel();
      try {
        await tgt.query(sql);
      } catch (e) {
        (e as Error).message = `creating ${o.kind} ${o.name}: ${(e as Error).message}`;
        throw e;
      }
    }
  }
}

/** Before the tables: check_function_bodies off for the transaction, then the functions they may need. */
export async function createObjectsBeforeTables(
  tgt: pg.Client,
  objects: ObjectDdl[],
  emit: ProgressListener,
  checkCancel: () => void,
): Promise<void> {
  if (!objects.length) return;
  await tgt.query('SET LOCAL check_function_bodies = off');
  const first = objects.filter((o) => o.phase === 1);
  if (!first.length) return;
  emit({
    type: 'phase',
    phase: 'create',
    message: `creating ${first.length} function(s), procedure(s) and aggregate(s) on the target`,
  });
  await runPhase(tgt, first, (o) => o.statements, checkCancel);
}

/** After the tables, before the rows: views, and functions that need a created relation. */
export async function createObjectsAfterTables(
  tgt: pg.Client,
  objects: ObjectDdl[],
  emit: ProgressListener,
  checkCancel: () => void,
): Promise<void> {
  const second = objects.filter((o) => o.phase === 2);
  if (!second.length) return;
  emit({ type: 'phase', phase: 'create', message: `creating ${second.length} view(s) and function(s) on the target` });
  await runPhase(tgt, second, (o) => o.statements, checkCancel);
}

/**
 * After the rows: triggers (none fired during the COPY) with their enabled state, the refresh of the
 * materialized views; then every created object is read back and compared with the source's.
 */
export async function createObjectsAfterData(
  tgt: pg.Client,
  objects: ObjectDdl[],
  emit: ProgressListener,
  checkCancel: () => void,
): Promise<void> {
  if (!objects.length) return;
  const third = objects.filter((o) => o.phase === 3);
  if (third.length)
    emit({ type: 'phase', phase: 'create', message: `creating ${third.length} trigger(s) and rule(s) on the target` });
  await runPhase(tgt, third, (o) => o.statements, checkCancel);
  const refresh = objects.filter((o) => o.afterData.length);
  if (refresh.length)
    emit({ type: 'phase', phase: 'create', message: `refreshing ${refresh.length} materialized view(s)` });
  await runPhase(tgt, refresh, (o) => o.afterData, checkCancel);
  await checkObjects(tgt, objects);
}

/**
 * Every created object as the target prints it, against the source's: a difference fails the run.
 * A view's query is printed by each server its own way (16 stopped qualifying columns by their
 * relation when only one is in scope): where the two texts differ, the source's query is printed
 * by the target too (a temporary view, gone with its savepoint) and that is what the created view
 * must equal; the options, the comment and whether it is populated still compare as they are.
 */
export async function checkObjects(tgt: pg.Client, objects: ObjectDdl[]): Promise<void> {
  const wrong: string[] = [];
  await qualifiedNames(tgt, async () => {
    for (const o of objects) {
      const found = await readDefinition(tgt, o.lookup);
      const expected = found === null || found === o.definition ? o.definition : await asTargetPrints(tgt, o);
      if (found === null) wrong.push(`${o.kind} ${o.name} is not in the target's catalog`);
      else if (found !== expected)
        wrong.push(`${o.kind} ${o.name} differs from the source's by definition (target: ${found.slice(0, 300)})`);
    }
  });
  wrong.push(...(await wrongOwners(tgt, objects)));
  if (wrong.length) throw new Error(`after its statements ran, ${wrong.join('; ')}; nothing is claimed created`);
  await checkObjectGrants(
    tgt,
    objects.flatMap((o) => (o.acl ? [o.acl] : [])),
  );
}

/** The source's definition of a view with its query as the target prints it; others as they are. */
async function asTargetPrints(tgt: pg.Client, o: ObjectDdl): Promise<string> {
  if (o.query === undefined) return o.definition;
  await tgt.query('SAVEPOINT archon_check_view');
  try {
    await tgt.query(`CREATE TEMPORARY VIEW archon_check_view AS${o.query}`);
    const r = await tgt.query(`SELECT pg_get_viewdef('pg_temp.archon_check_view'::regclass) AS d`);
    const sourceQuery = normalizeDefinition(`${o.query};`);
    return o.definition.replace(sourceQuery, normalizeDefinition(r.rows[0].d));
  } finally {
    await tgt.query('ROLLBACK TO SAVEPOINT archon_check_view');
  }
}

/** The objects of a finished run: those to be created are created once it committed, else not. */
export function settleObjects(objects: SchemaObject[], committed: boolean): SchemaObject[] {
  return objects.map((o) =>
    o.status !== 'to be created'
      ? o
      : committed
        ? // What follows the claim (its owner) stays said.
          { ...o, status: 'created', reason: `${CREATED}${(o.reason ?? '').slice(TO_BE_CREATED.length)}` }
        : { ...o, status: 'not created', reason: 'not created: the run was rolled back, and the object with it' },
  );
}

/** What undo drops again: the objects the run created (triggers go with their tables). */
export const createdByObjects = (objects: ObjectDdl[]): CreatedObject[] =>
  objects.flatMap((o) => (o.created ? [o.created] : []));

/** The plan's note on what --create-objects creates, by kind, or null when nothing. */
export function objectsNote(objects: ObjectDdl[]): string | null {
  if (!objects.length) return null;
  const count = (k: CreatableKind) => objects.filter((o) => o.kind === k).length;
  const kinds = (
    ['schema', 'function', 'procedure', 'aggregate', 'view', 'materialized view', 'trigger', 'rule'] as const
  )
    .filter((k) => count(k))
    .map((k) => `${count(k)} ${k}${count(k) > 1 ? 's' : ''}`);
  const acl = objectAclNote(objects.flatMap((o) => (o.acl ? [o.acl] : [])));
  return `${kinds.join(', ')} created on the target in the run's transaction (functions and aggregates before the tables, views after them, triggers, rules and materialized views' refresh after the rows), then compared with the source's by definition${acl ? `; ${acl}` : ''}`;
}

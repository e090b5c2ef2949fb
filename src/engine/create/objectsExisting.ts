// Functions, procedures, views and materialized views the target already has (same kind, schema, name
// and argument types) are never replaced by --create-objects; but one whose definition differs from
// the source's is no proof of anything: it is named as differing, so a report never lets it pass as
// the source's. What the run creates around such an object is judged too: a trigger whose function
// differs on the target would run the target's body, not the source's (it is not created), and a
// function created next to a same-named one of the target that, with their defaults, take the same
// arguments would make the target's existing calls ambiguous (it is not created either: the target's
// callers would fail).
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import type { SchemaObject } from '../../shared/report.js';
import { aggregateDef } from '../schema/aggregates.js';
import { normalizeDefinition } from '../schema/ddl.js';
import { catalogPath } from '../schema/callees.js';
import type { Plan } from '../plan/plan.js';
import { typeText } from './schemaObjects.js';
import type { Session } from '../connect/session.js';

/** One function or view in the scope's schemas, with its definition as its server prints it. */
interface DefRow {
  kind: 'function' | 'procedure' | 'aggregate' | 'view' | 'materialized view';
  schema: string;
  name: string;
  /** Argument types, as the report names them (schemaObjects.ts's typeText); null for a view. */
  args: string | null;
  /** Signature as regprocedure prints it with search_path pg_catalog; null for a view. */
  signature: string | null;
  definition: string;
  /** A view's query alone, for the target to print the source's its own way. */
  query: string | null;
}

// Read with search_path pg_catalog, so every name a deparser prints is qualified; extension members
// are the extension's.
const DEFS_SQL = `
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END AS kind, n.nspname AS schema, p.proname AS name,
       (SELECT coalesce(string_agg(${typeText('a.t')}, ', ' ORDER BY a.ord), '')
          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, ord)) AS args,
       p.oid::regprocedure::text AS signature,
       CASE WHEN p.prokind = 'a' THEN ${aggregateDef('p.oid')} ELSE pg_get_functiondef(p.oid) END ||
         coalesce(' COMMENT ' || obj_description(p.oid, 'pg_proc'), '') AS definition,
       NULL AS query
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY ($1) AND p.prokind IN ('f', 'p', 'a')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END, n.nspname, c.relname, NULL, NULL,
       pg_get_viewdef(c.oid) || ' OPTIONS ' || coalesce(array_to_string(c.reloptions, ','), '') ||
         coalesce(' COMMENT ' || obj_description(c.oid, 'pg_class'), ''),
       pg_get_viewdef(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1) AND c.relkind IN ('v', 'm')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

const nameOf = (r: DefRow) =>
  r.args === null ? displayName(r.schema, r.name) : `${displayName(r.schema, r.name)}(${r.args})`;
const keyOf = (r: DefRow) => `${r.kind} ${nameOf(r)}`;

const readDefs = (c: pg.Client, schemas: string[]): Promise<DefRow[]> =>
  catalogPath(c, async () =>
    (await c.query<DefRow>(DEFS_SQL, [schemas])).rows.map((r) => ({
      ...r,
      definition: normalizeDefinition(r.definition),
    })),
  );

/**
 * A view's definition with the source's query as the target prints it (16 stopped qualifying columns
 * by their only relation): a temporary view in a rolled-back transaction. Null when the target cannot
 * read the query at all.
 */
async function asTargetPrints(tgt: pg.Client, source: DefRow): Promise<string | null> {
  await tgt.query('BEGIN');
  try {
    await tgt.query(`SET LOCAL search_path = pg_catalog`);
    await tgt.query(`CREATE TEMPORARY VIEW archon_compare_view AS ${source.query!.replace(/;\s*$/, '')}`);
    const r = await tgt.query(`SELECT pg_get_viewdef('pg_temp.archon_compare_view'::regclass) AS d`);
    return source.definition.replace(normalizeDefinition(source.query!), normalizeDefinition(r.rows[0].d));
  } catch {
    return null;
  } finally {
    await tgt.query('ROLLBACK');
  }
}

/** What the target already has with another definition than the source's. */
export interface ExistingDiffering {
  objects: SchemaObject[];
  /** The differing functions' signatures (as the source's regprocedure prints them), for their triggers. */
  functions: Set<string>;
}

export const DIFFERS =
  "the target already has it with another definition (or comment): kept as it is, not replaced, and not the source's";

/** The functions, procedures and views both sides have in `schemas` whose definitions differ. */
export async function existingDiffering(s: Session, schemas: string[]): Promise<ExistingDiffering> {
  const out: ExistingDiffering = { objects: [], functions: new Set() };
  if (!schemas.length) return out;
  const source = await readDefs(s.source, schemas);
  const target = new Map((await readDefs(s.target, schemas)).map((r) => [keyOf(r), r]));
  for (const r of source) {
    const there = target.get(keyOf(r));
    if (!there || there.definition === r.definition) continue;
    if (r.query !== null && (await asTargetPrints(s.target, r)) === there.definition) continue;
    out.objects.push({ kind: r.kind, name: nameOf(r), status: 'differs', reason: DIFFERS });
    if (r.signature) out.functions.add(r.signature);
  }
  return out;
}

/** The source's trigger's function, by trigger oid: its signature as regprocedure prints it. */
export async function triggerFunctions(src: pg.Client, triggerOids: string[]): Promise<Map<string, string>> {
  if (!triggerOids.length) return new Map();
  const r = await catalogPath(src, () =>
    src.query<{ oid: string; f: string }>(
      `SELECT t.oid::int8::text AS oid, t.tgfoid::regprocedure::text AS f FROM pg_trigger t WHERE t.oid = ANY ($1::oid[])`,
      [triggerOids],
    ),
  );
  return new Map(r.rows.map((x) => [x.oid, x.f]));
}

/** A trigger's reason when its function differs on the target, or null. */
export const differingFunctionReason = (fn: string): string =>
  `its function ${fn} is on the target with another definition (kept as it is): the trigger would run the target's body, not the source's`;

/** A function's arguments as both servers print them, for the ambiguity check. */
interface Overload {
  signature: string;
  types: string[];
  defaults: number;
  variadic: boolean;
}

const OVERLOADS_SQL = (where: string) => `
SELECT p.oid::regprocedure::text AS signature, n.nspname AS schema, p.proname AS name,
       ARRAY(SELECT format_type(a.t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, ord) ORDER BY a.ord) AS types,
       p.pronargdefaults::int AS defaults, p.provariadic <> 0 AS variadic
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p') AND ${where}`;

type Named = Overload & { schema: string; name: string };

/** The source's functions by signature, and the target's of the same schemas and names. */
async function overloads(s: Session, signatures: string[]): Promise<[Named[], Named[]]> {
  const mine = (
    await catalogPath(s.source, () =>
      s.source.query<Named>(OVERLOADS_SQL('p.oid = ANY (SELECT to_regprocedure(x) FROM unnest($1::text[]) x)'), [
        signatures,
      ]),
    )
  ).rows;
  const theirs = (
    await catalogPath(s.target, () =>
      s.target.query<Named>(
        OVERLOADS_SQL('(n.nspname::text, p.proname::text) IN (SELECT * FROM unnest($1::text[], $2::text[]))'),
        [mine.map((x) => x.schema), mine.map((x) => x.name)],
      ),
    )
  ).rows;
  return [mine, theirs];
}

/**
 * Whether a call could match both: some number of arguments each accepts (with its defaults) for
 * which their leading argument types are the same. A VARIADIC one takes any number past its own.
 */
function ambiguous(a: Overload, b: Overload): boolean {
  const lo = Math.max(a.types.length - a.defaults, b.types.length - b.defaults);
  const most = (o: Overload) => (o.variadic ? Number.POSITIVE_INFINITY : o.types.length);
  const hi = Math.min(most(a), most(b));
  if (lo > hi) return false;
  const n = Math.min(lo, a.types.length, b.types.length);
  return a.types.slice(0, n).every((t, i) => t === b.types[i]);
}

/**
 * For each function the run would create (by its source signature), the target's same-named function
 * a call could then match as well: reason not to create it.
 */
export async function ambiguousOverloads(s: Session, signatures: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!signatures.length) return out;
  const [mine, theirs] = await overloads(s, signatures);
  for (const o of mine) {
    const clash = theirs.find((t) => t.schema === o.schema && t.name === o.name && ambiguous(o, t));
    if (clash)
      out.set(
        o.signature,
        `the target has ${clash.signature}, which with its defaults takes the same arguments: created beside it, existing calls on the target would become ambiguous`,
      );
  }
  return out;
}

/** A created table's note naming the objects Archon does not create leaves out those that differ (listed as such). */
export function forgetDiffering(plan: Plan, differing: SchemaObject[]): void {
  const names = new Set(differing.map((o) => `${o.kind} ${o.name}`));
  const prefix = 'not created (Archon creates tables, not these): ';
  for (const t of plan.tables.filter((p) => p.create?.notCreated.length)) {
    t.create!.notCreated = t.create!.notCreated.filter((n) => !names.has(n));
    const i = t.notes.findIndex((n) => n.startsWith(prefix));
    if (i < 0) continue;
    if (t.create!.notCreated.length) t.notes[i] = `${prefix}${t.create!.notCreated.join(', ')}`;
    else t.notes.splice(i, 1);
  }
}

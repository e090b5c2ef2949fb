// What the objects --create-objects creates call: the database's own functions they depend on (a
// policy's expressions, a view's query, a SQL-standard body, through pg_depend; a body written as a
// string, by name), and whether the target already has such a function with another definition.
// Then the object's own text would read back equal while it ran the target's body: it is not created.
import type pg from 'pg';
import type { Session } from '../connect/session.js';
import { aggregateDef } from './aggregates.js';
import { normalizeDefinition } from './ddl.js';

/**
 * Runs `read` with search_path pg_catalog for the session (the source is inside its snapshot, the
 * target at plan time in no transaction), so every name a deparser prints is qualified; then puts
 * the caller's back.
 */
export async function catalogPath<T>(c: pg.Client, read: () => Promise<T>): Promise<T> {
  const path = (await c.query(`SELECT current_setting('search_path') AS p`)).rows[0].p as string;
  await c.query(`SELECT set_config('search_path', 'pg_catalog', false)`);
  try {
    return await read();
  } finally {
    await c.query(`SELECT set_config('search_path', $1, false)`, [path]).catch(() => {});
  }
}

/** A function's definition as its server prints it (an aggregate's as aggregates.ts writes it), with its comment. */
const ROUTINE_DEF = (p: string) =>
  `CASE WHEN ${p}.prokind = 'a' THEN ${aggregateDef(`${p}.oid`)} ELSE pg_get_functiondef(${p}.oid) END ||
   coalesce(' COMMENT ' || obj_description(${p}.oid, 'pg_proc'), '')`;

// The functions each object ($1 classids, $2 objids) calls as pg_depend records them (a view through
// its rewrite rule; a policy's expressions; a SQL-standard body), the database's own only.
const CALLEES_SQL = `
WITH obj(classid, objid) AS (SELECT c::oid, o FROM unnest($1::regclass[], $2::oid[]) u(c, o)),
dep AS (
  SELECT o.classid, o.objid, d.refobjid FROM obj o
    JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid AND d.refclassid = 'pg_proc'::regclass AND d.deptype = 'n'
  UNION
  SELECT o.classid, o.objid, d.refobjid FROM obj o
    JOIN pg_rewrite r ON o.classid = 'pg_class'::regclass AND r.ev_class = o.objid
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_proc'::regclass
     AND d.deptype = 'n')
SELECT dep.classid::int8::text AS classid, dep.objid::int8::text AS objid, p.oid::regprocedure::text AS signature,
       ${ROUTINE_DEF('p')} AS definition
  FROM dep JOIN pg_proc p ON p.oid = dep.refobjid
 WHERE p.pronamespace <> 'pg_catalog'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')`;

/**
 * Which of `objects` (their addresses on the source; a class by oid or by name) call a function the target already has with
 * another definition, compared as each server prints it with search_path pg_catalog (pg_dump's way:
 * every name qualified, so a callee in another schema never reads as the same text). By address, the
 * callee's signature. The object's own text would compare equal while it runs another body.
 */
export async function callingDiffering(
  s: Session,
  objects: { classid: string; objid: string }[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!objects.length) return out;
  const calls = (
    await catalogPath(s.source, () =>
      s.source.query<{ classid: string; objid: string; signature: string; definition: string }>(CALLEES_SQL, [
        objects.map((o) => o.classid),
        objects.map((o) => o.objid),
      ]),
    )
  ).rows;
  const signatures = [...new Set(calls.map((c) => c.signature))];
  if (!signatures.length) return out;
  const there = (
    await catalogPath(s.target, () =>
      s.target.query<{ signature: string; definition: string }>(
        `SELECT x AS signature, ${ROUTINE_DEF('p')} AS definition
           FROM unnest($1::text[]) x JOIN pg_proc p ON p.oid = to_regprocedure(x)`,
        [signatures],
      ),
    )
  ).rows;
  const theirs = new Map(there.map((r) => [r.signature, normalizeDefinition(r.definition)]));
  for (const c of calls) {
    const t = theirs.get(c.signature);
    if (t !== undefined && t !== normalizeDefinition(c.definition)) out.set(`${c.classid}/${c.objid}`, c.signature);
  }
  return out;
}

/** An object's reason when a function it calls differs on the target. */
export const differingCalleeReason = (fn: string): string =>
  `it calls ${fn}, which is on the target with another definition (kept as it is): it would run the target's body, not the source's, and so could not be equal to the source's`;

/**
 * The differing functions a body written as a string (not parsed until it runs: pg_depend knows none
 * of its calls) names, by their bare name: such a function is not created either, since it could not
 * be said to behave as the source's.
 */
export function namedInBody(body: string, differing: Iterable<string>): string | null {
  for (const fn of differing) {
    const bare = fn.slice(0, fn.indexOf('(')).split('.').pop()!.replace(/^"|"$/g, '').replace(/""/g, '"');
    const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(`(^|[^\\w$])"?${escaped}"?\\s*\\(`, 'i').test(body)) return fn;
  }
  return null;
}

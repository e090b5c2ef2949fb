// Row-level security between the two sides: never more open on the target than on the source. A
// table Archon creates gets the source's switches, relation by relation (a partition has its own),
// once its rows were read back and verified: Archon's sessions set row_security = off (as pg_dump's
// do), so a table forced any earlier would refuse the run's own reads when its owner is not a
// superuser. Policies are not created yet, so the plan says who such a table is closed to until
// they exist. An existing target table's security is its owner's and left as it is; where it has
// less than the source's, the plan says so.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { type Catalog, type Table, partitionsOf } from '../catalog/catalog.js';
import { qualified, tableKey } from '../ident.js';
import type { SourceRelation } from './source.js';

/** A created relation's switches as the source has them: checked in the target's catalog once set. */
export interface RowSecurityOf {
  schema: string;
  name: string;
  enabled: boolean;
  forced: boolean;
}

export const rowSecurityOf = (rel: SourceRelation): RowSecurityOf[] =>
  rel.rowSecurity || rel.forceRowSecurity
    ? [{ schema: rel.schema, name: rel.name, enabled: rel.rowSecurity, forced: rel.forceRowSecurity }]
    : [];

/** ENABLE and FORCE as the source's relation has them (pg_dump too sets them after the data). */
export function rowSecurityDdl(rel: SourceRelation): string[] {
  const name = qualified(rel.schema, rel.name);
  return [
    ...(rel.rowSecurity ? [`ALTER TABLE ${name} ENABLE ROW LEVEL SECURITY`] : []),
    ...(rel.forceRowSecurity ? [`ALTER TABLE ${name} FORCE ROW LEVEL SECURITY`] : []),
  ];
}

const stateOf = (enabled: boolean, forced: boolean) =>
  enabled ? (forced ? 'enabled and forced' : 'enabled but not forced') : forced ? 'forced but not enabled' : 'off';

/**
 * Every created relation's switches, read back from the target's catalog: something on the target
 * that undid them (an event trigger) fails the run rather than leave the table more open than said.
 */
export async function checkRowSecurity(tgt: pg.Client, expected: RowSecurityOf[]): Promise<void> {
  if (!expected.length) return;
  const r = await tgt.query<{ i: number; enabled: boolean | null; forced: boolean | null }>(
    `SELECT b.i::int AS i, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
       FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[]) WITH ORDINALITY b(sch, nam, en, fo, i)
       LEFT JOIN (pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace) ON n.nspname = b.sch AND c.relname = b.nam
      WHERE c.relrowsecurity IS DISTINCT FROM b.en OR c.relforcerowsecurity IS DISTINCT FROM b.fo`,
    [
      expected.map((e) => e.schema),
      expected.map((e) => e.name),
      expected.map((e) => e.enabled),
      expected.map((e) => e.forced),
    ],
  );
  if (!r.rows.length) return;
  const wrong = r.rows.map(({ i, enabled, forced }) => {
    const e = expected[i - 1];
    const name = displayName(e.schema, e.name);
    if (enabled === null) return `${name} is gone`;
    return `${name} has row-level security ${stateOf(enabled, !!forced)} where the source's is ${stateOf(e.enabled, e.forced)}`;
  });
  throw new Error(`after its statements ran, the target's catalog says ${wrong.join('; ')}; nothing is committed`);
}

const BYPASS = 'superusers and roles with BYPASSRLS';

/** Who a created relation with row-level security and no policy lets in: `public.t is closed to …`. */
export const closedTo = (rel: SourceRelation, owner: string): string =>
  `${displayName(rel.schema, rel.name)} is closed to everyone but ${rel.forceRowSecurity ? BYPASS : `its owner ${owner}, ${BYPASS}`}`;

/**
 * What a created relation's row-level security means until its policies exist: enabled with no
 * policy, no row is visible or changeable to anyone but the owner (unless forced) and those who
 * bypass it. `owner` is the target user, who owns what it creates.
 */
export function createdRowSecurityNote(rel: SourceRelation, owner: string): string | null {
  if (!rel.rowSecurity) return null;
  const name = displayName(rel.schema, rel.name);
  const how = rel.forceRowSecurity ? 'enabled and forced' : 'enabled';
  const head = `row-level security ${how} on ${name}, as on the source (once its rows are verified, before the commit)`;
  const closed = closedTo(rel, owner);
  const policies = rel.policies ?? [];
  if (!policies.length) return `${head}; it has no policies on the source either, so ${closed}, as there`;
  const one = policies.length === 1;
  return (
    `${head}; ${one ? 'its policy' : 'its policies'} ${policies.join(', ')} ${one ? 'is' : 'are'} not created ` +
    `(--create-objects creates them), so until ${one ? 'it exists' : 'they exist'} ${closed}`
  );
}

/**
 * An existing target table (or one of its partitions, matched by name) whose row-level security is
 * off, or not forced, where the source's is: said, not changed. Turning it on would change what
 * the target's own roles see, and a target meant to be open (a local copy) is a common, fair choice.
 */
export function weakerOnTarget(s: Table, t: Table, source: Catalog, target: Catalog): string | null {
  const onTarget = new Map([t, ...partitionsOf(t, target.tables)].map((x) => [tableKey(x.schema, x.name), x]));
  const weaker = [s, ...partitionsOf(s, source.tables)].flatMap((x) => {
    const y = onTarget.get(tableKey(x.schema, x.name));
    if (!y || !x.rls.enabled) return [];
    const name = displayName(x.schema, x.name);
    const state = x.rls.forced ? 'enabled and forced' : 'enabled';
    if (!y.rls.enabled)
      return [
        `${name} is ${state} on the source, off on the target, where every role granted access to it reads and changes all its rows`,
      ];
    if (x.rls.forced && !y.rls.forced)
      return [
        `${name} is ${state} on the source, enabled but not forced on the target, where its owner ${y.owner} reads and changes all its rows`,
      ];
    return [];
  });
  if (!weaker.length) return null;
  return (
    `row-level security is weaker on the target than on the source, and Archon leaves an existing table's as it ` +
    `is: ${weaker.join('; ')}; enable it on the target if these rows need it`
  );
}

/**
 * A target table whose row-level security is forced on its owner, and the target user owns it (a
 * table an earlier run created as that user): Archon's sessions read with row_security = off, which
 * such a table refuses. The run lifts the force inside its transaction and forces it again once the
 * rows were verified, before the commit, so the table is never committed less closed than it was.
 */
export const liftableForce = (t: Table): boolean => t.rowSecurity && t.rls.enabled && t.rls.forced && t.isOwner;

export const liftedForceNote = (t: Table, user: string): string =>
  `row-level security on ${displayName(t.schema, t.name)} is forced on the target, even for its owner ${user}: the run ` +
  'lifts the force inside its transaction to load and read the table, and forces it again once the rows are ' +
  "verified, before the commit (checked in the target's catalog); a run that fails leaves it forced, as it was";

const forcedOf = (tables: { target: Table | null }[]) =>
  tables.flatMap((p) => (p.target && liftableForce(p.target) ? [p.target] : []));

/** Before anything reads or empties the tables: the force lifted on those liftableForce names. */
export async function liftForce(tgt: pg.Client, tables: { target: Table | null }[]): Promise<void> {
  for (const t of forcedOf(tables))
    await tgt.query(`ALTER TABLE ${qualified(t.schema, t.name)} NO FORCE ROW LEVEL SECURITY`);
}

/** Once the rows were verified: the force back, found so in the target's catalog. */
export async function restoreForce(tgt: pg.Client, tables: { target: Table | null }[]): Promise<void> {
  const forced = forcedOf(tables);
  for (const t of forced) await tgt.query(`ALTER TABLE ${qualified(t.schema, t.name)} FORCE ROW LEVEL SECURITY`);
  await checkRowSecurity(
    tgt,
    forced.map((t) => ({ schema: t.schema, name: t.name, enabled: true, forced: true })),
  );
}

/**
 * Rows of tables the plan counts (what undo must keep) outside the run's transaction: a liftable
 * force is lifted in a transaction of its own that is rolled back, so nothing is changed by counting.
 */
export async function countUnforced<T>(tgt: pg.Client, tables: Table[], count: () => Promise<T>): Promise<T> {
  const forced = tables.filter(liftableForce);
  if (!forced.length) return count();
  await tgt.query('BEGIN');
  try {
    for (const t of forced) await tgt.query(`ALTER TABLE ${qualified(t.schema, t.name)} NO FORCE ROW LEVEL SECURITY`);
    return await count();
  } finally {
    await tgt.query('ROLLBACK');
  }
}

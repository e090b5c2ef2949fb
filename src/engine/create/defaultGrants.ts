// Never more open than the source, without --create-objects too: a table (its partitions, its sequences)
// or schema the run creates gets whatever the target's default privileges grant new objects (ALTER
// DEFAULT PRIVILEGES … GRANT ALL ON TABLES TO x; every Supabase project grants new tables in public to
// anon). A grant the source does not hold on the same object is revoked right after the CREATE, in the
// run's transaction, and the target's catalog is then read back: one left fails the run. With
// --create-objects, access.ts sets the tables' grants to the source's itself; the schemas are done here.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { type AclObject, type Grant, grantText, groupGrants, readGrants } from '../schema/grants.js';
import { ident, qualified } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';
import { roleText } from '../schema/policies.js';

// A created table's relations as the target has them: itself, its partitions, the sequences they own.
const RELATIONS_SQL = `
WITH t AS (SELECT to_regclass(x) AS oid FROM unnest($1::text[]) x),
rel AS (SELECT oid FROM t WHERE oid IS NOT NULL
        UNION SELECT p.relid FROM t, pg_partition_tree(t.oid) p WHERE t.oid IS NOT NULL),
seq AS (SELECT d.objid AS oid FROM pg_depend d JOIN rel ON d.refobjid = rel.oid
         WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
SELECT DISTINCT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind, n.nspname::text AS schema,
       c.relname::text AS name
  FROM (SELECT oid FROM rel UNION SELECT oid FROM seq) o JOIN pg_class c ON c.oid = o.oid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'S')
 ORDER BY 2, 3`;

async function createdRelations(tgt: pg.Client, tables: TablePlan[]): Promise<AclObject[]> {
  const names = tables.map((t) => qualified(t.schema, t.table));
  const r = await tgt.query<{ kind: 'TABLE' | 'SEQUENCE'; schema: string; name: string }>(RELATIONS_SQL, [names]);
  return r.rows.map((x) => ({
    kind: x.kind,
    schema: x.schema,
    name: qualified(x.schema, x.name),
    shown: displayName(x.schema, x.name),
  }));
}

// A schema's grants but its owner's own (a NULL ACL grants nobody else anything).
const SCHEMA_GRANTS_SQL = `
SELECT s.i::int - 1 AS i, NULL::text AS column,
       CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
       x.privilege_type AS privilege, x.is_grantable AS grantable
  FROM unnest($1::text[]) WITH ORDINALITY s(name, i) JOIN pg_namespace n ON n.nspname = s.name,
       aclexplode(n.nspacl) x
 WHERE x.grantee <> n.nspowner`;

async function schemaGrants(c: pg.Client, schemas: string[]): Promise<Grant[]> {
  return (await c.query<Grant>(SCHEMA_GRANTS_SQL, [schemas])).rows;
}

/** The schemas the run's DDL created, by name: its created list names them quoted, as ident() does. */
async function createdSchemas(tgt: pg.Client, tables: TablePlan[]): Promise<string[]> {
  const quoted = new Set(
    tables.flatMap((t) => (t.create?.created ?? []).filter((o) => o.kind === 'schema').map((o) => o.name)),
  );
  if (!quoted.size) return [];
  const all = (await tgt.query<{ n: string }>('SELECT nspname::text AS n FROM pg_namespace')).rows.map((r) => r.n);
  return all.filter((n) => quoted.has(ident(n)));
}

const key = (g: Grant) => JSON.stringify([g.i, g.column, g.grantee, g.privilege]);

/** The target's grants the source does not hold (as given, or with a grant option it lacks). */
function beyondSource(target: Grant[], source: Grant[]): { grant: Grant; optionOnly: boolean }[] {
  const held = new Map(source.map((g) => [key(g), g]));
  return target.flatMap((g): { grant: Grant; optionOnly: boolean }[] => {
    const s = held.get(key(g));
    if (!s) return [{ grant: g, optionOnly: false }];
    return g.grantable && !s.grantable ? [{ grant: g, optionOnly: true }] : [];
  });
}

function revokeSql(on: string, g: Grant, optionOnly: boolean): string {
  const what = g.column === null ? g.privilege : `${g.privilege} (${ident(g.column)})`;
  return `REVOKE ${optionOnly ? 'GRANT OPTION FOR ' : ''}${what} ON ${on} FROM ${roleText(g.grantee)} CASCADE`;
}

/** One kind of created object: how its grants are read and how GRANT names it. */
interface Kind {
  read: (c: pg.Client) => Promise<Grant[]>;
  on: (i: number) => string;
  shown: (i: number) => string;
}

/** Revokes on the target what the source does not grant; returns what was revoked, as the report says it. */
async function closeKind(src: pg.Client, tgt: pg.Client, k: Kind): Promise<string[]> {
  const extra = beyondSource(await k.read(tgt), await k.read(src));
  for (const { grant, optionOnly } of extra) await tgt.query(revokeSql(k.on(grant.i), grant, optionOnly));
  const left = beyondSource(await k.read(tgt), await k.read(src));
  if (left.length)
    throw new Error(
      `after its statements ran, the target's catalog says ${left.map((x) => `${grantText([x.grant])} on ${k.shown(x.grant.i)}`).join('; ')} is granted, where the source does not grant it; nothing is committed`,
    );
  return extra.map((x) => `${grantText([x.grant])} on ${k.shown(x.grant.i)}`);
}

/**
 * Right after the run's CREATEs, in its transaction: the grants the target's default privileges gave
 * the created tables (without --create-objects) and schemas beyond the source's, revoked. Each table's
 * report gets a note naming what was taken back.
 */
export async function revokeTargetDefaults(
  src: pg.Client,
  tgt: pg.Client,
  tables: TablePlan[],
  note: (t: TablePlan, text: string) => void,
): Promise<void> {
  const created = tables.filter((t) => t.create?.kind === 'create');
  if (!created.length) return;
  const bare = created.filter((t) => !t.create!.access);
  const relations = await createdRelations(tgt, bare);
  const revoked = relations.length
    ? await closeKind(src, tgt, {
        read: (c) => readGrants(c, relations),
        on: (i) => `${relations[i].kind} ${relations[i].name}`,
        shown: (i) => relations[i].shown,
      })
    : [];
  const schemas = await createdSchemas(tgt, created);
  const fromSchemas = schemas.length
    ? await closeKind(src, tgt, {
        read: (c) => schemaGrants(c, schemas),
        on: (i) => `SCHEMA ${ident(schemas[i])}`,
        shown: (i) => `the schema ${schemas[i]}`,
      })
    : [];
  const said = [...revoked, ...fromSchemas];
  if (said.length)
    note(
      created[0],
      `revoked what the target's default privileges gave the created objects and the source does not grant: ${said.join('; ')}`,
    );
  await notePrivileges(tgt, bare, note);
}

/**
 * Who holds privileges on each created table now, for its note: row-level security closes its rows,
 * not TRUNCATE or REFERENCES, so "closed to everyone but" needs saying who else holds any.
 */
async function notePrivileges(
  tgt: pg.Client,
  tables: TablePlan[],
  note: (t: TablePlan, text: string) => void,
): Promise<void> {
  const objects = tables.map((t) => ({
    kind: 'TABLE' as const,
    schema: t.schema,
    name: qualified(t.schema, t.table),
    shown: displayName(t.schema, t.table),
  }));
  const grants = await readGrants(tgt, objects);
  const owner = (await tgt.query<{ u: string }>('SELECT current_user::text AS u')).rows[0].u;
  for (const [i, t] of tables.entries()) {
    const others = groupGrants(grants.filter((g) => g.i === i)).map(grantText);
    const who = others.length
      ? `its owner ${owner}, and ${others.join('; ')}, as the source grants`
      : `its owner ${owner} alone`;
    note(t, `privileges on ${objects[i].shown}: ${who}`);
  }
}

/**
 * Just before the commit, once every statement of the run ran (an event trigger may have answered one):
 * a created table without --create-objects has no grant the source lacks and no policy, since Archon
 * gave it none. Anything else fails the run, nothing committed.
 */
export async function checkCreatedClosed(src: pg.Client, tgt: pg.Client, tables: TablePlan[]): Promise<void> {
  const bare = tables.filter((t) => t.create?.kind === 'create' && !t.create.access);
  if (!bare.length) return;
  const relations = await createdRelations(tgt, bare);
  const left = beyondSource(await readGrants(tgt, relations), await readGrants(src, relations));
  const said = left.map(
    (x) => `${grantText([x.grant])} on ${relations[x.grant.i].shown} is granted, where the source does not grant it`,
  );
  const policies = await tgt.query<{ what: string }>(
    `SELECT format('policy %I on %s', p.polname, p.polrelid::regclass) AS what
       FROM pg_policy p WHERE p.polrelid = ANY (SELECT to_regclass(x) FROM unnest($1::text[]) x) ORDER BY 1`,
    [relations.filter((r) => r.kind === 'TABLE').map((r) => r.name)],
  );
  said.push(
    ...policies.rows.map(
      (r) => `${r.what} exists, which the run did not create (it creates none without --create-objects)`,
    ),
  );
  if (said.length)
    throw new Error(`after its statements ran, the target's catalog says ${said.join('; ')}; nothing is committed`);
}

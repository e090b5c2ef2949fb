// Privileges (ACLs) of the objects a run creates (--create-objects): the source's grants, to the roles
// the target has, and nothing more. A new object on the target may have been granted by the target's
// default privileges to roles the source never granted it to (every Supabase project grants new
// tables in public to anon, authenticated and service_role): those are revoked, so the target's ACL
// equals the source's, owner aside (on the target the owner is the run's target user). Written for any
// object with an ACL that GRANT names by kind (tables, sequences, functions, procedures); read on both
// sides with aclexplode, so the comparison is of grants, not of ACL text.
import type pg from 'pg';
import { ident } from '../ident.js';
import { shownName } from '../../shared/names.js';
import { roleText } from './policies.js';

/** An object whose ACL the run sets, as GRANT names it (`"s"."t"`, `"s"."f"(integer)`). */
export interface AclObject {
  kind: 'TABLE' | 'SEQUENCE' | 'FUNCTION' | 'PROCEDURE' | 'SCHEMA';
  /** The schema it is in (a schema's own name): the target's default privileges are per schema. */
  schema: string;
  name: string;
  /** As a person reads it, for notes and the report. */
  shown: string;
}

/** One privilege granted to one role (null: PUBLIC), on the object or on one of its columns. */
export interface Grant {
  /** Index of the object in the list read. */
  i: number;
  column: string | null;
  grantee: string | null;
  privilege: string;
  grantable: boolean;
  /**
   * Who granted it on the source when not the object's owner (a role holding the grant option): on
   * the target the run's user, who owns what it creates, grants it. Never part of the comparison.
   */
  grantor?: string | null;
}

// The owner's own entries are left out on both sides: they come with owning the object. A NULL ACL is
// the kind's default (acldefault), which for functions includes EXECUTE to PUBLIC.
const ACL_SQL = `
WITH o AS (SELECT * FROM unnest($1::text[], $2::text[]) WITH ORDINALITY o(kind, name, i)),
acl AS (
  SELECT o.i, NULL::name AS col, c.relowner AS owner,
         coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's'::"char" ELSE 'r'::"char" END, c.relowner)) AS acl
    FROM o JOIN pg_class c ON c.oid = to_regclass(o.name) WHERE o.kind IN ('TABLE', 'SEQUENCE')
  UNION ALL
  SELECT o.i, a.attname, c.relowner, a.attacl
    FROM o JOIN pg_class c ON c.oid = to_regclass(o.name)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
   WHERE o.kind = 'TABLE'
  UNION ALL
  SELECT o.i, NULL, p.proowner, coalesce(p.proacl, acldefault('f', p.proowner))
    FROM o JOIN pg_proc p ON p.oid = to_regprocedure(o.name) WHERE o.kind IN ('FUNCTION', 'PROCEDURE')
  UNION ALL
  SELECT o.i, NULL, n.nspowner, coalesce(n.nspacl, acldefault('n', n.nspowner))
    FROM o JOIN pg_namespace n ON n.oid = to_regnamespace(o.name) WHERE o.kind = 'SCHEMA')
SELECT acl.i::int AS i, acl.col::text AS column,
       CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
       x.privilege_type AS privilege, x.is_grantable AS grantable,
       CASE WHEN x.grantor <> acl.owner THEN pg_get_userbyid(x.grantor)::text END AS grantor
  FROM acl, aclexplode(acl.acl) x
 WHERE x.grantee <> acl.owner
 ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4`;

/** Every grant on `objects` but their owners' own, as the server that `c` talks to holds them. */
export async function readGrants(c: pg.Client, objects: AclObject[]): Promise<Grant[]> {
  if (!objects.length) return [];
  const r = await c.query<Grant>(ACL_SQL, [objects.map((o) => o.kind), objects.map((o) => o.name)]);
  return r.rows.map((g) => ({ ...g, i: g.i - 1 }));
}

/** `SELECT, UPDATE (note) to app`: grants to one role on one object, as the report names them. */
export function grantText(grants: Grant[]): string {
  const privileges = grants.map((g) => (g.column === null ? g.privilege : `${g.privilege} (${g.column})`));
  const who = grants[0].grantee === null ? 'PUBLIC' : shownName(grants[0].grantee);
  return `${privileges.join(', ')} to ${who}${grants.every((g) => g.grantable) ? ' with grant option' : ''}`;
}

/** Grants grouped by what one GRANT statement can say: object, grantee, grant option. */
export function groupGrants(grants: Grant[]): Grant[][] {
  const out = new Map<string, Grant[]>();
  for (const g of grants) {
    const k = JSON.stringify([g.i, g.grantee, g.grantable]);
    out.set(k, [...(out.get(k) ?? []), g]);
  }
  return [...out.values()];
}

/** One GRANT for one group (groupGrants): table privileges and column privileges together. */
export function grantStatement(o: AclObject, group: Grant[]): string {
  const privileges = group.map((g) => (g.column === null ? g.privilege : `${g.privilege} (${ident(g.column)})`));
  const option = group[0].grantable ? ' WITH GRANT OPTION' : '';
  return `GRANT ${privileges.join(', ')} ON ${o.kind} ${o.name} TO ${roleText(group[0].grantee)}${option}`;
}

/**
 * What the target's default privileges give a new object of this kind that the run's target user
 * creates in `schema`: taken away again before the source's grants are given.
 */
export function revokeDefaults(o: AclObject, grantees: (string | null)[]): string[] {
  if (!grantees.length) return [];
  return [`REVOKE ALL ON ${o.kind} ${o.name} FROM ${grantees.map(roleText).join(', ')}`];
}

// The roles (null: PUBLIC) the target's default privileges grant new objects of the connected user in a
// schema to, by object type (r tables, S sequences, f functions); a NULL schema holds the global ones.
const DEFAULTS_SQL = `
SELECT d.defaclobjtype::text AS type, n.nspname::text AS schema,
       array_agg(DISTINCT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END) AS grantees
  FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x
 WHERE d.defaclrole = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND x.grantee <> d.defaclrole
 GROUP BY 1, 2`;

/** Who the target's default privileges grant the target user's new objects to: by `type schema`. */
export async function targetDefaults(tgt: pg.Client): Promise<(type: string, schema: string) => (string | null)[]> {
  const rows = (await tgt.query<{ type: string; schema: string | null; grantees: (string | null)[] }>(DEFAULTS_SQL))
    .rows;
  return (type, schema) => [
    ...new Set(
      rows.filter((r) => r.type === type && (r.schema === null || r.schema === schema)).flatMap((r) => r.grantees),
    ),
  ];
}

/** The roles the target has (PUBLIC is always there). */
export async function targetRoles(tgt: pg.Client): Promise<Set<string>> {
  return new Set((await tgt.query<{ r: string }>(`SELECT rolname::text AS r FROM pg_roles`)).rows.map((x) => x.r));
}

const grantKey = (g: Grant) => JSON.stringify([g.i, g.column, g.grantee, g.privilege, g.grantable]);

/**
 * The target's grants on `objects`, read back and compared with `expected`: one more or one less fails
 * the run (nothing committed), so a target is never left more open, or differently open, than said.
 */
export async function checkGrants(tgt: pg.Client, objects: AclObject[], expected: Grant[]): Promise<void> {
  const found = await readGrants(tgt, objects);
  const want = new Set(expected.map(grantKey));
  const have = new Set(found.map(grantKey));
  const say = (g: Grant) => `${grantText([g])} on ${objects[g.i].shown}`;
  const wrong = [
    ...found
      .filter((g) => !want.has(grantKey(g)))
      .map((g) => `${say(g)} is granted, where the source does not grant it`),
    ...expected
      .filter((g) => !have.has(grantKey(g)))
      .map((g) => `${say(g)} is not granted, where the source grants it`),
  ];
  if (wrong.length)
    throw new Error(`after its statements ran, the target's catalog says ${wrong.join('; ')}; nothing is committed`);
}

/**
 * The grants the source holds from a grantor other than the object's owner: on the target the run's
 * user, who owns what it creates, grants them. The privileges are the source's; who granted them is
 * not (a REVOKE by that grantor on the target would not take them back). SET ROLE to the grantor is
 * not tried: it needs the run's user to be a member of that role, and the grantor to hold the grant
 * option on the target first, which would be a grant the source's owner never made.
 */
export function grantorNote(acls: { grants: Grant[]; objects: AclObject[] }[]): string[] {
  const other = acls.flatMap(({ grants, objects }) =>
    groupGrants(grants.filter((g) => g.grantor)).map(
      (g) => `${grantText(g)} on ${objects[g[0].i].shown} (granted by ${g[0].grantor} on the source)`,
    ),
  );
  return other.length
    ? [
        `granted by the owner on the target, not by the source's grantor, since the run's user owns what it creates: ${other.join(', ')}; the privileges are equal, but a REVOKE by that grantor on the target would not take them back`,
      ]
    : [];
}

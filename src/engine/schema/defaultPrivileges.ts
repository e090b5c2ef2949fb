// Default privileges (pg_default_acl) of the schemas a run creates tables in (--create-objects): what
// the source's roles grant their future objects there, given on the target where it lacks them, for
// roles it has (ALTER DEFAULT PRIVILEGES FOR ROLE needs the target user to be a superuser or a member
// of that role: the trial finds out). Only what the target lacks: a default privilege the target has
// stays, and one the target has beyond the source's is the target's own. Unlike grants, they do not
// go with a dropped table, so each one added is journaled with its REVOKE for undo.
import type pg from 'pg';
import { ident } from '../ident.js';
import { shownName } from '../../shared/names.js';
import { roleText } from './policies.js';

/** One default privilege, as aclexplode of pg_default_acl gives it; `grantee` null is PUBLIC. */
export interface DefaultGrant {
  role: string;
  schema: string;
  /** r tables, S sequences, f functions, T types, n schemas. */
  type: string;
  grantee: string | null;
  privilege: string;
  grantable: boolean;
}

const DEFAULTS_SQL = `
SELECT pg_get_userbyid(d.defaclrole)::text AS role, n.nspname::text AS schema, d.defaclobjtype::text AS type,
       CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
       x.privilege_type AS privilege, x.is_grantable AS grantable
  FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) x
 WHERE n.nspname = ANY ($1)
 ORDER BY 1, 2, 3, 4 NULLS FIRST, 5`;

export async function readDefaultGrants(c: pg.Client, schemas: string[]): Promise<DefaultGrant[]> {
  if (!schemas.length) return [];
  return (await c.query<DefaultGrant>(DEFAULTS_SQL, [schemas])).rows;
}

const keyOf = (g: DefaultGrant) => JSON.stringify([g.role, g.schema, g.type, g.grantee, g.privilege, g.grantable]);

const OBJECTS: Record<string, string> = { r: 'TABLES', S: 'SEQUENCES', f: 'FUNCTIONS', T: 'TYPES', n: 'SCHEMAS' };

/** The source's default grants the target lacks, grouped as one statement says them. */
export function missingDefaults(source: DefaultGrant[], target: DefaultGrant[]): DefaultGrant[][] {
  const have = new Set(target.map(keyOf));
  const out = new Map<string, DefaultGrant[]>();
  for (const g of source.filter((x) => !have.has(keyOf(x)))) {
    const k = JSON.stringify([g.role, g.schema, g.type, g.grantee, g.grantable]);
    out.set(k, [...(out.get(k) ?? []), g]);
  }
  return [...out.values()];
}

const forRole = (g: DefaultGrant) => `FOR ROLE ${ident(g.role)} IN SCHEMA ${ident(g.schema)}`;

export function grantDefaults(group: DefaultGrant[]): string {
  const g = group[0];
  const option = g.grantable ? ' WITH GRANT OPTION' : '';
  return `ALTER DEFAULT PRIVILEGES ${forRole(g)} GRANT ${group.map((x) => x.privilege).join(', ')} ON ${OBJECTS[g.type]} TO ${roleText(g.grantee)}${option}`;
}

/** What undo runs after `ALTER DEFAULT PRIVILEGES` to take the group back: journaled as the object's name. */
export const revokeDefaultsClause = (group: DefaultGrant[]): string =>
  `${forRole(group[0])} REVOKE ${group.map((x) => x.privilege).join(', ')} ON ${OBJECTS[group[0].type]} FROM ${roleText(group[0].grantee)}`;

/** `SELECT, UPDATE on tables in public to app, for objects postgres creates`: as the report names it. */
export const defaultText = (group: DefaultGrant[]): string => {
  const g = group[0];
  return `${group.map((x) => x.privilege).join(', ')} on ${OBJECTS[g.type].toLowerCase()} in ${shownName(g.schema)} to ${g.grantee === null ? 'PUBLIC' : shownName(g.grantee)}, for those ${shownName(g.role)} creates`;
};

/** The default grants given, read back: each must be on the target before the commit. */
export async function checkDefaults(tgt: pg.Client, expected: DefaultGrant[]): Promise<void> {
  if (!expected.length) return;
  const have = new Set((await readDefaultGrants(tgt, [...new Set(expected.map((g) => g.schema))])).map(keyOf));
  const missing = expected.filter((g) => !have.has(keyOf(g)));
  if (missing.length)
    throw new Error(
      `after its statements ran, the target's catalog lacks the default privileges ${missing.map((g) => defaultText([g])).join('; ')}; nothing is committed`,
    );
}

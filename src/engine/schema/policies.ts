// Row-level security policies of the tables a run creates (--create-objects): read from the source's
// pg_policy with the server's deparser, written as CREATE POLICY for the target, and read back from
// the target's catalog the same way, so "created" is said of what the target holds, not of what was
// sent. pg_dump too creates policies after the data.
import type pg from 'pg';
import { displayName, shownName } from '../../shared/names.js';
import { ident, qualified } from '../ident.js';

/** A policy as pg_policy holds it; `roles` null entries stand for PUBLIC. */
export interface Policy {
  schema: string;
  table: string;
  name: string;
  permissive: boolean;
  /** r SELECT, a INSERT, w UPDATE, d DELETE, * ALL. */
  cmd: string;
  roles: (string | null)[];
  using: string | null;
  check: string | null;
  /** Its oid on the server it was read from, for what it calls (pg_depend). */
  oid?: string;
}

// pg_get_expr qualifies every name it prints only while search_path is pg_catalog (as pg_dump reads
// it), so the text means the same on a server whose search_path differs.
const POLICIES_SQL = `
SELECT n.nspname::text AS schema, c.relname::text AS "table", p.polname::text AS name, p.polpermissive AS permissive,
       p.oid::int8::text AS oid,
       p.polcmd::text AS cmd,
       ARRAY(SELECT CASE WHEN r.oid = 0 THEN NULL ELSE pg_get_userbyid(r.oid)::text END
               FROM unnest(p.polroles) WITH ORDINALITY r(oid, i) ORDER BY r.i) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS check
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = ANY (SELECT to_regclass(x) FROM unnest($1::text[]) x)
 ORDER BY n.nspname, c.relname, p.polname`;

/** The policies of `relations` (qualified, quoted names), with every name the expressions print qualified. */
export async function readPolicies(c: pg.Client, relations: string[]): Promise<Policy[]> {
  if (!relations.length) return [];
  return withCatalogPath(c, async () => (await c.query<Policy>(POLICIES_SQL, [relations])).rows);
}

/** Runs `fn` with search_path = pg_catalog for the transaction, then puts the session's back. */
export async function withCatalogPath<T>(c: pg.Client, fn: () => Promise<T>): Promise<T> {
  const path = (await c.query(`SELECT current_setting('search_path') AS p`)).rows[0].p as string;
  await c.query(`SELECT set_config('search_path', 'pg_catalog', true)`);
  try {
    return await fn();
  } finally {
    await c.query(`SELECT set_config('search_path', $1, true)`, [path]);
  }
}

const COMMANDS: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

export const roleText = (r: string | null): string => (r === null ? 'PUBLIC' : ident(r));

export function createPolicy(p: Policy): string {
  const using = p.using === null ? '' : ` USING (${p.using})`;
  const check = p.check === null ? '' : ` WITH CHECK (${p.check})`;
  return (
    `CREATE POLICY ${ident(p.name)} ON ${qualified(p.schema, p.table)} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} ` +
    `FOR ${COMMANDS[p.cmd] ?? 'ALL'} TO ${p.roles.map(roleText).join(', ')}${using}${check}`
  );
}

/** `own_keys on public.api_keys`: a policy as the report names it. */
/** As the report's objects name a policy (schemaObjects.ts): one key for the created and the left out. */
export const policyName = (p: { schema: string; table: string; name: string }): string =>
  `${shownName(p.name)} on ${displayName(p.schema, p.table)}`;

/** Two policies alike in everything the server enforces. */
export const samePolicy = (a: Policy, b: Policy): boolean =>
  a.permissive === b.permissive &&
  a.cmd === b.cmd &&
  a.using === b.using &&
  a.check === b.check &&
  JSON.stringify(a.roles) === JSON.stringify(b.roles);

/**
 * The target's policies on `relations`, read back and compared with `expected` (as the trial found
 * the target writes them): a policy missing, extra or different fails the run, nothing committed.
 */
export async function checkPolicies(tgt: pg.Client, relations: string[], expected: Policy[]): Promise<void> {
  const found = await readPolicies(tgt, relations);
  const key = (p: Policy) => policyName(p);
  const have = new Map(found.map((p) => [key(p), p]));
  const want = new Map(expected.map((p) => [key(p), p]));
  const wrong = [
    ...expected.filter((p) => !have.has(key(p))).map((p) => `policy ${key(p)} is missing`),
    ...found.filter((p) => !want.has(key(p))).map((p) => `policy ${key(p)} is there, where the source has none`),
    ...expected
      .filter((p) => have.has(key(p)) && !samePolicy(p, have.get(key(p))!))
      .map((p) => `policy ${key(p)} differs from the source's`),
  ];
  if (wrong.length)
    throw new Error(`after its statements ran, the target's catalog says ${wrong.join('; ')}; nothing is committed`);
}

// Undo trusts the journal and the backups in the schema `archon` on the target: what they say is written
// back into the user's tables, by the run's user, who may be a superuser. So nobody but that user (and
// superusers, who can change anything anyway) may change them: a schema or table another role owns is
// refused (its owner could put a trigger on the journal or rewrite a backup), as are triggers, rules and
// policies on the journal's tables, and every grant on them to another role (the target's default
// privileges give some to new objects, PUBLIC included) is revoked, then checked in the catalog.
import type pg from 'pg';
import { ident, qualified } from '../ident.js';
import { roleText } from '../schema/policies.js';

const SCHEMA = 'archon';

// The schema and its tables and functions whose owner is neither the connected user nor a superuser. A non-superuser
// member of the owner role is refused too: every other member could change the journal as well.
const FOREIGN_SQL = `
SELECT 'schema ' || n.nspname::text AS what, pg_get_userbyid(n.nspowner)::text AS owner, 0 AS rank
  FROM pg_namespace n
 WHERE n.nspname = $1 AND pg_get_userbyid(n.nspowner) <> current_user
   AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = n.nspowner)
UNION ALL
SELECT 'table ' || n.nspname::text || '.' || c.relname::text, pg_get_userbyid(c.relowner)::text, 1
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> current_user
   AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = c.relowner)
UNION ALL
-- A function too: nothing of Archon's calls one there, but a default or a check of another role's
-- making could (and its owner can change its body at any time), so it is refused as a table is.
SELECT 'function ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner)::text, 2
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = $1 AND pg_get_userbyid(p.proowner) <> current_user
   AND NOT (SELECT rolsuper FROM pg_roles WHERE oid = p.proowner)`;

/** Why the journal on the target may not be trusted by this user, or null when it may (or is not there). */
export async function foreignJournal(tgt: pg.Client): Promise<string | null> {
  const r = await tgt.query<{ what: string; owner: string; who: string }>(
    `SELECT f.what, f.owner, current_user::text AS who FROM (${FOREIGN_SQL}) f ORDER BY f.rank, f.what LIMIT 1`,
    [SCHEMA],
  );
  if (!r.rowCount) return null;
  const { what, owner, who } = r.rows[0];
  return `${what} on the target belongs to ${owner}, not to you (${who}): Archon keeps its journal and undo backups in the schema ${SCHEMA}, and ${owner} could change what undo writes back; drop or rename it, or run with --no-backup`;
}

// What would run or change under the journal's writes and reads: user triggers, rules, policies.
const HOOKS_SQL = `
SELECT format('trigger %I on %s', t.tgname, t.tgrelid::regclass) AS what
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND NOT t.tgisinternal
UNION ALL
SELECT format('rule %I on %s', r.rulename, r.ev_class::regclass)
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND r.rulename <> '_RETURN'
UNION ALL
SELECT format('policy %I on %s', p.polname, p.polrelid::regclass)
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1
UNION ALL
SELECT format('row-level security on %s', c.oid::regclass)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relrowsecurity
ORDER BY 1`;

// Every grant on the schema, the relations in it and their columns to a role other than the owner and
// the run's user (a superuser may make the schema and let a non-superuser run keep its journal there).
const GRANTS_SQL = `
WITH me AS (SELECT oid FROM pg_roles WHERE rolname = current_user),
acl AS (
  SELECT NULL::text AS rel, n.nspowner AS owner, n.nspacl AS acl FROM pg_namespace n WHERE n.nspname = $1
  UNION ALL
  SELECT c.relname::text, c.relowner, c.relacl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'S')
  UNION ALL
  SELECT c.relname::text, c.relowner, a.attacl
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
   WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND a.attacl IS NOT NULL)
SELECT DISTINCT acl.rel, CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END AS grantee,
       acl.owner = (SELECT oid FROM me) AS ours
  FROM acl, aclexplode(acl.acl) x
 WHERE x.grantee <> acl.owner AND x.grantee <> (SELECT oid FROM me)
 ORDER BY 1 NULLS FIRST, 2 NULLS FIRST`;

interface OtherGrant {
  /** The table, or null for the schema itself. */
  rel: string | null;
  /** null: PUBLIC. */
  grantee: string | null;
  ours: boolean;
}

const objectSql = (g: OtherGrant) => (g.rel === null ? `SCHEMA ${ident(SCHEMA)}` : `TABLE ${qualified(SCHEMA, g.rel)}`);

const objectText = (g: OtherGrant) =>
  `${g.rel === null ? 'the schema' : qualified(SCHEMA, g.rel)} to ${g.grantee ?? 'PUBLIC'}`;

/** Grants on the journal to others than each object's owner. */
async function grantsToOthers(tgt: pg.Client): Promise<OtherGrant[]> {
  return (await tgt.query<OtherGrant>(GRANTS_SQL, [SCHEMA])).rows;
}

/**
 * Inside the run's transaction, after the journal's DDL: refuses a journal another role owns or that
 * has triggers, rules or policies, then makes the schema and every table in it owner-only (an older
 * Archon's journal is tightened on first use) and checks that in the catalog.
 */
export async function secureJournal(tgt: pg.Client): Promise<void> {
  await assertTrusted(tgt);
  for (const g of await grantsToOthers(tgt)) {
    // The owner's REVOKE takes only its own grants: CASCADE takes those regranted from them too.
    if (g.ours) await tgt.query(`REVOKE ALL ON ${objectSql(g)} FROM ${roleText(g.grantee)} CASCADE`);
  }
  await assertClosed(tgt);
}

/** Refuses a journal this user may not trust: another owner, or a trigger, rule or policy on it. */
export async function assertTrusted(tgt: pg.Client): Promise<void> {
  const foreign = await foreignJournal(tgt);
  if (foreign) throw new Error(`${foreign}; nothing is committed`);
  const hooks = (await tgt.query<{ what: string }>(HOOKS_SQL, [SCHEMA])).rows.map((r) => r.what);
  if (hooks.length)
    throw new Error(
      `the schema ${SCHEMA} on the target has ${hooks.join(', ')}: Archon's journal and undo backups take none, since they could change what undo writes back; drop them; nothing is committed`,
    );
}

/** Fails unless the catalog shows no grant on the journal to anyone but its owner. */
export async function assertClosed(tgt: pg.Client): Promise<void> {
  const left = await grantsToOthers(tgt);
  if (left.length)
    throw new Error(
      `the schema ${SCHEMA} on the target still grants ${left.map(objectText).join(', ')}: Archon's journal and undo backups must be its owner's only; nothing is committed`,
    );
}

/** A backup table just created: owner-only, whatever the target's default privileges gave it. */
export async function closeBackup(tgt: pg.Client, table: string): Promise<void> {
  const r = await tgt.query<{ grantee: string | null }>(
    `SELECT DISTINCT CASE WHEN x.grantee = 0 THEN NULL ELSE pg_get_userbyid(x.grantee)::text END AS grantee
       FROM pg_class c, aclexplode(c.relacl) x WHERE c.oid = $1::regclass AND x.grantee <> c.relowner`,
    [qualified(SCHEMA, table)],
  );
  if (r.rowCount)
    await tgt.query(
      `REVOKE ALL ON TABLE ${qualified(SCHEMA, table)} FROM ${r.rows.map((g) => roleText(g.grantee)).join(', ')}`,
    );
}

// Who may see and change what a run creates (--create-objects): the source's policies and grants, for
// the roles the target has, and never more. Asserted as the roles themselves see the rows (SET ROLE),
// on a target whose default privileges grant every new table in public to an `anon` role the source
// does not grant, as a Supabase project does.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ddlScript, migrate, planMigration, undo } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { TestDb, type TestServer, directions, withClient } from './support/pg.js';

const byName = (r: Report, name: string): TableReport => r.tables.find((t) => t.table === name)!;

/** Roles for one test: `present` on both servers, `absent` on the source only, `anon` on the target only. */
interface Roles {
  present: string;
  absent: string;
  anon: string;
}

// docs: a permissive policy reading a setting, a restrictive one, one for a role the target lacks;
// open_list: no row-level security, granted to PUBLIC, a column grant, its serial's sequence granted;
// locked: its only policy is for the absent role; guarded: its restrictive policy names the absent
// role too, so it cannot be created; profiles: a policy calling a function the target lacks.
const SOURCE = ({ present, absent }: Roles) => `CREATE ROLE ${present}; CREATE ROLE ${absent};
  CREATE TABLE docs (id int PRIMARY KEY, tenant text NOT NULL, body text);
  INSERT INTO docs SELECT g, CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, 'body' || g FROM generate_series(1, 12) g;
  ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
  CREATE POLICY tenant_read ON docs AS PERMISSIVE FOR SELECT TO ${present}
    USING (tenant = current_setting('app.tenant', true));
  CREATE POLICY below_ten ON docs AS RESTRICTIVE FOR SELECT TO ${present} USING (id < 10);
  CREATE POLICY absent_all ON docs FOR ALL TO ${absent} USING (true) WITH CHECK (tenant <> 'x');
  GRANT SELECT ON docs TO ${present}; GRANT SELECT, INSERT ON docs TO ${absent};
  CREATE TABLE open_list (id serial PRIMARY KEY, name text, note text);
  INSERT INTO open_list (name, note) SELECT 'n' || g, 'x' FROM generate_series(1, 4) g;
  GRANT SELECT ON open_list TO PUBLIC; GRANT UPDATE (note) ON open_list TO ${present};
  GRANT USAGE ON SEQUENCE open_list_id_seq TO ${present};
  CREATE TABLE locked (id int PRIMARY KEY); INSERT INTO locked SELECT generate_series(1, 5);
  ALTER TABLE locked ENABLE ROW LEVEL SECURITY; CREATE POLICY only_absent ON locked TO ${absent} USING (true);
  GRANT SELECT ON locked TO ${present};
  CREATE TABLE guarded (id int PRIMARY KEY); INSERT INTO guarded SELECT generate_series(1, 5);
  ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
  CREATE POLICY g_read ON guarded FOR SELECT TO ${present} USING (true);
  CREATE POLICY g_limit ON guarded AS RESTRICTIVE FOR SELECT TO ${present}, ${absent} USING (id < 3);
  GRANT SELECT ON guarded TO ${present};
  CREATE SCHEMA auth; CREATE FUNCTION auth.uid() RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT current_setting('app.uid', true) $$;
  CREATE TABLE profiles (id int PRIMARY KEY, owner_id text); INSERT INTO profiles VALUES (1, 'u1'), (2, 'u2');
  ALTER TABLE profiles ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own_profile ON profiles FOR SELECT TO ${present} USING (owner_id = auth.uid());
  GRANT SELECT ON profiles TO ${present}; GRANT USAGE ON SCHEMA auth TO ${present};`;

/** A target with `present`, and `anon` granted SELECT, UPDATE on every new table and sequence in public. */
async function anonTarget(server: TestServer, roles: Roles): Promise<TestDb> {
  const tgt = await TestDb.create(server, 'atgt');
  await tgt.sql(`CREATE ROLE ${roles.present}; CREATE ROLE ${roles.anon};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, UPDATE ON TABLES TO ${roles.anon};
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE ON SEQUENCES TO ${roles.anon}`);
  return tgt;
}

async function setUp(from: TestServer, to: TestServer): Promise<{ src: TestDb; tgt: TestDb; roles: Roles }> {
  const src = await TestDb.create(from, 'asrc');
  const roles = { present: `present_${src.name}`, absent: `absent_${src.name}`, anon: `anon_${src.name}` };
  await src.sql(SOURCE(roles));
  return { src, tgt: await anonTarget(to, roles), roles };
}

/** The rows `role` sees in `table` with the settings given, as an application connecting as it would. */
async function seenAs(
  db: TestDb,
  role: string,
  table: string,
  settings: Record<string, string> = {},
): Promise<number[]> {
  return withClient(db.url, async (c) => {
    await c.query('BEGIN');
    try {
      for (const [k, v] of Object.entries(settings)) await c.query('SELECT set_config($1, $2, true)', [k, v]);
      await c.query(`SET LOCAL ROLE ${role}`);
      return (await c.query(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id);
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

/** Every grant on the tables and sequences of public (owner aside), as `table grantee privilege[ (column)]`. */
const ACL = `SELECT c.relname || ' ' || CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END
              || ' ' || x.privilege_type || coalesce(' (' || x.col || ')', '') AS g
  FROM pg_class c CROSS JOIN LATERAL (
         SELECT (aclexplode(c.relacl)).*, NULL::name AS col
         UNION ALL SELECT (aclexplode(a.attacl)).*, a.attname FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL) x
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S') AND x.grantee <> c.relowner
 ORDER BY 1`;

/** The policies of public as the server enforces them (the role names as they are on each side). */
const POLICIES = `SELECT tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd || ' ' || roles::text
                         || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') AS p
                    FROM pg_policies WHERE schemaname = 'public' ORDER BY 1`;

/** The default privileges of public, as `role type grantee privilege`. */
const DEFAULT_ACL = `SELECT pg_get_userbyid(d.defaclrole) || ' ' || d.defaclobjtype::text || ' ' ||
         CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END || ' ' || x.privilege_type AS d
    FROM pg_default_acl d, aclexplode(d.defaclacl) x WHERE d.defaclnamespace = 'public'::regnamespace ORDER BY 1`;

/** What the target's roles depend on in this database (grants, default privileges, policies). */
const ROLE_DEPENDENCIES = (roles: Roles) => `SELECT count(*)::int AS n FROM pg_shdepend
  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND refobjid IN (SELECT oid FROM pg_roles WHERE rolname IN ('${roles.present}', '${roles.anon}'))`;

for (const [from, to] of directions()) {
  describe(`policies and grants of created tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a created table is as open as the source and no more: each role sees on the target what it sees on the source', async () => {
      const { src, tgt, roles } = await setUp(from, to);
      const { present, absent, anon } = roles;
      // Default privileges of the source's schema for future tables: one for a role the target has, one it lacks.
      await src.sql(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${present};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT ON TABLES TO ${absent}`);
      const dependenciesBefore = await tgt.sql(ROLE_DEPENDENCIES(roles));
      const defaultsBefore = (await tgt.sql(DEFAULT_ACL)).map((r) => r.d);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));

      // The same rows for the same setting, through a permissive and a restrictive policy.
      for (const tenant of ['a', 'b']) {
        const onSource = await seenAs(src, present, 'docs', { 'app.tenant': tenant });
        assert.deepEqual(await seenAs(tgt, present, 'docs', { 'app.tenant': tenant }), onSource, tenant);
      }
      assert.deepEqual(await seenAs(tgt, present, 'docs', { 'app.tenant': 'a' }), [3, 6, 9]);
      // anon, granted every new table by the target's default privileges, has nothing the source does not give.
      const [anonRights] = await tgt.sql(
        `SELECT has_table_privilege($1, 'docs', 'SELECT') AS s, has_table_privilege($1, 'docs', 'UPDATE') AS u,
                has_table_privilege($1, 'open_list', 'UPDATE') AS lu, has_table_privilege($1, 'locked', 'SELECT') AS l,
                has_sequence_privilege($1, 'open_list_id_seq', 'USAGE') AS q`,
        [anon],
      );
      assert.deepEqual(anonRights, { s: false, u: false, lu: false, l: false, q: false });
      // PUBLIC's grant is there, as on the source: anon reads open_list through it.
      assert.deepEqual(await seenAs(tgt, anon, 'open_list'), [1, 2, 3, 4]);
      // The target's grants are the source's, but for the role it lacks.
      const sourceAcl = (await src.sql(ACL)).map((r) => r.g).filter((g) => !g.includes(absent));
      assert.deepEqual(
        (await tgt.sql(ACL)).map((r) => r.g),
        sourceAcl,
      );
      assert.ok(sourceAcl.includes(`open_list ${present} UPDATE (note)`), sourceAcl.join('\n'));
      // The policies are the source's, but those naming the absent role, and those that would be more
      // open without a restrictive one that cannot be created.
      const tgtPolicies = (await tgt.sql(POLICIES)).map((r) => r.p);
      const srcPolicies = (await src.sql(POLICIES)).map((r) => r.p);
      assert.deepEqual(
        tgtPolicies,
        srcPolicies.filter((p) => /^docs (tenant_read|below_ten) /.test(p)),
      );
      // A policy for the absent role only: locked stays closed to a role it is granted to.
      assert.deepEqual(await seenAs(tgt, present, 'locked'), []);
      assert.deepEqual(await seenAs(src, present, 'locked'), []);
      // The restrictive policy cannot be created, so neither is the permissive one: closed, never wider.
      assert.deepEqual(await seenAs(src, present, 'guarded'), [1, 2]);
      assert.deepEqual(await seenAs(tgt, present, 'guarded'), []);
      assert.deepEqual(await seenAs(tgt, present, 'profiles', { 'app.uid': 'u1' }), []);

      const objects = (report.objects ?? []).map((o) => `${o.status}: ${o.kind} ${o.name}: ${o.reason}`);
      const has = (line: string | RegExp) =>
        assert.ok(
          objects.some((o) => (typeof line === 'string' ? o === line : line.test(o))),
          `${line}\n--\n${objects.join('\n')}`,
        );
      has(
        `created: policy tenant_read on public.docs: created and equal: found in the target's catalog as the source defines it`,
      );
      has(
        `created: policy below_ten on public.docs: created and equal: found in the target's catalog as the source defines it`,
      );
      has(`not created: policy absent_all on public.docs: the target has no role ${absent}`);
      has(`not created: policy only_absent on public.locked: the target has no role ${absent}`);
      has(`not created: grant INSERT, SELECT to ${absent} on public.docs: the target has no role ${absent}`);
      has(
        `created: grant UPDATE (note) to ${present} on public.open_list: granted and equal: the target's grants are the source's`,
      );
      has(
        `created: grant SELECT to PUBLIC on public.open_list: granted and equal: the target's grants are the source's`,
      );
      has(
        `not created: policy g_read on public.guarded: the restrictive policy g_limit on public.guarded is not created, and without it this one would let more through than on the source`,
      );
      has(
        /^not created: policy own_profile on public\.profiles: the target refuses `CREATE POLICY "own_profile" ON "public"\."profiles" .*auth.*\[(3F000|42883)\]$/,
      );
      assert.ok(!objects.some((o) => /^not created: policy (tenant_read|below_ten) /.test(o)), objects.join('\n'));
      has(
        `created: default privilege SELECT on tables in public to ${present}, for those postgres creates: given as on the source: found in the target's catalog`,
      );
      has(
        `not created: default privilege INSERT on tables in public to ${absent}, for those postgres creates: the target has no role ${absent}`,
      );
      assert.deepEqual(
        (await tgt.sql(DEFAULT_ACL)).map((r) => r.d),
        [...defaultsBefore, `postgres r ${present} SELECT`].sort(),
      );

      const docs = byName(report, 'docs').notes;
      assert.ok(
        docs.includes(
          `the target has no role ${absent}: 1 grant, 1 policy and 1 default privilege not created (policy absent_all on public.docs; grant INSERT, SELECT ` +
            `to ${absent} on public.docs; default privilege INSERT on tables in public to ${absent}, for those postgres creates)`,
        ),
        docs.join('\n'),
      );
      assert.ok(
        docs.some((n) =>
          new RegExp(
            `^what the target's default privileges grant new objects is revoked first \\(${anon} on public\\.docs\\), then the source's grants given`,
          ).test(n),
        ),
        docs.join('\n'),
      );
      const locked = byName(report, 'locked').notes.join('\n');
      assert.match(
        locked,
        /its policy only_absent is not created \(see why below\), so public\.locked is closed to everyone but its owner postgres/,
      );

      // Undo drops the tables, and with them every grant and policy the run made; the default privileges stay the target's.
      const undone = await undo({ target: tgt.url });
      assert.equal(undone.undone, true);
      assert.deepEqual(await tgt.sql(ROLE_DEPENDENCIES(roles)), dependenciesBefore);
      assert.deepEqual(
        (await tgt.sql(DEFAULT_ACL)).map((r) => r.d),
        defaultsBefore,
      );
      assert.deepEqual(await tgt.sql(ACL), []);
    });

    it('the plan tries every statement and the DDL script shows them after the rows are verified', async () => {
      const { src, tgt } = await setUp(from, to);
      const planned = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
      });
      const script = ddlScript(planned.plan, []);
      assert.match(
        script,
        /-- After the rows were counted and compared, just before the commit: row-level security, policies and grants\n/,
      );
      assert.match(
        script,
        /\nCREATE POLICY "tenant_read" ON "public"\."docs" AS PERMISSIVE FOR SELECT TO "present_[a-z0-9_]+" USING \(\(tenant = current_setting\('app\.tenant'::text, true\)\)\);\n/,
      );
      assert.match(script, /\nREVOKE ALL ON TABLE "public"\."docs" FROM "anon_[a-z0-9_]+";\n/);
      assert.ok(script.indexOf('CREATE POLICY') > script.indexOf('-- … the rows are copied here'));
      // Without --create-objects, nothing of this: the policies are named as before.
      const plain = await planMigration({ source: src.url, target: tgt.url, createMissing: true });
      assert.doesNotMatch(ddlScript(plain.plan, []), /CREATE POLICY|GRANT|REVOKE/);
    });
  });

  describe(`columns added to an existing table, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('open nothing: the source grants on them are named, not given', async () => {
      const { src, tgt, roles } = await setUp(from, to);
      const { present } = roles;
      await src.sql(`CREATE TABLE wide (id int PRIMARY KEY, key text, added text);
        INSERT INTO wide SELECT g, 'k' || g, 'a' || g FROM generate_series(1, 4) g;
        GRANT SELECT (id, added) ON wide TO ${present}`);
      await tgt.sql(`CREATE TABLE wide (id int PRIMARY KEY, key text);
        ALTER TABLE wide ENABLE ROW LEVEL SECURITY; CREATE POLICY w ON wide FOR SELECT TO ${present} USING (id < 3);
        GRANT SELECT (id) ON wide TO ${present}`);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        addColumns: true,
        createObjects: true,
        selection: { tables: ['wide'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      const [rights] = await tgt.sql(
        `SELECT has_column_privilege($1, 'wide', 'added', 'SELECT') AS added, has_column_privilege($1, 'wide', 'id', 'SELECT') AS id`,
        [present],
      );
      assert.deepEqual(rights, { added: false, id: true });
      assert.deepEqual(await seenAs(tgt, present, 'wide'), [1, 2]);
      assert.ok(
        byName(report, 'wide').notes.includes(
          `the source grants SELECT (added) to ${present} on the added column(s) of public.wide; not granted ` +
            "on the target, where the table's own grants and policies decide who reads them",
        ),
        byName(report, 'wide').notes.join('\n'),
      );
    });
  });
}

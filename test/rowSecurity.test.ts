// Never more open than the source: a table Archon creates gets the source's row-level security (per
// relation, partitions too), and an existing target table that has less of it is named. Asserted as
// a hosted target's `anon` role would see the rows: through default privileges that grant it every
// new table.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ddlScript, migrate, planMigration, undo } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { TestDb, type TestServer, directions, urlOf, withClient } from './support/pg.js';

const byName = (r: Report, name: string): TableReport => r.tables.find((t) => t.table === name)!;

// A table of API keys forced, notes only enabled, a partitioned table whose parent is forced, one
// partition enabled and one without; each with rows, and a policy for an application role.
const SOURCE = (app: string) => `CREATE ROLE ${app};
  CREATE TABLE api_keys (id int PRIMARY KEY, owner text NOT NULL, key text NOT NULL);
  INSERT INTO api_keys SELECT g, 'user' || g, md5(g::text) FROM generate_series(1, 12) g;
  ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY; ALTER TABLE api_keys FORCE ROW LEVEL SECURITY;
  CREATE POLICY own_keys ON api_keys FOR ALL TO ${app} USING (owner = current_user);
  CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 5) g;
  ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
  CREATE POLICY notes_read ON notes FOR SELECT TO ${app} USING (true);
  CREATE POLICY notes_write ON notes FOR UPDATE TO ${app} USING (true);
  CREATE TABLE events (id int, at date, secret text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
  CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE events_rest PARTITION OF events DEFAULT;
  INSERT INTO events SELECT g, '2024-12-25'::date + g, 's' || g FROM generate_series(1, 20) g;
  ALTER TABLE events ENABLE ROW LEVEL SECURITY; ALTER TABLE events FORCE ROW LEVEL SECURITY;
  ALTER TABLE events_2025 ENABLE ROW LEVEL SECURITY;
  CREATE TABLE open_table (id int PRIMARY KEY); INSERT INTO open_table SELECT generate_series(1, 3);`;

const FLAGS = `SELECT relname AS name, relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class
  WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY relname`;

/** What `role` sees and may change on the target, as an application connecting as it would (rolled back). */
async function asRole(db: TestDb, role: string, table: string): Promise<{ seen: number; updated: number }> {
  return withClient(db.url, async (c) => {
    await c.query(`BEGIN; SET LOCAL ROLE ${role}`);
    try {
      const seen = (await c.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n;
      const updated = (await c.query(`UPDATE ${table} SET id = id`)).rowCount ?? 0;
      return { seen, updated };
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

/** A target with an `anon` role that every new table in public is granted to (as on Supabase), by `grantor`. */
async function anonTarget(server: TestServer, grantor?: string): Promise<{ tgt: TestDb; anon: string }> {
  const tgt = await TestDb.create(server, 'rtgt');
  const anon = `anon_${tgt.name}`;
  const forRole = grantor ? `FOR ROLE ${grantor} ` : '';
  await tgt.sql(`CREATE ROLE ${anon};
    ALTER DEFAULT PRIVILEGES ${forRole}IN SCHEMA public GRANT SELECT, UPDATE ON TABLES TO ${anon}`);
  return { tgt, anon };
}

/**
 * The source grants anon what the target's default privileges give it: only such a grant is kept on a
 * created table (one the source does not hold is revoked: defaultGrants.test.ts), so row-level security
 * is what keeps its rows from anon.
 */
const grantOnSource = (src: TestDb, anon: string) =>
  src.sql(`CREATE ROLE ${anon}; GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA public TO ${anon}`);

const CREATED_NOTES = {
  api_keys:
    'row-level security enabled and forced on public.api_keys, as on the source (once its rows are verified, ' +
    'before the commit); its policy own_keys is not created (--create-objects creates them), so until it ' +
    'exists public.api_keys is closed to everyone but superusers and roles with BYPASSRLS',
  notes: (owner: string) =>
    'row-level security enabled on public.notes, as on the source (once its rows are verified, before the ' +
    'commit); its policies notes_read, notes_write are not created (--create-objects creates them), so ' +
    `until they exist public.notes is closed to everyone but its owner ${owner}, superusers and roles with BYPASSRLS`,
};

for (const [from, to] of directions()) {
  describe(`row-level security of created tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a created table is as closed as the source: anon sees and changes no row; the missing policy is named', async () => {
      const src = await TestDb.create(from, 'rsrc');
      await src.sql(SOURCE(`app_${src.name}`));
      const { tgt, anon } = await anonTarget(to);
      await grantOnSource(src, anon);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      for (const table of ['api_keys', 'notes', 'events', 'events_2025'])
        assert.deepEqual(await asRole(tgt, anon, table), { seen: 0, updated: 0 }, table);
      // The grant is real: a table without row-level security on the source is open to anon, as there.
      assert.deepEqual(await asRole(tgt, anon, 'open_table'), { seen: 3, updated: 3 });
      assert.deepEqual(await tgt.fingerprint('api_keys'), await src.fingerprint('api_keys'));
      assert.equal(await tgt.count('events'), 20);
      assert.ok(
        byName(report, 'api_keys').notes.includes(CREATED_NOTES.api_keys),
        byName(report, 'api_keys').notes.join('\n'),
      );
      assert.ok(byName(report, 'notes').notes.includes(CREATED_NOTES.notes('postgres')));
      const events = byName(report, 'events').notes.join('\n');
      assert.match(events, /row-level security enabled and forced on public\.events, as on the source/);
      assert.match(
        events,
        /row-level security enabled on public\.events_2025, as on the source .*it has no policies on the source either, so public\.events_2025 is closed to everyone but its owner postgres, superusers and roles with BYPASSRLS, as there/,
      );
      assert.doesNotMatch(events, /events_rest, as on the source/);
      // The policies stay listed among what is not created; the enabling is no longer there.
      assert.match(
        byName(report, 'api_keys').notes.join('\n'),
        /not created \(Archon creates tables, not these\): row-level security policy own_keys on public\.api_keys/,
      );
      assert.doesNotMatch(report.tables.flatMap((t) => t.notes).join('\n'), /row-level security \(enabled/);
      // Among the objects the run does not create: the policies, never the created tables' row-level security.
      const objects = (report.objects ?? []).map((o) => `${o.kind} ${o.name}: ${o.reason}`);
      assert.ok(
        objects.includes('policy own_keys on public.api_keys: its table is created without it'),
        objects.join('\n'),
      );
      assert.deepEqual(
        objects.filter((o) => o.startsWith('row-level security')),
        [],
      );
      // Enabled after the rows were read back, just before the commit, as the DDL and the script say.
      const ddl = byName(report, 'api_keys').ddl!;
      assert.deepEqual(ddl.slice(-2), [
        'ALTER TABLE "public"."api_keys" ENABLE ROW LEVEL SECURITY',
        'ALTER TABLE "public"."api_keys" FORCE ROW LEVEL SECURITY',
      ]);
    });

    it('a target that takes the force away again (an event trigger) fails the run, saying so', async () => {
      const src = await TestDb.create(from, 'rsrc');
      const tgt = await TestDb.create(to, 'rtgt');
      await src.sql(SOURCE(`app_${src.name}`));
      await tgt.sql(`CREATE FUNCTION unforce() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE o record; BEGIN
          FOR o IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' LOOP
            IF (SELECT relforcerowsecurity FROM pg_class WHERE oid = o.objid) THEN
              EXECUTE 'ALTER TABLE ' || o.object_identity || ' NO FORCE ROW LEVEL SECURITY'; END IF; END LOOP; END $$;
        CREATE EVENT TRIGGER unforces ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION unforce();
        ALTER EVENT TRIGGER unforces ENABLE ALWAYS`);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        selection: { tables: ['api_keys'] },
      });
      assert.equal(report.committed, false);
      const keys = byName(report, 'api_keys');
      assert.equal(keys.status, 'failed');
      assert.match(
        keys.reason!,
        /the target's catalog says public\.api_keys has row-level security enabled but not forced where the source's is enabled and forced; nothing is committed/,
      );
      assert.equal((await tgt.sql(`SELECT to_regclass('api_keys') AS r`))[0].r, null);
    });

    it('a non-superuser who owns the target database: the forced tables verify, then undo drops them', async () => {
      const src = await TestDb.create(from, 'rsrc');
      await src.sql(SOURCE(`app_${src.name}`));
      const probe = await TestDb.create(to, 'rown');
      const owner = `owner_${probe.name}`;
      await probe.sql(`CREATE ROLE ${owner} LOGIN PASSWORD 'owner-pw'`);
      const { tgt, anon } = await anonTarget(to, owner);
      await grantOnSource(src, anon);
      await tgt.sql(`ALTER DATABASE ${tgt.name} OWNER TO ${owner}`);
      const target = urlOf(to, tgt.name, owner, 'owner-pw');
      const planned = await planMigration({ source: src.url, target, createMissing: true });
      for (const t of planned.plan.tables) assert.equal(t.action, 'copy', `${t.table}: ${t.reason}`);
      const script = ddlScript(planned.plan, []);
      assert.match(
        script,
        /-- After the rows were counted and compared, just before the commit: row-level security\nALTER TABLE "public"\."api_keys" ENABLE ROW LEVEL SECURITY;\nALTER TABLE "public"\."api_keys" FORCE ROW LEVEL SECURITY;\n/,
      );
      assert.ok(script.indexOf('FORCE ROW LEVEL SECURITY') > script.indexOf('-- After the rows: foreign keys'));
      const report = await migrate({ source: src.url, target, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      for (const t of report.tables) assert.equal(t.content?.status, 'match', t.table);
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      assert.ok(byName(report, 'notes').notes.includes(CREATED_NOTES.notes(owner)));
      for (const table of ['api_keys', 'notes', 'events', 'events_2025'])
        assert.deepEqual(await asRole(tgt, anon, table), { seen: 0, updated: 0 }, table);
      // Forced: its owner sees no row either until the policies exist; a superuser sees them all.
      assert.deepEqual(await asRole(tgt, owner, 'api_keys'), { seen: 0, updated: 0 });
      assert.deepEqual(await asRole(tgt, owner, 'notes'), { seen: 5, updated: 5 });
      assert.deepEqual(await tgt.fingerprint('api_keys'), await src.fingerprint('api_keys'));
      // Another run as that owner replaces the forced table's rows: the force is lifted inside the
      // run's transaction and put back before the commit, so the table ends as closed as it was.
      await src.sql(`INSERT INTO api_keys VALUES (13, 'user13', 'k13')`);
      const again = await migrate({
        source: src.url,
        target,
        existing: 'replace',
        selection: { tables: ['api_keys'] },
      });
      assert.equal(again.outcome, 'verified', JSON.stringify(again.tables, null, 1));
      assert.ok(
        byName(again, 'api_keys').notes.includes(
          `row-level security on public.api_keys is forced on the target, even for its owner ${owner}: the run ` +
            'lifts the force inside its transaction to load and read the table, and forces it again once the rows are ' +
            "verified, before the commit (checked in the target's catalog); a run that fails leaves it forced, as it was",
        ),
        byName(again, 'api_keys').notes.join('\n'),
      );
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      assert.deepEqual(await tgt.fingerprint('api_keys'), await src.fingerprint('api_keys'));
      assert.deepEqual(await asRole(tgt, owner, 'api_keys'), { seen: 0, updated: 0 });
      // skip-nonempty asks whether it holds rows with the force lifted (and rolled back): it does, so it is left alone.
      const skipping = await planMigration({
        source: src.url,
        target,
        existing: 'skip-nonempty',
        selection: { tables: ['api_keys'] },
      });
      assert.equal(skipping.plan.tables[0].action, 'skip');
      assert.match(skipping.plan.tables[0].reason ?? '', /rows/);
      assert.doesNotMatch(skipping.plan.tables[0].reason ?? '', /row-level security/);
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      // Undo the replace first (as that owner, on the forced table), then the run that created the tables.
      assert.equal((await undo({ target })).undone, true);
      assert.equal(await tgt.count('api_keys'), 12);
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      // Undo reads the forced tables to see whether they changed: a change refuses, and the refusal
      // leaves them forced; forced over it, they are dropped.
      await tgt.sql(`UPDATE api_keys SET key = 'changed' WHERE id = 1`);
      await assert.rejects(undo({ target }), /public\.api_keys \(12 row\(s\) now\) changed since the run/);
      assert.deepEqual(await tgt.sql(FLAGS), await src.sql(FLAGS));
      const undone = await undo({ target, force: true });
      assert.equal(undone.undone, true);
      const [left] = await tgt.sql(`SELECT to_regclass('api_keys') AS a, to_regclass('events') AS e`);
      assert.deepEqual(left, { a: null, e: null });
    });
  });

  describe(`row-level security of existing target tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('is left as it is; where the source has more of it, the plan and report say so', async () => {
      const src = await TestDb.create(from, 'rsrc');
      const tgt = await TestDb.create(to, 'rtgt');
      await src.sql(`CREATE TABLE wide (id int PRIMARY KEY, key text, added text);
        CREATE TABLE plain (id int PRIMARY KEY); CREATE TABLE guarded (id int PRIMARY KEY);
        INSERT INTO wide SELECT g, 'k' || g, 'a' FROM generate_series(1, 4) g; INSERT INTO plain VALUES (1);
        INSERT INTO guarded VALUES (1);
        ALTER TABLE wide ENABLE ROW LEVEL SECURITY; ALTER TABLE wide FORCE ROW LEVEL SECURITY;
        ALTER TABLE plain ENABLE ROW LEVEL SECURITY; ALTER TABLE plain FORCE ROW LEVEL SECURITY;`);
      await tgt.sql(`CREATE TABLE wide (id int PRIMARY KEY, key text); CREATE TABLE plain (id int PRIMARY KEY);
        ALTER TABLE plain ENABLE ROW LEVEL SECURITY; CREATE TABLE guarded (id int PRIMARY KEY);
        ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;`);
      const before = await tgt.sql(FLAGS);
      const planned = await planMigration({ source: src.url, target: tgt.url, addColumns: true });
      const wide = planned.plan.tables.find((t) => t.table === 'wide')!;
      const weaker =
        'row-level security is weaker on the target than on the source, and Archon leaves an existing ' +
        "table's as it is: public.wide is enabled and forced on the source, off on the target, where every " +
        'role granted access to it reads and changes all its rows; enable it on the target if these rows need it';
      assert.ok(wide.notes.includes(weaker), wide.notes.join('\n'));
      assert.ok(wide.warnings.includes(weaker));
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.ok(byName(report, 'wide').notes.includes(weaker));
      assert.ok(
        byName(report, 'plain').notes.includes(
          'row-level security is weaker on the target than on the source, and Archon leaves an existing ' +
            "table's as it is: public.plain is enabled and forced on the source, enabled but not forced on the " +
            'target, where its owner postgres reads and changes all its rows; enable it on the target if these rows need it',
        ),
        byName(report, 'plain').notes.join('\n'),
      );
      assert.doesNotMatch(byName(report, 'guarded').notes.join('\n'), /row-level security/);
      assert.deepEqual(await tgt.sql(FLAGS), before, 'no existing table had its row-level security changed');
      assert.equal(await tgt.count('wide'), 4);
    });
  });
}

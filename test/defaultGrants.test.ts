// Never more open than the source, without --create-objects too: what the target's default privileges
// grant new tables, their sequences and schemas is revoked from the ones the run creates, unless the
// source grants the same; asserted in the catalog and as the default-privileged role itself (SET ROLE).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate } from '../src/engine/index.js';
import { TestDb, directions, withClient } from './support/pg.js';

for (const [from, to] of directions()) {
  describe(`default privileges on what the run creates, ${from.major} → ${to.major}`, () => {
    it('a created table, its sequence and its schema keep only the grants the source holds', async () => {
      const src = await TestDb.create(from, 'dsrc');
      const tgt = await TestDb.create(to, 'dtgt');
      const x = `x_${tgt.name}`;
      const reader = `reader_${tgt.name}`;
      await withClient(src.url, (c) => c.query(`CREATE ROLE ${x}; CREATE ROLE ${reader}`).catch(() => {}));
      await withClient(tgt.url, (c) => c.query(`CREATE ROLE ${x}; CREATE ROLE ${reader}`).catch(() => {}));
      await src.sql(`CREATE SCHEMA sec; CREATE TABLE sec.plain (id serial PRIMARY KEY, secret text);
        INSERT INTO sec.plain (secret) VALUES ('a'), ('b');
        GRANT USAGE ON SCHEMA sec TO ${reader}; GRANT SELECT ON sec.plain TO ${reader};
        CREATE TABLE docs (id int PRIMARY KEY, body text); INSERT INTO docs VALUES (1, 'd');`);
      await tgt.sql(`ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT USAGE, CREATE ON SCHEMAS TO ${x}, ${reader};
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON TABLES TO ${x}, ${reader};
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON SEQUENCES TO ${x};`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error ?? report.tables));
      assert.deepEqual(await tgt.fingerprint('sec.plain'), await src.fingerprint('sec.plain'));
      const grants = await tgt.sql(
        `SELECT c.relname::text AS obj, pg_get_userbyid(x.grantee)::text AS grantee, x.privilege_type AS p
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) x
          WHERE n.nspname IN ('sec', 'public') AND x.grantee <> c.relowner
         UNION ALL SELECT n.nspname, pg_get_userbyid(x.grantee)::text, x.privilege_type
           FROM pg_namespace n, aclexplode(n.nspacl) x WHERE n.nspname = 'sec' AND x.grantee <> n.nspowner
         ORDER BY 1, 2, 3`,
      );
      assert.deepEqual(grants, [
        { obj: 'plain', grantee: reader, p: 'SELECT' },
        { obj: 'sec', grantee: reader, p: 'USAGE' },
      ]);
      const as = (role: string, sql: string) =>
        withClient(tgt.url, async (c) => {
          await c.query(`SET ROLE ${role}`);
          return c.query(sql).then(
            (r) => `ok ${r.rowCount}`,
            (e: { code?: string }) => `refused ${e.code}`,
          );
        });
      assert.equal(await as(x, 'SELECT * FROM public.docs'), 'refused 42501');
      assert.equal(await as(x, 'TRUNCATE public.docs'), 'refused 42501');
      assert.equal(await as(x, 'CREATE TABLE sec.mine (id int)'), 'refused 42501');
      assert.equal(await as(reader, 'SELECT * FROM sec.plain'), 'ok 2');
      assert.ok(
        report.tables.some((t) => t.notes.some((n) => /revoked what the target's default privileges gave/.test(n))),
        JSON.stringify(report.tables.map((t) => t.notes)),
      );
      const notes = report.tables.flatMap((t) => t.notes);
      assert.ok(notes.includes('privileges on public.docs: its owner postgres alone'), notes.join('\n'));
      assert.ok(
        notes.includes(`privileges on sec.plain: its owner postgres, and SELECT to ${reader}, as the source grants`),
        notes.join('\n'),
      );
    });

    it('a policy or grant an event trigger adds to a created table fails the run: nothing committed', async () => {
      const src = await TestDb.create(from, 'dsrc');
      const tgt = await TestDb.create(to, 'dtgt');
      await src.sql(`CREATE TABLE docs (id int PRIMARY KEY, body text); INSERT INTO docs VALUES (1, 'd');
        ALTER TABLE docs ENABLE ROW LEVEL SECURITY; ALTER TABLE docs FORCE ROW LEVEL SECURITY;`);
      await tgt.sql(`CREATE FUNCTION open_up() RETURNS event_trigger LANGUAGE plpgsql AS $$
          DECLARE o record; BEGIN
          FOR o IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_type = 'table' AND schema_name = 'public' LOOP
            IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = o.objid AND polname = 'evil') THEN
              EXECUTE 'CREATE POLICY evil ON ' || o.object_identity || ' TO PUBLIC USING (true)'; END IF;
          END LOOP; END $$;
        CREATE EVENT TRIGGER opens ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION open_up();
        ALTER EVENT TRIGGER opens ENABLE ALWAYS`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.committed, false);
      assert.match(
        JSON.stringify(report),
        /the target's catalog says policy evil on docs exists, which the run did not create/,
      );
      assert.equal((await tgt.sql(`SELECT to_regclass('public.docs') AS r`))[0].r, null);
    });
  });
}

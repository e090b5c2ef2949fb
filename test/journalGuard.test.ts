// The journal and undo backups in the schema archon: trusted only when nobody but the run's user (or a
// superuser) can change them. Another role's schema is refused with nothing written; the target's default
// privileges give nothing on them to anyone, as a role holding those defaults finds out (SET ROLE).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { history, migrate, runReport, undo } from '../src/engine/index.js';
import { TestDb, type TestServer, directions, runCli, urlOf, withClient } from './support/pg.js';

const VAULT = `CREATE TABLE vault (id int PRIMARY KEY, secret text);`;

async function pair(from: TestServer, to: TestServer): Promise<{ src: TestDb; tgt: TestDb }> {
  const src = await TestDb.create(from, 'jsrc');
  const tgt = await TestDb.create(to, 'jtgt');
  await src.sql(`${VAULT} INSERT INTO vault VALUES (1, 'new'), (2, 'newer');`);
  await tgt.sql(`${VAULT} INSERT INTO vault VALUES (7, 'old secret');`);
  return { src, tgt };
}

/** What `role` may do there, as the catalog says it, and whether it reads the backup. */
async function asRole(tgt: TestDb, role: string, sql: string): Promise<string> {
  return withClient(tgt.url, async (c) => {
    await c.query(`SET ROLE ${role}`);
    return c.query(sql).then(
      (r) => `read ${r.rowCount}`,
      (e: { code?: string }) => `refused ${e.code}`,
    );
  });
}

for (const [from, to] of directions()) {
  describe(`the journal's schema, ${from.major} → ${to.major}`, () => {
    it('another role owns archon: the run is refused naming it, nothing is written, no trigger of its fires', async () => {
      const { src, tgt } = await pair(from, to);
      const alice = `alice_${tgt.name}`;
      await tgt.sql(
        `CREATE ROLE ${alice} LOGIN PASSWORD 'alice-pw'; GRANT CREATE ON DATABASE ${tgt.name} TO ${alice};`,
      );
      await withClient(urlOf(to, tgt.name, alice, 'alice-pw'), (c) =>
        c.query(`CREATE SCHEMA archon; CREATE TABLE archon.runs (id text PRIMARY KEY);
          CREATE FUNCTION archon.up() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
              EXECUTE 'ALTER ROLE ${alice} SUPERUSER'; END IF; RETURN NEW; END $$;
          CREATE TRIGGER up BEFORE INSERT ON archon.runs FOR EACH ROW EXECUTE FUNCTION archon.up();`),
      );
      const report = await migrate({ source: src.url, target: tgt.url, existing: 'replace' });
      assert.equal(report.committed, false);
      assert.match(
        report.error?.message ?? '',
        new RegExp(`schema archon on the target belongs to ${alice}, not to you \\(postgres\\).*--no-backup`),
      );
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault'), [{ id: 7, secret: 'old secret' }]);
      assert.equal(await tgt.count('archon.runs'), 0);
      const [r] = await tgt.sql(`SELECT rolsuper FROM pg_roles WHERE rolname = $1`, [alice]);
      assert.equal(r.rolsuper, false);
      // Without backups the run needs no journal: it goes on, writes none, and says why it cannot be undone.
      const bare = await migrate({ source: src.url, target: tgt.url, existing: 'replace', backup: false });
      assert.equal(bare.outcome, 'verified', JSON.stringify(bare.error));
      assert.match(bare.undo?.reason ?? '', new RegExp(`belongs to ${alice}`));
      assert.equal(await tgt.count('archon.runs'), 0);
      assert.deepEqual(await tgt.fingerprint('vault'), await src.fingerprint('vault'));
    });

    it('default privileges give nothing on the journal or a backup: owner-only, an older journal tightened', async () => {
      const { src, tgt } = await pair(from, to);
      const x = `x_${tgt.name}`;
      const old = `old_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${x}; CREATE ROLE ${old};
        CREATE SCHEMA archon; GRANT USAGE ON SCHEMA archon TO ${old};
        CREATE TABLE archon.runs (id text PRIMARY KEY, at timestamptz NOT NULL, source text NOT NULL,
          target text NOT NULL, tool_version text NOT NULL, policy text NOT NULL, undoable boolean NOT NULL,
          why_not text, undone_at timestamptz, undone_forced boolean, backups_dropped_at timestamptz);
        GRANT SELECT, UPDATE ON archon.runs TO ${old}; GRANT SELECT (id) ON archon.runs TO PUBLIC;
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT USAGE, CREATE ON SCHEMAS TO ${x};
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres GRANT ALL ON TABLES TO ${x};
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA archon GRANT SELECT ON TABLES TO PUBLIC;`);
      const report = await migrate({ source: src.url, target: tgt.url, existing: 'replace' });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      const [b] = await tgt.sql(`SELECT backup_table FROM archon.run_tables WHERE backup_table IS NOT NULL`);
      assert.ok(b, 'the run kept a backup');
      const grants = await tgt.sql(
        `SELECT c.relname::text AS rel, x.grantee FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                aclexplode(c.relacl) x WHERE n.nspname = 'archon' AND x.grantee <> c.relowner
         UNION ALL SELECT c.relname, x.grantee FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(a.attacl) x
          WHERE n.nspname = 'archon' AND x.grantee <> c.relowner
         UNION ALL SELECT 'schema', x.grantee FROM pg_namespace n, aclexplode(n.nspacl) x
          WHERE n.nspname = 'archon' AND x.grantee <> n.nspowner`,
      );
      assert.deepEqual(grants, [], 'nothing on the journal is granted to anyone but its owner');
      assert.equal(await asRole(tgt, x, `SELECT * FROM archon."${b.backup_table}"`), 'refused 42501');
      assert.equal(await asRole(tgt, old, 'SELECT * FROM archon.runs'), 'refused 42501');
      const undone = await undo({ target: tgt.url });
      assert.equal(undone.undone, true);
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault'), [{ id: 7, secret: 'old secret' }]);
    });

    it('a trigger on the journal, even the run user own: the run is refused, nothing written', async () => {
      const { src, tgt } = await pair(from, to);
      // A first run makes the journal; a trigger is then put on it.
      assert.equal((await migrate({ source: src.url, target: tgt.url })).outcome, 'verified');
      await tgt.sql(`CREATE TABLE noted (at timestamptz);
        CREATE FUNCTION note() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO noted VALUES (now()); RETURN NEW; END $$;
        CREATE TRIGGER spy AFTER INSERT ON archon.run_tables FOR EACH ROW EXECUTE FUNCTION note();`);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.committed, false);
      assert.match(report.error?.message ?? '', /trigger spy on archon\.run_tables/);
      assert.equal(await tgt.count('noted'), 0);
      assert.equal(await tgt.count('archon.runs'), 1);
    });

    it('history reads no journal another role could have changed: refused as undo refuses it, nothing shown', async () => {
      const { src, tgt } = await pair(from, to);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      const run = report.undo!.runId!;
      assert.match(runCli(['history', '--target', tgt.url]).stdout, new RegExp(run));
      const mallory = `mallory_${tgt.name}`;
      // Mallory now owns the schema: she could rewrite what history shows (and what undo writes back).
      await tgt.sql(`CREATE ROLE ${mallory}; ALTER SCHEMA archon OWNER TO ${mallory};
        UPDATE archon.runs SET source = 'trust-me@example.com:5432/db';`);
      const listed = runCli(['history', '--target', tgt.url]);
      assert.equal(listed.code, 2, listed.stdout + listed.stderr);
      assert.equal(listed.stdout, '');
      assert.match(
        listed.stderr,
        new RegExp(`^archon: schema archon on the target belongs to ${mallory}, not to you \\(postgres\\)`),
      );
      assert.doesNotMatch(listed.stderr, new RegExp(`${run}|trust-me`));
      // The same words as undo's refusal of the same journal.
      const undone = runCli(['undo', '--target', tgt.url, '--yes']);
      assert.equal(undone.code, 2);
      assert.equal(listed.stderr, undone.stderr);
      // VS Code reads the same journal through the engine: history, a kept report, dropping backups.
      const refused = new RegExp(`belongs to ${mallory}`);
      await assert.rejects(history({ target: tgt.url }), refused);
      await assert.rejects(runReport({ target: tgt.url, run }), refused);
      const dropped = runCli(['backups', 'drop', run, '--target', tgt.url, '--yes']);
      assert.equal(dropped.code, 2);
      assert.match(dropped.stderr, refused);
      // Back to the run's user, with a rule on the journal: a hook is refused too.
      await tgt.sql(`ALTER SCHEMA archon OWNER TO postgres;
        CREATE RULE hide AS ON UPDATE TO archon.runs DO INSTEAD NOTHING;`);
      const hooked = runCli(['history', '--target', tgt.url]);
      assert.equal(hooked.code, 2);
      assert.match(
        hooked.stderr,
        /^archon: the schema archon on the target has rule hide on archon\.runs: .*nothing changed\n$/,
      );
      assert.equal(hooked.stdout, '');
      assert.equal(await tgt.count('archon.runs'), 1);
    });

    it("a superuser's archon granted to a non-superuser run user: its journal is kept there and undo works", async () => {
      const { src, tgt } = await pair(from, to);
      const app = `app_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${app} LOGIN PASSWORD 'app-pw'; ALTER TABLE vault OWNER TO ${app};
        CREATE SCHEMA archon; GRANT USAGE, CREATE ON SCHEMA archon TO ${app};
        GRANT CREATE ON DATABASE ${tgt.name} TO ${app};`);
      // CREATE on the database too: CREATE SCHEMA IF NOT EXISTS asks for it even when the schema exists.
      const target = urlOf(to, tgt.name, app, 'app-pw');
      const report = await migrate({ source: src.url, target, existing: 'replace' });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      assert.equal(report.undo?.possible, true, JSON.stringify(report.undo));
      assert.equal((await undo({ target })).undone, true);
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault'), [{ id: 7, secret: 'old secret' }]);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`a journal not in the form Archon wrote, ${from.major} → ${to.major}`, () => {
    it('history, the kept report and undo refuse it naming the run and the value, with no stack trace', async () => {
      const { src, tgt } = await pair(from, to);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      const run = report.undo!.runId!;
      const refused = (r: { code: number; stdout: string; stderr: string }, what: RegExp) => {
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, /^archon: the journal on .* is not in the form Archon wrote: /);
        assert.match(r.stderr, what);
        assert.match(r.stderr, new RegExp(`of run ${run} is `));
        assert.doesNotMatch(r.stdout + r.stderr, /unexpected error|TypeError|undefined|\n\s+at /);
      };
      await tgt.sql(`UPDATE archon.runs SET unmatched = '"x"'::jsonb`);
      refused(runCli(['history', '--target', tgt.url]), /runs\.unmatched of run .* is "x"/);
      await tgt.sql(`UPDATE archon.runs SET unmatched = '[]'::jsonb, summary = '42'::jsonb`);
      refused(runCli(['history', '--target', tgt.url]), /runs\.summary of run .* is 42/);
      await assert.rejects(history({ target: tgt.url }), /runs\.summary/);
      await tgt.sql(`UPDATE archon.runs SET summary = NULL, report = '[1]'::jsonb`);
      await assert.rejects(runReport({ target: tgt.url, run }), /runs\.report of run/);
      await tgt.sql(`UPDATE archon.runs SET report = NULL; UPDATE archon.run_tables SET columns = '"x"'::jsonb`);
      refused(runCli(['undo', '--target', tgt.url, '--yes']), /run_tables\.columns of run .* is "x"/);
      // Nothing was undone: the run's rows are still there.
      assert.deepEqual(await tgt.fingerprint('vault'), await src.fingerprint('vault'));
    });

    it('a function in archon owned by another role is refused as a table of theirs is', async () => {
      const { src, tgt } = await pair(from, to);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      const mallory = `mallory_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${mallory};
        CREATE FUNCTION archon.now_ish() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
        ALTER FUNCTION archon.now_ish() OWNER TO ${mallory};`);
      const listed = runCli(['history', '--target', tgt.url]);
      assert.equal(listed.code, 2, listed.stdout + listed.stderr);
      assert.match(listed.stderr, new RegExp(`^archon: .*function archon\\.now_ish\\(\\).*${mallory}`));
      const undone = runCli(['undo', '--target', tgt.url, '--yes']);
      assert.equal(undone.code, 2);
      assert.equal(await tgt.count('archon.runs'), 1);
    });
  });
}

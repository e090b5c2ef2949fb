// --create-objects gives a view, a materialized view and a SECURITY DEFINER function the source's
// owner: a view reads with its owner's rights and row-level security does not bind a superuser, so
// created by the run's user they would show a role more than the source does. Asserted as that role
// (SET ROLE), on both sides; an owner the target lacks leaves the object out, saying why.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { checkObjects } from '../src/engine/create/objects.js';
import { migrate, undo } from '../src/engine/index.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { TestDb, type TestServer, directions, urlOf, withClient } from './support/pg.js';

/** The hostile tester's source: reader sees its own row through the view, nothing through the function. */
const SOURCE = (owner: string, reader: string) => `
  GRANT CREATE ON SCHEMA public TO ${owner};
  CREATE TABLE public.secrets (id int PRIMARY KEY, owner text, s text);
  INSERT INTO secrets VALUES (1, '${reader}', 'mine'), (2, 'boss', 'TOP SECRET');
  ALTER TABLE secrets ENABLE ROW LEVEL SECURITY; ALTER TABLE secrets FORCE ROW LEVEL SECURITY;
  CREATE POLICY p ON secrets FOR SELECT USING (owner = current_user);
  GRANT SELECT ON secrets TO ${owner}, ${reader};
  SET ROLE ${owner};
  CREATE VIEW public.my_secrets AS SELECT * FROM public.secrets;
  CREATE FUNCTION public.all_secrets() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog AS $$ SELECT s FROM public.secrets ORDER BY id $$;
  CREATE TABLE public.notes (id int PRIMARY KEY);
  CREATE RULE notes_said AS ON INSERT TO public.notes DO ALSO NOTIFY notes_changed;
  RESET ROLE;
  GRANT SELECT ON public.my_secrets TO ${reader};`;

/** What `role` reads through the view and the function. */
async function asRole(db: TestDb, role: string, url = db.url): Promise<unknown> {
  return withClient(url, async (c) => {
    await c.query(`BEGIN; SET LOCAL ROLE ${role}`);
    try {
      const view = (await c.query('SELECT s FROM public.my_secrets ORDER BY id')).rows.map((r) => r.s);
      const fn = (await c.query('SELECT public.all_secrets() AS s')).rows.map((r) => r.s);
      return { view, fn };
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

const OWNERS = `SELECT (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'public.my_secrets'::regclass) AS view,
  (SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE oid = 'public.all_secrets()'::regprocedure) AS fn`;

async function pair(from: TestServer, to: TestServer, label: string) {
  const src = await TestDb.create(from, `${label}src`);
  const owner = `app_owner_${src.name}`;
  const reader = `reader_${src.name}`;
  await src.sql(`CREATE ROLE ${owner}; CREATE ROLE ${reader}`);
  await src.sql(SOURCE(owner, reader));
  const tgt = await TestDb.create(to, `${label}tgt`);
  return { src, tgt, owner, reader };
}

for (const [from, to] of directions()) {
  describe(`owners of created views and definer functions, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a reader sees through them on the target what it sees on the source; owners equal; undo drops them', async () => {
      const { src, tgt, owner, reader } = await pair(from, to, 'ow');
      await tgt.sql(`CREATE ROLE ${owner}; CREATE ROLE ${reader}`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify([report.error, report.objects]));
      for (const name of ['public.my_secrets', 'public.all_secrets()'])
        assert.equal(report.objects?.find((o) => o.name === name)?.status, 'created', JSON.stringify(report.objects));
      assert.deepEqual(await asRole(src, reader), { view: ['mine'], fn: [] });
      assert.deepEqual(await asRole(tgt, reader), await asRole(src, reader));
      assert.deepEqual(await tgt.sql(OWNERS), [{ view: owner, fn: owner }]);
      assert.deepEqual(await tgt.sql(OWNERS), await src.sql(OWNERS));
      const view = report.objects?.find((o) => o.name === 'public.my_secrets');
      assert.equal(view?.status, 'created');
      assert.match(view!.reason, new RegExp(`owned by ${owner} on the target, as on the source`));
      assert.match(toMarkdown(report), new RegExp(`owned by ${owner} on the target`));
      // The table is the run's user's on the target: its rule would act with other rights than the source's.
      const rule = report.objects?.find((o) => o.kind === 'rule');
      assert.equal(rule?.status, 'not created');
      assert.match(
        rule!.reason,
        new RegExp(`its actions run with the rights of its table's owner: ${owner} on the source`),
      );
      assert.deepEqual(await tgt.sql(`SELECT count(*)::int AS n FROM pg_rules WHERE rulename = 'notes_said'`), [
        { n: 0 },
      ]);
      assert.equal((await undo({ target: tgt.url })).undone, true);
      assert.deepEqual(
        await tgt.sql(`SELECT to_regclass('public.my_secrets') AS v, to_regprocedure('public.all_secrets()') AS f`),
        [{ v: null, f: null }],
      );
    });

    it('an owner the target lacks: the view and the function are not created, and the reason names it', async () => {
      const { src, tgt, owner, reader } = await pair(from, to, 'oa');
      await tgt.sql(`CREATE ROLE ${reader}`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      for (const name of ['public.my_secrets', 'public.all_secrets()']) {
        const o = report.objects?.find((x) => x.name === name);
        assert.ok(o, `${name} in ${JSON.stringify(report.objects)}`);
        assert.equal(o?.status, 'not created', name);
        assert.match(
          o!.reason,
          new RegExp(
            `owned by ${owner} on the source, whose rights it (reads|runs) with; ${owner} is not on the target`,
          ),
        );
      }
      assert.deepEqual(
        await tgt.sql(`SELECT to_regclass('public.my_secrets') AS v, to_regprocedure('public.all_secrets()') AS f`),
        [{ v: null, f: null }],
      );
      assert.equal(await tgt.count('public.secrets'), 2);
    });

    it("an owner that is a superuser on the source and absent on the target: created by the run's user, with a note", async () => {
      const src = await TestDb.create(from, 'ossrc');
      const boss = `boss_${src.name}`;
      await src.sql(`CREATE ROLE ${boss} SUPERUSER; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);
        SET ROLE ${boss}; CREATE VIEW public.v AS SELECT id FROM public.t; RESET ROLE`);
      const tgt = await TestDb.create(to, 'osstgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      const v = report.objects?.find((x) => x.name === 'public.v');
      assert.equal(v?.status, 'created');
      assert.match(
        v!.reason,
        new RegExp(`its source owner ${boss} is a superuser there, and ${boss} is not on the target`),
      );
      assert.deepEqual(await tgt.sql(`SELECT pg_get_userbyid(relowner) AS o FROM pg_class WHERE relname = 'v'`), [
        { o: 'postgres' },
      ]);
    });

    it('a run user who is not a superuser but a member of the owner: it gives them away, and undo drops them', async () => {
      const { src, tgt, owner, reader } = await pair(from, to, 'om');
      const app = `run_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${owner}; CREATE ROLE ${reader}; CREATE ROLE ${app} LOGIN PASSWORD 'app-pw';
        GRANT ${owner} TO ${app}; ALTER DATABASE ${tgt.name} OWNER TO ${app}; ALTER SCHEMA public OWNER TO ${app};
        GRANT CREATE ON SCHEMA public TO ${owner}`);
      const target = urlOf(to, tgt.name, app, 'app-pw');
      const report = await migrate({ source: src.url, target, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify([report.error, report.objects]));
      assert.deepEqual(await tgt.sql(OWNERS), [{ view: owner, fn: owner }]);
      assert.deepEqual(await asRole(tgt, reader), { view: ['mine'], fn: [] });
      const result = await undo({ target });
      assert.equal(result.undone, true, JSON.stringify(result));
      assert.deepEqual(
        await tgt.sql(`SELECT to_regclass('public.my_secrets') AS v, to_regprocedure('public.all_secrets()') AS f`),
        [{ v: null, f: null }],
      );
    });

    it('a member of the owner WITH SET FALSE (PostgreSQL 16 and later) may not give it away: not created, saying why', async (t) => {
      if (to.major < 16) return t.skip('membership options came with PostgreSQL 16');
      const { src, tgt, owner, reader } = await pair(from, to, 'of');
      const app = `run_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${owner}; CREATE ROLE ${reader}; CREATE ROLE ${app} LOGIN PASSWORD 'app-pw';
        GRANT ${owner} TO ${app} WITH SET FALSE; ALTER DATABASE ${tgt.name} OWNER TO ${app};
        ALTER SCHEMA public OWNER TO ${app}`);
      const target = urlOf(to, tgt.name, app, 'app-pw');
      const report = await migrate({ source: src.url, target, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify([report.error, report.objects]));
      const view = report.objects?.find((o) => o.name === 'public.my_secrets');
      assert.equal(view?.status, 'not created', JSON.stringify(report.objects));
      assert.match(view!.reason, new RegExp(`the run's user ${app} may not give it to ${owner}`));
      assert.deepEqual(await tgt.sql(`SELECT to_regclass('public.my_secrets') AS v`), [{ v: null }]);
      assert.equal(await tgt.count('public.secrets'), 2);
    });

    it('the after-run check: a view equal by definition but with another owner is not equal', async () => {
      const tgt = await TestDb.create(to, 'oc');
      const owner = `app_owner_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${owner}; CREATE VIEW public.v AS SELECT 1 AS one`);
      const [{ d }] = await tgt.sql(`SELECT pg_get_viewdef('public.v'::regclass) AS d`);
      await assert.rejects(
        withClient(tgt.url, (c) =>
          checkObjects(c, [
            {
              kind: 'view',
              name: 'public.v',
              phase: 2,
              statements: [],
              afterData: [],
              created: { kind: 'view', name: 'public.v' },
              lookup: { kind: 'relation', relation: 'public.v' },
              definition: d,
              owner,
            },
          ]),
        ),
        new RegExp(`view public.v is owned by postgres on the target, not ${owner} as on the source`),
      );
    });
  });
}

// --create-objects gives a created function, procedure, view or materialized view the source's grants
// and no more: a function the source revokes from PUBLIC is not callable by PUBLIC on the target, nor
// by a role the target's default privileges grant new functions to. Asserted as those roles (SET ROLE).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ConnectionError, migrate, planMigration } from '../src/engine/index.js';
import { objectsHeading } from '../src/shared/reportObjects.js';
import { TestDb, directions, withClient } from './support/pg.js';

const SOURCE = (service: string) => `CREATE ROLE ${service};
  CREATE TABLE secrets (id int PRIMARY KEY, api_key text);
  INSERT INTO secrets VALUES (1, 'k1'), (2, 'k2');
  ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;
  CREATE FUNCTION all_secrets() RETURNS SETOF text LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$ SELECT api_key FROM public.secrets $$;
  REVOKE EXECUTE ON FUNCTION all_secrets() FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION all_secrets() TO ${service};
  CREATE FUNCTION open_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
  CREATE PROCEDURE shut() LANGUAGE sql AS $$ SELECT 1 $$;
  REVOKE ALL ON PROCEDURE shut() FROM PUBLIC;
  CREATE VIEW key_view AS SELECT id, api_key FROM secrets;
  GRANT SELECT ON key_view TO ${service};
  CREATE MATERIALIZED VIEW key_count AS SELECT count(*) AS n FROM secrets;`;

/** Whether `role` may call or read each object on `db`, as the server answers it. */
async function rights(db: TestDb, role: string): Promise<Record<string, boolean>> {
  const [r] = await db.sql(
    `SELECT has_function_privilege($1, 'public.all_secrets()', 'EXECUTE') AS all_secrets,
            has_function_privilege($1, 'public.open_fn()', 'EXECUTE') AS open_fn,
            has_function_privilege($1, 'public.shut()', 'EXECUTE') AS shut,
            has_table_privilege($1, 'public.key_view', 'SELECT') AS key_view,
            has_table_privilege($1, 'public.key_count', 'SELECT') AS key_count`,
    [role],
  );
  return r;
}

for (const [from, to] of directions()) {
  describe(`grants of created functions and views, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("a created function, procedure, view and materialized view are as open as the source's, no more", async () => {
      const src = await TestDb.create(from, 'oasrc');
      const service = `service_${src.name}`;
      const anon = `anon_${src.name}`;
      const nobody = `nobody_${src.name}`;
      await src.sql(SOURCE(service));
      await src.sql(`CREATE ROLE ${nobody}`);
      const tgt = await TestDb.create(to, 'oatgt');
      // A Supabase-like target: new functions and tables in public granted to anon.
      await tgt.sql(`CREATE ROLE ${service}; CREATE ROLE ${anon}; CREATE ROLE ${nobody};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${anon};
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${anon}`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.objects));
      for (const name of ['public.all_secrets()', 'public.shut()', 'public.key_view', 'public.key_count'])
        assert.equal(report.objects?.find((o) => o.name === name)?.status, 'created', name);
      // PUBLIC (a role granted nothing) and the source: the same answers on the target.
      assert.deepEqual(await rights(tgt, nobody), await rights(src, nobody));
      assert.deepEqual(await rights(tgt, nobody), {
        all_secrets: false,
        open_fn: true,
        shut: false,
        key_view: false,
        key_count: false,
      });
      assert.deepEqual(await rights(tgt, service), await rights(src, service));
      // anon has what PUBLIC has: the target's default privileges gave it nothing the source did not.
      assert.deepEqual(await rights(tgt, anon), await rights(src, nobody));
      const secrets = await withClient(tgt.url, async (c) => {
        await c.query(`BEGIN; SET LOCAL ROLE ${nobody}`);
        try {
          await c.query('SELECT public.all_secrets()');
          return 'read';
        } catch (e) {
          return (e as { code?: string }).code;
        } finally {
          await c.query('ROLLBACK');
        }
      });
      assert.equal(secrets, '42501');
      const { rows } = {
        rows: await tgt.sql(`SELECT proacl IS NULL AS open FROM pg_proc WHERE proname = 'all_secrets'`),
      };
      assert.deepEqual(rows, [{ open: false }]);
    });
  });
}

const EXISTING_SOURCE = `CREATE TABLE acct (id int PRIMARY KEY, bal numeric, updated_at timestamptz);
  INSERT INTO acct SELECT g, g * 10, NULL FROM generate_series(1, 10) g;
  CREATE FUNCTION fee(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT x * 0.01 $$;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := 'epoch'; RETURN NEW; END $$;
  CREATE TRIGGER acct_touch BEFORE UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE VIEW rich AS SELECT id, bal FROM acct WHERE bal > 50;
  CREATE FUNCTION is_rich(b numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT b > 50 $$;
  CREATE FUNCTION same(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT x $$;
  CREATE VIEW same_v AS SELECT relname FROM pg_class WHERE oid = 1;`;

// The target's own fee, touch, rich and a defaulted is_rich; same and same_v as the source's.
const EXISTING_TARGET = `
  CREATE FUNCTION fee(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT x * 0.99 $$;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'target touch'; END $$;
  CREATE VIEW rich AS SELECT 1 AS id, 0::numeric AS bal;
  CREATE FUNCTION is_rich(b numeric, strict_ boolean DEFAULT true) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT false $$;
  CREATE FUNCTION same(x numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT x $$;
  CREATE VIEW same_v AS SELECT relname FROM pg_class WHERE oid = 1;`;

for (const [from, to] of directions()) {
  describe(`objects the target already has, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('one with another definition is named as differing, kept, and nothing is built on it', async () => {
      const src = await TestDb.create(from, 'oesrc');
      await src.sql(EXISTING_SOURCE);
      const tgt = await TestDb.create(to, 'oetgt');
      await tgt.sql(EXISTING_TARGET);
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.objects));
      for (const objects of [plan.objects, report.objects]) {
        const of = (name: string) => objects?.find((o) => o.name === name);
        for (const name of ['public.fee(numeric)', 'public.touch()', 'public.rich'])
          assert.equal(of(name)?.status, 'differs', name);
        assert.equal(of('public.same(numeric)'), undefined);
        assert.equal(of('public.same_v'), undefined);
        assert.equal(of('acct_touch on public.acct')?.status, 'not created');
        assert.match(
          of('acct_touch on public.acct')!.reason,
          /function public\.touch\(\) is on the target with another definition/,
        );
        assert.equal(of('public.is_rich(numeric)')?.status, 'not created');
        assert.match(of('public.is_rich(numeric)')!.reason, /public\.is_rich\(numeric,boolean\).*ambiguous/);
      }
      assert.match(
        objectsHeading(report)!,
        /On the target already with another definition than the source's \(kept, not replaced\): 2 functions, 1 view/,
      );
      assert.ok(
        !plan.tables.some((t) => t.notes.some((n) => /not these\): .*view public\.rich/.test(n))),
        JSON.stringify(plan.tables.map((t) => t.notes)),
      );
      // The target's objects are its own still, its calls not ambiguous, its table updatable.
      assert.deepEqual(await tgt.sql('SELECT fee(100)::text AS f, is_rich(60) AS r'), [{ f: '99.00', r: false }]);
      await tgt.sql('UPDATE acct SET bal = 0 WHERE id = 1');
      assert.deepEqual(await tgt.sql('SELECT count(*)::int AS n FROM rich'), [{ n: 1 }]);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`policies whose names need quotes, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('each is listed once, as created or as left out, in the plan and the report', async () => {
      const src = await TestDb.create(from, 'opsrc');
      const reader = `reader_${src.name}`;
      const gone = `gone_${src.name}`;
      await src.sql(`CREATE ROLE ${reader}; CREATE ROLE ${gone};
        CREATE TABLE kb (id int PRIMARY KEY, body text); INSERT INTO kb VALUES (1, 'a'), (2, 'b');
        ALTER TABLE kb ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "My Pol" ON kb FOR SELECT TO ${reader} USING (id > 0);
        CREATE POLICY plain_pol ON kb FOR SELECT TO ${reader} USING (id < 10);
        CREATE POLICY "Gone Pol" ON kb FOR SELECT TO ${gone} USING (true)`);
      const tgt = await TestDb.create(to, 'optgt');
      await tgt.sql(`CREATE ROLE ${reader}`);
      const opts = { source: src.url, target: tgt.url, createMissing: true, createObjects: true };
      const { plan } = await planMigration(opts);
      const report = await migrate(opts);
      assert.equal(report.outcome, 'verified');
      for (const [objects, made] of [
        [plan.objects, 'to be created'],
        [report.objects, 'created'],
      ] as const) {
        const policies = (objects ?? []).filter((o) => o.kind === 'policy').map((o) => `${o.name}: ${o.status}`);
        assert.deepEqual(policies.sort(), [
          `"Gone Pol" on public.kb: not created`,
          `"My Pol" on public.kb: ${made}`,
          `plain_pol on public.kb: ${made}`,
        ]);
      }
      assert.match(objectsHeading(report)!, /: 2 policies.*Not created by Archon \(the target lacks them\): 1 policy$/);
      const notes = plan.tables.flatMap((t) => t.notes).join('\n');
      assert.doesNotMatch(notes, /not these\): .*My Pol/);
      assert.deepEqual(await tgt.sql(`SELECT polname FROM pg_policy ORDER BY 1`), [
        { polname: 'My Pol' },
        { polname: 'plain_pol' },
      ]);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`the target lost while planning, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('is a ConnectionError naming the target, and nothing is left behind', async () => {
      const src = await TestDb.create(from, 'olsrc');
      await src.sql(`CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent); INSERT INTO child VALUES (1, 1)`);
      const tgt = await TestDb.create(to, 'oltgt');
      await tgt.sql('CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1)');
      // Another session holds the target's parent, so the plan waits there; that wait is then killed.
      const error = await withClient(tgt.url, async (holder) => {
        await holder.query('BEGIN; LOCK TABLE parent IN ACCESS EXCLUSIVE MODE');
        const planning = planMigration({
          source: src.url,
          target: tgt.url,
          selection: { tables: ['public.child'] },
          createMissing: true,
          createObjects: true,
        }).then(
          () => null,
          (e: unknown) => e,
        );
        // Until the wait is seen and killed, or the plan ends without waiting (bounded by its lock timeout).
        let settled = false;
        void planning.then(() => {
          settled = true;
        });
        for (let killed = 0; !killed && !settled; ) {
          const [r] = await tgt.sql(
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          killed = r.n;
          if (!killed) await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const e = await planning;
        await holder.query('ROLLBACK');
        return e;
      });
      assert.ok(error instanceof ConnectionError, String((error as Error)?.stack ?? error));
      assert.equal(error.role, 'target');
      assert.match(
        error.message,
        /^the connection to the target \(.*oltgt.*\) was lost while planning: .*; nothing was written$/,
      );
      assert.deepEqual(await tgt.sql(`SELECT relname FROM pg_class WHERE relname = 'child'`), []);
    });
  });
}

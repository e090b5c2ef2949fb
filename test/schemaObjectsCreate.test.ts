// --create-objects: the functions, procedures, views, materialized views and triggers the target
// lacks are created in the run's transaction, each compared with the source's by definition; what the
// target's version refuses is a reason up front; a failure leaves nothing behind; undo drops them.
// Asserted on what the target then does: the default calls its function, the trigger fires, the
// materialized view holds the rows.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ddlScript, migrate, planMigration, undo } from '../src/engine/index.js';
import type { Report } from '../src/shared/report.js';
import { objectsHeading } from '../src/shared/reportObjects.js';
import { planWithChoices, reviewItems } from '../src/vscode/createModel.js';
import { TestDb, type TestServer, directions, runCli, withClient } from './support/pg.js';

const SOURCE = `
  CREATE FUNCTION default_code() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'new'::text $$;
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric NOT NULL,
    code text NOT NULL DEFAULT default_code(), updated_at timestamptz);
  INSERT INTO items SELECT g, 'item' || g, g, 'c' || g, NULL FROM generate_series(1, 20) g;
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.updated_at := '2030-01-02 03:04:05+00'; RETURN NEW; END $$;
  CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.name := NEW.name || '!'; RETURN NEW; END $$;
  CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit fired'; END $$;
  CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE TRIGGER items_shout BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION shout();
  ALTER TABLE items ENABLE ALWAYS TRIGGER items_shout;
  CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW EXECUTE FUNCTION audit();
  ALTER TABLE items DISABLE TRIGGER items_audit;
  COMMENT ON TRIGGER items_touch ON items IS 'keeps updated_at';
  CREATE FUNCTION item_count() RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$ SELECT count(*) FROM public.items $$;
  COMMENT ON FUNCTION item_count() IS 'how many items';
  CREATE PROCEDURE reprice(factor numeric) LANGUAGE sql AS $$ UPDATE public.items SET price = price * factor $$;
  CREATE VIEW cheap AS SELECT id, name, price FROM items WHERE price < 10;
  COMMENT ON VIEW cheap IS 'under ten';
  CREATE VIEW cheapest WITH (security_barrier) AS SELECT id, name FROM cheap WHERE price < 5;
  CREATE MATERIALIZED VIEW price_stats AS SELECT count(*) AS n, sum(price) AS total FROM items;
  CREATE UNIQUE INDEX price_stats_n ON price_stats (n);`;

/** PostgreSQL 16+ only: a SQL-standard body (parsed when created) calling a 17 function. */
const ONLY_17 = `
  CREATE FUNCTION has_tag(doc jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE
    BEGIN ATOMIC SELECT JSON_EXISTS(doc, '$.tag'); END;
  CREATE VIEW tagged AS SELECT id FROM items WHERE has_tag(jsonb_build_object('tag', id));`;

const FUNCTIONS = ['audit()', 'default_code()', 'item_count()', 'reprice(numeric)', 'shout()', 'touch()'];
const VIEWS = ['cheap', 'cheapest'];

/** Every definition in public as the server prints it, whitespace aside: what "equal by definition" means. */
async function definitions(db: TestDb): Promise<Record<string, string>> {
  return withClient(db.url, async (c) => {
    await c.query(`SET search_path = pg_catalog`);
    const r = await c.query(`
      SELECT 'function ' || p.oid::regprocedure::text AS k, pg_get_functiondef(p.oid) || coalesce(obj_description(p.oid, 'pg_proc'), '') AS d
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'relation ' || c.oid::regclass::text, pg_get_viewdef(c.oid) || coalesce(array_to_string(c.reloptions, ','), '') ||
             c.relispopulated::text || coalesce(obj_description(c.oid, 'pg_class'), '')
        FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')
      UNION ALL
      SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid) || t.tgenabled::text || coalesce(obj_description(t.oid, 'pg_trigger'), '')
        FROM pg_trigger t WHERE NOT t.tgisinternal`);
    return Object.fromEntries(r.rows.map((x) => [x.k, x.d.replace(/\s+/g, ' ').trim()]));
  });
}

/**
 * A view's query as `db`'s server prints it: 16 stopped qualifying columns by their only relation, so
 * the source's query is printed by the target before the two are compared.
 */
async function viewsAsPrintedBy(db: TestDb, source: TestDb): Promise<Record<string, string>> {
  const views = await withClient(source.url, async (c) => {
    await c.query('SET search_path = pg_catalog');
    return (
      await c.query(`SELECT 'relation ' || c.oid::regclass::text AS k, pg_get_viewdef(c.oid) AS q,
           coalesce(array_to_string(c.reloptions, ','), '') || c.relispopulated::text || coalesce(obj_description(c.oid, 'pg_class'), '') AS rest
      FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('v', 'm')`)
    ).rows;
  });
  const out: Record<string, string> = {};
  await withClient(db.url, async (c) => {
    for (const v of views as unknown as { k: string; q: string; rest: string }[]) {
      await c.query('BEGIN; SET LOCAL search_path = pg_catalog');
      try {
        await c.query(`CREATE TEMPORARY VIEW printed AS ${v.q}`);
        const [r] = (await c.query(`SELECT pg_get_viewdef('pg_temp.printed'::regclass) AS d`)).rows;
        out[v.k] = `${r.d}${v.rest}`.replace(/\s+/g, ' ').trim();
      } catch {
        // A view the target cannot read (17-only) is not created: nothing to print.
      } finally {
        await c.query('ROLLBACK');
      }
    }
  });
  return out;
}

async function sourceDb(from: TestServer): Promise<TestDb> {
  const src = await TestDb.create(from, 'osrc');
  await src.sql(SOURCE);
  if (from.major >= 17) await src.sql(ONLY_17);
  return src;
}

const statusOf = (r: Report, name: string) => r.objects?.find((o) => o.name === name);

for (const [from, to] of directions()) {
  describe(`--create-objects, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('creates the functions, views, materialized view and triggers, equal by definition, and they work', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      const want = { ...(await definitions(src)), ...(await viewsAsPrintedBy(tgt, src)) };
      const got = await definitions(tgt);
      const refusedOn15 = from.major === 17 && to.major === 15;
      for (const k of Object.keys(want)) {
        if (refusedOn15 && /has_tag|tagged/.test(k)) assert.equal(got[k], undefined, k);
        else assert.equal(got[k], want[k], k);
      }
      for (const f of FUNCTIONS) assert.equal(statusOf(report, `public.${f}`)?.status, 'created', f);
      for (const v of [...VIEWS, 'price_stats']) assert.equal(statusOf(report, `public.${v}`)?.status, 'created', v);
      for (const t of ['items_touch', 'items_shout', 'items_audit'])
        assert.equal(statusOf(report, `${t} on public.items`)?.status, 'created', t);
      if (from.major === 17) {
        const fn = statusOf(report, 'public.has_tag(jsonb)')!;
        const view = statusOf(report, 'public.tagged')!;
        if (refusedOn15) {
          assert.equal(fn.status, 'not created');
          assert.match(fn.reason, /the target refuses .*JSON_EXISTS|syntax error/);
          assert.match(view.reason, /it depends on function public\.has_tag\(jsonb\), which is not created/);
        } else assert.equal(fn.status, 'created');
      }
      assert.match(
        objectsHeading(report)!,
        /^Created by Archon, each checked against the source's before the commit: \d+ functions, 1 procedure, \d+ views, 1 materialized view, 3 triggers/,
      );
      // The materialized view holds the rows that arrived; the default calls its function.
      assert.deepEqual(await tgt.sql('SELECT n::int, total::int FROM price_stats'), [{ n: 20, total: 210 }]);
      assert.deepEqual(await tgt.sql(`SELECT count(*)::int AS n FROM cheapest`), [{ n: 4 }]);
      // No trigger fired during the COPY: names arrived as they left (the ALWAYS one would add '!').
      assert.deepEqual(await tgt.fingerprint('items'), await src.fingerprint('items'));
      await tgt.sql(`INSERT INTO items (id, name, price) VALUES (100, 'late', 1)`);
      assert.deepEqual(await tgt.sql(`SELECT name, code FROM items WHERE id = 100`), [{ name: 'late!', code: 'new' }]);
      await tgt.sql(`UPDATE items SET price = 2 WHERE id = 1`);
      const [row] = await tgt.sql(`SELECT updated_at::text AS at FROM items WHERE id = 1`);
      assert.equal(row.at, '2030-01-02 03:04:05+00');
      assert.deepEqual(await tgt.sql(`SELECT public.item_count()::int AS n`), [{ n: 21 }]);
    });

    it('plan: the --ddl script creates the functions before the table, the triggers after the rows', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'otgt');
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
      });
      const sql = ddlScript(plan, ['test']);
      const at = (s: string) => {
        const i = sql.indexOf(s);
        assert.ok(i >= 0, `${s} in\n${sql}`);
        return i;
      };
      assert.ok(at('SET LOCAL check_function_bodies = off') < at('CREATE OR REPLACE FUNCTION public.default_code()'));
      assert.ok(at('CREATE OR REPLACE FUNCTION public.default_code()') < at('CREATE TABLE "public"."items"'));
      assert.ok(at('CREATE TABLE "public"."items"') < at('CREATE VIEW "public"."cheap"'));
      assert.ok(at('CREATE VIEW "public"."cheap"') < at('CREATE VIEW "public"."cheapest"'));
      assert.ok(at('the rows are copied here') < at('CREATE TRIGGER items_touch'));
      assert.ok(at('ALTER TABLE "public"."items" ENABLE ALWAYS TRIGGER "items_shout"') > 0);
      assert.ok(at('ALTER TABLE "public"."items" DISABLE TRIGGER "items_audit"') > 0);
      assert.ok(at('the rows are copied here') < at('REFRESH MATERIALIZED VIEW "public"."price_stats"'));
      const items = plan.tables.find((t) => t.table === 'items')!;
      assert.ok(
        items.notes.some((n) => /3 triggers created on the target in the run's transaction/.test(n)),
        items.notes.join('\n'),
      );
      assert.ok(!items.notes.some((n) => /not created.*trigger items_touch/.test(n)), items.notes.join('\n'));
      assert.equal(plan.objects.find((o) => o.name === 'public.cheap')?.status, 'to be created');
    });

    it('a failure while creating (an event trigger refuses CREATE VIEW during the run) leaves nothing behind', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
        // After the plan (its trial went through), before the run: the target now refuses views.
        confirm: async () => {
          await tgt.sql(`CREATE FUNCTION no_views() RETURNS event_trigger LANGUAGE plpgsql AS $$
              BEGIN RAISE EXCEPTION 'no views here'; END $$;
            CREATE EVENT TRIGGER no_views ON ddl_command_start WHEN TAG IN ('CREATE VIEW') EXECUTE FUNCTION no_views()`);
          return true;
        },
      });
      assert.notEqual(report.outcome, 'verified');
      assert.equal(report.committed, false);
      assert.match(JSON.stringify(report.tables), /no views here/);
      assert.ok(report.objects?.every((o) => o.status === 'not created'));
      const left = await tgt.sql(`SELECT
          (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS relations,
          (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname <> 'no_views') AS functions`);
      assert.deepEqual(left, [{ relations: 0, functions: 0 }]);
    });

    it('undo drops every object the run created, with its tables', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified');
      await undo({ target: tgt.url });
      const left = await tgt.sql(`SELECT
          (SELECT count(*)::int FROM pg_class WHERE relnamespace = 'public'::regnamespace) AS relations,
          (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace) AS functions`);
      assert.deepEqual(left, [{ relations: 0, functions: 0 }]);
    });

    it('without --create-objects nothing is created but what tables need, and the reasons say how to ask', async () => {
      const src = await sourceDb(from);
      await src.sql(`CREATE TABLE plain (id int PRIMARY KEY); INSERT INTO plain VALUES (1);
        CREATE TRIGGER plain_touch BEFORE UPDATE ON plain FOR EACH ROW EXECUTE FUNCTION touch()`);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.match(statusOf(report, 'public.touch()')!.reason, /--create-objects/);
      assert.match(statusOf(report, 'public.cheap')!.reason, /--create-objects/);
      assert.match(statusOf(report, 'plain_touch on public.plain')!.reason, /--create-objects/);
      // The table whose default calls a function the target lacks is not created without it.
      assert.match(report.tables.find((t) => t.table === 'items')!.reason ?? '', /default_code/);
      assert.deepEqual(await tgt.sql(`SELECT count(*)::int AS n FROM pg_trigger WHERE NOT tgisinternal`), [{ n: 0 }]);
      assert.deepEqual(
        await tgt.sql(`SELECT count(*)::int AS n FROM pg_proc WHERE pronamespace = 'public'::regnamespace`),
        [{ n: 0 }],
      );
    });
  });
}

describe('--create-objects in the CLI and the VS Code review', () => {
  const [from, to] = directions()[0];

  it('the CLI hints at the flag, and with it the plan and the report say what was created', async () => {
    const src = await sourceDb(from);
    const tgt = await TestDb.create(to, 'otgt');
    const plain = runCli(['plan', '--source', src.url, '--target', tgt.url, '--create-missing']);
    assert.equal(plain.code, 1, plain.stdout + plain.stderr); // a table is skipped: its default's function is missing
    assert.match(plain.stdout, /hint: --create-objects creates the functions, views and triggers/);
    const run = runCli([
      'migrate',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--create-missing',
      '--create-objects',
      '--yes',
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.doesNotMatch(run.stdout, /hint: --create-objects/);
    assert.match(
      run.stdout,
      /To be created by Archon in the run's transaction, each then checked against the source's: \d+ functions/,
    );
    assert.match(
      run.stdout.replace(/\s+/g, ' '),
      /Created by Archon, each checked against the source's before the commit: \d+ functions, 1 procedure, \d+ views, 1 materialized view, 3 triggers/,
    );
    assert.equal(
      (await tgt.sql(`SELECT count(*)::int AS n FROM pg_views WHERE schemaname = 'public'`))[0].n >= 2,
      true,
    );
  });

  it('the review offers "Also create …", on when the run creates tables, and says what is left out when off', async () => {
    const src = await sourceDb(from);
    const tgt = await TestDb.create(to, 'otgt');
    const planned = await planMigration({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
    const on = reviewItems(planned, { createMissing: true, addColumns: false, createObjects: true }, 'cloud', 'local');
    const choice = on.find((i) => i.value === 'create-objects')!;
    assert.match(
      choice.label,
      /^\$\(pass-filled\) Also create \d+ functions, 1 procedure, \d+ views, 1 materialized view, 3 triggers$/,
    );
    const off = planWithChoices(planned, { createMissing: true, addColumns: false, createObjects: false });
    assert.equal(off.plan.createObjects, undefined);
    const cheap = off.plan.objects.find((o) => o.name === 'public.cheap')!;
    assert.equal(cheap.status, 'not created');
    assert.match(cheap.reason, /created only when asked: choose "Also create \d+ functions/);
    // Tables not chosen: their triggers are not created either.
    const noTables = planWithChoices(planned, { createMissing: false, addColumns: false, createObjects: true });
    assert.ok(noTables.plan.createObjects?.every((o) => o.kind !== 'trigger'));
  });

  it("the review keeps a view's INSTEAD OF trigger with its view when the tables are not chosen", async () => {
    const src = await TestDb.create(from, 'osrc');
    await src.sql(PARTS);
    const tgt = await TestDb.create(to, 'otgt');
    await tgt.sql('CREATE TABLE things (id int PRIMARY KEY, name text)');
    const planned = await planMigration({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
    const chosen = planWithChoices(planned, { createMissing: false, addColumns: false, createObjects: true });
    const made = (chosen.plan.createObjects ?? []).map((o) => `${o.kind} ${o.name}`);
    assert.ok(made.includes('trigger v_things_ins on public.v_things'), made.join('\n'));
    assert.ok(!made.includes('trigger ev_touch on public.ev'), made.join('\n'));
    const status = chosen.plan.objects.find((o) => o.name === 'v_things_ins on public.v_things')?.status;
    assert.equal(status, 'to be created');
  });
});

/**
 * A schema and an enum the target lacks, which the tables' DDL creates: functions whose signatures
 * name the type, a default calling one, functions that read the table or return its rows.
 */
const APP = `
  CREATE SCHEMA app;
  CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
  CREATE FUNCTION app.slugify(t text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT lower(regexp_replace(t, '[^a-zA-Z0-9]+', '-', 'g')) $$;
  CREATE TABLE app.items (id int PRIMARY KEY, name text NOT NULL,
    slug text DEFAULT app.slugify('Default Name'), mood app.mood DEFAULT 'ok');
  INSERT INTO app.items (id, name, mood)
    SELECT g, 'Item ' || g, (ARRAY['sad', 'ok', 'happy'])[1 + g % 3]::app.mood FROM generate_series(1, 30) g;
  CREATE FUNCTION app.item_stats(min_id int DEFAULT 0) RETURNS TABLE(mood app.mood, n bigint) LANGUAGE sql STABLE
    AS $$ SELECT mood, count(*) FROM app.items WHERE id >= min_id GROUP BY mood ORDER BY mood $$;
  CREATE FUNCTION app.items_by_mood(m app.mood) RETURNS SETOF app.items LANGUAGE sql STABLE
    AS $$ SELECT * FROM app.items WHERE mood = m ORDER BY id $$;
  CREATE FUNCTION app.count_items() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM app.items; END;`;

for (const [from, to] of directions()) {
  describe(`--create-objects into a target without the schema, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('creates the schema and types before the functions that name them, and undo takes it all back', async () => {
      const src = await TestDb.create(from, 'osrc');
      await src.sql(APP);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      for (const f of ['slugify(text)', 'item_stats(integer)', 'items_by_mood(mood)', 'count_items()'])
        assert.equal(statusOf(report, `app.${f}`)?.status, 'created', JSON.stringify(report.objects));
      assert.deepEqual(await tgt.fingerprint('app.items'), await src.fingerprint('app.items'));
      await tgt.sql(`INSERT INTO app.items (id, name) VALUES (100, 'late')`);
      assert.deepEqual(await tgt.sql(`SELECT slug, mood::text FROM app.items WHERE id = 100`), [
        { slug: 'default-name', mood: 'ok' },
      ]);
      assert.deepEqual(await tgt.sql(`SELECT app.count_items()::int AS n`), [{ n: 31 }]);
      assert.deepEqual(await tgt.sql(`SELECT mood::text, n::int FROM app.item_stats(28)`), [
        { mood: 'sad', n: 1 },
        { mood: 'ok', n: 2 },
        { mood: 'happy', n: 1 },
      ]);
      assert.deepEqual(await tgt.sql(`SELECT count(*)::int AS n FROM app.items_by_mood('happy')`), [{ n: 10 }]);
      // The functions read the table and return its rows: undo drops them first, then the table
      // (forced: the row inserted above changed the table since the run).
      await undo({ target: tgt.url, force: true });
      assert.deepEqual(
        await tgt.sql(`SELECT to_regnamespace('app') IS NULL AS gone,
          (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'app') AS functions`),
        [{ gone: true, functions: 0 }],
      );
    });
  });
}

/**
 * A partitioned table with a trigger one partition disables and a trigger of one partition's own;
 * a view with an INSTEAD OF trigger and a column comment.
 */
const PARTS = `
  CREATE TABLE ev (id int, d date, note text, updated_at timestamptz) PARTITION BY RANGE (d);
  CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE FUNCTION tch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := 'epoch'; RETURN NEW; END $$;
  CREATE TRIGGER ev_touch BEFORE UPDATE ON ev FOR EACH ROW EXECUTE FUNCTION tch();
  CREATE TRIGGER ev_2025_only BEFORE INSERT ON ev_2025 FOR EACH ROW WHEN (NEW.note IS NULL) EXECUTE FUNCTION tch();
  ALTER TABLE ev_2024 DISABLE TRIGGER ev_touch;
  INSERT INTO ev SELECT g, date '2024-01-01' + g, 'n', NULL FROM generate_series(1, 600) g;
  CREATE TABLE things (id int PRIMARY KEY, name text);
  INSERT INTO things VALUES (1, 'one');
  CREATE VIEW v_things AS SELECT id, name FROM things;
  COMMENT ON COLUMN v_things.name IS 'the name, upper case once inserted through the view';
  CREATE FUNCTION v_things_ins() RETURNS trigger LANGUAGE plpgsql
    AS $$ BEGIN INSERT INTO things VALUES (NEW.id, upper(NEW.name)); RETURN NEW; END $$;
  CREATE TRIGGER v_things_ins INSTEAD OF INSERT ON v_things FOR EACH ROW EXECUTE FUNCTION v_things_ins();
  COMMENT ON TRIGGER v_things_ins ON v_things IS 'view trigger';`;

const TRIGGER_STATES = `SELECT c.relname AS "table", t.tgname AS name, t.tgenabled AS enabled,
    obj_description(t.oid, 'pg_trigger') AS comment
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal ORDER BY 1, 2`;

for (const [from, to] of directions()) {
  describe(`--create-objects around partitions and views, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("creates a partition's own trigger, a copy's enabled state and a view's INSTEAD OF trigger", async () => {
      const src = await TestDb.create(from, 'osrc');
      await src.sql(PARTS);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      for (const t of ['ev_touch on public.ev', 'ev_2025_only on public.ev_2025', 'v_things_ins on public.v_things'])
        assert.equal(statusOf(report, t)?.status, 'created', `${t}: ${JSON.stringify(report.objects)}`);
      assert.deepEqual(await tgt.sql(TRIGGER_STATES), await src.sql(TRIGGER_STATES));
      const ev = report.tables.find((t) => t.table === 'ev')!;
      assert.ok(!ev.notes.some((n) => /not created.*ev_touch/.test(n)), ev.notes.join('\n'));
      // The disabled copy does not fire; the other partition's copy and its own trigger do.
      await tgt.sql(`UPDATE ev SET note = 'u' WHERE id IN (10, 500);
        INSERT INTO ev (id, d) VALUES (1000, '2025-05-05')`);
      assert.deepEqual(
        await tgt.sql(`SELECT id, updated_at IS NOT NULL AS touched FROM ev WHERE id IN (10, 500, 1000) ORDER BY id`),
        [
          { id: 10, touched: false },
          { id: 500, touched: true },
          { id: 1000, touched: true },
        ],
      );
      await tgt.sql(`INSERT INTO v_things VALUES (2, 'two')`);
      assert.deepEqual(await tgt.sql('SELECT id, name FROM things ORDER BY id'), [
        { id: 1, name: 'one' },
        { id: 2, name: 'TWO' },
      ]);
    });

    it("creates a view's column comments, and its check compares them", async () => {
      const src = await TestDb.create(from, 'osrc');
      await src.sql(PARTS);
      const tgt = await TestDb.create(to, 'otgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      const comment = `SELECT col_description('public.v_things'::regclass, 2) AS c`;
      assert.deepEqual(await tgt.sql(comment), [{ c: 'the name, upper case once inserted through the view' }]);
      // After its statements, a comment the target holds otherwise is a difference: the run fails.
      const tgt2 = await TestDb.create(to, 'otgt');
      const failed = await migrate({
        source: src.url,
        target: tgt2.url,
        createMissing: true,
        createObjects: true,
        confirm: async () => {
          // Each column comment the run writes is changed behind its back (once: the change is a COMMENT too).
          await tgt2.sql(`CREATE FUNCTION other_comment() RETURNS event_trigger LANGUAGE plpgsql AS $$
              BEGIN IF col_description('public.v_things'::regclass, 2) IS DISTINCT FROM 'other' THEN
                EXECUTE 'COMMENT ON COLUMN public.v_things.name IS ''other'''; END IF; END $$;
            CREATE EVENT TRIGGER other_comment ON ddl_command_end WHEN TAG IN ('COMMENT')
              EXECUTE FUNCTION other_comment()`);
          return true;
        },
      });
      assert.equal(failed.committed, false);
      assert.match(JSON.stringify(failed), /view public\.v_things differs from the source's by definition/);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`--create-objects, a view it cannot create, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("the created table's notes give the view's own reason, not that Archon creates only tables", async () => {
      const src = await TestDb.create(from, 'osrc');
      await src.sql(`CREATE TABLE nums (id int PRIMARY KEY); INSERT INTO nums VALUES (1), (2);
        CREATE FUNCTION my_sum(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$;
        CREATE VIEW v_sum AS SELECT my_sum(id) AS s FROM nums`);
      const tgt = await TestDb.create(to, 'otgt');
      // The target's my_sum is another: the view would call it, not the source's.
      await tgt.sql('CREATE FUNCTION my_sum(x int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT x + 2 $$');
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
      });
      const notes = plan.tables.find((t) => t.table === 'nums')!.notes;
      assert.ok(!notes.some((n) => /Archon creates tables, not these.*v_sum/.test(n)), notes.join('\n'));
      assert.ok(
        notes.some((n) =>
          /^view public\.v_sum not created: it calls public\.my_sum\(integer\), which is on the target with another definition \(kept as it is\)/.test(
            n,
          ),
        ),
        notes.join('\n'),
      );
      assert.match(plan.objects.find((o) => o.name === 'public.v_sum')!.reason, /another definition/);
    });
  });
}

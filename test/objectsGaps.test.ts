// --create-objects beyond functions, views and triggers, as Pagila needs them: an aggregate (its
// group_concat, which three of its views call), rules on a table and on a view, and a domain whose
// CHECK calls a function the run creates. Asserted on what the target then does: the aggregate
// aggregates, the views read the same rows, the rules rewrite, the domain refuses what the source's
// refuses; undo drops it all.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ddlScript, migrate, planMigration, undo } from '../src/engine/index.js';
import type { Report } from '../src/shared/report.js';
import { TestDb, type TestServer, directions, withClient } from './support/pg.js';

const SOURCE = `
  CREATE FUNCTION _group_concat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2 ELSE $1 || ', ' || $2 END $$;
  CREATE AGGREGATE group_concat(text) (SFUNC = _group_concat, STYPE = text);
  COMMENT ON AGGREGATE group_concat(text) IS 'as Pagila has it';
  CREATE FUNCTION sq_add(bigint, integer) RETURNS bigint LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1 + $2 * $2 $$;
  CREATE FUNCTION sq_final(bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'sum of squares: ' || $1 $$;
  CREATE AGGREGATE sum_sq(integer) (SFUNC = sq_add, STYPE = bigint, INITCOND = '0', FINALFUNC = sq_final,
    COMBINEFUNC = int8pl, PARALLEL = SAFE);
  CREATE FUNCTION one_more(bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT $1 + 1 $$;
  CREATE AGGREGATE my_count(*) (SFUNC = one_more, STYPE = bigint, INITCOND = '0');
  COMMENT ON AGGREGATE my_count(*) IS 'without arguments';
  CREATE FUNCTION os_trans(internal, anyelement) RETURNS internal LANGUAGE internal AS 'ordered_set_transition';
  CREATE FUNCTION os_final(internal, float8, anyelement) RETURNS anyelement LANGUAGE internal AS 'percentile_disc_final';
  CREATE AGGREGATE my_pct(float8 ORDER BY anyelement) (SFUNC = os_trans, STYPE = internal, FINALFUNC = os_final,
    FINALFUNC_EXTRA);
  CREATE FUNCTION positive(x integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x > 0 $$;
  CREATE DOMAIN score AS integer CHECK (positive(VALUE)) CHECK (VALUE < 1000);
  CREATE TABLE actor (id int PRIMARY KEY, name text NOT NULL, points score);
  INSERT INTO actor SELECT g, 'actor' || g, g FROM generate_series(1, 12) g;
  CREATE TABLE actor_log (id int, name text);
  INSERT INTO actor_log VALUES (0, 'before');
  CREATE RULE actor_logged AS ON INSERT TO actor DO ALSO INSERT INTO actor_log VALUES (NEW.id, NEW.name);
  COMMENT ON RULE actor_logged ON actor IS 'every new actor is logged';
  CREATE RULE actor_kept AS ON DELETE TO actor WHERE OLD.id < 3 DO INSTEAD NOTHING;
  ALTER TABLE actor DISABLE RULE actor_kept;
  CREATE VIEW actor_names AS SELECT group_concat(name ORDER BY id) AS names, sum_sq(id) AS squares FROM actor;
  CREATE VIEW actors AS SELECT id, name FROM actor;
  CREATE RULE actors_insert AS ON INSERT TO actors DO INSTEAD INSERT INTO actor (id, name) VALUES (NEW.id, NEW.name);`;

/** Every aggregate, rule and domain check of public as `db` holds them: what "equal" means here. */
async function shapes(db: TestDb): Promise<Record<string, string>> {
  return withClient(db.url, async (c) => {
    await c.query('SET search_path = pg_catalog');
    const r = await c.query(`
      SELECT 'aggregate ' || a.aggfnoid::regprocedure::text AS k,
             concat_ws(' ', a.aggtransfn::regproc, format_type(a.aggtranstype, NULL), a.aggfinalfn::regproc,
                       a.aggcombinefn::regproc, a.agginitval, p.proparallel, obj_description(p.oid, 'pg_proc')) AS d
        FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 'rule ' || r.rulename, pg_get_ruledef(r.oid) || r.ev_enabled::text || coalesce(obj_description(r.oid, 'pg_rewrite'), '')
        FROM pg_rewrite r WHERE r.rulename <> '_RETURN' AND r.ev_class::regclass::text LIKE 'public.%'
      UNION ALL
      SELECT 'check ' || conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid <> 0`);
    return Object.fromEntries(r.rows.map((x) => [x.k, x.d]));
  });
}

async function sourceDb(from: TestServer): Promise<TestDb> {
  const src = await TestDb.create(from, 'gsrc');
  await src.sql(SOURCE);
  return src;
}

const statusOf = (r: Report, name: string) => r.objects?.find((o) => o.name === name);

for (const [from, to] of directions()) {
  describe(`--create-objects: aggregates, rules, a domain calling a function, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('creates them in pg_depend order, equal to the source, and they work on the target', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'gtgt');
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      for (const name of ['public.group_concat(text)', 'public.sum_sq(integer)', 'public.my_count()'])
        assert.equal(statusOf(report, name)?.status, 'created', name);
      for (const name of [
        'actor_logged on public.actor',
        'actor_kept on public.actor',
        'actors_insert on public.actors',
      ])
        assert.equal(statusOf(report, name)?.status, 'created', name);
      for (const name of ['public.actor_names', 'public.actors'])
        assert.equal(statusOf(report, name)?.status, 'created', name);
      assert.deepEqual(await shapes(tgt), await shapes(src));
      // The aggregate aggregates; the view over it reads on the target what it reads on the source.
      const read = 'SELECT names, squares FROM actor_names';
      assert.deepEqual(await tgt.sql(read), await src.sql(read));
      const others = 'SELECT my_count(*)::int AS n, my_pct(0.5) WITHIN GROUP (ORDER BY id) AS p FROM actor';
      assert.deepEqual(await tgt.sql(others), await src.sql(others));
      assert.deepEqual(await tgt.sql(`SELECT group_concat(name) AS g FROM actor WHERE id < 4`), [
        { g: 'actor1, actor2, actor3' },
      ]);
      // No rule rewrote the COPY: the log holds the source's rows only; then the rules rewrite.
      assert.deepEqual(await tgt.fingerprint('actor_log'), await src.fingerprint('actor_log'));
      await tgt.sql(`INSERT INTO actors VALUES (50, 'through the view')`);
      assert.deepEqual(await tgt.sql('SELECT id, name FROM actor_log WHERE id = 50'), [
        { id: 50, name: 'through the view' },
      ]);
      await tgt.sql('DELETE FROM actor WHERE id = 1');
      assert.equal(await tgt.count('actor'), 12, 'the disabled rule stays disabled');
      // The domain's check calls its function on the target too.
      await assert.rejects(tgt.sql('INSERT INTO actor VALUES (60, $1, -1)', ['neg']), /violates check constraint/);
      await undo({ target: tgt.url, force: true });
      const [left] = await tgt.sql(
        `SELECT count(*)::int AS n FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
      );
      assert.equal(left.n, 0);
    });

    it('plan: the --ddl script creates the function before the domain check, the aggregate before its view', async () => {
      const src = await sourceDb(from);
      const tgt = await TestDb.create(to, 'gtgt');
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        createObjects: true,
      });
      assert.ok(
        plan.tables.every((t) => t.action === 'copy'),
        JSON.stringify(plan.tables.map((t) => [t.table, t.reason])),
      );
      const sql = ddlScript(plan, ['test']);
      const at = (s: string) => {
        const i = sql.indexOf(s);
        assert.ok(i >= 0, `${s} in\n${sql}`);
        return i;
      };
      assert.ok(at('CREATE DOMAIN "public"."score"') < at('CREATE OR REPLACE FUNCTION public.positive(x integer)'));
      assert.ok(at('CREATE OR REPLACE FUNCTION public.positive(x integer)') < at('ALTER DOMAIN "public"."score" ADD'));
      assert.ok(at('ALTER DOMAIN "public"."score" ADD') < at('CREATE TABLE "public"."actor"'));
      assert.ok(
        at('CREATE OR REPLACE FUNCTION public._group_concat') < at('CREATE AGGREGATE public.group_concat(text)'),
      );
      assert.ok(at('CREATE AGGREGATE public.group_concat(text)') < at('CREATE VIEW "public"."actor_names"'));
      assert.ok(at('the rows are copied here') < at('CREATE RULE actor_logged'));
      assert.equal(plan.objects.find((o) => o.name === 'public.group_concat(text)')?.status, 'to be created');
    });
  });
}

/** The grants on a schema but its owner's, as `db` holds them: `role:privilege`. */
async function schemaAcl(db: TestDb, schema: string): Promise<string[]> {
  const rows = await db.sql(
    `SELECT CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END || ':' || x.privilege_type ||
            CASE WHEN x.is_grantable THEN '*' ELSE '' END AS g
       FROM pg_namespace n, aclexplode(n.nspacl) x WHERE n.nspname = $1 AND x.grantee <> n.nspowner ORDER BY 1`,
    [schema],
  );
  return rows.map((r) => r.g);
}

for (const [from, to] of directions()) {
  describe(`--create-objects: a created schema's grants, grants by another grantor, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("gives a created schema the source's USAGE and CREATE for roles the target has, names the others", async () => {
      const src = await TestDb.create(from, 'gssrc');
      const [reader, writer, gone, lead] = ['reader', 'writer', 'gone', 'lead'].map((r) => `${r}_${src.name}`);
      await src.sql(`CREATE ROLE ${reader}; CREATE ROLE ${writer}; CREATE ROLE ${gone}; CREATE ROLE ${lead};
        CREATE SCHEMA app;
        GRANT USAGE ON SCHEMA app TO ${reader}; GRANT USAGE, CREATE ON SCHEMA app TO ${writer} WITH GRANT OPTION;
        GRANT USAGE ON SCHEMA app TO ${gone}, ${lead};
        CREATE TABLE app.notes (id int PRIMARY KEY, body text); INSERT INTO app.notes VALUES (1, 'a'), (2, 'b');
        GRANT SELECT ON app.notes TO ${lead} WITH GRANT OPTION;
        SET ROLE ${lead}; GRANT SELECT ON app.notes TO ${reader}; RESET ROLE;`);
      const tgt = await TestDb.create(to, 'gstgt');
      await tgt.sql(`CREATE ROLE ${reader}; CREATE ROLE ${writer}; CREATE ROLE ${lead}`);
      const opts = { source: src.url, target: tgt.url, createMissing: true, createObjects: true };
      const { plan } = await planMigration(opts);
      const notes = plan.tables.flatMap((t) => t.notes).join('\n');
      assert.match(
        notes,
        new RegExp(`the target has no role ${gone}: 1 grant not created \\(grant USAGE to ${gone} on schema app\\)`),
      );
      assert.match(notes, new RegExp(`SELECT to ${reader} on app.notes \\(granted by ${lead} on the source\\)`));
      const report = await migrate(opts);
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(await schemaAcl(tgt, 'app'), [
        `${lead}:USAGE`,
        `${reader}:USAGE`,
        `${writer}:CREATE*`,
        `${writer}:USAGE*`,
      ]);
      assert.equal(
        report.objects?.find((o) => o.name === `USAGE to ${reader} on schema app`)?.status,
        'created',
        JSON.stringify(report.objects),
      );
      // The reader reaches the table through the schema, as on the source.
      const read = await withClient(tgt.url, async (c) => {
        await c.query(`SET ROLE ${reader}`);
        return (await c.query('SELECT count(*)::int AS n FROM app.notes')).rows[0].n;
      });
      assert.equal(read, 2);
    });
  });
}

/** A schema of functions alone beside the tables' schema, as many databases keep their helpers. */
const UTIL = `
  CREATE SCHEMA util;
  COMMENT ON SCHEMA util IS 'helpers';
  CREATE FUNCTION util.double(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x * 2 $$;
  CREATE FUNCTION util.lonely() RETURNS text LANGUAGE sql AS $$ SELECT 'no table calls me' $$;
  CREATE TABLE items (id int PRIMARY KEY, name text);
  INSERT INTO items SELECT g, 'item' || g FROM generate_series(1, 5) g;
  CREATE FUNCTION unused() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$;
  CREATE FUNCTION quad(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT util.double(util.double(x)) $$;
  CREATE VIEW doubled AS SELECT id, util.double(id) AS twice FROM items;`;

for (const [from, to] of directions()) {
  describe(`--create-objects: objects no table uses, in a schema without tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('the whole database: the schema of functions alone is created with them, and undo drops it', async () => {
      const src = await TestDb.create(from, 'gusrc');
      const reader = `reader_${src.name}`;
      await src.sql(`CREATE ROLE ${reader}; ${UTIL}; GRANT USAGE ON SCHEMA util TO ${reader}`);
      const tgt = await TestDb.create(to, 'gutgt');
      await tgt.sql(`CREATE ROLE ${reader}`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      for (const name of [
        'util',
        'util.double(integer)',
        'util.lonely()',
        'public.unused()',
        'public.quad(integer)',
        'public.doubled',
      ])
        assert.equal(statusOf(report, name)?.status, 'created', `${name}: ${JSON.stringify(report.objects)}`);
      assert.deepEqual(await tgt.sql('SELECT util.lonely() AS l, quad(3) AS q'), [{ l: 'no table calls me', q: 12 }]);
      assert.deepEqual(await tgt.sql(`SELECT obj_description('util'::regnamespace, 'pg_namespace') AS c`), [
        { c: 'helpers' },
      ]);
      assert.deepEqual(await schemaAcl(tgt, 'util'), [`${reader}:USAGE`]);
      await undo({ target: tgt.url });
      assert.deepEqual(await tgt.sql(`SELECT nspname FROM pg_namespace WHERE nspname = 'util'`), []);
    });

    it('a selection by table keeps to its schemas and says why what needs another is left out', async () => {
      const src = await TestDb.create(from, 'gusrc');
      await src.sql(UTIL);
      const tgt = await TestDb.create(to, 'gutgt');
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        selection: { tables: ['public.items'] },
        createMissing: true,
        createObjects: true,
      });
      const reasonOf = (name: string) => plan.objects.find((o) => o.name === name)?.reason ?? '';
      assert.equal(plan.objects.find((o) => o.name === 'public.unused()')?.status, 'to be created');
      for (const name of ['public.quad(integer)', 'public.doubled'])
        assert.match(
          reasonOf(name),
          /schema "util" does not exist.*Archon creates objects in the schemas of the selected tables/,
        );
      assert.equal(
        plan.objects.find((o) => o.name === 'util.lonely()'),
        undefined,
      );
    });
  });
}

const CALLER = `
  CREATE FUNCTION me() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'source'::text $$;
  CREATE TABLE notes (id int PRIMARY KEY, owner text);
  INSERT INTO notes VALUES (1, 'source'), (2, 'target');
  ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
  CREATE POLICY own ON notes USING (owner = public.me());
  CREATE VIEW mine AS SELECT id FROM notes WHERE owner = me();
  CREATE FUNCTION wrapper() RETURNS text LANGUAGE sql STABLE AS $$ SELECT upper(me()) $$;
  CREATE FUNCTION twice() RETURNS text LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN "me"() || "me"(); END $$;
  CREATE FUNCTION standalone() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'mine'::text $$;`;

for (const [from, to] of directions()) {
  describe(`--create-objects: what calls a function the target has otherwise, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('is not created (the policy, the view, the functions calling it), never called equal', async () => {
      const src = await TestDb.create(from, 'gcsrc');
      await src.sql(CALLER);
      const tgt = await TestDb.create(to, 'gctgt');
      await tgt.sql(`CREATE FUNCTION me() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'target'::text $$`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, createObjects: true });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      const status = (name: string) => statusOf(report, name);
      assert.equal(status('public.me()')?.status, 'differs');
      for (const name of ['own on public.notes', 'public.mine', 'public.wrapper()', 'public.twice()']) {
        assert.equal(status(name)?.status, 'not created', `${name}: ${JSON.stringify(status(name))}`);
        assert.match(status(name)!.reason, /it calls public\.me\(\), which is on the target with another definition/);
      }
      assert.equal(status('public.standalone()')?.status, 'created');
      assert.deepEqual(await tgt.sql(`SELECT polname FROM pg_policy`), []);
      assert.deepEqual(await tgt.sql(`SELECT relrowsecurity AS on FROM pg_class WHERE relname = 'notes'`), [
        { on: true },
      ]);
    });

    it("a target whose search_path finds another same-named function first: the created objects call the source's", async () => {
      const src = await TestDb.create(from, 'gcsrc');
      await src.sql(CALLER);
      const tgt = await TestDb.create(to, 'gctgt');
      await tgt.sql(`CREATE SCHEMA shadow;
        CREATE FUNCTION shadow.me() RETURNS text LANGUAGE sql STABLE AS $$ SELECT 'shadow'::text $$;
        ALTER DATABASE ${tgt.name} SET search_path = shadow, public`);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { schemas: ['public'] },
        createMissing: true,
        createObjects: true,
      });
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      for (const name of ['own on public.notes', 'public.mine', 'public.me()'])
        assert.equal(statusOf(report, name)?.status, 'created', name);
      // Qualified when written (search_path pg_catalog), so the view reads the source's rows.
      assert.deepEqual(await tgt.sql('SELECT id FROM public.mine'), [{ id: 1 }]);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`--create-objects: a domain whose CHECK calls a function of a schema of functions alone, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('creates the schema and the function before the domain check, and the table that uses it', async () => {
      const src = await TestDb.create(from, 'dusrc');
      await src.sql(`CREATE SCHEMA util;
        CREATE FUNCTION util.is_pos(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT $1 > 0 $$;
        CREATE DOMAIN public.posint AS int CHECK (util.is_pos(VALUE));
        CREATE TABLE public.items (id int PRIMARY KEY, qty posint);
        INSERT INTO public.items SELECT g, g FROM generate_series(1, 20) g;`);
      const tgt = await TestDb.create(to, 'dutgt');
      const opts = { source: src.url, target: tgt.url, createMissing: true, createObjects: true };
      const { plan } = await planMigration(opts);
      assert.deepEqual(
        plan.tables.map((t) => [t.table, t.action, t.reason ?? null]),
        [['items', 'copy', null]],
      );
      const report = await migrate(opts);
      assert.equal(report.outcome, 'verified', JSON.stringify({ t: report.tables, o: report.objects }, null, 1));
      assert.deepEqual(await tgt.fingerprint('items'), await src.fingerprint('items'));
      // The check arrived with its function: the target refuses what the source refuses.
      await assert.rejects(tgt.sql('INSERT INTO public.items VALUES (100, -1)'), /violates check constraint/);
    });
  });
}

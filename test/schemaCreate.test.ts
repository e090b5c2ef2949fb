import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// @ts-expect-error plain ESM helpers shared with the demo and the tests
import { createKnowledgeBaseSchema, fillKnowledgeBase } from '../scripts/kb-fixture.mjs';
import { migrate, planMigration, undo } from '../src/engine/index.js';
import { standaloneReportHtml } from '../src/reportPage.js';
import type { Report } from '../src/shared/report.js';
import { copyCreateItems, reviewItems } from '../src/vscode/createModel.js';
import { launchChromium } from './support/browser.js';
import { TestDb, directions, runCli, withClient, pair } from './support/pg.js';

// What the knowledge base lacks that a real schema has: an enum, a domain over it, a composite type
// and arrays of them, a schema of its own, a partitioned table, a collation, a generated column,
// identity options, a CHECK, a secondary GIN index, comments; and what Archon does not create.
const EXTRAS = `
  CREATE SCHEMA ops;
  CREATE TYPE ops.task_state AS ENUM ('todo', 'doing', 'done');
  CREATE DOMAIN ops.short_label AS text COLLATE "C" CHECK (length(VALUE) <= 40);
  CREATE TYPE ops.point3 AS (x double precision, y double precision, label ops.short_label);
  CREATE TABLE ops.jobs (
    id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY,
    state ops.task_state NOT NULL DEFAULT 'todo', history ops.task_state[] NOT NULL DEFAULT '{}',
    at ops.point3, name text COLLATE "C" NOT NULL, tags jsonb NOT NULL DEFAULT '{}',
    cost numeric(10, 2) CHECK (cost >= 0), cost_with_tax numeric GENERATED ALWAYS AS (cost * 1.2) STORED,
    project_id uuid REFERENCES public.archon_projects (id) ON DELETE CASCADE, UNIQUE (name));
  CREATE INDEX jobs_tags ON ops.jobs USING gin (tags jsonb_path_ops);
  CREATE INDEX jobs_lower_name ON ops.jobs (lower(name)) WHERE state <> 'done';
  COMMENT ON TABLE ops.jobs IS 'Background jobs; it''s quoted';
  COMMENT ON COLUMN ops.jobs.name IS 'Unique name';
  INSERT INTO ops.jobs (state, history, at, name, tags, cost, project_id)
  SELECT (ARRAY['todo','doing','done']::ops.task_state[])[1 + g % 3], ARRAY['todo', 'doing']::ops.task_state[],
         ROW(g, g / 2.0, 'p' || g)::ops.point3, 'job ' || g, jsonb_build_object('g', g), g * 1.5,
         md5('project' || (1 + g % 12))::uuid
  FROM generate_series(1, 30) g;
  CREATE TABLE ops.measurements (id bigserial, taken date NOT NULL, value real, PRIMARY KEY (id, taken))
    PARTITION BY RANGE (taken);
  CREATE TABLE ops.measurements_2025 PARTITION OF ops.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE ops.measurements_rest PARTITION OF ops.measurements DEFAULT;
  CREATE INDEX measurements_taken ON ops.measurements (taken DESC);
  INSERT INTO ops.measurements (taken, value) SELECT '2024-12-25'::date + g, g FROM generate_series(1, 20) g;
  SELECT setval('ops.measurements_id_seq', 500);
  CREATE FUNCTION ops.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER jobs_touch BEFORE UPDATE ON ops.jobs FOR EACH ROW EXECUTE FUNCTION ops.touch();
  CREATE VIEW ops.open_jobs AS SELECT id, name FROM ops.jobs WHERE state <> 'done';
  ALTER TABLE ops.jobs REPLICA IDENTITY USING INDEX jobs_name_key;
  ALTER TABLE ops.measurements_2025 REPLICA IDENTITY FULL;`;

// Extensions that the DDL needs beyond column types: operator classes of indexes and exclusion
// constraints, functions in defaults, generated columns, CHECKs, domain checks and index expressions,
// an extension that requires another (earthdistance needs cube), one in a schema of its own.
const EXTENDED = `
  CREATE EXTENSION pg_trgm; CREATE EXTENSION btree_gist; CREATE EXTENSION "uuid-ossp"; CREATE EXTENSION fuzzystrmatch;
  CREATE EXTENSION earthdistance CASCADE; CREATE EXTENSION hstore; CREATE SCHEMA ext; CREATE EXTENSION citext SCHEMA ext;
  CREATE DOMAIN public.short_code AS text CHECK (public.levenshtein(VALUE, '') <= 12);
  CREATE TABLE bookings (
    id uuid DEFAULT public.uuid_generate_v4() PRIMARY KEY, room int NOT NULL, during tstzrange NOT NULL,
    guest ext.citext NOT NULL, sound text GENERATED ALWAYS AS (public.soundex(guest::text)) STORED,
    code public.short_code, attrs public.hstore[], lat float8, lon float8,
    EXCLUDE USING gist (room WITH =, during WITH &&), CHECK (public.similarity(guest::text, 'x') >= 0));
  CREATE INDEX bookings_near ON bookings USING gist (public.ll_to_earth(lat, lon));
  CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
  CREATE INDEX notes_body_trgm ON notes USING gin (body gin_trgm_ops);
  INSERT INTO bookings (room, during, guest, code, attrs, lat, lon)
  SELECT g % 5, tstzrange('2025-01-01'::timestamptz + g * interval '1 day', '2025-01-02'::timestamptz + g * interval '1 day'),
         'Guest ' || g, 'c' || g, ARRAY[public.hstore('k', g::text)], g, -g FROM generate_series(1, 40) g;
  INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 25) g;`;

const extensionsOf = (db: TestDb) =>
  db.sql(`SELECT e.extname AS name, n.nspname AS schema FROM pg_extension e
            JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1`);

/** The catalog as a comparison sees it: every table's columns, constraints, indexes and sequences. */
async function schemaOf(db: TestDb): Promise<unknown> {
  return withClient(db.url, async (c) => {
    await c.query('SET search_path = pg_catalog');
    return (await c.query(SCHEMA_SQL)).rows[0].tables;
  });
}

// Columns in order, with where they come from (declared here, inherited); constraints by name, with
// the parent's they belong to; indexes by name and definition, whether valid, and the parent index
// each is attached to; inheritance parents in order.
const SCHEMA_SQL = `SELECT json_agg(json_build_object(
      'table', format('%I.%I', n.nspname, c.relname), 'kind', c.relkind, 'replident', c.relreplident,
      'replindex', (SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = c.oid AND indisreplident),
      'partkey', pg_get_partkeydef(c.oid), 'bound', pg_get_expr(c.relpartbound, c.oid),
      'comment', obj_description(c.oid, 'pg_class'),
      'inherits', (SELECT json_agg(inhparent::regclass::text ORDER BY inhseqno) FROM pg_inherits WHERE inhrelid = c.oid),
      'columns', (SELECT json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                    a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation::regcollation::text,
                    col_description(c.oid, a.attnum), a.attislocal, a.attinhcount) ORDER BY a.attnum)
                  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
      'constraints', (SELECT json_agg(json_build_array(k.conname, pg_get_constraintdef(k.oid), k.conislocal,
                        k.coninhcount, (SELECT format('%s.%s', pk.conrelid::regclass, pk.conname) FROM pg_constraint pk
                                         WHERE pk.oid = k.conparentid)) ORDER BY k.conname, k.confrelid::regclass::text)
                        FROM pg_constraint k WHERE k.conrelid = c.oid),
      'indexes', (SELECT json_agg(json_build_array(pg_get_indexdef(x.indexrelid), x.indisvalid,
                    (SELECT h.inhparent::regclass::text FROM pg_inherits h WHERE h.inhrelid = x.indexrelid))
                    ORDER BY x.indexrelid::regclass::text)
                    FROM pg_index x WHERE x.indrelid = c.oid),
      'sequences', (SELECT json_agg(json_build_array(s.schemaname, s.sequencename, s.data_type::text, s.start_value,
                      s.min_value, s.max_value, s.increment_by, s.cycle, s.cache_size) ORDER BY s.sequencename)
                      FROM pg_depend dp JOIN pg_class sc ON sc.oid = dp.objid AND sc.relkind = 'S'
                      JOIN pg_sequences s ON s.schemaname = sc.relnamespace::regnamespace::text
                                          AND s.sequencename = sc.relname
                     WHERE dp.refobjid = c.oid AND dp.deptype IN ('a', 'i'))
    ) ORDER BY n.nspname, c.relname) AS tables
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname IN ('public', 'ops')`;

/** The value every owned sequence hands out next (called on both sides: each advances by one). */
async function nextValues(db: TestDb): Promise<Record<string, string>> {
  const rows = await db.sql(`SELECT format('%I.%I', schemaname, sequencename) AS name FROM pg_sequences
                              WHERE schemaname IN ('public', 'ops') ORDER BY 1`);
  const out: Record<string, string> = {};
  for (const { name } of rows) out[name] = (await db.sql(`SELECT nextval($1)::text AS v`, [name]))[0].v;
  return out;
}

const TABLES = [
  'archon_code_examples',
  'archon_crawled_pages',
  'archon_projects',
  'archon_prompts',
  'archon_settings',
  'archon_sources',
  'archon_tasks',
  'jobs',
  'measurements',
];

async function knowledgeBase(server: Parameters<typeof TestDb.create>[0]): Promise<TestDb> {
  const src = await TestDb.create(server, 'src');
  await createKnowledgeBaseSchema(src.url, 'source');
  await fillKnowledgeBase(src.url, { pages: 120 });
  await src.sql(EXTRAS);
  return src;
}

const created = (r: Report) => r.tables.filter((t) => t.ddl?.length).map((t) => t.table);

for (const [from, to] of directions()) {
  describe(`create missing tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('creates every knowledge-base table on an empty target: same catalog and content; again: no-op', async () => {
      const src = await knowledgeBase(from);
      const tgt = await TestDb.create(to, 'tgt');
      const withoutOpt = await planMigration({ source: src.url, target: tgt.url });
      assert.ok(
        withoutOpt.plan.tables.every((t) => t.action === 'skip'),
        'nothing is created without the opt-in',
      );
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(report.tables.map((t) => t.table).sort(), TABLES);
      assert.deepEqual(created(report).sort(), TABLES);
      const jobs = report.tables.find((t) => t.table === 'jobs')!;
      assert.ok(jobs.notes.some((n) => /not created.*trigger jobs_touch on ops\.jobs.*view ops\.open_jobs/.test(n)));
      // The app's trigram indexes need pg_trgm, which the empty target offers but has not installed.
      const pages = report.tables.find((t) => t.table === 'archon_crawled_pages')!;
      assert.ok(
        pages.notes.some((n) =>
          /^extension pg_trgm is created on the target \(in schema public, as on the source\) before anything that needs it: index public\.idx_archon_crawled_pages_content_trgm uses operator class public\.gin_trgm_ops for access method gin$/.test(
            n,
          ),
        ),
        pages.notes.join('\n'),
      );
      assert.deepEqual(await schemaOf(tgt), await schemaOf(src));
      for (const t of ['archon_crawled_pages', 'archon_tasks', 'ops.jobs', 'ops.measurements', 'archon_settings'])
        assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      const again = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(again.outcome, 'verified');
      assert.deepEqual(created(again), [], 'the second run creates nothing');
      assert.deepEqual(await schemaOf(tgt), await schemaOf(src));
      assert.deepEqual(await nextValues(tgt), await nextValues(src), "sequences continue where the source's do");
    });

    it('creates the extensions anything created needs, once each, in the source schema, required ones first', async () => {
      const { src, tgt } = await pair(from, to, { source: EXTENDED });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(await extensionsOf(tgt), await extensionsOf(src));
      assert.deepEqual(await schemaOf(tgt), await schemaOf(src));
      for (const t of ['bookings', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      const ddl = report.tables.flatMap((t) => t.ddl ?? []);
      const creates = ddl.filter((d) => d.startsWith('CREATE EXTENSION') || d.startsWith('CREATE SCHEMA'));
      assert.deepEqual(creates, [
        'CREATE EXTENSION IF NOT EXISTS "cube" SCHEMA "public"',
        'CREATE EXTENSION IF NOT EXISTS "btree_gist" SCHEMA "public"',
        'CREATE SCHEMA IF NOT EXISTS "ext"',
        'CREATE EXTENSION IF NOT EXISTS "citext" SCHEMA "ext"',
        'CREATE EXTENSION IF NOT EXISTS "earthdistance" SCHEMA "public"',
        'CREATE EXTENSION IF NOT EXISTS "fuzzystrmatch" SCHEMA "public"',
        'CREATE EXTENSION IF NOT EXISTS "hstore" SCHEMA "public"',
        'CREATE EXTENSION IF NOT EXISTS "pg_trgm" SCHEMA "public"',
        'CREATE EXTENSION IF NOT EXISTS "uuid-ossp" SCHEMA "public"',
      ]);
      const notes = (table: string) => report.tables.find((t) => t.table === table)!.notes.join('\n');
      for (const why of [
        /extension btree_gist .*: index public\.bookings_room_during_excl uses operator class public\.gist_int4_ops for access method gist/,
        /extension citext is created on the target \(in schema ext, as on the source\).*: column guest of table public\.bookings uses type ext\.citext/,
        /extension cube .*extension earthdistance requires it/,
        /extension earthdistance .*: index public\.bookings_near uses function public\.ll_to_earth\(double precision,double precision\)/,
        /extension fuzzystrmatch .*constraint short_code_check on domain public\.short_code uses function public\.levenshtein\(text,text\)/,
        /extension fuzzystrmatch .*default value for column sound of table public\.bookings uses function public\.soundex\(text\)/,
        /extension hstore .*: column attrs of table public\.bookings uses type public\.hstore\[\]/,
        /extension pg_trgm .*: constraint bookings_guest_check on table public\.bookings uses function public\.similarity\(text,text\)/,
        /extension uuid-ossp .*: default value for column id of table public\.bookings uses function public\.uuid_generate_v4\(\)/,
      ])
        assert.match(notes('bookings'), why);
      assert.match(
        notes('notes'),
        /extension pg_trgm .*: index public\.notes_body_trgm uses operator class public\.gin_trgm_ops/,
      );
      const undone = await undo({ target: tgt.url });
      assert.equal(undone.undone, true);
      assert.deepEqual(await extensionsOf(tgt), [{ name: 'plpgsql', schema: 'pg_catalog' }], 'undo dropped them');
      assert.equal((await tgt.sql(`SELECT to_regnamespace('ext') AS s`))[0].s, null);
    });

    it('an extension the target has in another schema than the source: its objects are named there', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE EXTENSION pg_trgm; CREATE EXTENSION citext; CREATE DOMAIN email AS citext;
        CREATE TABLE docs (id int PRIMARY KEY, body text, who citext CHECK (who <> 'nobody'), mail email,
                           score real DEFAULT similarity('a', 'ab'), tags citext[]);
        CREATE INDEX docs_trgm ON docs USING gin (body gin_trgm_ops);
        CREATE INDEX docs_near ON docs USING gist (body gist_trgm_ops) WHERE id > 0;
        INSERT INTO docs (id, body, who, mail, tags) VALUES (1, 'hello', 'Ann', 'A@x', '{B}'), (2, 'world', NULL, NULL, NULL)`,
      });
      // Supabase's dashboard puts extensions in their own schema.
      await tgt.sql(`CREATE SCHEMA extensions; CREATE EXTENSION pg_trgm SCHEMA extensions;
        CREATE EXTENSION citext SCHEMA extensions`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      const docs = report.tables.find((t) => t.table === 'docs')!;
      assert.equal(docs.status, 'verified', JSON.stringify(report.tables, null, 1));
      assert.ok(
        docs.notes.some((n) =>
          /extension pg_trgm is in schema extensions on the target \(public on the source\)/.test(n),
        ),
      );
      assert.deepEqual(await tgt.fingerprint('docs'), await src.fingerprint('docs'));
      const [made] = await tgt.sql(`SELECT
          (SELECT string_agg(pg_get_indexdef(indexrelid), '; ' ORDER BY indexrelid::regclass::text) FROM pg_index
            WHERE indrelid = 'docs'::regclass AND NOT indisprimary) AS indexes,
          (SELECT string_agg(format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute
            WHERE attrelid = 'docs'::regclass AND attnum > 0) AS types,
          (SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'docs'::regclass) AS score_default,
          (SELECT format_type(typbasetype, NULL) FROM pg_type WHERE typname = 'email') AS email_base`);
      assert.match(made.indexes, /USING gin \(body extensions\.gin_trgm_ops\)/);
      assert.match(made.indexes, /USING gist \(body extensions\.gist_trgm_ops\) WHERE \(id > 0\)/);
      const [check] = await tgt.sql(
        `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'docs_who_check'`,
      );
      assert.match(check.def, /OPERATOR\(extensions\.<>\) 'nobody'::extensions\.citext/);
      assert.match(made.types, /, extensions\.citext, email, real, extensions\.citext\[\]$/);
      assert.match(made.score_default, /extensions\.similarity\('a'::text, 'ab'::text\)/);
      assert.equal(made.email_base, 'extensions.citext');
      // Nothing made in the source's schema for them.
      assert.deepEqual(
        await tgt.sql(`SELECT extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                                       WHERE n.nspname = 'public'`),
        [],
      );
    });

    it('a table referencing one that is not created names it and why; plan --ddl says what it left, and why', async () => {
      const { src, tgt } = await pair(from, to);
      // The target has no is_positive(): it refuses actor's CHECK and director's index.
      await src.sql(`CREATE FUNCTION is_positive(int) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 > 0';
        CREATE TABLE actor (id int PRIMARY KEY CHECK (public.is_positive(id)), name text);
        CREATE TABLE film_actor (actor_id int REFERENCES actor, film int);
        CREATE TABLE director (id int PRIMARY KEY); CREATE INDEX director_positive ON director (public.is_positive(id));
        CREATE TABLE film (id int PRIMARY KEY, director_id int REFERENCES director);
        CREATE TABLE category (id int PRIMARY KEY);
        CREATE TABLE film_category (film_id int REFERENCES film, category_id int REFERENCES category);
        CREATE TABLE plain (id int PRIMARY KEY); INSERT INTO plain VALUES (1);
        CREATE TABLE casting (id int PRIMARY KEY, actor_id int REFERENCES actor)`);
      await tgt.sql('CREATE TABLE casting (id int PRIMARY KEY)');
      const tables = ['actor', 'film_actor', 'director', 'film', 'film_category', 'plain', 'casting'];
      const { plan } = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        addColumns: true,
        selection: { tables },
      });
      const cannot = 'missing on the target, and Archon cannot create it there: ';
      const why = (name: string) => {
        const reason = plan.tables.find((t) => t.table === name)!.reason ?? '';
        assert.ok(reason.startsWith(cannot), reason);
        return reason.slice(cannot.length);
      };
      assert.match(
        why('actor'),
        /^the target refuses `CREATE TABLE "public"\."actor" \( [^`]*\)`: function public\.is_positive\(integer\) does not exist/,
      );
      assert.match(
        why('director'),
        /^the target refuses `CREATE INDEX director_positive ON public\.director USING btree \(public\.is_positive\(id\)\)`/,
      );
      const notCreated = (fk: string, table: string) =>
        `its foreign key ${fk} references public.${table}, and public.${table} is not being created: ${why(table)}`;
      assert.equal(why('film_actor'), notCreated('film_actor_actor_id_fkey', 'actor'));
      assert.equal(why('film'), notCreated('film_director_id_fkey', 'director'));
      assert.equal(
        why('film_category'),
        'its foreign key film_category_category_id_fkey references public.category, and public.category is not ' +
          'being created: it is not selected, and the target does not have it',
      );
      assert.equal(plan.tables.find((t) => t.table === 'plain')!.action, 'copy');
      // The added column's foreign key would be built with it: the columns are not added, saying why.
      assert.equal(
        plan.tables.find((t) => t.table === 'casting')!.reason,
        'source column actor_id does not exist on the target (copying would lose its data); Archon cannot add the ' +
          `columns: ${notCreated('casting_actor_id_fkey', 'actor')}`,
      );

      const dir = mkdtempSync(join(tmpdir(), 'archon-ddl-left-'));
      const refusedOnly = runCli([
        'plan',
        '--source',
        src.url,
        '--target',
        tgt.url,
        '--table',
        'actor',
        '--table',
        'film_actor',
        '--ddl',
        join(dir, 'none.sql'),
      ]);
      assert.equal(refusedOnly.code, 1, `a table is skipped: ${refusedOnly.stderr}`);
      const none = readFileSync(join(dir, 'none.sql'), 'utf8');
      assert.doesNotMatch(none, /the target has every selected table/);
      assert.match(
        none,
        /^-- Nothing to create: no selected table the target lacks \(or lacks columns of\) can be created or changed\.$/m,
      );
      assert.match(
        none,
        /^-- {3}public\.film_actor: missing on the target, and Archon cannot create it there: its foreign key film_actor_actor_id_fkey references public\.actor, and public\.actor is not being created: the target refuses `CREATE TABLE "public"\."actor" \( .*\[42883\]$/m,
      );
      assert.deepEqual(
        none.split('\n').filter((l) => l !== '' && !l.startsWith('--')),
        [],
        'every line of a refused statement is a comment: nothing in the script runs',
      );
      const some = runCli([
        'plan',
        '--source',
        src.url,
        '--target',
        tgt.url,
        '--table',
        'category',
        '--table',
        'film_category',
        '--table',
        'actor',
        '--ddl',
        join(dir, 'some.sql'),
      ]);
      assert.equal(some.code, 1, some.stderr);
      const script = readFileSync(join(dir, 'some.sql'), 'utf8');
      assert.match(script, /^CREATE TABLE "public"\."category" \($/m);
      assert.match(
        script,
        /\nCOMMIT;\n[\s\S]*\n-- Left as they are on the target, and why:\n-- {3}public\.actor: missing on the target, and Archon cannot create it there: the target refuses `CREATE TABLE/,
      );
      assert.match(
        script,
        /^-- {3}public\.film_category: .*its foreign key film_category_film_id_fkey references public\.film, and public\.film is not being created: it is not selected, and the target does not have it$/m,
      );
    });

    it('a type shared by two created tables comes first, whatever order the foreign keys load them in', async () => {
      const { src, tgt } = await pair(from, to);
      // a_child sorts first, so it writes CREATE TYPE; b_parent loads first, as a_child references it.
      await src.sql(`CREATE TYPE mood AS ENUM ('ok', 'sad');
        CREATE TABLE b_parent (id int PRIMARY KEY, m mood); INSERT INTO b_parent VALUES (1, 'ok');
        CREATE TABLE a_child (id int PRIMARY KEY, parent int REFERENCES b_parent, m mood);
        INSERT INTO a_child VALUES (1, 1, 'sad')`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(
        report.tables.map((t) => t.table),
        ['b_parent', 'a_child'],
      );
      assert.deepEqual(await tgt.fingerprint('a_child'), await src.fingerprint('a_child'));
    });

    it("a domain's own collation is created with it", async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE DOMAIN dc AS text COLLATE "C"; CREATE TABLE tc (id int PRIMARY KEY, t dc);
        INSERT INTO tc VALUES (1, 'b'), (2, 'B');`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      const collation = `SELECT c.collname FROM pg_type t JOIN pg_collation c ON c.oid = t.typcollation WHERE t.typname = 'dc'`;
      assert.deepEqual(await tgt.sql(collation), [{ collname: 'C' }]);
    });

    it('a failure after the DDL ran leaves no created object behind', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TYPE mood AS ENUM ('ok', 'sad');
        CREATE TABLE a (id int PRIMARY KEY, m mood); INSERT INTO a VALUES (1, 'ok');
        CREATE TABLE z (id int PRIMARY KEY, status text); INSERT INTO z VALUES (1, 'done')`,
      });
      // z exists on the target and refuses the source's rows: the run fails after a was created.
      await tgt.sql(`CREATE TABLE z (id int PRIMARY KEY, status text CHECK (status <> 'done'))`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'failed');
      assert.equal(report.tables.find((t) => t.table === 'z')!.status, 'failed');
      const left = await tgt.sql(`SELECT (SELECT count(*)::int FROM pg_class WHERE relname IN ('a', 'a_pkey')) AS rels,
        (SELECT count(*)::int FROM pg_type WHERE typname IN ('mood', '_mood')) AS types`);
      assert.deepEqual(left, [{ rels: 0, types: 0 }]);
    });

    it('a foreign key the loaded rows break after the load fails that table and leaves it uncreated', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1), (2);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
        INSERT INTO child VALUES (1, 2)`,
      });
      // The target's parent lacks row 2, and only child is selected: its foreign key fails after its rows arrived.
      await tgt.sql(`CREATE TABLE parent (id int PRIMARY KEY); INSERT INTO parent VALUES (1)`);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        selection: { tables: ['child'] },
      });
      const child = report.tables.find((t) => t.table === 'child')!;
      assert.equal(child.status, 'failed');
      assert.match(child.reason ?? '', /violates foreign key constraint "child_parent_id_fkey".*rolled back/);
      assert.equal(report.cause?.table, 'child');
      assert.equal((await tgt.sql(`SELECT to_regclass('child') AS r`))[0].r, null);
    });

    it("the report page folds each created table's DDL under its reason", async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a')`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      const file = join(mkdtempSync(join(tmpdir(), 'archon-ddl-page-')), 'report.html');
      writeFileSync(file, standaloneReportHtml(report));
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`file://${file}`);
        const ddl = page.locator('vscode-data-grid-row[data-table="public.notes"] details.ddl');
        await ddl.waitFor({ state: 'attached', timeout: 15_000 });
        assert.equal(await ddl.locator('summary').innerText(), 'DDL run on the target (1 statement)');
        await ddl.locator('summary').click();
        assert.match(await ddl.locator('pre').innerText(), /^CREATE TABLE "public"\."notes" \(/);
      } finally {
        await browser.close();
      }
    });

    it('plan --ddl writes the DDL; migrate --create-missing reports each created table with its DDL', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE docs (id bigserial PRIMARY KEY, body text NOT NULL);
        CREATE INDEX docs_body ON docs (body); INSERT INTO docs (body) VALUES ('a'), ('b')`,
      });
      const dir = mkdtempSync(join(tmpdir(), 'archon-ddl-'));
      const plan = runCli(['plan', '--source', src.url, '--target', tgt.url, '--ddl', join(dir, 'create.sql')]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /CREATE\+COPY\s+public\.docs/);
      const sql = readFileSync(join(dir, 'create.sql'), 'utf8');
      assert.match(sql, /CREATE SEQUENCE "public"\."docs_id_seq" AS bigint/);
      assert.match(
        sql,
        /CREATE TABLE "public"\."docs" \(\n {2}"id" bigint DEFAULT nextval\('public\.docs_id_seq'::regclass\) NOT NULL/,
      );
      assert.match(sql, /CREATE INDEX docs_body ON public\.docs USING btree \(body\);/);
      assert.equal((await tgt.sql(`SELECT to_regclass('docs') AS r`))[0].r, null, 'plan wrote nothing');
      const json = join(dir, 'report.json');
      const run = runCli([
        'migrate',
        '--source',
        src.url,
        '--target',
        tgt.url,
        '--create-missing',
        '--yes',
        '--report',
        json,
      ]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const docs = JSON.parse(readFileSync(json, 'utf8')).tables[0];
      assert.equal(docs.status, 'verified');
      assert.ok(docs.ddl.some((s: string) => s.startsWith('CREATE TABLE "public"."docs"')));
      assert.equal(await tgt.count('docs'), 2);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`add missing columns, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('adds the source columns a target table lacks (NOT NULL where a default fills it), then copies', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TYPE lvl AS ENUM ('low', 'high');
        CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL, level lvl NOT NULL DEFAULT 'low',
          note text NOT NULL, code bigserial);
        INSERT INTO t (name, level, note) SELECT 'n' || g, 'high', 'note ' || g FROM generate_series(1, 25) g;
        CREATE TABLE u (id int PRIMARY KEY, extra text); INSERT INTO u VALUES (1, 'x')`,
      });
      // u's target requires a column the source does not have: still skipped, saying so.
      await tgt.sql(`CREATE TABLE t (id serial PRIMARY KEY, name text NOT NULL);
        CREATE TABLE u (id int PRIMARY KEY, required text NOT NULL)`);
      const without = await planMigration({ source: src.url, target: tgt.url });
      assert.match(without.plan.tables.find((x) => x.table === 't')!.reason ?? '', /level, note, code do not exist/);
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true });
      const t = report.tables.find((x) => x.table === 't')!;
      assert.equal(t.status, 'verified', JSON.stringify(report.tables, null, 1));
      assert.ok(t.notes.some((n) => /column\(s\) level, note, code added on the target/.test(n)));
      assert.deepEqual(await tgt.fingerprint('t'), await src.fingerprint('t'));
      const cols = await tgt.sql(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS nn
                                    FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 2 ORDER BY attnum`);
      assert.deepEqual(cols, [
        { name: 'level', type: 'lvl', nn: true },
        { name: 'note', type: 'text', nn: false },
        { name: 'code', type: 'bigint', nn: true },
      ]);
      const u = report.tables.find((x) => x.table === 'u')!;
      assert.equal(u.status, 'skipped');
      assert.match(u.reason ?? '', /target column required is NOT NULL without a default and missing on the source/);
      const [next] = await tgt.sql(`INSERT INTO t (name, note) VALUES ('new', 'n') RETURNING id, code`);
      assert.deepEqual(next, { id: 26, code: '26' }, 'the added serial continues after the copied values');
    });

    it('creates the extensions the added columns need (default, index), and only those', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE EXTENSION "uuid-ossp"; CREATE EXTENSION pg_trgm; CREATE EXTENSION btree_gist;
        CREATE TABLE t (id int PRIMARY KEY, body text, token uuid NOT NULL DEFAULT public.uuid_generate_v4(), rank int);
        CREATE INDEX t_body_trgm ON t USING gin (body gin_trgm_ops); CREATE INDEX t_rank_gist ON t USING gist (rank);
        INSERT INTO t (id, body, rank) SELECT g, 'b' || g, g FROM generate_series(1, 5) g`,
      });
      // The trigram index reads a column the target has: it is not built, and pg_trgm is not needed.
      await tgt.sql('CREATE TABLE t (id int PRIMARY KEY, body text)');
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true });
      const t = report.tables[0];
      assert.equal(t.status, 'verified', JSON.stringify(report.tables, null, 1));
      assert.ok(
        t.notes.some((n) =>
          /^extension uuid-ossp is created on the target \(in schema public, as on the source\) before anything that needs it: default value for column token of table public\.t uses function public\.uuid_generate_v4\(\)$/.test(
            n,
          ),
        ),
        t.notes.join('\n'),
      );
      assert.ok(
        t.notes.some((n) =>
          /^extension btree_gist .*: index public\.t_rank_gist uses operator class public\.gist_int4_ops for access method gist$/.test(
            n,
          ),
        ),
        t.notes.join('\n'),
      );
      assert.deepEqual(await extensionsOf(tgt), [
        { name: 'btree_gist', schema: 'public' },
        { name: 'plpgsql', schema: 'pg_catalog' },
        { name: 'uuid-ossp', schema: 'public' },
      ]);
      assert.deepEqual(await tgt.fingerprint('t'), await src.fingerprint('t'));
    });
  });
}

for (const [from, to] of directions()) {
  describe(`added columns get their indexes and constraints, PostgreSQL ${from.major} → ${to.major}`, () => {
    const source = `CREATE TABLE projects (id int PRIMARY KEY);
      CREATE TABLE pages (id int PRIMARY KEY, url text NOT NULL);
      INSERT INTO projects VALUES (1), (2);`;
    const added = `ALTER TABLE pages ADD COLUMN project_id int REFERENCES projects, ADD COLUMN title text,
        ADD COLUMN tags jsonb, ADD CONSTRAINT pages_title_check CHECK (length(title) < 100),
        ADD CONSTRAINT pages_url_title_key UNIQUE (url, title);
      CREATE INDEX pages_project ON pages (project_id);
      CREATE INDEX pages_lower_title ON pages (lower(title)) WHERE tags IS NOT NULL;
      CREATE INDEX pages_tags ON pages USING gin (tags);
      CREATE INDEX pages_taken ON pages (id) WHERE title IS NULL;
      CREATE INDEX pages_url ON pages (url);
      INSERT INTO pages SELECT g, 'u' || g, 1 + g % 2, 't' || g, jsonb_build_object('g', g) FROM generate_series(1, 20) g;`;

    it('builds the source indexes and constraints that read an added column, and says exactly what it built', async () => {
      const { src, tgt } = await pair(from, to, { source: source + added });
      // The target's older schema: no added columns, and a relation already named like one of the indexes.
      await tgt.sql(`${source} CREATE TABLE pages_taken (x int)`);
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true, existing: 'replace' });
      const pages = report.tables.find((t) => t.table === 'pages')!;
      assert.equal(pages.status, 'verified', JSON.stringify(report.tables, null, 1));
      const indexes = await tgt.sql(`SELECT indexrelid::regclass::text AS name FROM pg_index
                                       WHERE indrelid = 'pages'::regclass ORDER BY 1`);
      assert.deepEqual(
        indexes.map((r) => r.name),
        ['pages_lower_title', 'pages_pkey', 'pages_project', 'pages_tags', 'pages_url_title_key'],
        'every index that reads an added column, none other (pages_url reads none; pages_taken is a name in use)',
      );
      const constraints = await tgt.sql(
        `SELECT conname FROM pg_constraint WHERE conrelid = 'pages'::regclass ORDER BY 1`,
      );
      assert.deepEqual(
        constraints.map((r) => r.conname),
        ['pages_pkey', 'pages_project_id_fkey', 'pages_title_check', 'pages_url_title_key'],
      );
      const notes = pages.notes.join('\n');
      assert.match(
        notes,
        /after the load, in [\d.]+ s: 3 indexes \(pages_lower_title, pages_project, pages_tags\) and 3 constraints \(pages_url_title_key, pages_title_check, pages_project_id_fkey\) built \(found in the target's catalog\)/,
      );
      assert.match(
        notes,
        /not built: index pages_taken on public\.pages \(the target has a relation of that name in public already\)/,
      );
      assert.doesNotMatch(notes, /pages_url\b/);
    });

    it('a note never says built about an index the target does not have', async () => {
      const { src, tgt } = await pair(from, to, { source: source + added });
      // The statement succeeds, and something on the target takes its index away again.
      await tgt.sql(`${source}
        CREATE FUNCTION drop_new_index() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE o record; BEGIN
          FOR o IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'public.pages_tags' LOOP
            EXECUTE 'DROP INDEX ' || o.object_identity; END LOOP; END $$;
        CREATE EVENT TRIGGER takes_indexes ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION drop_new_index();
        ALTER EVENT TRIGGER takes_indexes ENABLE ALWAYS`);
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true, existing: 'replace' });
      const pages = report.tables.find((t) => t.table === 'pages')!;
      assert.equal(report.committed, false);
      assert.equal(pages.status, 'failed');
      assert.match(
        pages.reason!,
        /the target's catalog lacks index pages_tags on public\.pages; nothing is claimed built/,
      );
      assert.ok(!pages.notes.some((n) => / built \(found/.test(n)), pages.notes.join('\n'));
      const [cols] = await tgt.sql(
        `SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'pages'::regclass AND attname = 'title'`,
      );
      assert.equal(cols.n, 0, 'rolled back: the columns were not added');
    });
  });
}

// What a schema made over time holds, found on Pagila and in PostgreSQL's regression tests: NOT NULL
// and defaults declared on a partition only, a partition made on its own in another column order and
// attached, a sub-partitioned default partition, a partitioned index created ON ONLY and attached
// under other names (one partition left without it, so it stays invalid), a partition's own index
// equal to the parent's, a foreign key declared on the partitioned table that one partition had under
// a name of its own, a foreign key into the partitioned table; two UNIQUE constraints alike but for
// their names; inheritance with a merged column, a child's own default and NOT NULL on an inherited
// column, a grandchild of two parents.
const FIDELITY = `
  CREATE TABLE readings (id bigserial, at date NOT NULL, sensor text, value real, note text DEFAULT 'none',
    doubled real GENERATED ALWAYS AS (value * 2) STORED,
    CONSTRAINT readings_pkey PRIMARY KEY (id, at), CONSTRAINT readings_value_check CHECK (value > -100))
    PARTITION BY RANGE (at);
  CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
  ALTER TABLE readings_2024 ALTER COLUMN sensor SET NOT NULL;
  ALTER TABLE readings_2024 ALTER COLUMN note SET DEFAULT 'from 2024';
  CREATE TABLE readings_2025 (note text, value real, sensor text NOT NULL, at date NOT NULL,
    id bigint NOT NULL DEFAULT nextval('readings_id_seq'), doubled real GENERATED ALWAYS AS (value * 2) STORED,
    CONSTRAINT readings_value_check CHECK (value > -100), CONSTRAINT r2025_key PRIMARY KEY (id, at),
    CONSTRAINT r2025_note_check CHECK (note <> ''));
  ALTER TABLE readings ATTACH PARTITION readings_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE readings_rest PARTITION OF readings DEFAULT PARTITION BY RANGE (at);
  CREATE TABLE readings_rest_old PARTITION OF readings_rest FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
  CREATE TABLE readings_rest_other PARTITION OF readings_rest DEFAULT;
  CREATE INDEX readings_sensor ON readings (sensor);
  CREATE INDEX readings_value ON ONLY readings (value);
  CREATE INDEX r2024_value ON readings_2024 (value);
  ALTER INDEX readings_value ATTACH PARTITION r2024_value;
  CREATE INDEX readings_2025_value_idx ON readings_2025 (value);
  ALTER INDEX readings_value ATTACH PARTITION readings_2025_value_idx;
  CREATE INDEX r2024_sensor_own ON readings_2024 (sensor);
  CREATE INDEX r2025_note ON readings_2025 (note);
  CREATE TABLE sensors (code text PRIMARY KEY); INSERT INTO sensors VALUES ('a'), ('b'), ('c');
  ALTER TABLE readings_2025 ADD CONSTRAINT r2025_sensor_fk FOREIGN KEY (sensor) REFERENCES sensors;
  ALTER TABLE readings ADD CONSTRAINT readings_sensor_fkey FOREIGN KEY (sensor) REFERENCES sensors;
  CREATE TABLE reading_notes (id bigint, at date, body text, FOREIGN KEY (id, at) REFERENCES readings);
  INSERT INTO readings (at, sensor, value, note)
    SELECT '2023-12-01'::date + g * 7, (ARRAY['a', 'b', 'c'])[1 + g % 3], g / 4.0, 'n' || g FROM generate_series(1, 100) g;
  INSERT INTO reading_notes SELECT id, at, 'seen' FROM readings WHERE id % 10 = 0;
  CREATE TABLE dup (a int NOT NULL, b int, CONSTRAINT dup_pkey PRIMARY KEY (a));
  ALTER TABLE dup ADD CONSTRAINT dup_a_key UNIQUE (a);
  ALTER TABLE dup ADD CONSTRAINT dup_b_one UNIQUE (b);
  ALTER TABLE dup ADD CONSTRAINT dup_b_two UNIQUE (b);
  INSERT INTO dup SELECT g, g * 10 FROM generate_series(1, 5) g;
  CREATE TABLE animal (id int PRIMARY KEY, name text NOT NULL, legs int DEFAULT 4 CONSTRAINT animal_legs_check CHECK (legs >= 0));
  CREATE TABLE bird (wingspan real, name text) INHERITS (animal);
  ALTER TABLE bird ALTER COLUMN legs SET DEFAULT 2;
  ALTER TABLE bird ALTER COLUMN legs SET NOT NULL;
  CREATE TABLE pet (owner text);
  CREATE TABLE parrot (words int CHECK (words >= 0)) INHERITS (bird, pet);
  INSERT INTO animal VALUES (1, 'cat', 4), (2, 'snake', 0);
  INSERT INTO bird (id, name, wingspan) VALUES (3, 'crow', 1.0);
  INSERT INTO parrot (id, name, wingspan, owner, words) VALUES (4, 'polly', 0.5, 'ann', 12);
  INSERT INTO pet VALUES ('bob');`;

for (const [from, to] of directions()) {
  describe(`partitions and inheritance created as the source has them, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("the created catalog is the source's: column order, NOT NULL, constraints and indexes by name, parents", async () => {
      const { src, tgt } = await pair(from, to, { source: FIDELITY });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(created(report).sort(), [
        'animal',
        'bird',
        'dup',
        'parrot',
        'pet',
        'reading_notes',
        'readings',
        'sensors',
      ]);
      assert.deepEqual(await schemaOf(tgt), await schemaOf(src));
      // A query on a parent reads its children too: it returns what the source's does.
      for (const t of ['readings', 'readings_2025', 'dup', 'animal', 'bird', 'pet'])
        assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      const note = (name: string) => report.tables.find((t) => t.table === name)!.notes.join('\n');
      assert.match(note('parrot'), /created as an inheritance child of public\.bird, public\.pet \(INHERITS\)/);
    });

    it("a child whose column order INHERITS cannot give is created in the source's order, then attached", async () => {
      const { src, tgt } = await pair(from, to);
      // born was added to the parent after the child existed: the child has it last, INHERITS would put it before extra.
      await src.sql(`CREATE TABLE base (id int PRIMARY KEY, name text CHECK (name <> ''));
        CREATE TABLE derived (extra text NOT NULL) INHERITS (base);
        ALTER TABLE base ADD COLUMN born date;
        INSERT INTO base VALUES (1, 'a', '2020-01-01'); INSERT INTO derived VALUES (2, 'b', 'x', '2021-01-01')`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      const shape = `SELECT attname, attnotnull FROM pg_attribute WHERE attrelid = 'derived'::regclass AND attnum > 0 ORDER BY attnum`;
      assert.deepEqual(await tgt.sql(shape), await src.sql(shape));
      const parents = `SELECT inhparent::regclass::text AS p FROM pg_inherits WHERE inhrelid = 'derived'::regclass`;
      assert.deepEqual(await tgt.sql(parents), [{ p: 'base' }]);
      const checks = `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'derived'::regclass`;
      assert.deepEqual(await tgt.sql(checks), await src.sql(checks));
      assert.deepEqual(await tgt.fingerprint('base'), await src.fingerprint('base'));
      const derived = report.tables.find((t) => t.table === 'derived')!;
      assert.match(
        derived.notes.join('\n'),
        /declared on public\.derived too, in the source's column order, then attached to public\.base \(ALTER TABLE … INHERIT\)/,
      );
    });

    it('a child whose parent is neither on the target nor created is skipped, naming the parent', async () => {
      const { src, tgt } = await pair(from, to, { source: FIDELITY });
      const only = await planMigration({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        selection: { tables: ['bird'] },
      });
      const bird = only.plan.tables.find((t) => t.table === 'bird')!;
      assert.equal(bird.action, 'skip');
      assert.match(
        bird.reason ?? '',
        /it inherits from public\.animal, which is neither on the target nor created by this run/,
      );
      // With the parent on the target, the child is created under it.
      await tgt.sql(
        `CREATE TABLE animal (id int PRIMARY KEY, name text NOT NULL, legs int DEFAULT 4 CONSTRAINT animal_legs_check CHECK (legs >= 0))`,
      );
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        createMissing: true,
        selection: { tables: ['bird'] },
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(await tgt.sql(`SELECT inhparent::regclass::text AS p FROM pg_inherits`), [{ p: 'animal' }]);
      assert.equal(await tgt.count('ONLY bird'), 1);
    });
  });
}

for (const [from, to] of directions()) {
  describe(`creating beside existing tables, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a created table that references an existing one does not keep it from being replaced', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE customer (id int PRIMARY KEY, name text);
        CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL REFERENCES customer);
        INSERT INTO customer VALUES (1, 'a'), (2, 'b'); INSERT INTO orders VALUES (1, 1), (2, 2), (3, 1);`,
        target: `CREATE TABLE customer (id int PRIMARY KEY, name text); INSERT INTO customer VALUES (9, 'old')`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, existing: 'replace' });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      for (const t of ['customer', 'orders']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t));
    });

    it('the note after the load says what its statements did, and only that', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE rinone (id int); ALTER TABLE rinone REPLICA IDENTITY NOTHING;
        CREATE TABLE commented (id int PRIMARY KEY, v text); COMMENT ON TABLE commented IS 'c';
        COMMENT ON COLUMN commented.v IS 'v'; CREATE MATERIALIZED VIEW mv AS SELECT * FROM commented;
        INSERT INTO rinone VALUES (1); INSERT INTO commented VALUES (1, 'a')`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      const notes = (table: string) => report.tables.find((t) => t.table === table)!.notes.join('\n');
      assert.match(notes('rinone'), /after the load, in [\d.]+ s: replica identity set$/m);
      assert.doesNotMatch(notes('rinone'), /comment/);
      assert.match(notes('commented'), /after the load, in [\d.]+ s: 2 comments written$/m);
      assert.match(
        notes('commented'),
        /not created \(Archon creates tables, not these\): materialized view public\.mv/,
      );
    });

    it('a refused table gives up the extension it claimed; another table that needs it is still created', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE EXTENSION citext; CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' $$;
        CREATE TABLE a_orders (id int PRIMARY KEY, email citext, code text DEFAULT next_code());
        CREATE TABLE tags (id int PRIMARY KEY, label citext); INSERT INTO tags VALUES (1, 'A'), (2, 'b');`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      const byTable = Object.fromEntries(report.tables.map((t) => [t.table, t]));
      assert.equal(byTable.a_orders.status, 'skipped');
      assert.match(byTable.a_orders.reason!, /function public\.next_code\(\) does not exist/);
      assert.equal(byTable.tags.status, 'verified', byTable.tags.reason ?? '');
      assert.deepEqual(await tgt.fingerprint('tags'), await src.fingerprint('tags'));
    });
  });
}

describe('create missing tables on an older target', () => {
  const [from, to] = directions()[0];
  it('says in the plan what PostgreSQL 15 cannot express, and creates the rest', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `
      CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE events_all PARTITION OF events DEFAULT;
      CREATE TABLE payloads (id int PRIMARY KEY, doc text CHECK (doc IS JSON OBJECT));
      CREATE TABLE plain (id int PRIMARY KEY); INSERT INTO plain VALUES (1), (2)`,
    });
    const { plan } = await planMigration({ source: src.url, target: tgt.url, createMissing: true });
    const reason = (name: string) => plan.tables.find((t) => t.table === name)!.reason ?? '';
    // Identity columns on partitioned tables arrived in 17; IS JSON in 16.
    assert.match(reason('events'), /identity column id on partitioned table public\.events needs PostgreSQL 17/);
    assert.match(
      reason('payloads'),
      /the target refuses `CREATE TABLE "public"\."payloads" \( "id" integer NOT NULL, [^`\n]*CHECK \(\(doc IS JSON OBJECT\)\) \)`: syntax error at or near "JSON"/,
    );
    assert.equal(plan.tables.find((t) => t.table === 'plain')!.action, 'copy');
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
    assert.equal(report.tables.find((t) => t.table === 'plain')!.status, 'verified');
    assert.equal(report.tables.find((t) => t.table === 'events')!.status, 'skipped');
    assert.equal(await tgt.count('plain'), 2);
    assert.equal((await tgt.sql(`SELECT to_regclass('events') AS r`))[0].r, null);
  });
});

describe('an extension the target does not offer', () => {
  // adminpack is the one contrib extension PostgreSQL 15 ships and 17 no longer does.
  const [from, to] = directions()[1];
  it(`skips the table that needs it, naming the extension and what needs it (${from.major} → ${to.major})`, async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE EXTENSION adminpack;
      CREATE TABLE audit (id int PRIMARY KEY, wrote bigint DEFAULT pg_catalog.pg_file_write('archon.log', 'x', true));
      CREATE TABLE plain (id int PRIMARY KEY); INSERT INTO plain VALUES (1)`,
    });
    const { plan } = await planMigration({ source: src.url, target: tgt.url, createMissing: true });
    assert.equal(
      plan.tables.find((t) => t.table === 'audit')!.reason,
      'missing on the target, and Archon cannot create it there: it needs extension adminpack (default value for ' +
        'column wrote of table public.audit uses function pg_file_write(text,text,boolean)), which the target does ' +
        'not offer (not in pg_available_extensions there): install it on the target server first',
    );
    assert.equal(plan.tables.find((t) => t.table === 'plain')!.action, 'copy');
  });
});

describe("the review's creation choice (VS Code)", () => {
  it('offers "Create N tables on the target", off until chosen; on, it creates them, with Show SQL', async () => {
    const [from, to] = directions()[0];
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE kept (id int PRIMARY KEY); CREATE TABLE fresh (id int PRIMARY KEY)`,
      target: `CREATE TABLE kept (id int PRIMARY KEY)`,
    });
    const planned = await planMigration({ source: src.url, target: tgt.url, createMissing: true });
    const off = reviewItems(planned, { createMissing: false, addColumns: false }, 'cloud-db', 'local-db');
    assert.equal(off[0].label, '$(warning) Start migration: copy 1 of 2 selected tables (1 skipped)');
    assert.equal(off[1].label, '$(circle-large-outline) Create 1 table on the target');
    assert.ok(!off.some((i) => i.value === 'show-sql'));
    assert.ok(off.some((i) => i.label === '$(warning) Skipped: public.fresh' && /Create 1 table/.test(i.detail ?? '')));
    const on = reviewItems(planned, { createMissing: true, addColumns: false }, 'cloud-db', 'local-db');
    assert.equal(on[0].label, '$(play) Start migration: copy 2 tables');
    assert.equal(on[1].label, '$(pass-filled) Create 1 table on the target');
    assert.equal(on[2].value, 'show-sql');
    assert.ok(!on.some((i) => i.value === 'skip'));
    assert.equal(await tgt.sql(`SELECT to_regclass('fresh') AS r`).then((r) => r[0].r), null, 'planning wrote nothing');
    const one = await planMigration({
      source: src.url,
      target: tgt.url,
      createMissing: true,
      selection: { only: [['public', 'fresh']] },
    });
    const copy = copyCreateItems(one, 'cloud-db', 'local-db');
    assert.match(copy[0].label, /^public\.fresh is missing on local-db: create it there and copy it FROM cloud-db/);
    assert.deepEqual(
      copy.slice(1).map((i) => [i.label, i.value]),
      [['$(add) Create public.fresh on the target and copy it', 'replace']],
    );
    const kept = await planMigration({
      source: src.url,
      target: tgt.url,
      createMissing: true,
      selection: { only: [['public', 'kept']] },
    });
    assert.deepEqual(copyCreateItems(kept, 'cloud-db', 'local-db'), [], 'an existing table: the usual choices');
  });
});

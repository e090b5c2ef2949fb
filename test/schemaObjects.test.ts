import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compare, migrate, planMigration } from '../src/engine/index.js';
import { standaloneReportHtml } from '../src/reportPage.js';
import type { SchemaObject } from '../src/shared/report.js';
import { reviewLines } from '../src/vscode/review.js';
import { launchChromium } from './support/browser.js';
import { TestDb, type TestServer, directions, runCli, pair } from './support/pg.js';
import { makeLocalPostgres, makeSupabaseLike } from './support/supabase.js';

// A table with everything around it that Archon does not create: overloaded functions, a procedure,
// an aggregate, a trigger, a view, a sequence no column owns, a policy with row-level security, a type
// no table uses; an extension whose functions (digest, crypt, …) are its own; a schema no table lives
// in (listed when the selection names nothing, the whole database; not when it names schemas).
const SOURCE = `
  CREATE EXTENSION pgcrypto;
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric);
  INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 40) g;
  CREATE FUNCTION price_of(p_id int) RETURNS numeric LANGUAGE sql AS 'SELECT price FROM items WHERE id = p_id';
  CREATE FUNCTION price_of(p_name text) RETURNS numeric LANGUAGE sql AS 'SELECT price FROM items WHERE name = p_name';
  CREATE FUNCTION price_of(p_id int, p_tax numeric) RETURNS numeric LANGUAGE sql
    AS 'SELECT price * (1 + p_tax) FROM items WHERE id = p_id';
  CREATE PROCEDURE reprice(factor numeric) LANGUAGE sql AS 'UPDATE items SET price = price * factor';
  CREATE AGGREGATE total(numeric) (SFUNC = numeric_add, STYPE = numeric);
  CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
  CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch();
  CREATE VIEW cheap_items AS SELECT * FROM items WHERE price < 10;
  CREATE SEQUENCE ticket_numbers;
  ALTER TABLE items ENABLE ROW LEVEL SECURITY;
  CREATE POLICY items_visible ON items USING (price IS NOT NULL);
  CREATE TYPE mood AS ENUM ('ok', 'sad');
  CREATE SCHEMA elsewhere;
  CREATE FUNCTION elsewhere.unrelated() RETURNS int LANGUAGE sql AS 'SELECT 1';`;

// The target has the table, and one of the overloads (under other argument names and another body).
const TARGET = `
  CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric);
  CREATE FUNCTION price_of(id int, tax numeric) RETURNS numeric LANGUAGE sql AS 'SELECT 0::numeric';`;

const EXPECTED = [
  'function elsewhere.unrelated()',
  'function public.price_of(integer)',
  'function public.price_of(text)',
  'function public.touch()',
  'procedure public.reprice(numeric)',
  'aggregate public.total(numeric)',
  'view public.cheap_items',
  'sequence public.ticket_numbers',
  'type public.mood',
  'trigger items_touch on public.items',
  'policy items_visible on public.items',
  'row-level security public.items',
  'extension pgcrypto',
];

const named = (objects: SchemaObject[] | undefined) => (objects ?? []).map((o) => `${o.kind} ${o.name}`);

/** How the reasons tell that --create-objects would create the object. */
const FUNCTIONS_WHEN_ASKED = 'created only with --create-objects';
const TRIGGER_WHEN_ASKED = 'its table is created without it (created only with --create-objects)';

async function fixture(from: TestServer, to: TestServer): Promise<{ src: TestDb; tgt: TestDb }> {
  const { src, tgt } = await pair(from, to, { source: SOURCE, target: TARGET });
  return { src, tgt };
}

for (const [from, to] of directions()) {
  describe(`objects Archon does not create, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("the plan and the report name every one the target lacks; never an extension's own, nor one the target has", async () => {
      const { src, tgt } = await fixture(from, to);
      const { plan } = await planMigration({ source: src.url, target: tgt.url });
      assert.deepEqual(named(plan.objects), EXPECTED);
      const inPublic = await planMigration({ source: src.url, target: tgt.url, selection: { schemas: ['public'] } });
      assert.deepEqual(named(inPublic.plan.objects), EXPECTED.slice(1));
      const reason = (name: string) => plan.objects.find((o) => `${o.kind} ${o.name}` === name)!.reason;
      assert.equal(reason('function public.touch()'), FUNCTIONS_WHEN_ASKED);
      assert.equal(
        reason('view public.cheap_items'),
        'only tables are copied; views are created only with --create-objects',
      );
      assert.equal(
        reason('sequence public.ticket_numbers'),
        'no column owns it, and no table the run creates calls it',
      );
      assert.equal(reason('type public.mood'), 'no selected table uses it');
      assert.equal(
        reason('trigger items_touch on public.items'),
        "the target's table lacks it; Archon copies rows, not triggers",
      );
      assert.equal(reason('extension pgcrypto'), 'not installed on the target; no selected table uses it');
      assert.ok(plan.objects.every((o) => o.status === 'not created'));
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(report.objects, plan.objects);
      assert.deepEqual(await tgt.fingerprint('items'), await src.fingerprint('items'));
      // Nothing of them was created on the way.
      const [left] =
        await tgt.sql(`SELECT (SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace) AS f,
        (SELECT count(*)::int FROM pg_trigger WHERE tgrelid = 'items'::regclass) AS tg`);
      assert.deepEqual(left, { f: 1, tg: 0 });
    });

    it('what a selected table uses is named with it: an extension it needs, a sequence its default calls', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE EXTENSION citext; CREATE SEQUENCE order_numbers; CREATE SEQUENCE spare_numbers;
        CREATE TABLE orders (id int PRIMARY KEY DEFAULT nextval('order_numbers'), email citext);
        INSERT INTO orders (email) VALUES ('A@example.com'), ('b@example.com');
        CREATE TABLE labels (name citext PRIMARY KEY); INSERT INTO labels VALUES ('x')`,
      });
      const { plan } = await planMigration({ source: src.url, target: tgt.url });
      const citext = plan.objects.find((o) => o.name === 'citext')!;
      assert.deepEqual(citext, {
        kind: 'extension',
        name: 'citext',
        status: 'not created',
        reason: 'not installed on the target; install it there first',
        usedBy: ['public.labels', 'public.orders'],
      });
      const sequences = plan.objects.filter((o) => o.kind === 'sequence').map((o) => [o.name, o.usedBy]);
      assert.deepEqual(sequences, [
        ['public.order_numbers', ['public.orders']],
        ['public.spare_numbers', undefined],
      ]);
      // Creating the tables creates what they need, the extension and the sequence a default calls: no
      // longer named. The sequence nothing calls still is.
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(named(report.objects), ['sequence public.spare_numbers']);
      assert.deepEqual(await tgt.fingerprint('orders'), await src.fingerprint('orders'));
    });

    it('every other kind: rule, operator, collation, text search configuration, database-wide objects', async () => {
      const { src, tgt } = await pair(from, to);
      const both = `CREATE TABLE log (id int PRIMARY KEY, msg text);
        CREATE COLLATION shared_c (provider = libc, locale = 'C'); CREATE PUBLICATION shared_pub FOR TABLE log;`;
      await tgt.sql(both);
      await src.sql(`${both} INSERT INTO log VALUES (1, 'a');
        CREATE RULE log_keep AS ON DELETE TO log DO INSTEAD NOTHING;
        CREATE FUNCTION same_len(text, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT length($1) = length($2)';
        CREATE OPERATOR === (LEFTARG = text, RIGHTARG = text, FUNCTION = same_len);
        CREATE COLLATION names_c (provider = libc, locale = 'C');
        CREATE TEXT SEARCH CONFIGURATION plain_english (COPY = pg_catalog.english);
        CREATE DOMAIN positive AS int CHECK (VALUE > 0);
        CREATE MATERIALIZED VIEW log_count AS SELECT count(*) FROM log;
        CREATE FUNCTION audit_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
        CREATE EVENT TRIGGER audit ON ddl_command_end EXECUTE FUNCTION audit_ddl();
        CREATE PUBLICATION everything FOR ALL TABLES;
        CREATE FOREIGN DATA WRAPPER nowhere; CREATE SERVER far FOREIGN DATA WRAPPER nowhere;
        CREATE FOREIGN TABLE remote_log (id int) SERVER far`);
      const { plan } = await planMigration({ source: src.url, target: tgt.url });
      assert.deepEqual(named(plan.objects), [
        'function public.audit_ddl()',
        'function public.same_len(text, text)',
        'materialized view public.log_count',
        'foreign table public.remote_log',
        'domain public.positive',
        'rule log_keep on public.log',
        'operator public.===(text, text)',
        'collation public.names_c',
        'text search configuration public.plain_english',
        'event trigger audit',
        'publication everything',
        'foreign server far',
      ]);
    });

    it("a partitioned table's triggers: its own once (not each partition's copy), and one on a partition", async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO events VALUES (1, '2025-03-01'), (2, '2026-03-01');
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
        CREATE TRIGGER on_all BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION touch();
        CREATE TRIGGER on_2025 BEFORE UPDATE ON events_2025 FOR EACH ROW EXECUTE FUNCTION touch()`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(
        (report.objects ?? []).map((o) => `${o.kind} ${o.name}: ${o.reason}`),
        [
          `function public.touch(): ${FUNCTIONS_WHEN_ASKED}`,
          `trigger on_2025 on public.events_2025: ${TRIGGER_WHEN_ASKED}`,
          `trigger on_all on public.events: ${TRIGGER_WHEN_ASKED}`,
        ],
      );
    });

    it('compare names them as missing on the target, without changing what the tables prove', async () => {
      const { src, tgt } = await fixture(from, to);
      await migrate({ source: src.url, target: tgt.url });
      const report = await compare({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(named(report.objects), EXPECTED);
      assert.ok(report.objects!.every((o) => o.status === 'missing on the target'));
      const fn = report.objects!.find((o) => o.kind === 'function')!;
      assert.equal(fn.reason, "compare reads tables' rows, not functions");
    });

    it('a platform keeps its own: objects in its schemas, its event triggers and unused extensions', async () => {
      const src = await TestDb.create(from, 'sb');
      const tgt = await TestDb.create(to, 'local');
      await makeSupabaseLike(src, { rows: true });
      await makeLocalPostgres(tgt, { rows: false });
      await src.sql(`CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
        CREATE FUNCTION extensions.watch_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
        CREATE EVENT TRIGGER platform_watch ON ddl_command_end EXECUTE FUNCTION extensions.watch_ddl();
        CREATE FUNCTION public.search(q text) RETURNS SETOF public.crawled_pages LANGUAGE sql
          AS 'SELECT * FROM public.crawled_pages WHERE content ILIKE q'`);
      const { plan } = await planMigration({ source: src.url, target: tgt.url, selection: { includePlatform: true } });
      assert.ok(
        plan.tables.some((t) => t.schema === 'auth'),
        'auth tables are part of this run',
      );
      assert.deepEqual(named(plan.objects), ['function public.search(text)']);
    });
  });
}

describe('objects Archon does not create, in every rendering', () => {
  const [from, to] = directions()[0];

  it('the CLI plan, plan --ddl and migrate output, the JSON and Markdown reports say the same', async () => {
    const { src, tgt } = await fixture(from, to);
    const dir = mkdtempSync(join(tmpdir(), 'archon-objects-'));
    const heading =
      'Not created by Archon (the target lacks them): 4 functions, 1 procedure, 1 aggregate, 1 view, 1 sequence, ' +
      '1 type, 1 trigger, 1 policy, row-level security on 1 table, 1 extension';
    const functions = `4 functions: elsewhere.unrelated(), public.price_of(integer), public.price_of(text), public.touch() — ${FUNCTIONS_WHEN_ASKED}`;
    const plan = runCli(['plan', '--source', src.url, '--target', tgt.url, '--ddl', join(dir, 'create.sql')]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.ok(plan.stdout.includes(`\n  ${heading}\n    ${functions}\n`), plan.stdout);
    assert.ok(
      plan.stdout.includes('    1 extension: pgcrypto — not installed on the target; no selected table uses it'),
    );
    const sql = readFileSync(join(dir, 'create.sql'), 'utf8');
    assert.ok(sql.includes(`-- ${heading}:\n--   function elsewhere.unrelated(): ${FUNCTIONS_WHEN_ASKED}\n`));
    assert.ok(
      sql.includes(
        "--   trigger items_touch on public.items: the target's table lacks it; Archon copies rows, not triggers",
      ),
    );
    const files = ['--report', join(dir, 'r.json'), '--markdown', join(dir, 'r.md')];
    const run = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes', ...files]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // The plan before the run, then the report after it.
    // The report's lines wrap at the terminal's width: compared as words.
    assert.equal(run.stdout.replace(/\s+/g, ' ').split(functions).length, 3, run.stdout);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    assert.deepEqual(named(json.objects), EXPECTED);
    const md = readFileSync(join(dir, 'r.md'), 'utf8');
    assert.ok(md.includes(`**${heading}**\n\n- ${functions}\n`), md);
  });

  it('the plan shows the first names of a long list; the JSON has every one', async () => {
    const fns = Array.from(
      { length: 12 },
      (_, i) => `CREATE FUNCTION f${i + 10}() RETURNS int LANGUAGE sql AS 'SELECT 1';`,
    );
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE t (id int PRIMARY KEY); ${fns.join(' ')}`,
      target: 'CREATE TABLE t (id int PRIMARY KEY)',
    });
    const dir = mkdtempSync(join(tmpdir(), 'archon-objects-'));
    const run = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes', '--report', join(dir, 'r.json')]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /12 functions: public\.f10\(\), public\.f11\(\), public\.f12\(\), public\.f13\(\), … \(8 more\) — created only with --create-objects\n {4}\(the JSON report, --report FILE\.json, lists every one\)/,
    );
    assert.equal(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).objects.length, 12);
  });

  it('a name with a line break stays inside the DDL comment (it never becomes a statement)', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE fresh (id int PRIMARY KEY);
      CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER "x
DROP TABLE fresh; --" BEFORE UPDATE ON fresh FOR EACH ROW EXECUTE FUNCTION touch()`,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'archon-objects-')), 'create.sql');
    const plan = runCli(['plan', '--source', src.url, '--target', tgt.url, '--ddl', file]);
    assert.equal(plan.code, 0, plan.stderr);
    const lines = readFileSync(file, 'utf8').split('\n');
    assert.deepEqual(
      lines.filter((l) => /DROP TABLE/.test(l) && !l.startsWith('--')),
      [],
    );
    assert.ok(lines.includes(`--   trigger "x\\nDROP TABLE fresh; --" on public.fresh: ${TRIGGER_WHEN_ASKED}`));
  });

  it('the VS Code review and the report page (in a real browser) list them', async () => {
    const { src, tgt } = await fixture(from, to);
    const planned = await planMigration({ source: src.url, target: tgt.url });
    const lines = reviewLines(planned, 'cloud', 'local');
    const head = lines.find((l) => l.label.includes('Not created by Archon'))!;
    assert.match(
      head.label,
      /^\$\(circle-slash\) Not created by Archon \(the target lacks them\): 4 functions, 1 procedure/,
    );
    const fns = lines.find((l) => l.label.startsWith('$(dash) 4 functions'))!;
    assert.equal(
      fns.label,
      '$(dash) 4 functions: elsewhere.unrelated(), public.price_of(integer), public.price_of(text), public.touch()',
    );
    assert.equal(fns.detail, FUNCTIONS_WHEN_ASKED);
    const report = await migrate({ source: src.url, target: tgt.url });
    const file = join(mkdtempSync(join(tmpdir(), 'archon-objects-page-')), 'report.html');
    writeFileSync(file, standaloneReportHtml(report));
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      const section = page.locator('details.schema-objects');
      await section.waitFor({ state: 'attached', timeout: 15_000 });
      assert.match(
        await section.locator('summary').innerText(),
        /^Not created by Archon \(the target lacks them\): 4 functions, 1 procedure, 1 aggregate, 1 view/,
      );
      await section.locator('summary').click();
      const items = await section.locator('li').allInnerTexts();
      assert.equal(items.length, 10);
      assert.ok(
        items.includes(
          "1 policy: items_visible on public.items — the target's table lacks it; Archon copies rows, not policies",
        ),
      );
    } finally {
      await browser.close();
    }
  });
});

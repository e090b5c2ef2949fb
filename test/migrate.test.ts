import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compare, migrate, undo } from '../src/engine/index.js';
import { type Report, type TableReport, causesOf, headline, problemsFirst, stopBanner } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { TestDb, directions } from './support/pg.js';

const byName = (r: Report, table: string): TableReport => {
  const t = r.tables.find((x) => x.table === table);
  assert.ok(t, `no row for ${table} in the report: ${r.tables.map((x) => x.table).join(', ')}`);
  return t;
};

async function pair(
  from: Parameters<typeof TestDb.create>[0],
  to: Parameters<typeof TestDb.create>[0],
  schema: string,
  sourceOnly = '',
  targetOnly = '',
) {
  const src = await TestDb.create(from, 'src');
  const tgt = await TestDb.create(to, 'tgt');
  await src.sql(schema + sourceOnly);
  await tgt.sql(schema + targetOnly);
  return { src, tgt };
}

for (const [from, to] of directions()) {
  describe(`migrate, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('copies generated and identity columns, moves sequences, and matches columns by name', async () => {
      const { src, tgt } = await pair(
        from,
        to,
        '',
        `CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, serial_no serial, name text NOT NULL,
           price numeric NOT NULL, price_with_tax numeric GENERATED ALWAYS AS (price * 1.2) STORED);
         INSERT INTO items (name, price) SELECT 'item ' || g, g FROM generate_series(1, 50) g;
         DELETE FROM items WHERE id > 40; -- the sequences are now ahead of max(id)`,
        // Same columns in another order: matched by name, never by position.
        `CREATE TABLE items (price_with_tax numeric GENERATED ALWAYS AS (price * 1.2) STORED, price numeric NOT NULL,
           name text NOT NULL, serial_no serial, id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY);`,
      );
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified');
      assert.equal(byName(report, 'items').targetRows, 40);
      const cols = ['id', 'name', 'price', 'price_with_tax', 'serial_no'];
      assert.deepEqual(await tgt.fingerprint('items', cols), await src.fingerprint('items', cols));
      // The next generated values continue after the source's sequences, not at 1.
      const [next] = await tgt.sql(`INSERT INTO items (name, price) VALUES ('new', 1) RETURNING id, serial_no`);
      assert.deepEqual(next, { id: 51, serial_no: 51 });
    });

    it('loads self-referencing and cross-table foreign keys, and keeps target triggers from rewriting rows', async () => {
      const ddl = `CREATE TABLE projects (id int PRIMARY KEY, title text NOT NULL);
        CREATE TABLE tasks (id int PRIMARY KEY, project_id int NOT NULL REFERENCES projects(id),
          parent_id int REFERENCES tasks(id), title text NOT NULL);`;
      const { src, tgt } = await pair(
        from,
        to,
        ddl,
        // Children before parents in physical order: the load must not depend on row order.
        `INSERT INTO projects SELECT g, 'p' || g FROM generate_series(1, 5) g;
         INSERT INTO tasks SELECT g, 1 + g % 5, NULL, 't' || g FROM generate_series(1, 100) g;
         UPDATE tasks SET parent_id = id + 1 WHERE id < 100;`,
        `CREATE FUNCTION scramble() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := 'rewritten'; RETURN NEW; END $$;
         CREATE TRIGGER scramble BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION scramble();`,
      );
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.deepEqual(
        report.tables.map((t) => t.table),
        ['projects', 'tasks'],
        'referenced table loaded first',
      );
      assert.deepEqual(await tgt.fingerprint('tasks'), await src.fingerprint('tasks'));
      const [trigger] = await tgt.sql(`SELECT tgenabled FROM pg_trigger WHERE tgname = 'scramble'`);
      assert.equal(trigger.tgenabled, 'O', 'the trigger is enabled again after the run');
    });

    it('copies partitioned tables through the parent, and quoted identifiers of every kind', async () => {
      const ddl = `CREATE SCHEMA "My Schema";
        CREATE TABLE "My Schema"."Odd ""Table"" é" ("Id" int PRIMARY KEY, "two words" text, "ÜNICODE" text, "quote""col" int);
        CREATE TABLE events (id int, at date NOT NULL, payload text) PARTITION BY RANGE (at);
        CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;
      const { src, tgt } = await pair(
        from,
        to,
        ddl,
        `INSERT INTO "My Schema"."Odd ""Table"" é" SELECT g, 'w ' || g, 'ü' || g, g FROM generate_series(1, 30) g;
         INSERT INTO events SELECT g, '2024-01-01'::date + g * 3, 'e' || g FROM generate_series(1, 200) g;`,
      );
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.deepEqual(report.tables.map((t) => `${t.schema}.${t.table}`).sort(), [
        'My Schema.Odd "Table" é',
        'public.events',
      ]);
      assert.deepEqual(
        await tgt.fingerprint('"My Schema"."Odd ""Table"" é"'),
        await src.fingerprint('"My Schema"."Odd ""Table"" é"'),
      );
      assert.deepEqual(await tgt.fingerprint('events'), await src.fingerprint('events'));
      assert.equal(
        await tgt.count('events_2025'),
        await src.count('events_2025'),
        'rows were routed to the same partitions',
      );
    });

    it('a table whose columns were all dropped keeps its rows: copied, created, compared and undone by count', async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`CREATE TABLE husk (a int, b text); INSERT INTO husk SELECT g, 'x' FROM generate_series(1, 7) g;
        ALTER TABLE husk DROP COLUMN a, DROP COLUMN b;
        CREATE TABLE kept_husk (a int); INSERT INTO kept_husk SELECT generate_series(1, 4); ALTER TABLE kept_husk DROP COLUMN a`);
      await tgt.sql(`CREATE TABLE kept_husk (); INSERT INTO kept_husk SELECT FROM generate_series(1, 2)`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      for (const [name, rows] of [
        ['husk', 7],
        ['kept_husk', 4],
      ] as const) {
        const t = byName(report, name);
        assert.deepEqual([t.status, t.sourceRows, t.targetRows, t.content.status], ['verified', rows, rows, 'match']);
        assert.ok(
          t.notes.some((n) => /no columns: its rows are copied as empty rows/.test(n)),
          t.notes.join('\n'),
        );
        assert.equal(await tgt.count(name), rows);
      }
      assert.deepEqual(byName(report, 'husk').ddl, ['CREATE TABLE "public"."husk" ()']);
      const check = await compare({ source: src.url, target: tgt.url });
      assert.deepEqual(
        check.tables.map((t) => [t.table, t.status, t.content.status]),
        [
          ['husk', 'verified', 'match'],
          ['kept_husk', 'verified', 'match'],
        ],
      );
      // One row more on the target: its content (a count) no longer matches.
      await tgt.sql('INSERT INTO husk DEFAULT VALUES');
      assert.equal(byName(await compare({ source: src.url, target: tgt.url }), 'husk').status, 'mismatch');
      await tgt.sql('DELETE FROM husk WHERE ctid = (SELECT max(ctid) FROM husk)');
      const undone = await undo({ target: tgt.url });
      assert.equal(undone.undone, true);
      assert.equal(await tgt.count('kept_husk'), 2, 'undo put back the rows the table held');
      assert.equal((await tgt.sql(`SELECT to_regclass('husk') AS r`))[0].r, null, 'undo dropped the created table');
    });
  });
}

describe('inheritance, partitions and trigger modes on the target', () => {
  const [from, to] = directions()[0];

  it('replace leaves unselected inheritance children alone; a plain source loads a partitioned target', async () => {
    const src = await TestDb.create(from, 'src');
    const tgt = await TestDb.create(to, 'tgt');
    await src.sql(`CREATE TABLE m (id int PRIMARY KEY, v text); CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE ev (id int, u_id int, at date NOT NULL);
      INSERT INTO m SELECT g, 'src' FROM generate_series(1, 5) g; INSERT INTO u SELECT generate_series(1, 3);
      INSERT INTO ev SELECT g, 1 + g % 3, '2025-01-01'::date + g FROM generate_series(1, 90) g;`);
    await tgt.sql(`CREATE TABLE m (id int PRIMARY KEY, v text); CREATE TABLE m_child (extra text) INHERITS (m);
      INSERT INTO m_child (id, v, extra) VALUES (100, 'child', 'keep me'), (101, 'child', 'keep me too');
      CREATE TABLE u (id int PRIMARY KEY);
      CREATE TABLE ev (id int, u_id int REFERENCES u(id), at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`);
    const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['m', 'u', 'ev'] } });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    assert.equal(byName(report, 'ev').targetRows, 90);
    assert.deepEqual(await tgt.sql(`SELECT id, extra FROM m_child ORDER BY id`), [
      { id: 100, extra: 'keep me' },
      { id: 101, extra: 'keep me too' },
    ]);
    assert.equal((await tgt.sql(`SELECT count(*)::int AS n FROM ONLY m`))[0].n, 5);
  });

  it('an ALWAYS trigger does not rewrite copied rows and keeps its mode', async () => {
    const ddl = `CREATE TABLE notes (id int PRIMARY KEY, body text);`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO notes SELECT g, 'n' || g FROM generate_series(1, 20) g;`,
      `CREATE FUNCTION scramble() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.body := 'rewritten'; RETURN NEW; END $$;
       CREATE TRIGGER scramble BEFORE INSERT ON notes FOR EACH ROW EXECUTE FUNCTION scramble();
       ALTER TABLE notes ENABLE ALWAYS TRIGGER scramble;`,
    );
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'verified');
    assert.deepEqual(await tgt.fingerprint('notes'), await src.fingerprint('notes'));
    assert.deepEqual(await tgt.sql(`SELECT tgenabled FROM pg_trigger WHERE tgname = 'scramble'`), [{ tgenabled: 'A' }]);
  });
});

describe('rows already in the target', () => {
  const [from, to] = directions()[0];
  const ddl = `CREATE TABLE notes (id int PRIMARY KEY, body text);`;

  it('replace empties the table and loads the source rows', async () => {
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO notes SELECT g, 's' || g FROM generate_series(1, 20) g;`,
      `INSERT INTO notes VALUES (999, 'old');`,
    );
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'replace' });
    assert.equal(report.outcome, 'verified');
    assert.deepEqual(await tgt.fingerprint('notes'), await src.fingerprint('notes'));
  });

  it('append keeps existing rows and verifies the rows added', async () => {
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO notes SELECT g, 's' || g FROM generate_series(1, 20) g;`,
      `INSERT INTO notes VALUES (999, 'old');`,
    );
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
    assert.equal(report.outcome, 'verified');
    const t = byName(report, 'notes');
    assert.deepEqual([t.sourceRows, t.targetRowsBefore, t.targetRows], [20, 1, 21]);
    assert.deepEqual(await tgt.sql(`SELECT body FROM notes WHERE id = 999`), [{ body: 'old' }]);
  });

  it('skip-nonempty leaves a table with rows alone and loads the empty ones', async () => {
    const { src, tgt } = await pair(
      from,
      to,
      `${ddl}CREATE TABLE tags (name text PRIMARY KEY);`,
      `INSERT INTO notes SELECT g, 's' || g FROM generate_series(1, 20) g; INSERT INTO tags VALUES ('a'), ('b');`,
      `INSERT INTO notes VALUES (999, 'old');`,
    );
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'skip-nonempty' });
    assert.equal(byName(report, 'notes').status, 'skipped');
    assert.match(byName(report, 'notes').reason!, /already has rows/);
    assert.equal(byName(report, 'tags').status, 'verified');
    assert.equal(report.outcome, 'not verified');
    assert.equal(report.committed, true);
    assert.deepEqual(await tgt.sql(`SELECT id, body FROM notes`), [{ id: 999, body: 'old' }]);
    assert.equal(await tgt.count('tags'), 2);
  });
});

describe('skips, each with its reason, and nothing else lost', () => {
  const [from, to] = directions()[0];

  it('names every reason and copies the rest', async () => {
    const src = await TestDb.create(from, 'src');
    const tgt = await TestDb.create(to, 'tgt');
    await src.sql(`
      CREATE TABLE ok (id int PRIMARY KEY, v text);
      CREATE TABLE only_on_source (id int);
      CREATE TABLE lossy (id int, keep text, extra_source_col text);
      CREATE TABLE needs_value (id int);
      CREATE TABLE typed (id int, payload text);
      CREATE TABLE parent (id int PRIMARY KEY);
      CREATE VIEW ok_view AS SELECT * FROM ok;
      INSERT INTO ok SELECT g, 'v' || g FROM generate_series(1, 10) g;
      INSERT INTO parent VALUES (1), (2);
      INSERT INTO lossy VALUES (1, 'k', 'x'); INSERT INTO needs_value VALUES (1); INSERT INTO typed VALUES (1, 'p');`);
    await tgt.sql(`
      CREATE TABLE ok (v text, id int PRIMARY KEY);
      CREATE TABLE lossy (id int, keep text);
      CREATE TABLE needs_value (id int, required_col text NOT NULL);
      CREATE TABLE typed (id int, payload int[]);
      CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child_not_selected (id int, parent_id int REFERENCES parent(id));
      CREATE VIEW ok_view AS SELECT * FROM ok;
      INSERT INTO parent VALUES (1); INSERT INTO child_not_selected VALUES (1, 1);`);
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      selection: { tables: ['ok', 'only_on_source', 'lossy', 'needs_value', 'typed', 'parent', 'ok_view'] },
    });
    const reasons = Object.fromEntries(report.tables.map((t) => [t.table, `${t.status}: ${t.reason}`]));
    assert.equal(reasons.ok, 'verified: null');
    assert.match(reasons.only_on_source, /^skipped: missing on the target/);
    assert.match(reasons.lossy, /^skipped: source column extra_source_col does not exist on the target/);
    assert.match(reasons.needs_value, /^skipped: target column required_col is NOT NULL without a default/);
    assert.match(reasons.typed, /^skipped: column payload is text on the source but integer\[\] on the target/);
    assert.match(
      reasons.parent,
      /^skipped: cannot empty it: public.child_not_selected \(child_not_selected_parent_id_fkey\)/,
    );
    assert.match(reasons.ok_view, /^skipped: is a view on the source/);
    assert.equal(report.outcome, 'not verified');
    assert.equal(await tgt.count('ok'), 10);
    assert.deepEqual(await tgt.sql(`SELECT * FROM lossy`), [], 'skipped tables are untouched');
    assert.deepEqual(await tgt.sql(`SELECT id FROM parent`), [{ id: 1 }]);
  });

  it('refuses to commit rows that point at rows the target does not have', async () => {
    const ddl = `CREATE TABLE sources (id text PRIMARY KEY); CREATE TABLE pages (id int PRIMARY KEY, source_id text REFERENCES sources(id));`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO sources VALUES ('a'); INSERT INTO pages VALUES (1, 'a');`,
      // Not empty, so whether its rows are the ones pages needs is known only once pages is loaded.
      `INSERT INTO sources VALUES ('b');`,
    );
    const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['pages'] } });
    assert.equal(byName(report, 'pages').status, 'failed');
    assert.match(
      byName(report, 'pages').reason!,
      /1 row\(s\) reference public.sources rows that the target does not have/,
    );
    assert.equal(report.committed, false);
    assert.equal(await tgt.count('pages'), 0);
  });
});

describe('extensions installed in another schema on each side', () => {
  for (const [from, to] of directions()) {
    it(`a column of an extension's type matches it wherever the extension lives (${from.major} → ${to.major})`, async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`CREATE EXTENSION citext; CREATE EXTENSION hstore;
        CREATE TABLE people (id int PRIMARY KEY, email citext, attrs hstore);
        CREATE TABLE lists (id int PRIMARY KEY, emails citext[]);
        INSERT INTO people VALUES (1, 'A@x.org', 'a=>1'), (2, NULL, NULL);
        INSERT INTO lists VALUES (1, '{B@x.org,c@x.org}')`);
      // Supabase's dashboard installs extensions in their own schema.
      await tgt.sql(`CREATE SCHEMA extensions; CREATE EXTENSION citext SCHEMA extensions;
        CREATE EXTENSION hstore SCHEMA extensions;
        CREATE TABLE people (id int PRIMARY KEY, email extensions.citext, attrs extensions.hstore);
        CREATE TABLE lists (id int PRIMARY KEY, emails extensions.citext[])`);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      const [lists, people] = report.tables;
      // An array's binary form carries its element type's OID, which differs between servers.
      assert.deepEqual([people.format, lists.format], ['binary', 'text']);
      assert.ok(
        people.notes.some((n) => /type citext of extension citext is extensions\.citext on the target/.test(n)),
      );
      for (const t of ['people', 'lists']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t));
    });
  }
});

describe('the plan foresees the foreign keys its own skips break', () => {
  for (const [from, to] of directions()) {
    it(`a table whose rows need a table the run does not copy, empty on the target, is skipped up front (${from.major} → ${to.major})`, async () => {
      const ddl = `CREATE TABLE projects (id int PRIMARY KEY, name text);
        CREATE TABLE docs (id int PRIMARY KEY, project_id int REFERENCES projects);
        CREATE TABLE versions (id int PRIMARY KEY, doc_id int REFERENCES docs);
        CREATE TABLE loose (id int PRIMARY KEY, project_id int REFERENCES projects);
        CREATE TABLE tags (id int PRIMARY KEY); CREATE TABLE tagged (id int PRIMARY KEY, tag_id int REFERENCES tags);`;
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`${ddl} ALTER TABLE projects ADD COLUMN budget numeric;
        INSERT INTO projects VALUES (1, 'p', 10); INSERT INTO docs VALUES (1, 1); INSERT INTO versions VALUES (1, 1);
        INSERT INTO loose VALUES (1, NULL); INSERT INTO tags VALUES (1); INSERT INTO tagged VALUES (1, 1);`);
      // The target's projects lacks a column (so it is skipped) and is empty; tags is not selected and empty.
      await tgt.sql(ddl);
      const selection = { tables: ['projects', 'docs', 'versions', 'loose', 'tagged'] };
      const report = await migrate({ source: src.url, target: tgt.url, selection });
      const reasons = Object.fromEntries(report.tables.map((t) => [t.table, `${t.status}: ${t.reason}`]));
      assert.match(reasons.projects, /^skipped: source column budget does not exist on the target/);
      assert.match(
        reasons.docs,
        /^skipped: its foreign key docs_project_id_fkey needs rows of public\.projects, which is empty on the target and not copied by this run: public\.projects is skipped \(source column budget/,
      );
      // One skip leads to the next: versions needs docs, now skipped too.
      assert.match(reasons.versions, /^skipped: its foreign key versions_doc_id_fkey needs rows of public\.docs/);
      assert.match(reasons.tagged, /needs rows of public\.tags, .*: public\.tags is not selected; copy it too/);
      // A key that is NULL in every row points at nothing: copied.
      assert.equal(reasons.loose, 'verified: null');
      assert.equal(report.committed, true);
      assert.equal(await tgt.count('loose'), 1);
    });
  }
});

describe('nothing half-done on the target', () => {
  const [from, to] = directions()[0];

  it('a failure in the middle rolls every table back', async () => {
    const ddl = `CREATE TABLE a_first (id serial PRIMARY KEY, v text); CREATE TABLE b_second (id int PRIMARY KEY, v int);`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO a_first SELECT g, 'new' FROM generate_series(1, 500) g; INSERT INTO b_second SELECT g, g FROM generate_series(1, 500) g;`,
      // The target enforces a rule the source does not: row 400 of the second table breaks it.
      `ALTER TABLE b_second ADD CONSTRAINT small CHECK (v < 400);
       INSERT INTO a_first VALUES (1, 'old'), (2, 'old'); INSERT INTO b_second VALUES (7, 7);`,
    );
    const before = {
      a: await tgt.fingerprint('a_first'),
      b: await tgt.fingerprint('b_second'),
      seq: await tgt.sql(`SELECT last_value, is_called FROM a_first_id_seq`),
    };
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'failed');
    assert.equal(report.committed, false);
    const b = byName(report, 'b_second');
    assert.equal(b.status, 'failed');
    assert.equal(b.error?.code, '23514');
    assert.match(b.reason!, /^new row for relation "b_second" violates check constraint "small"/);
    assert.match(byName(report, 'a_first').reason!, /rolled back because public.b_second failed/);
    const after = {
      a: await tgt.fingerprint('a_first'),
      b: await tgt.fingerprint('b_second'),
      seq: await tgt.sql(`SELECT last_value, is_called FROM a_first_id_seq`),
    };
    assert.deepEqual(after, before, 'the target is exactly as it was, sequences included');
  });

  it('cancelling mid-copy rolls back and closes every connection', async () => {
    const ddl = `CREATE TABLE big (id int PRIMARY KEY, body text);`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO big SELECT g, repeat('x', 2000) FROM generate_series(1, 60000) g;`,
      `INSERT INTO big VALUES (1, 'old');`,
    );
    const controller = new AbortController();
    let sawProgress = false;
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'table-progress' && !sawProgress) {
          sawProgress = true;
          controller.abort();
        }
      },
    });
    assert.ok(sawProgress, 'the copy was under way when cancelled');
    assert.equal(report.outcome, 'cancelled');
    assert.equal(report.committed, false);
    assert.match(byName(report, 'big').reason!, /cancelled; rolled back/);
    assert.equal(byName(report, 'big').status, 'rolled back', 'begun, then taken back: not "failed"');
    assert.deepEqual(await tgt.sql(`SELECT id, body FROM big`), [{ id: 1, body: 'old' }]);
    for (const db of [src, tgt])
      assert.equal(await db.archonSessionsLeft(), 0, `no Archon session left open on ${db.name}`);
  });

  it('the failing table is the cause: the others still load and verify, then are rolled back; none failed', async () => {
    const ddl = `CREATE TABLE a_first (id int PRIMARY KEY); CREATE TABLE b_second (id int PRIMARY KEY, v int);
      CREATE TABLE c_third (id int PRIMARY KEY);`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO a_first SELECT generate_series(1, 50); INSERT INTO b_second SELECT g, g FROM generate_series(1, 50) g;
       INSERT INTO c_third SELECT generate_series(1, 50);`,
      `ALTER TABLE b_second ADD CONSTRAINT small CHECK (v < 40);`,
    );
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.deepEqual(
      report.tables.map((t) => [t.table, t.status]),
      [
        ['a_first', 'rolled back'],
        ['b_second', 'failed'],
        ['c_third', 'rolled back'],
      ],
    );
    assert.equal(report.outcome, 'failed');
    assert.deepEqual(report.summary, {
      verified: 0,
      mismatch: 0,
      skipped: 0,
      failed: 1,
      'rolled back': 2,
      'not run': 0,
      total: 3,
    });
    assert.deepEqual(report.cause && [report.cause.table, report.cause.status], ['b_second', 'failed']);
    assert.deepEqual(report.causes, [report.cause]);
    assert.match(report.cause!.message, /violates check constraint "small" \[23514\]$/);
    assert.equal(byName(report, 'a_first').targetRows, null, 'rolled-back rows are not shown as arrived');
    assert.equal(byName(report, 'c_third').sourceRows, 50, 'the table after the failure was still counted');
    assert.match(
      byName(report, 'c_third').reason!,
      /^verified, then rolled back because public.b_second failed; the target is unchanged$/,
    );
    assert.match(
      stopBanner(report)!,
      /^Rolled back by public\.b_second \(failed\): new row .* violates check constraint .*2 other tables rolled back with it\. Nothing was committed\.$/,
    );
    assert.match(toText(report), /^Rolled back by public\.b_second/);
    assert.match(toMarkdown(report), /> \*\*Rolled back by public\.b_second/);
    assert.equal(problemsFirst(report.tables, causesOf(report))[0].table, 'b_second');
  });

  it('a cancel before the copies: every table "not run", the report says nothing was committed', async () => {
    const { src, tgt } = await pair(from, to, `CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);`, '', '');
    const controller = new AbortController();
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.type === 'phase' && e.message.startsWith('emptying')) controller.abort();
      },
    });
    assert.equal(report.outcome, 'cancelled');
    assert.deepEqual(
      report.tables.map((t) => t.status),
      ['not run', 'not run'],
    );
    assert.equal(report.summary.failed, 0);
    assert.match(
      headline(report),
      /^Cancelled 2 tables: 0 verified .*2 not run\. Outcome: cancelled\. Nothing was committed/,
    );
    assert.equal(stopBanner(report), 'Cancelled; nothing was committed. The target is as it was.');
    const declined = await migrate({ source: src.url, target: tgt.url, confirm: async () => false });
    assert.deepEqual(
      declined.tables.map((t) => [t.status, t.reason]),
      [
        ['not run', 'not run: the run was declined at the review'],
        ['not run', 'not run: the run was declined at the review'],
      ],
    );
  });

  it('never writes to the source', async () => {
    const ddl = `CREATE TABLE t (id serial PRIMARY KEY, v text);`;
    const { src, tgt } = await pair(from, to, ddl, `INSERT INTO t (v) SELECT 'v' || g FROM generate_series(1, 100) g;`);
    const fp = await src.fingerprint('t');
    const seq = await src.sql(`SELECT last_value FROM t_id_seq`);
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'verified');
    assert.deepEqual(await src.fingerprint('t'), fp);
    assert.deepEqual(await src.sql(`SELECT last_value FROM t_id_seq`), seq);
  });
});

describe('a target user that is not a superuser (triggers disabled per table, foreign keys enforced)', () => {
  const [from, to] = directions()[0];
  it('loads, verifies and re-enables the triggers', async () => {
    const ddl = `CREATE TABLE projects (id int PRIMARY KEY); CREATE TABLE tasks (id int PRIMARY KEY, project_id int REFERENCES projects(id), title text);`;
    const { src, tgt } = await pair(
      from,
      to,
      ddl,
      `INSERT INTO projects SELECT generate_series(1, 3); INSERT INTO tasks SELECT g, 1 + g % 3, 't' || g FROM generate_series(1, 30) g;`,
    );
    const role = `app_${tgt.name}`;
    await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'app-secret-pw'; ALTER TABLE projects OWNER TO ${role}; ALTER TABLE tasks OWNER TO ${role};
      CREATE FUNCTION scramble() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.title := 'rewritten'; RETURN NEW; END $$;
      CREATE TRIGGER scramble BEFORE INSERT ON tasks FOR EACH ROW EXECUTE FUNCTION scramble();`);
    const targetUrl = tgt.url.replace(/\/\/[^@]+@/, `//${role}:app-secret-pw@`);
    const report = await migrate({ source: src.url, target: targetUrl });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    assert.deepEqual(await tgt.fingerprint('tasks'), await src.fingerprint('tasks'));
    const [trigger] = await tgt.sql(`SELECT tgenabled FROM pg_trigger WHERE tgname = 'scramble'`);
    assert.equal(trigger.tgenabled, 'O');
    assert.ok(!JSON.stringify(report).includes('app-secret-pw'));
  });
});

// What a run leaves for the next step: the loaded tables analyzed after the commit (so the tree's
// estimates count the rows that arrived), and a duplicate key under Append that says what to choose.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate } from '../src/engine/index.js';
import { analyzedText } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { TestDb, directions, pair } from './support/pg.js';

const stats = async (db: TestDb, table: string) =>
  (
    await db.sql(
      `SELECT c.reltuples::float8 AS reltuples, s.last_analyze IS NOT NULL AS analyzed
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = $1::regclass`,
      [table],
    )
  )[0] as { reltuples: number; analyzed: boolean };

for (const [from, to] of directions()) {
  describe(`after the load, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('ANALYZEs each loaded table after the commit, so its row estimate counts the rows that arrived', async () => {
      const ddl = `CREATE TABLE pages (id int PRIMARY KEY, v text);
        CREATE TABLE parts (id int, d date) PARTITION BY RANGE (d);
        CREATE TABLE parts_2024 PARTITION OF parts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');`;
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO pages SELECT g, 'p' || g FROM generate_series(1, 1500) g;
        INSERT INTO parts SELECT g, date '2024-01-01' + (g % 300) FROM generate_series(1, 700) g;`,
      });
      assert.equal((await stats(tgt, 'pages')).analyzed, false, 'a fresh table was never analyzed');

      const report = await migrate({ source: src.url, target: tgt.url });

      assert.equal(report.outcome, 'verified');
      assert.equal(await tgt.count('pages'), 1500);
      const pages = await stats(tgt, 'pages');
      assert.equal(pages.analyzed, true, 'pg_stat_user_tables.last_analyze is set');
      assert.equal(pages.reltuples, 1500, 'the estimate the tree shows is the rows that arrived');
      assert.equal(
        (await stats(tgt, 'parts_2024')).reltuples,
        700,
        'a partitioned table is analyzed with its partitions',
      );
      assert.deepEqual(report.analyzed, { tables: 2, failed: 0 });
      assert.equal(
        analyzedText(report),
        "All 2 loaded tables analyzed after the commit (ANALYZE): the target's row estimates count the rows that arrived",
      );
      assert.match(toMarkdown(report), /- \*\*Statistics\*\*: All 2 loaded tables analyzed after the commit/);
      assert.match(toText(report), /All 2 loaded tables analyzed after the commit/);
      for (const t of report.tables) assert.deepEqual(t.notes, [], 'no note per table when it went well');
    });

    it('a table the target user may not analyze is a note, not an error: the run stays verified and committed', async () => {
      const ddl = 'CREATE TABLE t (id int PRIMARY KEY, v text);';
      const { src, tgt } = await pair(from, to, {
        source: `${ddl} INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;`,
      });
      const role = `loader_${tgt.name}`;
      await tgt.sql(`${ddl} CREATE ROLE ${role} LOGIN PASSWORD 'loader-pw';
        GRANT CREATE ON SCHEMA public TO ${role}; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON t TO ${role};`);
      const loader = tgt.url.replace(/\/\/[^@]+@/, `//${role}:loader-pw@`);

      const report = await migrate({ source: src.url, target: loader, existing: 'append' });

      assert.equal(report.outcome, 'verified');
      assert.equal(report.committed, true);
      assert.equal(await tgt.count('t'), 50);
      const [t] = report.tables;
      assert.ok(
        t.notes.some((n) => /^not analyzed after the commit \(.*skipping.*\); the rows are committed/.test(n)),
        t.notes.join(' | '),
      );
      assert.deepEqual(report.analyzed, { tables: 1, failed: 1 });
      assert.match(
        analyzedText(report)!,
        /^No loaded table could be analyzed after the commit \(ANALYZE; its note says why\): the target's row estimates do not count the rows that arrived yet$/,
      );
      assert.equal((await stats(tgt, 't')).analyzed, false);
    });

    it('a duplicate key under Append says the target already holds those keys, and what to choose', async () => {
      const ddl = 'CREATE TABLE tasks (id int PRIMARY KEY, title text);';
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO tasks SELECT g, 'new ' || g FROM generate_series(1, 10) g;`,
        target: `INSERT INTO tasks VALUES (3, 'old 3'), (100, 'old 100');`,
      });

      const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });

      const [t] = report.tables;
      assert.equal(t.status, 'failed');
      assert.equal(t.error?.code, '23505');
      assert.match(
        t.reason!,
        /\[23505\]; the target already holds rows with these keys: choose Replace to empty it first, or Skip tables that have rows/,
      );
      assert.deepEqual(
        (await tgt.sql('SELECT id, title FROM tasks ORDER BY id')).map((r) => `${r.id}:${r.title}`),
        ['3:old 3', '100:old 100'],
        'rolled back: the rows the target held are as they were',
      );
      // A duplicate the source itself brings into an empty table is no clash with kept rows.
      const fresh = await TestDb.create(to, 'tgt');
      await fresh.sql('CREATE TABLE tasks (id int PRIMARY KEY, title text);');
      await src.sql("ALTER TABLE tasks DROP CONSTRAINT tasks_pkey; INSERT INTO tasks VALUES (1, 'again');");
      const own = await migrate({ source: src.url, target: fresh.url, existing: 'append' });
      assert.equal(own.tables[0].error?.code, '23505');
      assert.doesNotMatch(own.tables[0].reason!, /already holds rows/);
    });
  });
}

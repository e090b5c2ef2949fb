// Vector indexes after a load: an ivfflat index keeps the lists it was built with, so a load into a
// table that has one rebuilds it (REINDEX, in the run's transaction, before the read-back). pgvector
// is on neither test server, so the rule is proved as data (which access methods need a rebuild, read
// from the target's catalog), and the REINDEX path end to end on methods the servers have: BRIN, whose
// build summarises every page range while rows loaded after it leave theirs unsummarised, and btree,
// whose rebuild gives the index a new file.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate, planMigration } from '../src/engine/index.js';
import { REBUILT_AFTER_LOAD, rebuildsAfterLoad } from '../src/engine/create/indexes.js';
import type { TablePlan, TargetIndex } from '../src/engine/plan/plan.js';
import type { Report } from '../src/shared/report.js';
import { type TestDb, directions, pair } from './support/pg.js';

const BRIN = { brin: 'a test stand-in for ivfflat: its build summarises the page ranges it is built over' };
const BTREE = { btree: 'a test stand-in for ivfflat' };

const notesOf = (r: Report, table: string) => r.tables.find((t) => t.table === table)?.notes ?? [];
const unsummarised = async (db: TestDb, index: string): Promise<number> =>
  (await db.sql(`SELECT brin_summarize_new_values($1::regclass) AS n`, [index]))[0].n;
const fileOf = async (db: TestDb, rel: string): Promise<number> =>
  Number((await db.sql(`SELECT relfilenode FROM pg_class WHERE oid = $1::regclass`, [rel]))[0].relfilenode);

describe('which indexes a load leaves unfit', () => {
  const index = (method: string): TargetIndex => ({ schema: 'public', name: `t_${method}_idx`, method, bytes: 8192 });
  const all = ['ivfflat', 'hnsw', 'btree', 'gin', 'gist', 'brin', 'spgist', 'hash'].map(index);
  const methods = (plan: Pick<TablePlan, 'action' | 'create'>) => rebuildsAfterLoad(plan, all).map((i) => i.method);

  it('ivfflat, in a table the load goes into; hnsw and the built-in methods stay fit', () => {
    assert.deepEqual(Object.keys(REBUILT_AFTER_LOAD), ['ivfflat']);
    assert.deepEqual(methods({ action: 'copy' }), ['ivfflat']);
    assert.deepEqual(methods({ action: 'copy', create: { kind: 'add-columns' } as TablePlan['create'] }), ['ivfflat']);
  });

  it('nothing for a table the run creates (its indexes are built after the rows) or does not load', () => {
    assert.deepEqual(methods({ action: 'copy', create: { kind: 'create' } as TablePlan['create'] }), []);
    assert.deepEqual(methods({ action: 'skip' }), []);
  });
});

for (const [from, to] of directions()) {
  describe(`indexes rebuilt after the load, PostgreSQL ${from.major} → ${to.major}`, () => {
    const events = `CREATE TABLE events (id int, at timestamptz, body text)`;
    const brin = `CREATE INDEX events_at_brin ON events USING brin (at) WITH (pages_per_range = 2)`;
    const rows = `INSERT INTO events SELECT g, timestamptz '2026-01-01' + g * interval '1 minute', repeat('e', 60)
      FROM generate_series(1, 5000) g; ANALYZE events;`;

    it('the plan says which index is rebuilt, over how many rows; the run rebuilds it and says how long it took', async () => {
      const { src, tgt } = await pair(from, to, { source: `${events}; ${rows}` });
      // No autovacuum on the target's table: a VACUUM summarises new page ranges, and one that came
      // between the plain load and the count below would hide what the load left (a flaky test).
      await tgt.sql(`${events} WITH (autovacuum_enabled = off); ${brin}; INSERT INTO events VALUES (0, now(), 'old');`);
      const planned = await planMigration({ source: src.url, target: tgt.url, rebuildAfterLoad: BRIN });
      const note = planned.plan.tables[0].notes.find((n) => n.includes('REINDEX'));
      assert.match(
        note ?? '',
        /^brin index public\.events_at_brin \([^)]+ now\) rebuilt after the load \(REINDEX, in the run's transaction, before the read-back\) over ~5,000 rows \([^)]+ copied\); brin: a test stand-in/,
      );
      const defaults = await planMigration({ source: src.url, target: tgt.url });
      assert.ok(!defaults.plan.tables[0].notes.some((n) => n.includes('REINDEX')), 'brin needs no rebuild by default');

      // By default the load leaves the rows' page ranges unsummarised: the index was not rebuilt.
      const plain = await migrate({ source: src.url, target: tgt.url });
      assert.equal(plain.outcome, 'verified');
      assert.ok((await unsummarised(tgt, 'events_at_brin')) > 0, 'a plain load leaves ranges unsummarised');

      const report = await migrate({ source: src.url, target: tgt.url, rebuildAfterLoad: BRIN });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(report.committed, true);
      assert.ok(
        notesOf(report, 'events').some((n) =>
          /^brin index public\.events_at_brin rebuilt after the load in \d+\.\d s \(REINDEX\)$/.test(n),
        ),
        notesOf(report, 'events').join('\n'),
      );
      assert.equal(await unsummarised(tgt, 'events_at_brin'), 0, 'built over the loaded rows: every range summarised');
      assert.deepEqual(await tgt.fingerprint('events'), await src.fingerprint('events'));
    });

    it('under append, the rebuild gives the index a new file inside the committed run; a run that rolls back keeps the old one', async () => {
      const ddl = `CREATE TABLE items (id int PRIMARY KEY, v int); CREATE TABLE other (id int PRIMARY KEY, v int);`;
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO items SELECT g, g FROM generate_series(100, 1100) g;
        INSERT INTO other VALUES (1, 1), (2, 50);`,
        target: `CREATE INDEX items_v ON items (v); INSERT INTO items VALUES (1, 1);`,
      });
      const file = await fileOf(tgt, 'items_v');
      const table = await fileOf(tgt, 'items');
      const selection = { tables: ['items'] };
      const plain = await migrate({ source: src.url, target: tgt.url, existing: 'append', selection });
      assert.equal(plain.outcome, 'verified');
      assert.equal(await fileOf(tgt, 'items_v'), file, 'without the rule, the index keeps its file');
      await tgt.sql(`DELETE FROM items WHERE id >= 100`);

      // Another table fails in the same run: the rebuild is rolled back with everything else.
      await tgt.sql(`ALTER TABLE other ADD CHECK (v < 10)`);
      const failed = await migrate({ source: src.url, target: tgt.url, existing: 'append', rebuildAfterLoad: BTREE });
      assert.equal(failed.committed, false);
      assert.equal(failed.tables.find((t) => t.table === 'items')?.status, 'rolled back');
      assert.equal(await fileOf(tgt, 'items_v'), file, 'a rolled-back run leaves the index as it was');
      assert.equal(await tgt.count('items'), 1);
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        selection,
        rebuildAfterLoad: BTREE,
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.notEqual(await fileOf(tgt, 'items_v'), file, 'rebuilt: the index has a new file');
      assert.equal(await fileOf(tgt, 'items'), table, 'the table itself was appended to, not rewritten');
      const rebuilt =
        /^btree index public\.items_pkey, btree index public\.items_v rebuilt after the load in \d+\.\d s \(REINDEX\)$/;
      assert.ok(
        notesOf(report, 'items').some((n) => rebuilt.test(n)),
        notesOf(report, 'items').join('\n'),
      );
      assert.equal(await tgt.count('items'), 1 + 1001);
    });

    it("a partitioned table's partitions have their indexes rebuilt, one by one, inside the transaction", async () => {
      const ddl = `CREATE TABLE events (id int, at timestamptz, body text) PARTITION BY RANGE (at);
        CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');`;
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO events SELECT g, timestamptz '2025-12-31' + g * interval '1 minute', repeat('e', 60)
        FROM generate_series(1, 4000) g; ANALYZE events;`,
        target: `${brin};`,
      });
      const leaves = (
        await tgt.sql(`SELECT indexrelid::regclass::text AS name FROM pg_index
          WHERE indrelid IN ('events_2025'::regclass, 'events_2026'::regclass) ORDER BY 1`)
      ).map((r) => r.name);
      assert.equal(leaves.length, 2);
      const report = await migrate({ source: src.url, target: tgt.url, rebuildAfterLoad: BRIN });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      const note = notesOf(report, 'events').find((n) => n.includes('REINDEX'));
      for (const leaf of leaves) {
        assert.ok(note?.includes(`brin index public.${leaf}`), note);
        assert.equal(await unsummarised(tgt, leaf), 0, `${leaf}: built over the loaded rows`);
      }
    });

    it('a rebuild the target refuses fails that table alone; the others still load and verify', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE codes (id int, v int); INSERT INTO codes VALUES (1, 7), (2, 7);
        CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other VALUES (1);`,
      });
      // A deferrable unique constraint lets the duplicates in during the load (its check waits for the
      // commit); rebuilding its index cannot hold them.
      await tgt.sql(`CREATE TABLE codes (id int, v int CONSTRAINT one_v UNIQUE DEFERRABLE INITIALLY DEFERRED);
        CREATE TABLE other (id int PRIMARY KEY);`);
      const report = await migrate({ source: src.url, target: tgt.url, rebuildAfterLoad: BTREE });
      const codes = report.tables.find((t) => t.table === 'codes')!;
      assert.equal(codes.status, 'failed');
      assert.equal(codes.error?.code, '23505');
      assert.match(codes.reason!, /^could not create unique index "one_v" \[23505\]; rolled back/);
      assert.equal(report.tables.find((t) => t.table === 'other')?.status, 'rolled back');
      assert.equal(await tgt.count('codes'), 0);
    });

    it('with added columns, the indexes the table had are rebuilt; those the run builds on the new columns are not', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE docs (id int PRIMARY KEY, body text, score int); CREATE INDEX docs_score ON docs (score);
        INSERT INTO docs SELECT g, 'd' || g, g % 7 FROM generate_series(1, 300) g; ANALYZE docs;`,
        target: `CREATE TABLE docs (id int PRIMARY KEY, body text);`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true, rebuildAfterLoad: BTREE });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      const notes = notesOf(report, 'docs');
      assert.ok(
        notes.some((n) => /^btree index public\.docs_pkey \([^)]+ now\) rebuilt after the load \(REINDEX/.test(n)),
        notes.join('\n'),
      );
      assert.ok(
        notes.some((n) => /^btree index public\.docs_pkey rebuilt after the load in \d+\.\d s \(REINDEX\)$/.test(n)),
        notes.join('\n'),
      );
      assert.ok(!notes.some((n) => /docs_score.*REINDEX/.test(n)), 'built after the rows by the run: no rebuild');
    });

    it('a table the run creates builds its indexes after the rows already: nothing to rebuild', async () => {
      const { src, tgt } = await pair(from, to, { source: `${events}; ${brin}; ${rows}` });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true, rebuildAfterLoad: BRIN });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.ok(!notesOf(report, 'events').some((n) => n.includes('REINDEX')), notesOf(report, 'events').join('\n'));
      assert.equal(await unsummarised(tgt, 'events_at_brin'), 0, 'created after the rows arrived');
    });
  });
}

// previewUndo: what undo would do, read without changing anything (VS Code asks with it before undoing).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { UsageError, migrate, previewUndo, undo } from '../src/engine/index.js';
import { TestDb, directions } from './support/pg.js';

/** Every table and the journal, as rows: equal only when nothing changed. */
async function everything(db: TestDb) {
  return {
    t: await db.fingerprint('t'),
    made: await db.sql(`SELECT to_regclass('public.made') IS NOT NULL AS there`),
    runs: await db.sql('SELECT * FROM archon.runs ORDER BY id'),
    tables: await db.sql('SELECT * FROM archon.run_tables ORDER BY run_id, ord'),
    backups: await db.sql(`SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = 'archon' ORDER BY relname`),
  };
}

describe('previewUndo', () => {
  for (const [from, to] of directions()) {
    it(`${from.major}→${to.major}: names what undo would restore, changes since included, and changes nothing`, async () => {
      const src = await TestDb.create(from, 'psrc');
      const tgt = await TestDb.create(to, 'ptgt');
      await src.sql(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'new' FROM generate_series(1, 5) g;
        CREATE TABLE made (id int PRIMARY KEY); INSERT INTO made VALUES (1);`);
      await tgt.sql(`CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (100, 'old'), (101, 'old');`);
      const report = await migrate({ source: src.url, target: tgt.url, existing: 'replace', createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      // A change since the run: undo alone would refuse it; the preview names it.
      await tgt.sql(`INSERT INTO t VALUES (6, 'since')`);
      const before = await everything(tgt);

      const preview = await previewUndo({ target: tgt.url });

      assert.deepEqual(await everything(tgt), before, 'the target and its journal are as they were');
      const t = preview.tables.find((x) => x.table === 't')!;
      assert.equal(t.changed, true);
      assert.equal(t.rowsNow, 6);
      const made = preview.tables.find((x) => x.table === 'made')!;
      assert.equal(made.drops, true);
      assert.equal(preview.runId, before.runs[0].id);
      // The undo itself still refuses the change unforced: the preview forced nothing.
      await assert.rejects(undo({ target: tgt.url }), UsageError);
      assert.deepEqual(await everything(tgt), before);
    });
  }
});

// Real schemas (issue 17 follow-up): a column of OIDs naming large objects is not data Archon can
// carry (the objects themselves are not copied), and a NOT VALID foreign key is checked only as
// PostgreSQL would have checked it.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compare, migrate } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { TestDb, directions, pair } from './support/pg.js';

const byName = (r: Report, table: string): TableReport => {
  const t = r.tables.find((x) => x.table === table);
  assert.ok(t, `no row for ${table} in the report: ${r.tables.map((x) => x.table).join(', ')}`);
  return t;
};

const LARGE_OBJECTS = `CREATE EXTENSION lo;
  CREATE DOMAIN doc_ref AS lo;
  CREATE TABLE docs (id int PRIMARY KEY, blob oid, blob2 lo);
  INSERT INTO docs VALUES (1, lo_from_bytea(0, 'secret document'), lo_from_bytea(0, 'second'));
  CREATE TABLE nested (id int PRIMARY KEY, refs doc_ref[]);
  INSERT INTO nested VALUES (1, ARRAY[NULL, lo_from_bytea(0, 'third')::doc_ref]);
  CREATE TABLE numbers (id int PRIMARY KEY, n oid, m lo);
  INSERT INTO numbers VALUES (1, 4000000000, 12345), (2, NULL, NULL);`;

for (const [from, to] of directions()) {
  describe(`large objects and NOT VALID keys, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('skips a table whose OIDs name large objects, up front; copies OIDs that are just numbers', async () => {
      const { src, tgt } = await pair(from, to, { source: LARGE_OBJECTS });
      const [{ oid }] = await src.sql(`SELECT blob::int8 AS oid FROM docs`);
      // Someone else's large object under the same OID: a copied reference would silently name it.
      await tgt.sql(`SELECT lo_from_bytea($1, 'SOMEONE ELSES DATA')`, [oid]);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      for (const table of ['docs', 'nested']) {
        const t = byName(report, table);
        assert.equal(t.status, 'skipped', JSON.stringify(t));
        assert.match(
          t.reason ?? '',
          /holds references to large objects .*Archon does not copy or compare large objects.*bytea/,
        );
      }
      assert.match(byName(report, 'docs').reason ?? '', /^column blob /);
      assert.match(byName(report, 'nested').reason ?? '', /^column refs /);
      assert.equal(byName(report, 'numbers').status, 'verified', JSON.stringify(byName(report, 'numbers')));
      assert.deepEqual(await tgt.fingerprint('numbers'), await src.fingerprint('numbers'));
      const [{ n }] = await tgt.sql(`SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('docs', 'nested')`);
      assert.equal(n, 0, 'the skipped tables are not created');

      // compare: the same table on both sides is not comparable, never verified.
      await tgt.sql(`CREATE TABLE docs (id int PRIMARY KEY, blob oid, blob2 lo)`);
      await tgt.sql(`INSERT INTO docs VALUES (1, $1, NULL)`, [oid]);
      await src.sql(`UPDATE docs SET blob2 = NULL`);
      const checked = await compare({ source: src.url, target: tgt.url });
      const docs = byName(checked, 'docs');
      assert.equal(docs.status, 'skipped', JSON.stringify(docs));
      assert.match(docs.reason ?? '', /^column blob holds references to large objects/);
      assert.equal(byName(checked, 'numbers').status, 'verified');
    });

    it('loads rows a NOT VALID foreign key lets stand into a created table, and keeps it NOT VALID', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1);
        CREATE TABLE c (id int PRIMARY KEY, pid int); INSERT INTO c VALUES (1, 1), (2, 99);
        ALTER TABLE c ADD CONSTRAINT c_pid_fk FOREIGN KEY (pid) REFERENCES p (id) NOT VALID`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.equal(report.committed, true);
      assert.deepEqual(await tgt.fingerprint('c'), await src.fingerprint('c'));
      const [fk] = await tgt.sql(`SELECT convalidated FROM pg_constraint WHERE conname = 'c_pid_fk'`);
      assert.equal(fk.convalidated, false);

      // Nor does the plan refuse it for rows of a table it does not copy, empty on the target.
      const again = await TestDb.create(to, 'tgt');
      await again.sql(`CREATE TABLE p (id int PRIMARY KEY)`);
      const alone = await migrate({
        source: src.url,
        target: again.url,
        createMissing: true,
        selection: { tables: ['c'] },
      });
      assert.equal(alone.outcome, 'verified', JSON.stringify(alone.tables, null, 1));
      assert.deepEqual(await again.fingerprint('c'), await src.fingerprint('c'));
    });

    it('still refuses rows an existing NOT VALID foreign key on the target would refuse', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE p (id int PRIMARY KEY); INSERT INTO p VALUES (1);
        CREATE TABLE c (id int PRIMARY KEY, pid int); INSERT INTO c VALUES (1, 1), (2, 99)`,
        target: `CREATE TABLE p (id int PRIMARY KEY);
        CREATE TABLE c (id int PRIMARY KEY, pid int); INSERT INTO c VALUES (5, 42);
        ALTER TABLE c ADD CONSTRAINT c_pid_fk FOREIGN KEY (pid) REFERENCES p (id) NOT VALID`,
      });
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.committed, false);
      const c = byName(report, 'c');
      assert.notEqual(c.status, 'verified');
      assert.match(JSON.stringify(c), /1 row\(s\) reference public\.p rows that the target does not have/);
      assert.deepEqual(await tgt.sql(`SELECT id, pid FROM c`), [{ id: 5, pid: 42 }], 'rolled back');
    });
  });
}

// Sequences move past the copied ids inside the load's transaction, so a failure on any of them
// leaves every sequence where it was; the message names the sequence.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import { TestDb, directions } from './support/pg.js';

const [from, to] = directions()[0];

const lastValues = (db: TestDb) =>
  db.sql(`SELECT sequencename AS seq, last_value::int AS v FROM pg_sequences ORDER BY 1`);

async function twoTables(): Promise<{ src: TestDb; tgt: TestDb }> {
  const src = await TestDb.create(from, 'src');
  const tgt = await TestDb.create(to, 'tgt');
  const ddl = 'CREATE TABLE a (id serial PRIMARY KEY, v text); CREATE TABLE b (id serial PRIMARY KEY, v text);';
  await src.sql(
    `${ddl} INSERT INTO a (v) SELECT 'a' FROM generate_series(1, 30); INSERT INTO b (v) SELECT 'b' FROM generate_series(1, 70);`,
  );
  await tgt.sql(`${ddl} INSERT INTO a (v) VALUES ('old'); INSERT INTO b (v) VALUES ('old');`);
  return { src, tgt };
}

describe('sequences', () => {
  it('a sequence locked by another session fails the run naming it, and no sequence has moved', async () => {
    const { src, tgt } = await twoTables();
    const before = await lastValues(tgt);
    const holder = new pg.Client({ connectionString: tgt.url });
    await holder.connect();
    await holder.query('BEGIN; ALTER SEQUENCE b_id_seq CACHE 1');
    try {
      const report = await migrate({ source: src.url, target: tgt.url, lockTimeoutMs: 1500 });
      assert.equal(report.committed, false);
      assert.match(report.tables.find((t) => t.table === 'b')!.reason!, /b_id_seq|a lock on the target/);
    } finally {
      await holder.end();
    }
    assert.deepEqual(await lastValues(tgt), before, 'a_id_seq did not move although it came first');
    assert.deepEqual(await tgt.sql('SELECT v FROM a'), [{ v: 'old' }]);
  });

  it('a sequence whose maximum is below the copied ids fails up front, naming it and the values', async () => {
    const { src, tgt } = await twoTables();
    await tgt.sql('ALTER SEQUENCE b_id_seq MAXVALUE 50');
    const before = await lastValues(tgt);
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.committed, false);
    assert.match(
      report.tables.find((t) => t.table === 'a')!.reason!,
      /could not move sequence public\.b_id_seq past the copied values: the largest value in use, 70, leaves no room below its maximum 50/,
    );
    assert.deepEqual(await lastValues(tgt), before);
  });

  it('a target user who owns no sequence but may update them moves them with setval', async () => {
    const { src, tgt } = await twoTables();
    const role = `writer_${tgt.name}`;
    await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'writer-pw';
      GRANT SELECT, INSERT, DELETE, TRUNCATE ON a, b TO ${role}; GRANT SELECT, UPDATE ON a_id_seq, b_id_seq TO ${role};`);
    const writer = tgt.url.replace(/\/\/[^@]+@/, `//${role}:writer-pw@`);
    const report = await migrate({ source: src.url, target: writer });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql(`INSERT INTO a (v) VALUES ('new'); INSERT INTO b (v) VALUES ('new')`);
    assert.deepEqual(
      await tgt.sql(`SELECT (SELECT id FROM a WHERE v = 'new') AS a, (SELECT id FROM b WHERE v = 'new') AS b`),
      [{ a: 31, b: 71 }],
    );
  });

  it('a descending sequence (serial or identity) moves below the smallest copied id', async () => {
    const src = await TestDb.create(from, 'src');
    const tgt = await TestDb.create(to, 'tgt');
    const ddl = `CREATE SEQUENCE d_seq INCREMENT -1 START -1 MINVALUE -1000000 MAXVALUE -1;
      CREATE TABLE d (id int PRIMARY KEY DEFAULT nextval('d_seq'), v text); ALTER SEQUENCE d_seq OWNED BY d.id;
      CREATE TABLE di (id int GENERATED ALWAYS AS IDENTITY (INCREMENT -1 START -1 MINVALUE -1000 MAXVALUE -1) PRIMARY KEY, v text);`;
    await src.sql(
      `${ddl} INSERT INTO d (v) SELECT 'x' FROM generate_series(1, 10); INSERT INTO di (v) SELECT 'x' FROM generate_series(1, 5);`,
    );
    await tgt.sql(ddl);
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql(`INSERT INTO d (v) VALUES ('new'); INSERT INTO di (v) VALUES ('new')`);
    assert.deepEqual(
      await tgt.sql(`SELECT (SELECT id FROM d WHERE v = 'new') AS d, (SELECT id FROM di WHERE v = 'new') AS di`),
      [{ d: -11, di: -6 }],
    );
  });
});

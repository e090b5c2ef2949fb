// Sequences move past the copied ids inside the load's transaction, so a failure on any of them
// leaves every sequence where it was; the message names the sequence.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate, planMigration } from '../src/engine/index.js';
import { type TestDb, directions, pair } from './support/pg.js';

const [from, to] = directions()[0];

const lastValues = (db: TestDb) =>
  db.sql(`SELECT sequencename AS seq, last_value::int AS v FROM pg_sequences ORDER BY 1`);

async function twoTables(): Promise<{ src: TestDb; tgt: TestDb }> {
  const ddl = 'CREATE TABLE a (id serial PRIMARY KEY, v text); CREATE TABLE b (id serial PRIMARY KEY, v text);';
  const { src, tgt } = await pair(from, to, {
    both: ddl,
    source: `INSERT INTO a (v) SELECT 'a' FROM generate_series(1, 30); INSERT INTO b (v) SELECT 'b' FROM generate_series(1, 70);`,
    target: `INSERT INTO a (v) VALUES ('old'); INSERT INTO b (v) VALUES ('old');`,
  });
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
      report.tables.find((t) => t.table === 'b')!.reason!,
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
    const ddl = `CREATE SEQUENCE d_seq INCREMENT -1 START -1 MINVALUE -1000000 MAXVALUE -1;
      CREATE TABLE d (id int PRIMARY KEY DEFAULT nextval('d_seq'), v text); ALTER SEQUENCE d_seq OWNED BY d.id;
      CREATE TABLE di (id int GENERATED ALWAYS AS IDENTITY (INCREMENT -1 START -1 MINVALUE -1000 MAXVALUE -1) PRIMARY KEY, v text);`;
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO d (v) SELECT 'x' FROM generate_series(1, 10); INSERT INTO di (v) SELECT 'x' FROM generate_series(1, 5);`,
    });
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql(`INSERT INTO d (v) VALUES ('new'); INSERT INTO di (v) VALUES ('new')`);
    assert.deepEqual(
      await tgt.sql(`SELECT (SELECT id FROM d WHERE v = 'new') AS d, (SELECT id FROM di WHERE v = 'new') AS di`),
      [{ d: -11, di: -6 }],
    );
  });
});

// Pagila's habit, shared by many hand-written and ORM schemas: sequences created on their own and
// called by column defaults, owned by no column; one sequence behind two tables, one behind a
// partitioned table's partitions, one behind a table the run does not select (note_archive).
const PAGILA_LIKE = `
  CREATE SEQUENCE actor_actor_id_seq AS integer START 100 INCREMENT 5 MINVALUE 100 MAXVALUE 1000000 CACHE 3;
  CREATE TABLE actor (actor_id integer DEFAULT nextval('actor_actor_id_seq'::regclass) NOT NULL PRIMARY KEY,
                      name text NOT NULL);
  CREATE SEQUENCE payment_payment_id_seq;
  CREATE TABLE payment_2022 (payment_id integer DEFAULT nextval('payment_payment_id_seq') PRIMARY KEY,
                             actor_id integer NOT NULL REFERENCES actor, amount numeric(5, 2));
  CREATE TABLE payment_2023 (payment_id integer DEFAULT nextval('payment_payment_id_seq') PRIMARY KEY,
                             actor_id integer NOT NULL REFERENCES actor, amount numeric(5, 2));
  CREATE SEQUENCE rental_rental_id_seq;
  CREATE TABLE rental (rental_id integer DEFAULT nextval('rental_rental_id_seq') NOT NULL, rented date NOT NULL,
                       PRIMARY KEY (rental_id, rented)) PARTITION BY RANGE (rented);
  CREATE TABLE rental_2022 PARTITION OF rental FOR VALUES FROM ('2022-01-01') TO ('2023-01-01');
  CREATE TABLE rental_2023 PARTITION OF rental FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
  CREATE SEQUENCE note_id_seq;
  CREATE TABLE note (id bigint DEFAULT nextval('note_id_seq') PRIMARY KEY, body text);
  CREATE TABLE note_archive (id bigint DEFAULT nextval('note_id_seq') PRIMARY KEY, body text);
  CREATE SEQUENCE category_category_id_seq;
  CREATE TABLE category (category_id integer DEFAULT nextval('category_category_id_seq') PRIMARY KEY, name text);
  ALTER SEQUENCE category_category_id_seq OWNED BY category.category_id;
  CREATE TABLE subcategory (id integer DEFAULT nextval('category_category_id_seq') PRIMARY KEY, name text);`;

const PAGILA_ROWS = `
  INSERT INTO actor (name) SELECT 'actor ' || g FROM generate_series(1, 20) g;
  INSERT INTO actor VALUES (500, 'an id past the sequence');
  INSERT INTO payment_2022 (actor_id, amount) SELECT 100, g FROM generate_series(1, 30) g;
  INSERT INTO payment_2023 (actor_id, amount) SELECT 105, g FROM generate_series(1, 40) g;
  INSERT INTO rental (rented) SELECT '2022-06-01'::date + g * 2 FROM generate_series(1, 200) g;
  SELECT setval('rental_rental_id_seq', 1000);
  INSERT INTO note (body) SELECT 'n' || g FROM generate_series(1, 10) g;
  INSERT INTO note_archive (body) SELECT 'a' || g FROM generate_series(1, 5) g;
  INSERT INTO category (name) SELECT 'c' || g FROM generate_series(1, 8) g;
  INSERT INTO subcategory (name) SELECT 's' || g FROM generate_series(1, 4) g;`;

const PAGILA_SELECTION = { exclude: ['note_archive'] };

/** The id an INSERT that relies on the default gets, table by table. */
async function nextIds(db: TestDb): Promise<Record<string, number>> {
  const [r] = await db.sql(`WITH
    a AS (INSERT INTO actor (name) VALUES ('new') RETURNING actor_id AS id),
    p1 AS (INSERT INTO payment_2022 (actor_id, amount) VALUES (100, 1) RETURNING payment_id AS id),
    p2 AS (INSERT INTO payment_2023 (actor_id, amount) VALUES (100, 1) RETURNING payment_id AS id),
    r AS (INSERT INTO rental (rented) VALUES ('2023-02-01') RETURNING rental_id AS id),
    n AS (INSERT INTO note (body) VALUES ('new') RETURNING id),
    c AS (INSERT INTO category (name) VALUES ('new') RETURNING category_id AS id)
    SELECT (SELECT id FROM a) AS actor, (SELECT id FROM p1) AS p2022, (SELECT id FROM p2) AS p2023,
           (SELECT id FROM r) AS rental, (SELECT id::int FROM n) AS note, (SELECT id FROM c) AS category`);
  return r;
}

/** Each sequence's definition, and the column that owns it (null when none does). */
const sequenceDefinitions = (db: TestDb) =>
  db.sql(`SELECT s.sequencename AS name, s.data_type::text AS type, s.start_value::text AS start,
            s.min_value::text AS min, s.max_value::text AS max, s.increment_by::text AS increment,
            s.cycle, s.cache_size::text AS cache,
            (SELECT format('%s.%s', d.refobjid::regclass, a.attname) FROM pg_depend d
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
              WHERE d.classid = 'pg_class'::regclass AND d.objid = format('%I.%I', s.schemaname, s.sequencename)::regclass
                AND d.deptype = 'a') AS owner
       FROM pg_sequences s WHERE s.schemaname = 'public' ORDER BY 1`);

const notesOf = (report: { tables: { table: string; notes: string[] }[] }, table: string) =>
  report.tables.find((t) => t.table === table)!.notes.join('\n');

for (const [fromServer, toServer] of directions()) {
  describe(`sequences that a default calls but no column owns, PostgreSQL ${fromServer.major} → ${toServer.major}`, () => {
    it('--create-missing creates them once each, as the source defines them, and moves them past the copied ids', async () => {
      const { src, tgt } = await pair(fromServer, toServer, { source: `${PAGILA_LIKE} ${PAGILA_ROWS}` });
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: PAGILA_SELECTION,
        createMissing: true,
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      const tables = report.tables.map((t) => t.table).sort();
      assert.deepEqual(tables, ['actor', 'category', 'note', 'payment_2022', 'payment_2023', 'rental', 'subcategory']);
      const ddl = report.tables.flatMap((t) => t.ddl ?? []);
      assert.equal(ddl.filter((s) => /^CREATE SEQUENCE "public"."payment_payment_id_seq"/.test(s)).length, 1);
      const expected = (await sequenceDefinitions(src)).filter((s) => s.name !== 'note_archive');
      assert.deepEqual(await sequenceDefinitions(tgt), expected, 'own parameters; OWNED BY only where owned');
      assert.match(
        notesOf(report, 'actor'),
        /sequence public\.actor_actor_id_seq, which the default of actor_id calls, is created on the target \(no column owns it, as on the source\)/,
      );
      assert.match(notesOf(report, 'payment_2023'), /shared with public\.payment_2022/);
      assert.match(
        notesOf(report, 'subcategory'),
        /category_category_id_seq, which the default of id calls, is created on the target \(owned by public\.category\.category_id, as on the source\)/,
      );
      // category's next id is past subcategory's too: they share its sequence.
      assert.deepEqual(await nextIds(tgt), { actor: 505, p2022: 71, p2023: 72, rental: 1001, note: 16, category: 13 });
    });

    it("--add-columns creates the sequence an added column's default calls, and moves it", async () => {
      const { src, tgt } = await pair(fromServer, toServer, {
        source: `CREATE SEQUENCE ticket_seq START 50;
        CREATE TABLE wide (id int PRIMARY KEY, ticket int NOT NULL DEFAULT nextval('ticket_seq'));
        INSERT INTO wide (id) SELECT g FROM generate_series(1, 10) g;`,
        target: `CREATE TABLE wide (id int PRIMARY KEY); INSERT INTO wide VALUES (77);`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, addColumns: true });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.match(
        notesOf(report, 'wide'),
        /sequence public\.ticket_seq, which the default of ticket calls, is created/,
      );
      assert.deepEqual(await tgt.sql(`INSERT INTO wide (id) VALUES (11) RETURNING ticket`), [{ ticket: 60 }]);
    });

    it('into an existing schema (replace): past the copied ids, never backwards, past a table it does not copy', async () => {
      const { src, tgt } = await pair(fromServer, toServer, {
        both: PAGILA_LIKE,
        source: `${PAGILA_ROWS}`,
        target: `INSERT INTO actor (name) VALUES ('old'); INSERT INTO note (body) VALUES ('old');
        INSERT INTO note_archive VALUES (9000, 'kept, not copied');
        SELECT setval('payment_payment_id_seq', 5000); ALTER SEQUENCE category_category_id_seq RESTART 300;
        CREATE TABLE ticket (code text DEFAULT 'T-' || nextval('note_id_seq'), body text);
        INSERT INTO ticket (body) VALUES ('kept');`,
      });
      const plan = await planMigration({ source: src.url, target: tgt.url, selection: PAGILA_SELECTION });
      const note = plan.plan.tables.find((t) => t.table === 'note')!.notes.join('\n');
      assert.match(
        note,
        /note_id_seq.*public\.note_archive\.id, which this run does not copy, takes its values from it too/,
      );
      assert.match(note, /public\.ticket\.code.*not an integer column/);
      const report = await migrate({ source: src.url, target: tgt.url, selection: PAGILA_SELECTION });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.match(notesOf(report, 'note'), /public\.note_archive\.id/);
      assert.match(notesOf(report, 'actor'), /sequence public\.actor_actor_id_seq, .*\(no column owns it\)/);
      assert.match(notesOf(report, 'subcategory'), /\(owned by public\.category\.category_id\)/);
      assert.match(notesOf(report, 'actor'), /sequence public\.actor_actor_id_seq now continues at 505/);
      assert.deepEqual(await nextIds(tgt), {
        actor: 505,
        p2022: 5001,
        p2023: 5002,
        rental: 1001,
        note: 9001,
        category: 300,
      });
      assert.deepEqual(await tgt.sql(`SELECT id::int, body FROM note_archive`), [
        { id: 9000, body: 'kept, not copied' },
      ]);
    });
  });
}

// A hostile tester's cases: a cycling sequence that wrapped, an exhausted one, two sequences failing
// for their own tables only, and a target user who may not move a sequence (foreseen by the plan).
const WRAPPED = `CREATE SEQUENCE s_wrap AS int MAXVALUE 10 CYCLE START 9;
  CREATE TABLE tw (id int PRIMARY KEY DEFAULT nextval('s_wrap'), v text);
  CREATE SEQUENCE s_full AS int MAXVALUE 5;
  CREATE TABLE tf (id int PRIMARY KEY DEFAULT nextval('s_full'), v text);`;
const WRAPPED_ROWS = `INSERT INTO tw (v) SELECT 'w' FROM generate_series(1, 4);
  INSERT INTO tf (v) SELECT 'f' FROM generate_series(1, 5);`;

for (const [fromServer, toServer] of directions()) {
  describe(`sequences at their bounds, PostgreSQL ${fromServer.major} → ${toServer.major}`, () => {
    it('a cycling sequence that wrapped continues where the source’s does; an exhausted one stays exhausted, said in a note', async () => {
      const { src, tgt } = await pair(fromServer, toServer, { source: `${WRAPPED} ${WRAPPED_ROWS}` });
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { tables: ['tw', 'tf'] },
        createMissing: true,
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
      assert.deepEqual(await tgt.sql('SELECT id FROM tw ORDER BY id'), [{ id: 1 }, { id: 2 }, { id: 9 }, { id: 10 }]);
      assert.match(
        notesOf(report, 'tw'),
        /sequence public\.s_wrap cycles and has wrapped on the source: it continues where the source's does, at 3/,
      );
      assert.match(notesOf(report, 'tf'), /sequence public\.s_full is exhausted, as on the source/);
      await tgt.sql(`INSERT INTO tw (v) VALUES ('new')`);
      assert.deepEqual(await tgt.sql(`SELECT id FROM tw WHERE v = 'new'`), [{ id: 3 }]);
      await assert.rejects(tgt.sql(`INSERT INTO tf (v) VALUES ('new')`), /reached maximum value/);
    });

    it('each sequence problem fails the tables that use it, and every one is reported in one run', async () => {
      const ddl = `CREATE TABLE ta (id serial PRIMARY KEY, v text); CREATE TABLE tb (id serial PRIMARY KEY, v text);
        CREATE TABLE tc (id serial PRIMARY KEY, v text);`;
      const { src, tgt } = await pair(fromServer, toServer, {
        both: ddl,
        source: `INSERT INTO ta (v) SELECT 'a' FROM generate_series(1, 30);
        INSERT INTO tb (v) SELECT 'b' FROM generate_series(1, 70); INSERT INTO tc (v) SELECT 'c' FROM generate_series(1, 3);`,
        target: `ALTER SEQUENCE ta_id_seq MAXVALUE 20; ALTER SEQUENCE tb_id_seq MAXVALUE 50;`,
      });
      const before = await lastValues(tgt);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.committed, false);
      const byTable = (name: string) => report.tables.find((t) => t.table === name)!;
      assert.equal(byTable('ta').status, 'failed');
      assert.match(
        byTable('ta').reason!,
        /public\.ta_id_seq .*the largest value in use, 30, leaves no room below its maximum 20/,
      );
      assert.doesNotMatch(byTable('ta').reason!, /tb_id_seq/);
      assert.equal(byTable('tb').status, 'failed');
      assert.match(byTable('tb').reason!, /public\.tb_id_seq .*70.*maximum 50/);
      assert.equal(byTable('tc').status, 'rolled back');
      assert.deepEqual(report.causes!.map((c) => c.table).sort(), ['ta', 'tb']);
      assert.deepEqual(await lastValues(tgt), before);
      assert.deepEqual(await tgt.sql('SELECT count(*)::int AS n FROM tc'), [{ n: 0 }]);
    });

    it('a target user who may not update a sequence: the plan skips its tables up front, naming the sequence', async () => {
      const { src, tgt } = await twoTablesOn(fromServer, toServer);
      const role = `noseq_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'noseq-pw';
        GRANT SELECT, INSERT, DELETE, TRUNCATE ON a, b TO ${role}; GRANT SELECT, UPDATE ON a_id_seq TO ${role};
        GRANT SELECT ON b_id_seq TO ${role};`);
      const writer = tgt.url.replace(/\/\/[^@]+@/, `//${role}:noseq-pw@`);
      const planned = await planMigration({ source: src.url, target: writer });
      const b = planned.plan.tables.find((t) => t.table === 'b')!;
      assert.equal(b.action, 'skip');
      assert.match(b.reason!, /sequence public\.b_id_seq.*UPDATE/);
      const report = await migrate({ source: src.url, target: writer });
      assert.equal(report.tables.find((t) => t.table === 'b')!.status, 'skipped');
      assert.equal(report.tables.find((t) => t.table === 'a')!.status, 'verified');
      assert.equal(report.committed, true);
    });
  });
}

async function twoTablesOn(f: typeof from, t: typeof to): Promise<{ src: TestDb; tgt: TestDb }> {
  const ddl = 'CREATE TABLE a (id serial PRIMARY KEY, v text); CREATE TABLE b (id serial PRIMARY KEY, v text);';
  const { src, tgt } = await pair(f, t, {
    both: ddl,
    source: `INSERT INTO a (v) SELECT 'a' FROM generate_series(1, 30); INSERT INTO b (v) SELECT 'b' FROM generate_series(1, 70);`,
  });
  return { src, tgt };
}

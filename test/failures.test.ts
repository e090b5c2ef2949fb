// One run tells every problem: each table loads in its own savepoint, so a table the target refuses
// fails alone and the others still load, count and verify (then roll back, since nothing commits after
// a failure); what is no one table's fault (a lock waited for too long, a cancel, a lost connection)
// still ends the run at once.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import { CopyStreamError, endsTheRun } from '../src/engine/errors.js';
import {
  type Report,
  type TableReport,
  causeLines,
  causesOf,
  problemsFirst,
  stopBanner,
} from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { type TestDb, directions, pair } from './support/pg.js';

const byName = (r: Report, table: string): TableReport => {
  const t = r.tables.find((x) => x.table === table);
  assert.ok(t, `no row for ${table} in the report: ${r.tables.map((x) => x.table).join(', ')}`);
  return t;
};
const statuses = (r: Report) => Object.fromEntries(r.tables.map((t) => [t.table, t.status]));

const seqTuplesRead = async (db: TestDb, table: string): Promise<number> =>
  Number((await db.sql(`SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = $1`, [table]))[0].seq_tup_read);

for (const [from, to] of directions()) {
  describe(`one run names every problem, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('two tables the target refuses both fail with their own error; the others load, verify and roll back', async () => {
      const big = 250_000;
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE a_first (id int PRIMARY KEY, v text);
        INSERT INTO a_first SELECT g, 'a' || g FROM generate_series(1, 50) g;
        CREATE TABLE b_big (v int, pad text);
        INSERT INTO b_big SELECT g, repeat('x', 100) FROM generate_series(1, ${big}) g;
        CREATE TABLE c_narrow (id int PRIMARY KEY, code text);
        INSERT INTO c_narrow VALUES (1, 'ok'), (2, 'far too long');
        CREATE TABLE d_last (id int PRIMARY KEY, v text);
        INSERT INTO d_last SELECT g, 'd' || g FROM generate_series(1, 30) g;`,
      });
      // The target enforces what the source does not: b_big's 10th row breaks a CHECK (the source still
      // has megabytes to send), c_narrow's second value does not fit.
      await tgt.sql(`CREATE TABLE a_first (id int PRIMARY KEY, v text); INSERT INTO a_first VALUES (1, 'old');
        CREATE TABLE b_big (v int CONSTRAINT small CHECK (v < 10), pad text); INSERT INTO b_big VALUES (1, 'old');
        CREATE TABLE c_narrow (id int PRIMARY KEY, code varchar(3));
        CREATE TABLE d_last (id int PRIMARY KEY, v text); INSERT INTO d_last VALUES (7, 'old');`);
      const before = {
        a: await tgt.fingerprint('a_first'),
        b: await tgt.fingerprint('b_big'),
        d: await tgt.fingerprint('d_last'),
      };
      const readBefore = await seqTuplesRead(src, 'b_big');
      const phases: string[] = [];
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        // One stream: a parallel load reads ahead of the target by design, so the source's early stop is
        // the single stream's (a reader of a failed table stops at once, but may have read it already).
        jobs: 1,
        onProgress: (e) => e.type === 'phase' && phases.push(e.message),
      });

      assert.deepEqual(statuses(report), {
        a_first: 'rolled back',
        b_big: 'failed',
        c_narrow: 'failed',
        d_last: 'rolled back',
      });
      assert.equal(report.outcome, 'failed');
      assert.equal(report.committed, false);
      const b = byName(report, 'b_big');
      const c = byName(report, 'c_narrow');
      assert.equal(b.error?.code, '23514');
      assert.match(b.reason!, /violates check constraint "small" \[23514\]; rolled back, the target is unchanged$/);
      assert.equal(c.error?.code, '22001');
      assert.match(c.reason!, /value too long for type character varying\(3\) \[22001\]; rolled back/);
      // The tables after the failures were still read from the same snapshot, counted and proved.
      const d = byName(report, 'd_last');
      assert.equal(d.sourceRows, 30);
      assert.equal(d.targetRows, null, 'rolled back: no rows shown as arrived');
      assert.equal(
        d.reason,
        'verified, then rolled back because public.b_big, public.c_narrow failed; the target is unchanged',
      );
      assert.deepEqual(
        causesOf(report).map((x) => [x.table, x.status]),
        [
          ['b_big', 'failed'],
          ['c_narrow', 'failed'],
        ],
      );
      assert.equal(report.cause?.table, 'b_big', 'the first cause stays where older readers look');
      assert.deepEqual(
        problemsFirst(report.tables, causesOf(report)).map((t) => t.table),
        ['b_big', 'c_narrow', 'a_first', 'd_last'],
      );
      // Every rendering names every failure with its error.
      const banner = stopBanner(report)!;
      assert.equal(
        banner,
        'Rolled back by 2 tables: public.b_big (failed), public.c_narrow (failed). 2 other tables rolled back with them. Nothing was committed.',
      );
      assert.deepEqual(
        causeLines(report).map((l) => l.replace(/:.*/, '')),
        ['public.b_big (failed)', 'public.c_narrow (failed)'],
      );
      const text = toText(report);
      assert.match(text, /^Rolled back by 2 tables/);
      assert.match(text, /\n {2}- public\.b_big \(failed\): new row for relation "b_big" violates check constraint/);
      assert.match(text, /\n {2}- public\.c_narrow \(failed\): value too long/);
      const md = toMarkdown(report);
      assert.match(md, /> - public\.b_big \(failed\): new row/);
      assert.match(md, /> - public\.c_narrow \(failed\): value too long/);
      const json = JSON.parse(JSON.stringify(report));
      assert.deepEqual(
        json.causes.map((x: { table: string }) => x.table),
        ['b_big', 'c_narrow'],
      );
      assert.ok(phases.some((p) => /^public\.b_big failed: .*going on with the other tables/.test(p)));
      // Nothing of it stayed: the target is exactly as it was.
      assert.deepEqual(
        {
          a: await tgt.fingerprint('a_first'),
          b: await tgt.fingerprint('b_big'),
          d: await tgt.fingerprint('d_last'),
        },
        before,
      );
      assert.equal(await tgt.count('c_narrow'), 0);
      // The source was read once, and not to its end: a COPY stopped on the server when the target refused
      // the rows (not read to the end to get the connection back; no count(*) before it).
      assert.equal(await src.archonSessionsLeft(), 0, `Archon sessions still open on ${src.name}`);
      const read = (await seqTuplesRead(src, 'b_big')) - readBefore;
      assert.ok(read > 0 && read < big, `b_big: ${read} tuples read on the source for ${big} rows`);
    });

    it('a table referencing one that failed: its foreign key is not checked against missing rows, and it says so', async () => {
      const ddl = `CREATE TABLE parent (id int PRIMARY KEY, v int);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));`;
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO parent SELECT g, g FROM generate_series(1, 20) g;
        INSERT INTO child SELECT g, g FROM generate_series(1, 20) g;`,
        target: `ALTER TABLE parent ADD CONSTRAINT small CHECK (v < 10);`,
      });
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.deepEqual(statuses(report), { parent: 'failed', child: 'rolled back' });
      const child = byName(report, 'child');
      assert.equal(child.reason, 'verified, then rolled back because public.parent failed; the target is unchanged');
      assert.ok(
        child.notes.includes(
          'foreign key child_parent_id_fkey (into public.parent) not checked: public.parent failed to load, so the rows it points at are not there',
        ),
        child.notes.join('\n'),
      );
      assert.deepEqual(
        causesOf(report).map((x) => x.table),
        ['parent'],
      );
    });

    it('where the target enforces foreign keys as rows arrive, the referencing table fails, naming the table it waited for', async () => {
      const ddl = `CREATE TABLE parent (id int PRIMARY KEY, v int);
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id));
        CREATE TABLE other (id int PRIMARY KEY);`;
      const { src, tgt } = await pair(from, to, {
        both: ddl,
        source: `INSERT INTO parent SELECT g, g FROM generate_series(1, 20) g;
        INSERT INTO child SELECT g, g FROM generate_series(1, 20) g; INSERT INTO other VALUES (1);`,
        target: `ALTER TABLE parent ADD CONSTRAINT small CHECK (v < 10);`,
      });
      // A table owner, not a superuser: no replica mode, so the target checks each foreign key itself.
      const role = `owner_${tgt.name}`;
      await tgt.sql(`CREATE ROLE ${role} LOGIN PASSWORD 'owner-secret-pw';
        ALTER TABLE parent OWNER TO ${role}; ALTER TABLE child OWNER TO ${role}; ALTER TABLE other OWNER TO ${role};`);
      const targetUrl = tgt.url.replace(/\/\/[^@]+@/, `//${role}:owner-secret-pw@`);
      const report = await migrate({ source: src.url, target: targetUrl });
      assert.deepEqual(statuses(report), { parent: 'failed', child: 'failed', other: 'rolled back' });
      const child = byName(report, 'child');
      assert.equal(child.error?.code, '23503');
      assert.match(
        child.reason!,
        /violates foreign key constraint "child_parent_id_fkey" \[23503\] \(public\.parent failed to load, so the rows this foreign key points at are not there; this table's own rows may be fine\); rolled back/,
      );
      assert.deepEqual(
        causesOf(report).map((x) => x.table),
        ['parent', 'child'],
      );
      assert.equal(await tgt.count('other'), 0);
    });

    it("a created table's foreign key refused after the load fails that table alone; the others go on", async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE parent (id int PRIMARY KEY, v int); INSERT INTO parent SELECT g, g FROM generate_series(1, 5) g;
        CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id)); INSERT INTO child VALUES (1, 5);
        CREATE TABLE z_other (id int PRIMARY KEY); INSERT INTO z_other VALUES (1), (2);`,
      });
      // parent exists on the target and refuses a row; child and z_other are created by the run.
      await tgt.sql(`CREATE TABLE parent (id int PRIMARY KEY, v int CHECK (v < 5));`);
      const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
      assert.deepEqual(statuses(report), { parent: 'failed', child: 'failed', z_other: 'rolled back' });
      assert.match(
        byName(report, 'child').reason!,
        /violates foreign key constraint "child_parent_id_fkey" \[23503\] \(public\.parent failed to load/,
      );
      assert.equal(byName(report, 'z_other').sourceRows, 2);
      assert.equal((await tgt.sql(`SELECT to_regclass('child') AS c, to_regclass('z_other') AS z`))[0].c, null);
    });
  });
}

describe('what ends the run at once', () => {
  const [from, to] = directions()[0];

  it('a lock waited for too long stops the run after an earlier table failed: both failures listed, the rest not run', async () => {
    const ddl = `CREATE TABLE a_bad (id int PRIMARY KEY, v int); CREATE TABLE b_locked (id int PRIMARY KEY);
      CREATE TABLE c_after (id int PRIMARY KEY);`;
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO a_bad VALUES (1, 1), (2, 99); INSERT INTO b_locked VALUES (1);
      INSERT INTO c_after VALUES (1);`,
      target: `ALTER TABLE a_bad ADD CHECK (v < 10);`,
    });
    // Someone holds b_locked on the source: reading it waits, and the wait gives up.
    const holder = new pg.Client({ connectionString: src.url, application_name: 'the lock holder' });
    await holder.connect();
    await holder.query('BEGIN; LOCK TABLE b_locked IN ACCESS EXCLUSIVE MODE');
    let report: Report;
    try {
      // In the plan's order: a parallel load free of foreign key checks (replica mode) loads the biggest
      // table first, and the locked one is sized small, so c_after would run before it.
      report = await migrate({ source: src.url, target: tgt.url, lockTimeoutMs: 1500, jobs: 1 });
    } finally {
      await holder.end();
    }
    assert.deepEqual(statuses(report), { a_bad: 'failed', b_locked: 'failed', c_after: 'not run' });
    assert.match(byName(report, 'a_bad').reason!, /violates check constraint .*\[23514\]; rolled back/);
    assert.match(byName(report, 'b_locked').reason!, /^gave up after waiting 1\.5 s for a lock/);
    assert.match(byName(report, 'c_after').reason!, /^not run: the run stopped when public\.b_locked failed/);
    assert.deepEqual(
      causesOf(report).map((x) => x.table),
      ['a_bad', 'b_locked'],
    );
    assert.match(
      stopBanner(report)!,
      /^Rolled back by 2 tables: public\.a_bad \(failed\), public\.b_locked \(failed\)\./,
    );
  });

  it('the rule: errors that are no one table’s fault', () => {
    const server = (code: string, extra: object = {}) =>
      Object.assign(new Error(code), { code, severity: 'ERROR', ...extra });
    for (const code of [
      '55P03',
      '57014',
      '57P01',
      '08006',
      '53100',
      '53200',
      '40P01',
      '40001',
      '25P02',
      'XX000',
      '58030',
    ])
      assert.equal(endsTheRun(server(code)), true, code);
    for (const code of ['23514', '23505', '23503', '22001', '22P02', '42501', '42P01', '54000', '0A000', 'P0001'])
      assert.equal(endsTheRun(server(code)), false, code);
    const copied = (side: 'source' | 'target') => new CopyStreamError(side, server('23514'));
    assert.equal(endsTheRun(copied('source')), true, "the source's errors end the run");
    assert.equal(endsTheRun(copied('target')), false, "the target's refusal keeps its code: the table's own");
    assert.equal(endsTheRun(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), true, 'a socket error');
    assert.equal(endsTheRun(new Error('no SQLSTATE')), true);
  });
});

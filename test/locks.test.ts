// Every wait ends: a lock held by someone else is named while Archon waits, the wait gives up after
// --lock-timeout, and a cancel ends the statement on the server, leaving no Archon session behind.
import { strict as assert } from 'node:assert';
import { stopBanner } from '../src/shared/report.js';
import { describe, it } from 'node:test';
import pg from 'pg';
import { type ProgressEvent, compare, countTableRows, inspect, migrate, planMigration } from '../src/engine/index.js';
import { TestDb, directions, pair } from './support/pg.js';

const [from, to] = directions()[0];

/** Another session holding a lock until released. */
async function holdLock(url: string, sql: string): Promise<{ pid: number; release: () => Promise<void> }> {
  const c = new pg.Client({ connectionString: url, application_name: 'the lock holder' });
  await c.connect();
  await c.query(`BEGIN; ${sql}`);
  const pid = Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  return { pid, release: () => c.end() };
}

describe('locks', () => {
  it('a locked target table: the wait is shown with its holder, then gives up, and nothing is written', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);`,
      target: `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (9);`,
    });
    const holder = await holdLock(tgt.url, 'SELECT * FROM t');
    try {
      const events: ProgressEvent[] = [];
      // Bounded: the run ends by itself while the holder still holds the lock (the reason says after how
      // long). A bound this short is looked at four times, so the holder is named before it runs out.
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        lockTimeoutMs: 1000,
        onProgress: (e) => events.push(e),
      });
      const waiting = events.find(
        (e) => e.type === 'phase' && e.message.startsWith('waiting for a lock on the target'),
      );
      assert.ok(waiting, 'the wait is shown while it lasts');
      assert.match(
        JSON.stringify(waiting),
        new RegExp(`held by pid ${holder.pid} \\(the lock holder, user postgres, idle in transaction since`),
      );
      const t = report.tables[0];
      assert.equal(t.status, 'failed');
      assert.match(
        t.reason!,
        new RegExp(
          `gave up after waiting 1 s for a lock on the target \\(public\\.t\\), held by pid ${holder.pid} \\(the lock holder`,
        ),
      );
      assert.match(t.reason!, /a longer lock timeout/);
      assert.doesNotMatch(t.reason!, /--/, 'no CLI flag in a reason VS Code shows too');
      // Every rendering's banner says what stopped the run, even when no one table's copy did.
      assert.match(stopBanner(report) ?? '', /^The run failed: gave up after waiting 1 s .* Nothing was committed\.$/);
    } finally {
      await holder.release();
    }
    assert.deepEqual(await tgt.sql('SELECT id FROM t'), [{ id: 9 }]);
    assert.equal(await tgt.archonSessionsLeft(), 0, 'no Archon session left on the target');
  });

  it('cancelling while waiting for a lock ends the wait on the server at once', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);`,
      target: `CREATE TABLE t (id int PRIMARY KEY);`,
    });
    const holder = await holdLock(tgt.url, 'SELECT * FROM t');
    try {
      const controller = new AbortController();
      let waited = false;
      // Cancelled once the wait is seen (no fixed delay). The lock is still held when the run ends, and
      // a wait the cancel did not reach would end as a lock timeout (60 s), not as cancelled: the cancel
      // ended the wait on the server.
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        lockTimeoutMs: 60_000,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'phase' && e.message.startsWith('waiting for a lock on the target')) {
            waited = true;
            controller.abort();
          }
        },
      });
      assert.ok(waited, 'it was cancelled while it waited for the lock');
      assert.equal(report.outcome, 'cancelled');
      assert.match(report.tables[0].reason!, /^cancelled/);
      assert.equal(report.tables[0].status, 'not run', 'cancelled while it waited for its lock: it never ran');
      assert.equal(await tgt.archonSessionsLeft(), 0);
    } finally {
      await holder.release();
    }
  });

  it('a table locked by someone else that is not selected does not hold up plan, migrate or the tree', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE wanted (id int); INSERT INTO wanted VALUES (1), (2);
      CREATE TABLE other (id int PRIMARY KEY); INSERT INTO other SELECT generate_series(1, 1000);`,
      target: `CREATE TABLE wanted (id int); CREATE TABLE other (id int PRIMARY KEY);`,
    });
    const holders = await Promise.all([
      holdLock(src.url, 'LOCK TABLE other IN ACCESS EXCLUSIVE MODE'),
      holdLock(tgt.url, 'LOCK TABLE other IN ACCESS EXCLUSIVE MODE'),
    ]);
    try {
      const selection = { tables: ['wanted'] };
      // Every read here gives up after 2 s on a lock: one that waited would fail, not merely be slow.
      const planned = await planMigration({ source: src.url, target: tgt.url, selection, lockTimeoutMs: 2000 });
      assert.equal(planned.plan.tables.find((t) => t.table === 'wanted')?.action, 'copy');
      const report = await migrate({ source: src.url, target: tgt.url, selection, lockTimeoutMs: 2000 });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      const catalog = await inspect({ url: src.url, role: 'source', lockTimeoutMs: 2000 });
      const other = catalog.tables.find((t) => t.name === 'other');
      assert.ok(other && other.bytes >= 0, 'the locked table is still listed, sized from its page counts');
    } finally {
      await Promise.all(holders.map((h) => h.release()));
    }
    assert.equal(await tgt.count('wanted'), 2);
    assert.equal(await src.archonSessionsLeft(), 0);
  });

  it("the tree's exact count of a table someone holds locked gives up after its lock bound, saying so", async () => {
    const tgt = await TestDb.create(to, 'tgt');
    await tgt.sql('CREATE TABLE held (id int); INSERT INTO held VALUES (1);');
    const holder = await holdLock(tgt.url, 'LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
    try {
      // The tree's bound is 10 s; a shorter one here, so the test does not sit it out.
      const target = { url: tgt.url, role: 'target' as const, lockTimeoutMs: 1000 };
      await assert.rejects(
        () => countTableRows(target, { schema: 'public', name: 'held', kind: 'table' }),
        /gave up after waiting 1 s for a lock on the target while reading public\.held/,
      );
    } finally {
      await holder.release();
    }
    assert.equal(await tgt.archonSessionsLeft(), 0);
  });

  it('compare: a table locked on the target fails, and the tables after it are "not run", not failed', async () => {
    const ddl = 'CREATE TABLE a_locked (id int); CREATE TABLE b_free (id int);';
    const { src, tgt } = await pair(from, to, { both: ddl });
    const holder = await holdLock(tgt.url, 'LOCK TABLE a_locked IN ACCESS EXCLUSIVE MODE');
    try {
      const report = await compare({ source: src.url, target: tgt.url, lockTimeoutMs: 1500 });
      const status = Object.fromEntries(report.tables.map((t) => [t.table, t.status]));
      assert.deepEqual(status, { a_locked: 'failed', b_free: 'not run' });
    } finally {
      await holder.release();
    }
  });

  it('plan: a selected target table locked by someone else gives up naming the table and the holder', async () => {
    const { src, tgt } = await pair(from, to, {
      source: 'CREATE TABLE zlocked (id int); INSERT INTO zlocked VALUES (1);',
      target: 'CREATE TABLE zlocked (id int); INSERT INTO zlocked VALUES (2);',
    });
    const holder = await holdLock(tgt.url, 'LOCK TABLE zlocked IN ACCESS EXCLUSIVE MODE');
    try {
      await assert.rejects(
        // Under a second: the holder is looked up four times within the bound, not once a second, so it
        // is named however soon the wait began.
        () => planMigration({ source: src.url, target: tgt.url, lockTimeoutMs: 600 }),
        (e: Error) =>
          e.name === 'LockTimeoutError' &&
          new RegExp(`lock on the target \\(public\\.zlocked\\), held by pid ${holder.pid}`).test(e.message),
      );
    } finally {
      await holder.release();
    }
  });
});

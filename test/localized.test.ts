// A server whose messages are German (lc_messages): the engine classifies its errors as it does an
// English server's, because it reads SQLSTATEs and never the server's words. The German server is the
// operating system's PostgreSQL (support/localized.ts); the other side is an embedded server, so both
// directions run: into the German server, and out of it.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { connect, parseEndpoint } from '../src/engine/connect/connection.js';
import { ConnectionError, UsageError } from '../src/engine/errors.js';
import { migrate, undo } from '../src/engine/index.js';
import { type Localized, startLocalizedServer } from './support/localized.js';
import { type TestServer, testServers, urlOf, withClient, pair } from './support/pg.js';

let german: Localized = { skip: 'not started' };
before(async () => {
  german = await startLocalizedServer();
});
after(async () => {
  if ('stop' in german) await german.stop();
});

const server = (): TestServer => {
  if ('skip' in german) throw new Error(german.skip);
  return german.server;
};

/** A session holding a lock until released (another user's transaction). */
async function holdLock(url: string, sql: string): Promise<() => Promise<void>> {
  const c = new pg.Client({ connectionString: url, application_name: 'the lock holder' });
  await c.connect();
  await c.query(`BEGIN; ${sql}`);
  return () => c.end();
}

describe('a server that speaks German', () => {
  it('is German indeed (else the tests below prove nothing)', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    await withClient(urlOf(server(), 'postgres'), async (c) => {
      await assert.rejects(c.query('SELECT 1/0'), (e: Error) => /Division durch Null/.test(e.message));
    });
  });

  it('a wrong password is an authentication failure, with the password remedy', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    const ep = parseEndpoint(urlOf(server(), 'postgres', 'postgres', 'not-the-password'), 'source');
    const e = await connect(ep).then(
      () => null,
      (err: unknown) => err,
    );
    assert.ok(e instanceof ConnectionError, String(e));
    assert.equal(e.reason, 'auth');
    assert.deepEqual(e.remedy, { kind: 'password' });
    assert.match(e.serverMessage, /Passwort-Authentifizierung/, 'the server said it in German');
  });

  for (const into of [true, false]) {
    const where = into ? 'target' : 'source';
    it(`a lock on the ${where} waited for too long: the table fails naming the lock, nothing written`, async (t) => {
      if ('skip' in german) return t.skip(german.skip);
      const other = testServers()[into ? 17 : 15];
      const { src, tgt } = await pair(into ? other : server(), into ? server() : other, {
        source: 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);',
        target: 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (9);',
      });
      // A reader on the target holds up the emptying; on the source, a lock that holds up the read.
      const lock = into ? 'SELECT * FROM t' : 'LOCK TABLE t IN ACCESS EXCLUSIVE MODE';
      const release = await holdLock((into ? tgt : src).url, lock);
      try {
        const report = await migrate({ source: src.url, target: tgt.url, lockTimeoutMs: 1000 });
        assert.equal(report.committed, false);
        assert.equal(report.tables[0].status, 'failed');
        assert.match(report.tables[0].reason!, new RegExp(`gave up after waiting 1 s for a lock on the ${where}`));
      } finally {
        await release();
      }
      assert.deepEqual(await tgt.sql('SELECT id FROM t'), [{ id: 9 }]);
    });
  }

  it('a duplicate key under Append names the rows the target kept, and they are as they were', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    const ddl = 'CREATE TABLE tasks (id int PRIMARY KEY, title text);';
    const { src, tgt } = await pair(testServers()[17], server(), {
      both: ddl,
      source: `INSERT INTO tasks SELECT g, 'new ' || g FROM generate_series(1, 10) g;`,
      target: `INSERT INTO tasks VALUES (3, 'old 3');`,
    });
    const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
    assert.equal(report.tables[0].error?.code, '23505');
    assert.match(report.tables[0].reason!, /doppelter Schlüsselwert/, 'the server said it in German');
    assert.match(report.tables[0].reason!, /\[23505\]; the target already holds rows with these keys: choose Replace/);
    assert.deepEqual(await tgt.sql('SELECT id, title FROM tasks'), [{ id: 3, title: 'old 3' }]);
  });

  it('a cancel while the target waits for a lock ends the run as cancelled', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    const { src, tgt } = await pair(testServers()[17], server(), {
      source: 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);',
      target: 'CREATE TABLE t (id int PRIMARY KEY);',
    });
    const release = await holdLock(tgt.url, 'SELECT * FROM t');
    try {
      const controller = new AbortController();
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'phase' && e.message.startsWith('waiting for a lock')) controller.abort();
        },
      });
      assert.equal(report.outcome, 'cancelled');
      assert.equal(report.tables[0].status, 'not run');
    } finally {
      await release();
    }
    assert.equal(await tgt.count('t'), 0);
  });

  it('a table the target user may not analyze is a note (the warning read by its class, not its words)', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    const ddl = 'CREATE TABLE t (id int PRIMARY KEY, v text);';
    const { src, tgt } = await pair(testServers()[17], server(), {
      source: `${ddl} INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g;`,
    });
    const role = `loader_${tgt.name}`;
    await tgt.sql(`${ddl} CREATE ROLE ${role} LOGIN PASSWORD 'loader-pw';
      GRANT CREATE ON SCHEMA public TO ${role}; GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON t TO ${role};`);
    const loader = tgt.url.replace(/\/\/[^@]+@/, `//${role}:loader-pw@`);
    const report = await migrate({ source: src.url, target: loader, existing: 'append' });
    assert.equal(report.outcome, 'verified');
    assert.equal(await tgt.count('t'), 5);
    assert.deepEqual(report.analyzed, { tables: 1, failed: 1 });
    assert.ok(
      report.tables[0].notes.some((n) => /^not analyzed after the commit \(.*überspringe.*\)/.test(n)),
      report.tables[0].notes.join(' | '),
    );
  });

  it('undo refused by a view made since on a created table (2BP01) says so and changes nothing', async (t) => {
    if ('skip' in german) return t.skip(german.skip);
    const { src, tgt } = await pair(testServers()[17], server(), {
      source: 'CREATE TABLE made (id int PRIMARY KEY); INSERT INTO made VALUES (1), (2);',
    });
    const report = await migrate({ source: src.url, target: tgt.url, createMissing: true });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    await tgt.sql('CREATE VIEW made_view AS SELECT * FROM made');
    const journal = await tgt.sql('SELECT * FROM archon.runs');
    await assert.rejects(
      undo({ target: tgt.url }),
      (e: unknown) =>
        e instanceof UsageError && /other objects depend on its tables: .*hängt von/.test((e as Error).message),
    );
    assert.deepEqual(await tgt.sql('SELECT id FROM made ORDER BY id'), [{ id: 1 }, { id: 2 }]);
    assert.deepEqual(await tgt.sql('SELECT * FROM archon.runs'), journal, 'the journal is as it was');
  });
});

// Hosted platforms give roles short statement, idle-in-transaction and (PostgreSQL 17+) transaction
// timeouts; the run's source transaction lives as long as the run and may wait or idle in between, so
// it sets all three to 0 for itself. Here the source user's role has them, the run is held on a lock
// long past them, and it still arrives verified.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import { unboundedSourceTransaction } from '../src/engine/connect/session.js';
import { TestDb, type TestServer, directions, urlOf, withClient } from './support/pg.js';

const TABLE = `CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);`;

/** Role settings for `db` only, so no other test's connections get them. */
const limits = (s: TestServer, db: string, statement = '10ms') =>
  [
    `ALTER ROLE postgres IN DATABASE ${db} SET statement_timeout = '${statement}'`,
    `ALTER ROLE postgres IN DATABASE ${db} SET idle_in_transaction_session_timeout = '1ms'`,
    ...(s.major >= 17 ? [`ALTER ROLE postgres IN DATABASE ${db} SET transaction_timeout = '1s'`] : []),
  ].join('; ');

/**
 * Waits (bounded) until the run's source session has waited for the lock in a transaction older than the
 * role's limits (1 s), or the run ended first (as it does when a limit ends its transaction).
 */
async function sourceOutlivesLimits(
  s: TestServer,
  db: string,
  ended: () => boolean,
  side: 'source' | 'target' = 'source',
): Promise<void> {
  await withClient(urlOf(s, 'postgres'), async (c) => {
    for (let i = 0; i < 600 && !ended(); i++) {
      const r = await c.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'archon (' || $2 || ')'
            AND wait_event_type = 'Lock' AND clock_timestamp() - xact_start > interval '1.5 s'`,
        [db, side],
      );
      if (r.rowCount) return;
      await sleep(50);
    }
    if (!ended()) throw new Error('the run never waited for the lock');
  });
}

for (const [from, to] of directions()) {
  describe(`a source role with short timeouts, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('still migrates verified while the run waits and idles past them', async () => {
      const src = await TestDb.create(from, 'tsrc');
      const tgt = await TestDb.create(to, 'ttgt');
      await src.sql(`${TABLE} INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g;`);
      await tgt.sql(TABLE);
      const expected = await src.fingerprint('items');
      // Opened before the role's limits, so they do not apply to it: it holds the table while the run waits.
      const holder = new pg.Client(src.url);
      await holder.connect();
      try {
        await holder.query('BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
        await withClient(urlOf(from, 'postgres'), (c) => c.query(limits(from, src.name)));
        let ended = false;
        const run = migrate({ source: src.url, target: tgt.url }).finally(() => {
          ended = true;
        });
        await sourceOutlivesLimits(from, src.name, () => ended);
        await holder.query('COMMIT');
        const report = await run;
        assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      } finally {
        await holder.end();
        await withClient(urlOf(from, 'postgres'), (c) =>
          c.query(`ALTER ROLE postgres IN DATABASE ${src.name} RESET ALL`),
        );
      }
      assert.deepEqual(await tgt.fingerprint('items'), expected);
    });

    it("a target role's limits (PostgreSQL 17's transaction_timeout too) do not end the run's one transaction", async () => {
      const src = await TestDb.create(from, 'tsrc');
      const tgt = await TestDb.create(to, 'ttgt');
      await src.sql(`${TABLE} INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 2000) g;`);
      await tgt.sql(`${TABLE} CREATE TABLE other (id int);`);
      const holder = new pg.Client(tgt.url);
      await holder.connect();
      try {
        // The run's transaction begins, then waits on the held table past the role's 1 s.
        await holder.query('BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
        await withClient(urlOf(to, 'postgres'), (c) => c.query(limits(to, tgt.name)));
        let ended = false;
        const run = migrate({ source: src.url, target: tgt.url, selection: { tables: ['items'] } }).finally(() => {
          ended = true;
        });
        await sourceOutlivesLimits(to, tgt.name, () => ended, 'target');
        await holder.query('COMMIT');
        const report = await run;
        assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
      } finally {
        await holder.end();
        await withClient(urlOf(to, 'postgres'), (c) =>
          c.query(`ALTER ROLE postgres IN DATABASE ${tgt.name} RESET ALL`),
        );
      }
      assert.deepEqual(await tgt.fingerprint('items'), await src.fingerprint('items'));
    });

    it("unboundedSourceTransaction: no limits inside the transaction, the role's back after it, a snapshot imported", async () => {
      const src = await TestDb.create(from, 'tsrc');
      await src.sql(TABLE);
      // A statement limit the test's own queries cannot hit: only the values are looked at here.
      await withClient(urlOf(from, 'postgres'), (c) => c.query(limits(from, src.name, '1min')));
      try {
        await withClient(src.url, async (c) => {
          const show = async () =>
            (
              await c.query(`SELECT name, setting FROM pg_settings WHERE name IN ('statement_timeout',
                'idle_in_transaction_session_timeout', 'transaction_timeout') ORDER BY name`)
            ).rows.map((r) => `${r.name}=${r.setting}`);
          const role = await show();
          const exporter = new pg.Client(src.url);
          await exporter.connect();
          try {
            await unboundedSourceTransaction(exporter, null);
            const [{ snap }] = (await exporter.query('SELECT pg_export_snapshot() AS snap')).rows;
            await withClient(src.url, (w) =>
              w.query(`SET statement_timeout = 0; INSERT INTO items VALUES (2, 'later')`),
            );
            for (const version of [null, from.major * 10000]) {
              await unboundedSourceTransaction(c, version, snap);
              assert.deepEqual(
                await show(),
                role.map((r) => r.replace(/=.*/, '=0')),
              );
              assert.equal(
                (await c.query('SELECT count(*)::int AS n FROM items')).rows[0].n,
                0,
                'the exported snapshot',
              );
              await c.query('COMMIT');
              assert.deepEqual(await show(), role, "the role's settings once the transaction ends");
            }
            await exporter.query('COMMIT');
          } finally {
            await exporter.end();
          }
        });
      } finally {
        await withClient(urlOf(from, 'postgres'), (c) =>
          c.query(`ALTER ROLE postgres IN DATABASE ${src.name} RESET ALL`),
        );
      }
    });
  });
}

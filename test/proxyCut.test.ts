// The bench's modeled network (bench/proxy.mjs) drops every connection it carries once, at a chosen
// count of bytes from the server, and lets later connections pass: the instrument the parallel,
// resumable copy is judged by, checked against real servers.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { startProxy } from '../bench/proxy.mjs';
import { TestDb, directions, withClient } from './support/pg.js';

const TABLE = `CREATE TABLE pages (id int PRIMARY KEY, body text, embedding real[])`;

/** The bytes of a COPY's data, read straight from the server. */
async function copyBytes(url: string): Promise<number> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk, _e, done) {
      bytes += chunk.length;
      done();
    },
  });
  await withClient(url, (c) => pipeline(c.query(copyTo('COPY pages TO STDOUT (FORMAT binary)')), sink));
  return bytes;
}

/** source → target in one target transaction, as a careful copy does: what fails leaves nothing. */
async function copyPages(sourceUrl: string, targetUrl: string): Promise<void> {
  const source = new pg.Client(sourceUrl);
  const target = new pg.Client(targetUrl);
  source.on('error', () => {});
  await target.connect();
  try {
    await source.connect();
    await target.query('BEGIN');
    await pipeline(
      source.query(copyTo('COPY pages TO STDOUT (FORMAT binary)')),
      target.query(copyFrom('COPY pages FROM STDIN (FORMAT binary)')),
    );
    await target.query('COMMIT');
  } catch (e) {
    await target.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    await Promise.all([source.end().catch(() => {}), target.end()]);
  }
}

/** The sessions on the source still running a COPY, waited for (bounded) until none is left. */
async function copySessionsLeft(db: TestDb): Promise<number> {
  const left = () =>
    db.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY pages%'`,
    );
  for (let i = 0; i < 100; i++) {
    const [{ n }] = await left();
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await left())[0].n;
}

describe('the bench proxy cuts the network once', () => {
  for (const [from, to] of directions()) {
    it(`PostgreSQL ${from.major} → ${to.major}: a COPY is cut at the chosen byte count, a new connection passes`, async () => {
      const src = await TestDb.create(from, 'cutsrc');
      const tgt = await TestDb.create(to, 'cuttgt');
      await src.sql(TABLE);
      await tgt.sql(TABLE);
      await src.sql(`INSERT INTO pages SELECT g, repeat('page ' || g || E'\\n', 50),
        (SELECT array_agg(sin(g + d))::real[] FROM generate_series(1, 256) d) FROM generate_series(1, 2000) g`);
      const payload = await copyBytes(src.url);
      // Fast enough not to slow the test; the cut does not depend on the rate.
      const proxy = await startProxy({
        target: { host: '127.0.0.1', port: from.port },
        bytesPerSecond: 256 * 1024 * 1024,
        latencyMs: 1,
      });
      const viaProxy = src.url.replace(`:${from.port}/`, `:${proxy.port}/`);
      try {
        // An idle session is open too: a dropped network takes every connection, not only the busy one.
        const idle = new pg.Client(viaProxy);
        const idleLost = new Promise<Error>((resolve) => idle.on('error', resolve));
        await idle.connect();
        const before = proxy.moved.fromServer;
        proxy.cutAfter({ fraction: 0.5, of: payload });
        await assert.rejects(copyPages(viaProxy, tgt.url));
        assert.ok((await idleLost) instanceof Error, 'the idle session is dropped too');
        await idle.end().catch(() => {});

        assert.equal(proxy.cuts.length, 1);
        assert.equal(proxy.cuts[0].connections, 2, 'both open connections were dropped');
        assert.equal(proxy.moved.fromServer - before, Math.round(0.5 * payload), 'cut at exactly the chosen count');
        assert.equal(await tgt.count('pages'), 0, 'the cut copy left nothing on the target');
        assert.equal(await copySessionsLeft(src), 0, "the source's COPY session ended");

        const second = proxy.moved.fromServer;
        await copyPages(viaProxy, tgt.url);
        assert.equal(proxy.cuts.length, 1, 'the cut happens once');
        assert.deepEqual(await tgt.fingerprint('pages'), await src.fingerprint('pages'));
        const bytes = proxy.moved.fromServer - second;
        assert.ok(bytes > payload, `the whole COPY crossed the proxy (${bytes} bytes counted, ${payload} of data)`);
      } finally {
        await proxy.close();
      }
    });
  }
});

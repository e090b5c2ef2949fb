// A network that stops carrying data mid-copy: the run gives up after --stall-timeout, rolls back,
// and ends its target session from a new connection, instead of waiting for hours.
import { strict as assert } from 'node:assert';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { migrate } from '../src/engine/index.js';
import { directions, pair } from './support/pg.js';

const [from, to] = directions()[0];

/** A TCP proxy to a server that can be told to stop forwarding on the connections it carries. */
async function stallingProxy(port: number) {
  const pairs: [Socket, Socket][] = [];
  let stalled = false;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.on('data', (d) => !stalled && upstream.write(d));
    upstream.on('data', (d) => !stalled && client.write(d));
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    /** From now on, the connections opened so far carry nothing; new ones work. */
    stall: () => {
      stalled = true;
      for (const [c, u] of pairs) {
        c.pause();
        u.pause();
      }
      stalled = false;
      pairs.length = 0;
    },
    close: () => {
      for (const [c, u] of pairs) {
        c.destroy();
        u.destroy();
      }
      server.close();
    },
  };
}

describe('a stalled network', () => {
  it('mid-copy: gives up after the stall timeout, rolls back, ends the target session', async () => {
    const ddl = 'CREATE TABLE big (id int PRIMARY KEY, body text);';
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO big SELECT g, repeat('x', 2000) FROM generate_series(1, 200000) g;`,
      target: `INSERT INTO big VALUES (-1, 'keep');`,
    });
    const proxy = await stallingProxy(tgt.server.port);
    try {
      const viaProxy = tgt.url.replace(`:${tgt.server.port}/`, `:${proxy.port}/`);
      let stalled = false;
      const report = await migrate({
        source: src.url,
        target: viaProxy,
        stallTimeoutMs: 2000,
        onProgress: (e) => {
          if (e.type === 'table-progress' && !stalled) {
            stalled = true;
            proxy.stall();
          }
        },
      });
      assert.ok(stalled, 'the copy was under way');
      const reason = report.tables[0].reason!;
      assert.match(reason, /no data moved between the source and the target for 2 s/);
      assert.match(reason, /its session \(pid \d+\) was ended from a new connection/);
      assert.equal(report.committed, false);
    } finally {
      proxy.close();
    }
    // The server let go of the transaction and its lock: the old row is there, and readable now.
    assert.deepEqual(await tgt.sql('SELECT id, body FROM big'), [{ id: -1, body: 'keep' }]);
    // A terminated backend leaves pg_stat_activity a moment after pg_terminate_backend returns.
    assert.equal(await tgt.archonSessionsLeft(), 0);
  });
});

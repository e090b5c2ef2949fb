// A network lost before any row moves (while the catalogs are read, or the plan is made) is a message
// naming the side and what was going on, never a stack trace: for migrate, plan and compare.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { startProxy } from '../bench/proxy.mjs';
import { runMain } from './support/cli.js';
import { TestDb, directions } from './support/pg.js';

const [from, to] = directions()[0];

describe('a connection lost before the copy', () => {
  it('cut at several points of reading and planning: exit 2 with the side named, no stack, nothing written', async () => {
    const src = await TestDb.create(from, 'lesrc');
    const tgt = await TestDb.create(to, 'letgt');
    const ddl = 'CREATE TABLE t (id int PRIMARY KEY, v text);';
    await src.sql(`${ddl} INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g;`);
    await tgt.sql(ddl);
    const proxy = await startProxy({
      target: { host: '127.0.0.1', port: from.port },
      bytesPerSecond: 64 * 1024 * 1024,
      latencyMs: 1,
    });
    const source = src.url.replace(`:${from.port}/`, `:${proxy.port}/`);
    try {
      const seen = new Set<string>();
      for (const command of ['migrate', 'plan', 'compare'])
        for (const after of [4_000, 16_000, 48_000, 96_000]) {
          proxy.cutAfter(after);
          const r = await runMain([
            command,
            '--source',
            source,
            '--target',
            tgt.url,
            ...(command === 'migrate' ? ['--yes'] : []),
          ]);
          proxy.uncut();
          if (r.code === 0 || r.code === 1) continue; // the run was done before the cut
          assert.equal(r.code, 2, `${command} cut after ${after}: ${r.stderr}`);
          assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, `${command} cut after ${after}: ${r.stderr}`);
          assert.match(r.stderr, /^archon: .*source/, `${command} cut after ${after}: ${r.stderr}`);
          const m = /was lost while (reading its catalog|planning)/.exec(r.stderr);
          if (m) seen.add(m[1]);
        }
      assert.ok(seen.size > 0, 'a cut landed while reading or planning');
    } finally {
      await proxy.close();
    }
    assert.equal(await tgt.count('t'), 0);
  });
});

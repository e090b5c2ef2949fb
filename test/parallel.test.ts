// A parallel load (--jobs): readers on one exported snapshot, big tables in ranges of pages, a bounded
// spool, one writer in the run's one transaction. Every row arrives exactly once and is proven as
// before; a dropped reader costs a re-read of its range only; a cancel leaves nothing behind.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, stat } from 'node:fs/promises';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { migrate } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import pg from 'pg';
import { behindSlowLink } from './support/link.js';
import { TestDb, directions, runCli, withClient } from './support/pg.js';

const byName = (r: Report, table: string): TableReport => {
  const t = r.tables.find((x) => x.table === table);
  assert.ok(t, `no row for ${table}: ${r.tables.map((x) => x.table).join(', ')}`);
  return t;
};

const PAGES_DDL = `CREATE TABLE pages (id int PRIMARY KEY, n int, body text, blob bytea) WITH (fillfactor = 70);
  CREATE TABLE notes (id int PRIMARY KEY, page int, note varchar(40));`;

/**
 * Pages with what a heap collects: TOAST values (incompressible, out of line), pages emptied and
 * vacuumed in the middle, dead tuples left by a DELETE, HOT updates (an unindexed column, room left by
 * the fillfactor), and a second table so the readers share more than one.
 */
const PAGES_FILL = `
  INSERT INTO pages SELECT g, g, repeat(md5(g::text), 8), NULL FROM generate_series(1, 12000) g;
  UPDATE pages SET blob = (SELECT string_agg(decode(md5(id::text || i::text), 'hex'), '') FROM generate_series(1, 600) i)
   WHERE id % 400 = 0;
  DELETE FROM pages WHERE id BETWEEN 4001 AND 5500;`;
/** After the vacuum (a statement of its own): dead tuples a DELETE leaves, HOT updates. */
const PAGES_AFTER_VACUUM = `
  DELETE FROM pages WHERE id % 7 = 0;
  UPDATE pages SET n = n + 1 WHERE id % 11 = 0;`;
const NOTES_FILL = `
  INSERT INTO notes SELECT g, g, 'note ' || g FROM generate_series(1, 3000) g;`;

/** Every archon-spool-* folder under `dir`, and the bytes of all they hold. */
async function spoolUse(dir: string): Promise<{ folders: number; bytes: number }> {
  const folders = (await readdir(dir)).filter((f) => f.startsWith('archon-spool-'));
  const sizes = new Map<string, number>();
  for (const f of folders) {
    for (const file of await readdir(join(dir, f)).catch(() => [] as string[])) {
      const path = join(dir, f, file);
      sizes.set(
        path,
        await stat(path).then(
          (s) => s.size,
          () => 0,
        ),
      );
    }
  }
  // Files read one after another are not one moment: a file removed since it was counted is not counted.
  for (const path of sizes.keys())
    if (
      !(await stat(path).then(
        () => true,
        () => false,
      ))
    )
      sizes.delete(path);
  return { folders: folders.length, bytes: [...sizes.values()].reduce((a, b) => a + b, 0) };
}

/** The source's sessions of Archon still there, after a bounded wait (a terminated backend leaves a moment later). */
async function archonSessions(db: TestDb): Promise<number> {
  let n = 0;
  for (let i = 0; i < 50; i++) {
    n = (await db.sql(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'archon%'`))[0].n;
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

async function fixture(
  from: Parameters<typeof TestDb.create>[0],
  to: Parameters<typeof TestDb.create>[0],
  tgtDdl = PAGES_DDL,
) {
  const src = await TestDb.create(from, 'src');
  const tgt = await TestDb.create(to, 'tgt');
  await src.sql(PAGES_DDL + PAGES_FILL);
  await src.sql('VACUUM pages');
  await src.sql(PAGES_AFTER_VACUUM + NOTES_FILL);
  await tgt.sql(tgtDdl);
  return { src, tgt, spoolDir: await mkdtemp(join(tmpdir(), 'archon-test-spool-')) };
}

/** A TCP proxy to a server that cuts the first connection that carried `cutAt` bytes from it. */
async function cuttingProxy(port: number, cutAt: number) {
  const pairs: [Socket, Socket][] = [];
  let cut = 0;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    let carried = 0;
    client.on('error', () => {});
    upstream.on('error', () => {});
    client.pipe(upstream);
    upstream.on('data', (d: Buffer) => {
      carried += d.length;
      if (carried > cutAt && cut === 0) {
        cut++;
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!client.write(d)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => cut,
    close: () => {
      for (const [c, u] of pairs) {
        c.destroy();
        u.destroy();
      }
      server.close();
    },
  };
}

/** Ranges of about 64 kB: the 2 MB table splits in many, as a big one would at the default size. */
const TINY_RANGES = 64 * 1024;

for (const [from, to] of directions()) {
  describe(`parallel load, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a table split into page ranges arrives verified, every row exactly once', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const events: string[] = [];
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        jobs: 4,
        rangeBytes: TINY_RANGES,
        spoolDir,
        onProgress: (e) => void (e.type === 'pipeline' && events.push(`${e.readers}`)),
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
      const pages = byName(report, 'pages');
      assert.ok((pages.ranges?.length ?? 0) > 4, `split in ranges: ${JSON.stringify(pages.ranges)}`);
      assert.equal(
        pages.ranges!.reduce((n, r) => n + r.rows, 0),
        pages.sourceRows,
      );
      assert.equal(pages.ranges!.at(-1)!.toPage, null, 'the last range is open-ended');
      for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      assert.equal(await tgt.count('pages'), await src.count('pages'));
      assert.equal(report.jobs, 4);
      assert.equal(report.rereadUnits, 0);
      assert.ok(report.spoolPeakBytes! > 0);
      assert.match(toText(report), /Read by 4 source sessions on one snapshot: .*public\.pages in \d+ page ranges/);
      assert.match(toMarkdown(report), /Read by 4 source sessions/);
      assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 }, 'the spool is removed after the commit');
      assert.ok(events.length > 0, 'pipeline progress was told');
    });

    it('a table copied as text, with ranges of empty pages: each range arrives, the empty ones too', async () => {
      // A wider type on the target makes the copy text, which sends nothing at all for a range without
      // rows (binary sends its header): such a range is spooled as an empty file, not as none.
      const { src, tgt, spoolDir } = await fixture(from, to, PAGES_DDL.replace('n int', 'n bigint'));
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, rangeBytes: TINY_RANGES, spoolDir });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
      const pages = byName(report, 'pages');
      assert.ok(
        pages.ranges!.some((r) => r.rows === 0),
        `a range without rows: ${JSON.stringify(pages.ranges!.map((r) => r.rows))}`,
      );
      for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 }, 'the spool is removed after the commit');
    });

    it('a wrong byte on the target is still a mismatch, and nothing is committed', async () => {
      // The target's note is shorter: one note in the middle of the table loses its trailing spaces.
      const { src, tgt, spoolDir } = await fixture(from, to, PAGES_DDL.replace('varchar(40)', 'varchar(9)'));
      await src.sql(`UPDATE notes SET note = 'note 1500' || repeat(' ', 5) WHERE id = 1500`);
      await src.sql(`INSERT INTO notes SELECT g, g, 'n' FROM generate_series(3001, 60000) g`);
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, rangeBytes: TINY_RANGES, spoolDir });
      const notes = byName(report, 'notes');
      assert.ok((notes.ranges?.length ?? 0) > 1, 'notes was read in ranges');
      assert.equal(notes.status, 'mismatch', notes.reason ?? '');
      assert.deepEqual(notes.content.differences, [{ key: 'id=1500', kind: 'changed' }]);
      assert.equal(report.committed, false);
      assert.equal(await tgt.count('notes'), 0, 'rolled back');
      assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 }, 'the spool is removed after the rollback');
    });

    it('a spool limit smaller than the data still finishes, and the spool never holds more', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const limit = 256 * 1024;
      let most = 0;
      let probing = true;
      const probe = (async () => {
        while (probing) {
          most = Math.max(most, (await spoolUse(spoolDir)).bytes);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        jobs: 4,
        rangeBytes: TINY_RANGES,
        spoolDir,
        spoolLimit: limit,
      }).finally(() => {
        probing = false;
      });
      await probe;
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
      assert.ok(byName(report, 'pages').bytes! > 4 * limit, 'the data is bigger than the spool');
      assert.ok(report.spoolPeakBytes! <= limit, `peak ${report.spoolPeakBytes}`);
      assert.ok(most <= limit, `the folder held ${most} bytes`);
      for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
    });

    it('a reader terminated mid-range is opened again on the snapshot and re-reads only its range', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      // The source behind a slow link, so the readers are still at work when the test looks for one: a
      // run that finished before it was found proved nothing. The server may already have sent the
      // whole range into the link (64 kB fits): then the range completes and nothing is read again; the
      // re-read of a range cut mid-stream is proved by the proxy test below, deterministically.
      const link = await behindSlowLink(src, 1024 * 1024);
      const watcher = new pg.Client({ connectionString: src.url });
      await watcher.connect();
      let killed = 0;
      let done = false;
      const hunt = (async () => {
        while (!done && killed === 0) {
          const rows = await watcher.query(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
              WHERE application_name LIKE 'archon (source reader %' AND query LIKE 'COPY%' LIMIT 1`,
          );
          killed += rows.rows.filter((r) => r.ok).length;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        const report = await migrate({
          source: link.url,
          target: tgt.url,
          jobs: 3,
          rangeBytes: TINY_RANGES,
          spoolDir,
          spoolLimit: 256 * 1024,
        });
        done = true;
        await hunt;
        assert.equal(killed, 1, 'one reader was terminated');
        assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
        const retried = report.tables.flatMap((t) => t.ranges ?? []).filter((r) => r.retries > 0);
        assert.ok(
          (report.rereadUnits ?? 0) <= 1 && retried.length === (report.rereadUnits ?? 0),
          'at most its one range',
        );
        if (report.rereadUnits) assert.match(toText(report), /1 unit read again after a\s+dropped connection/);
        for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
      } finally {
        done = true;
        await hunt.catch(() => {});
        await watcher.end();
        await link.close();
      }
    });

    it('a reader cut while it streams its range straight to the writer: that load is rolled back, the range loaded once', async () => {
      // No key, so a range loaded twice would show as extra rows, not as a duplicate key error.
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      const ddl = 'CREATE TABLE blobs (id int, b bytea);';
      await src.sql(`${ddl} INSERT INTO blobs SELECT g, (SELECT string_agg(decode(md5(g::text || i::text), 'hex'), '')
        FROM generate_series(1, 256) i) FROM generate_series(1, 4000) g;`);
      await tgt.sql(ddl);
      const spoolDir = await mkdtemp(join(tmpdir(), 'archon-test-spool-'));
      // The first connection to carry 1.5 MB from the source is a reader inside a range (the run's own
      // session reads far less): the proxy cuts it there, as a network would.
      const proxy = await cuttingProxy(src.server.port, 1.5 * 1024 * 1024);
      try {
        const report = await migrate({
          source: src.url.replace(`:${src.server.port}/`, `:${proxy.port}/`),
          target: tgt.url,
          jobs: 2,
          rangeBytes: 4 * 1024 * 1024,
          spoolDir,
          // Smaller than a range: every range goes straight to the writer.
          spoolLimit: 128 * 1024,
        });
        assert.equal(proxy.cut(), 1, 'a reader was cut mid-range');
        assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
        assert.equal(report.rereadUnits, 1);
        assert.ok(report.spoolPeakBytes! <= 128 * 1024);
      } finally {
        proxy.close();
      }
      assert.deepEqual(await tgt.fingerprint('blobs'), await src.fingerprint('blobs'));
      assert.equal(await tgt.count('blobs'), 4000);
    });

    it('a cancel mid-copy ends every reader on the server, leaves no spool files and the target unchanged', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      await tgt.sql(`INSERT INTO notes VALUES (-1, -1, 'keep')`);
      const controller = new AbortController();
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        jobs: 4,
        rangeBytes: TINY_RANGES,
        spoolDir,
        spoolLimit: 256 * 1024,
        signal: controller.signal,
        // The writer's first bytes: the small spool holds the readers inside their COPYs by then.
        onProgress: (e) => {
          if (e.type === 'table-progress') controller.abort();
        },
      });
      assert.equal(report.outcome, 'cancelled');
      assert.equal(report.jobs, 4);
      assert.equal(report.committed, false);
      assert.equal(await archonSessions(src), 0, 'no reader (nor any session of the run) left on the source');
      assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 });
      assert.deepEqual(await tgt.sql('SELECT id, note FROM notes'), [{ id: -1, note: 'keep' }]);
      assert.equal(await tgt.count('pages'), 0);
      await withClient(tgt.url, async (c) => {
        const open = await c.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'archon%'`,
        );
        assert.equal(open.rows[0].n, 0, 'no open transaction on the target');
      });
    });
  });
}

describe('parallel load and locks', () => {
  const [from, to] = directions()[0];

  it("a reader that waits for a lock names its holder, and gives up after the run's lock timeout", async () => {
    // notes is small, read whole by a reader: the run's own session never locks it (its size is the
    // catalog's), so the reader is the session that waits for the holder's ALTER TABLE to end.
    const { src, tgt, spoolDir } = await fixture(from, to);
    const holder = new pg.Client({ connectionString: src.url, application_name: 'the lock holder' });
    await holder.connect();
    const holderPid = Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await holder.query('BEGIN; ALTER TABLE notes ADD COLUMN extra int');
    try {
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        jobs: 2,
        rangeBytes: TINY_RANGES,
        spoolDir,
        lockTimeoutMs: 1500,
      });
      assert.equal(report.committed, false);
      assert.match(
        JSON.stringify(report),
        new RegExp(
          `gave up after waiting 1.5 s for a lock on the source \\(public\\.notes\\), held by pid ${holderPid} \\(the lock holder`,
        ),
      );
      assert.equal(await tgt.count('pages'), 0, 'nothing committed');
      assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 });
    } finally {
      await holder.end().catch(() => {});
    }
    assert.equal(await src.archonSessionsLeft(), 0, 'no reader left on the source');
  });
});

describe('parallel load from the CLI', () => {
  const [from, to] = directions()[0];

  it('--jobs, --spool-dir and --spool-limit reach the run; the plan and the report say how the source was read', async () => {
    const { src, tgt, spoolDir } = await fixture(from, to);
    const dir = await mkdtemp(join(tmpdir(), 'archon-test-report-'));
    const file = join(dir, 'report.json');
    const args = ['migrate', '--source', src.url, '--target', tgt.url, '--yes', '--report', file];
    const cli = runCli([...args, '--jobs', '4', '--spool-dir', spoolDir, '--spool-limit', '1MB']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /Source reads: 4 sessions on the one snapshot \(--jobs 4\)/);
    assert.match(cli.stdout, /at most 1(\.0)? MB/);
    // At the default range size pages (5 MB) is two ranges, notes one: three units, so three of the four sessions read.
    assert.match(cli.stdout, /Read by 3 source sessions on one snapshot: public\.pages in 2 page ranges/);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    assert.equal(report.jobs, 3);
    assert.ok(report.spoolPeakBytes! <= 1024 ** 2);
    assert.deepEqual(await spoolUse(spoolDir), { folders: 0, bytes: 0 });

    const one = runCli([...args, '--jobs', '1']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /Source reads: one session, each table streamed straight into the target \(--jobs 1\)/);
    assert.doesNotMatch(one.stdout, /Read by/);
    const single = JSON.parse(readFileSync(file, 'utf8')) as Report;
    assert.equal(single.jobs, 1);
    assert.equal(single.spoolPeakBytes, undefined);

    for (const [flag, value, words] of [
      ['--jobs', '0', /--jobs takes a whole number from 1 to 32/],
      ['--spool-limit', '10KB', /--spool-limit takes a size of at least 1MB/],
    ] as const) {
      const bad = runCli([...args, flag, value]);
      assert.equal(bad.code, 2, bad.stdout);
      assert.match(bad.stderr, words);
    }
  });
});

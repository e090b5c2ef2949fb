// Page ranges of a big table: together they hold every row exactly once, at any snapshot, whatever the
// table went through (dead tuples, HOT chains, emptied pages, rows added or moved since the split), and
// their digests add up to the table's, computed here from COPY and by the source server alike.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ContentDigest, type DigestRead, copyOutSql, readDigest } from '../src/engine/verify/digest.js';
import { ident } from '../src/engine/ident.js';
import {
  DEFAULT_RANGE_BYTES,
  type PageRange,
  rangeWhere,
  readWholeBecause,
  splitPages,
  splitTable,
} from '../src/engine/load/ranges.js';
import type { TablePlan } from '../src/engine/plan/plan.js';
import { relationSql } from '../src/engine/catalog/relation.js';
import { serverDigest } from '../src/engine/verify/serverDigest.js';
import { unboundedSourceTransaction } from '../src/engine/connect/session.js';
import { TestDb, type TestServer, testServers, withClient } from './support/pg.js';

describe('page ranges, arithmetic', () => {
  it('splits pages evenly into ranges of about the size asked, the last one open', () => {
    assert.deepEqual(splitPages(100, 1000, 300), [
      { index: 0, count: 4, fromPage: 0, toPage: 25 },
      { index: 1, count: 4, fromPage: 25, toPage: 50 },
      { index: 2, count: 4, fromPage: 50, toPage: 75 },
      { index: 3, count: 4, fromPage: 75, toPage: null },
    ]);
    // 10 pages in 3: sizes differ by one page at most, and every page is in exactly one range.
    const r = splitPages(10, 30, 10)!;
    assert.deepEqual(
      r.map((x) => [x.fromPage, x.toPage]),
      [
        [0, 3],
        [3, 6],
        [6, null],
      ],
    );
    for (let i = 1; i < r.length; i++) assert.equal(r[i].fromPage, r[i - 1].toPage);
  });

  it('over many shapes: contiguous from page 0, open at the end, within one page of each other', () => {
    for (const pages of [2, 3, 7, 64, 1000, 218714]) {
      for (const bytes of [pages * 8192, pages * 8192 * 40, 3 * 2 ** 30]) {
        for (const rangeBytes of [8192, 100_000, DEFAULT_RANGE_BYTES]) {
          const r = splitPages(pages, bytes, rangeBytes);
          const want = Math.min(pages, Math.ceil(bytes / rangeBytes));
          if (want <= 1) {
            assert.equal(r, null);
            continue;
          }
          assert.ok(r);
          assert.equal(r.length, want);
          assert.equal(r[0].fromPage, 0);
          assert.equal(r.at(-1)!.toPage, null);
          const widths = r.map((x) => (x.toPage ?? pages) - x.fromPage);
          for (let i = 0; i < r.length; i++) {
            assert.equal(r[i].index, i);
            assert.equal(r[i].count, want);
            if (i) assert.equal(r[i].fromPage, r[i - 1].toPage);
          }
          assert.equal(
            widths.reduce((a, b) => a + b, 0),
            pages,
          );
          const [lo, hi] = widths.reduce(([a, b], w) => [Math.min(a, w), Math.max(b, w)], [pages, 0]);
          assert.ok(hi - lo <= 1, `${pages} pages in ${want}: from ${lo} to ${hi} pages`);
        }
      }
    }
  });

  it('never makes a range smaller than a page, and none at all for what fits in one', () => {
    assert.equal(splitPages(3, 1e12, 1)!.length, 3, 'bytes in TOAST split no finer than pages');
    assert.equal(splitPages(0, 0, 1), null, 'no pages');
    assert.equal(splitPages(1, 1e9, 1), null, 'one page');
    assert.equal(splitPages(1000, 300, 300), null, 'exactly one range of bytes');
    assert.equal(splitPages(1000, 301, 300)!.length, 2);
    assert.throws(() => splitPages(10, 100, 0), RangeError);
    assert.throws(() => splitPages(10, 100, Number.NaN), RangeError);
    assert.equal(DEFAULT_RANGE_BYTES, 64 * 1024 * 1024);
  });

  it('writes the predicate with only the bounds a range has', () => {
    const r = (index: number, fromPage: number, toPage: number | null): PageRange => ({
      index,
      count: 3,
      fromPage,
      toPage,
    });
    assert.equal(rangeWhere(r(0, 0, 10)), `ctid < '(10,0)'::tid`);
    assert.equal(rangeWhere(r(1, 10, 20)), `ctid >= '(10,0)'::tid AND ctid < '(20,0)'::tid`);
    assert.equal(rangeWhere(r(2, 20, null)), `ctid >= '(20,0)'::tid`);
    assert.equal(rangeWhere(r(0, 0, null)), 'true');
    assert.equal(rangeWhere(r(1, 4294967295, null)), `ctid >= '(4294967295,0)'::tid`);
    assert.throws(() => rangeWhere(r(1, 1.5, null)), RangeError);
    assert.throws(() => rangeWhere(r(1, -1, 3)), RangeError);
    assert.throws(() => rangeWhere(r(1, 2 ** 32, null)), RangeError);
  });

  it('reads whole what has no pages of its own to split, and sources without a TID range scan', () => {
    assert.equal(readWholeBecause({ kind: 'table' }, 170000), null);
    assert.equal(readWholeBecause({ kind: 'table' }, 140000), null);
    assert.equal(
      readWholeBecause({ kind: 'table' }, 130011),
      'read whole: PostgreSQL 13 has no TID range scan (each range would scan the whole table)',
    );
    assert.match(readWholeBecause({ kind: 'table' }, 90624) ?? '', /PostgreSQL 9\.6 has no TID range scan/);
    assert.match(
      readWholeBecause({ kind: 'partitioned table' }, 170000) ?? '',
      /partitioned .*ctid names a page of one partition/,
    );
    assert.equal(
      readWholeBecause({ kind: 'view' }, 170000),
      "read whole: only a plain table's heap pages are split, not a view's",
    );
    assert.match(readWholeBecause({ kind: 'foreign table' }, 130000) ?? '', /not a foreign table's/);
  });
});

const COLUMNS = ['id', 'k', 'body', 'b'];
const FIXTURE = (extra = '') =>
  `CREATE TABLE t (id int PRIMARY KEY, k int, body text, b bytea) WITH (autovacuum_enabled = off${extra});`;
const ROWS = (from: number, to: number) =>
  `INSERT INTO t SELECT g, g % 17, repeat('row ' || g, 1 + g % 9), decode(md5(g::text), 'hex')
     FROM generate_series(${from}, ${to}) g;`;

const planOf = (table: string, kind: TablePlan['source']['kind'] = 'table'): TablePlan =>
  ({ schema: 'public', table, source: { schema: 'public', name: table, kind, partitionOf: null } }) as TablePlan;

const readOf = (table: string, format: 'binary' | 'text', where?: string): DigestRead => ({
  from: relationSql({ schema: 'public', name: table, kind: 'table' }),
  select: COLUMNS.map(ident),
  format,
  where,
});

/** The rows of one read, as COPY's text lines. */
async function linesOf(c: pg.Client, read: DigestRead): Promise<string[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of c.query(copyTo(copyOutSql(read)))) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
}

const sum = (ds: ContentDigest[]) => ds.reduce((a, d) => a.plus(d), new ContentDigest());

/**
 * Within the client's current snapshot: the ranges' rows, together, are the table's as a multiset, and
 * their digests (from COPY, and from the server) add up to the table's. Returns each range's rows and bytes.
 */
async function assertCovers(
  c: pg.Client,
  table: string,
  ranges: PageRange[],
): Promise<{ rows: number; bytes: number }[]> {
  const wheres = ranges.map(rangeWhere);
  const parts: string[][] = [];
  for (const w of wheres) parts.push(await linesOf(c, readOf(table, 'text', w)));
  const whole = await linesOf(c, readOf(table, 'text'));
  assert.deepEqual(parts.flat().sort(), [...whole].sort(), 'every row in exactly one range');
  const wholeDigest = await readDigest(c, readOf(table, 'binary'));
  const copied: ContentDigest[] = [];
  const computed: ContentDigest[] = [];
  for (const w of wheres) {
    copied.push(await readDigest(c, readOf(table, 'binary', w)));
    const d = await serverDigest(c, readOf(table, 'binary', w));
    assert.ok(d, 'the server computes a range digest');
    computed.push(d);
  }
  assert.equal(wholeDigest.rows, whole.length);
  assert.ok(sum(copied).equals(wholeDigest), 'the ranges read with COPY add up to the table');
  assert.ok(sum(computed).equals(wholeDigest), 'the ranges digested by the server add up to the table');
  const serverWhole = await serverDigest(c, readOf(table, 'binary'));
  assert.ok(serverWhole?.equals(wholeDigest));
  return parts.map((p) => ({ rows: p.length, bytes: p.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) }));
}

/** A source session at one snapshot, as the run opens it. */
async function atSnapshot<T>(db: TestDb, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient(db.url, async (c) => {
    const [v] = (await c.query(`SELECT current_setting('server_version_num')::int AS v`)).rows;
    await unboundedSourceTransaction(c, v.v);
    try {
      return await fn(c);
    } finally {
      await c.query('COMMIT');
    }
  });
}

async function split(db: TestDb, table: string, rangeBytes: number) {
  return atSnapshot(db, async (c) => {
    const v = Number((await c.query(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
    return splitTable(c, planOf(table), { rangeBytes, serverVersionNum: v });
  });
}

const pagesOf = async (db: TestDb, table: string): Promise<number> =>
  Number(
    (await db.sql(`SELECT pg_relation_size($1::regclass) / current_setting('block_size')::int AS n`, [table]))[0].n,
  );

for (const server of Object.values(testServers()) as TestServer[]) {
  describe(`page ranges on PostgreSQL ${server.major}`, () => {
    it('cover every row once with dead tuples and HOT updates, and an emptied stretch of pages', async () => {
      const db = await TestDb.create(server, 'ranges');
      await db.sql(`${FIXTURE(', fillfactor = 70')} ${ROWS(1, 6000)}`);
      // Dead tuples: deleted, never vacuumed (autovacuum is off for the table).
      await db.sql('DELETE FROM t WHERE id % 5 = 0');
      // HOT updates: a column no index covers, on pages with room (fillfactor): the new versions stay on their page.
      const hot = await withClient(db.url, async (c) => {
        await c.query('BEGIN');
        await c.query(`UPDATE t SET body = body || '!' WHERE id % 7 = 0`);
        const n = (await c.query(`SELECT pg_stat_get_xact_tuples_hot_updated('t'::regclass) AS n`)).rows[0].n;
        await c.query('COMMIT');
        return Number(n);
      });
      assert.ok(hot > 100, `HOT updates happened (${hot})`);
      const { ranges, note } = await split(db, 't', 8192 * 4);
      assert.equal(note, null);
      assert.ok(ranges && ranges.length >= 5, `split into ${ranges?.length} ranges`);
      await atSnapshot(db, (c) => assertCovers(c, 't', ranges));
      // An emptied stretch in the middle: its rows deleted and vacuumed, the pages stay (only a tail is cut).
      const [mid] = await db.sql(
        `SELECT ${ranges[2].fromPage} AS a, ${ranges[3].toPage ?? ranges[2].fromPage + 1} AS b`,
      );
      await db.sql(`DELETE FROM t WHERE ctid >= '(${mid.a},0)'::tid AND ctid < '(${mid.b},0)'::tid`);
      await db.sql('VACUUM t');
      const pages = await pagesOf(db, 't');
      assert.ok(pages > Number(mid.b), 'the emptied pages are still part of the table');
      const after = await split(db, 't', 8192 * 4);
      const sizes = await atSnapshot(db, (c) => assertCovers(c, 't', after.ranges!));
      assert.ok(
        sizes.some((s) => s.rows === 0),
        'some range is all emptied pages, and reads nothing',
      );
    });

    it('count TOAST: a table of large values is split by its bytes, not its few heap pages, into ranges of about equal size', async () => {
      const db = await TestDb.create(server, 'ranges');
      // Random hex (which pglz cannot shrink), stored out of line and uncompressed: the bytes are TOAST's.
      await db.sql(`${FIXTURE(', fillfactor = 50')} ALTER TABLE t ALTER COLUMN body SET STORAGE EXTERNAL;
        INSERT INTO t SELECT g, g % 17, (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 128) i),
            decode(md5(g::text), 'hex')
          FROM generate_series(1, 2000) g;`);
      const [size] = await db.sql(
        `SELECT pg_relation_size('t')::int8 AS heap, pg_table_size('t')::int8 AS all FROM pg_class WHERE oid = 't'::regclass`,
      );
      const rangeBytes = 1024 * 1024;
      assert.ok(Number(size.heap) < rangeBytes / 2, `the heap alone would be one range (${size.heap} bytes)`);
      assert.ok(Number(size.all) > 7 * rangeBytes, `most bytes are TOAST (${size.all} in all)`);
      const { ranges } = await split(db, 't', rangeBytes);
      assert.ok(ranges, 'split');
      assert.equal(ranges.length, Math.ceil(Number(size.all) / rangeBytes), 'as many ranges as the bytes call for');
      const sizes = await atSnapshot(db, (c) => assertCovers(c, 't', ranges));
      // Balanced by bytes: what each range streams (its COPY text, which here is about its bytes on disk)
      // is about the size asked, give or take the page a range may have more or less than another.
      for (const s of sizes) {
        assert.ok(s.bytes > rangeBytes * 0.6 && s.bytes < rangeBytes * 1.4, `a range of ${s.bytes} bytes`);
      }
    });

    it('the open last range holds rows added after the split, on pages that did not exist then', async () => {
      const db = await TestDb.create(server, 'ranges');
      await db.sql(`${FIXTURE()} ${ROWS(1, 3000)}`);
      const before = await pagesOf(db, 't');
      const { ranges } = await split(db, 't', 8192 * 4);
      assert.ok(ranges);
      assert.equal(ranges.at(-1)!.toPage, null);
      // Since 14 a range reads its own pages only, not the whole table filtered.
      const [plan] = await db.sql(`EXPLAIN SELECT * FROM ONLY t WHERE ${rangeWhere(ranges[1])}`);
      assert.match(plan['QUERY PLAN'], /^Tid Range Scan on t/);
      await db.sql(ROWS(3001, 9000));
      assert.ok((await pagesOf(db, 't')) > before * 2, 'the table grew past the pages split');
      await atSnapshot(db, (c) => assertCovers(c, 't', ranges));
    });

    it('an UPDATE between two snapshots moves a row to another page: each snapshot sees it once', async () => {
      const db = await TestDb.create(server, 'ranges');
      await db.sql(`${FIXTURE()} ${ROWS(1, 3000)}`);
      const { ranges } = await split(db, 't', 8192 * 4);
      assert.ok(ranges);
      await withClient(db.url, async (old) => {
        await unboundedSourceTransaction(old, null);
        const page = async (c: pg.Client | TestDb) => {
          const q = `SELECT (ctid::text::point)[0]::int AS p FROM t WHERE id = 1`;
          return c instanceof TestDb ? (await c.sql(q))[0].p : (await c.query(q)).rows[0].p;
        };
        const was = await page(old);
        // The pages are full (fillfactor 100): the new version goes to another page.
        await db.sql(`UPDATE t SET body = repeat('moved', 40) WHERE id = 1`);
        const now = await page(db);
        assert.notEqual(now, was, 'the row moved to another page');
        assert.notEqual(
          rangeWhere(ranges.find((r) => r.fromPage <= was && (r.toPage ?? Infinity) > was)!),
          rangeWhere(ranges.find((r) => r.fromPage <= now && (r.toPage ?? Infinity) > now)!),
          'into another range',
        );
        await assertCovers(old, 't', ranges);
        await old.query('COMMIT');
      });
      await atSnapshot(db, (c) => assertCovers(c, 't', ranges));
    });

    it('reads whole a table of no pages, of one page, and a partitioned table', async () => {
      const db = await TestDb.create(server, 'ranges');
      await db.sql(`${FIXTURE()} CREATE TABLE one (id int); INSERT INTO one SELECT generate_series(1, 10);
        CREATE TABLE p (id int) PARTITION BY RANGE (id); CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100000);
        INSERT INTO p SELECT generate_series(1, 50000);`);
      assert.equal(await pagesOf(db, 't'), 0);
      assert.equal(await pagesOf(db, 'one'), 1);
      assert.deepEqual(await split(db, 't', 1), { ranges: null, note: null });
      assert.deepEqual(await split(db, 'one', 1), { ranges: null, note: null });
      const part = await atSnapshot(db, (c) =>
        splitTable(c, planOf('p', 'partitioned table'), { rangeBytes: 1, serverVersionNum: server.major * 10000 }),
      );
      assert.equal(part.ranges, null);
      assert.match(part.note ?? '', /partitioned/);
      // A 13 source is asked nothing: its note says what a split would cost.
      const old = await atSnapshot(db, (c) =>
        splitTable(c, planOf('one'), { rangeBytes: 1, serverVersionNum: 130000 }),
      );
      assert.deepEqual(old, {
        ranges: null,
        note: 'read whole: PostgreSQL 13 has no TID range scan (each range would scan the whole table)',
      });
    });
  });
}

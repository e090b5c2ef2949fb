// One read of each source table per run, and what a run costs on the network. A table whose target
// generates columns (a tsvector over the text, a value over the vector) was read from the source twice
// more than the copy needed: counted first, then read again as text to compare the generated values.
// The source's own statistics say how often a run scans the table; the report says the bytes.
import { strict as assert } from 'node:assert';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { to as copyTo } from 'pg-copy-streams';
import { compare, migrate } from '../src/engine/index.js';
import { dropLastField, generatedHashSql } from '../src/engine/verify/generated.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { TestDb, directions, runCli, withClient, pair } from './support/pg.js';

const byName = (r: Report, table: string): TableReport => {
  const t = r.tables.find((x) => x.table === table);
  assert.ok(t, `no row for ${table} in the report`);
  return t;
};

const ROWS = 300;

/**
 * The knowledge base's pages in small: a vector-like real[] (its text is about 1.4 times its binary
 * form), and columns generated from the text and from the vector. `rank` is numeric(10,2) on the
 * source and numeric(12,2) on the target in `notes`, so that table travels as text.
 */
const PAGES = (tsConfig: string) => `
  CREATE TABLE pages (id bigserial PRIMARY KEY, url text NOT NULL, body text NOT NULL, embedding real[],
    search tsvector GENERATED ALWAYS AS (to_tsvector('${tsConfig}', body)) STORED,
    first_dim real GENERATED ALWAYS AS (embedding[1]) STORED);`;
const NOTES = (rankType: string, tsConfig: string) => `
  CREATE TABLE notes (id int PRIMARY KEY, rank ${rankType}, body text,
    search tsvector GENERATED ALWAYS AS (to_tsvector('${tsConfig}', coalesce(body, ''))) STORED);`;
const FILL = `
  INSERT INTO pages (url, body, embedding)
  SELECT 'https://docs.example.com/' || g, E'# Page ' || g || E'\\nRunning "quickly" through the crawled documentation\\t'
         || repeat('vectors embeddings searching ', 1 + g % 7),
         (SELECT array_agg(sin(g * 0.7 + d))::real[] FROM generate_series(1, 256) d)
  FROM generate_series(1, ${ROWS}) g;
  INSERT INTO notes SELECT g, g / 3.0, CASE WHEN g % 5 = 0 THEN NULL ELSE 'Notes about indexing ' || g END
  FROM generate_series(1, 40) g;`;

/** What the source's statistics say about reads of a table so far: sequential scans and the rows they read. */
async function reads(db: TestDb, table: string): Promise<{ scans: number; rows: number }> {
  // A session's statistics reach the server when it ends: wait until every other session has.
  for (let i = 0; i < 200; i++) {
    const [open] = await db.sql(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    if (open.n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const [r] = await db.sql(
    `SELECT seq_scan::int AS scans, seq_tup_read::int AS rows FROM pg_stat_user_tables WHERE relname = $1`,
    [table],
  );
  return r;
}

/** The size of a query's binary COPY: what the copied columns weigh on the wire, and no more. */
async function copySize(db: TestDb, select: string, format: 'binary' | 'text' = 'binary'): Promise<number> {
  return withClient(db.url, async (c) => {
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        bytes += chunk.length;
        done();
      },
    });
    await pipeline(c.query(copyTo(`COPY (${select}) TO STDOUT${format === 'binary' ? ' (FORMAT binary)' : ''}`)), sink);
    return bytes;
  });
}

/** A COPY's whole output, as the server sends it. */
async function copyOut(db: TestDb, sql: string): Promise<Buffer> {
  return withClient(db.url, async (c) => {
    await c.query(`SET extra_float_digits = 3; SET bytea_output = 'hex'`);
    const parts: Buffer[] = [];
    await pipeline(
      c.query(copyTo(sql)),
      new Writable({
        write(chunk: Buffer, _e, done) {
          parts.push(chunk);
          done();
        },
      }),
    );
    return Buffer.concat(parts);
  });
}

/** A stream through the dropper, fed in pieces of `size` bytes (the boundaries fall anywhere). */
async function dropped(input: Buffer, format: 'binary' | 'text', kept: number, size: number): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) pieces.push(input.subarray(i, i + size));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    dropLastField(format, kept),
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

describe('the last field of every row, dropped from a real COPY stream', () => {
  const server = directions()[0][0];

  it('leaves exactly the stream of the other columns, in binary and in text, wherever the chunks break', async () => {
    const db = await TestDb.create(server, 'drop');
    await db.sql(`CREATE TABLE t (id int, s text, v real[], n numeric);
      INSERT INTO t VALUES (1, E'tab\\there, newline\\nthere', '{1.5,NULL,-0}', NULL), (2, NULL, NULL, 2.5),
        (3, '', '{}', 'NaN'), (4, repeat('long ', 20000), (SELECT array_agg(d)::real[] FROM generate_series(1, 3000) d), 1);`);
    const hash = generatedHashSql(['s', 'v']);
    for (const format of ['binary', 'text'] as const) {
      const opt = format === 'binary' ? ' (FORMAT binary)' : '';
      const kept = await copyOut(db, `COPY (SELECT id, s, v, n FROM t) TO STDOUT${opt}`);
      const carried = await copyOut(db, `COPY (SELECT id, s, v, n, ${hash} FROM t) TO STDOUT${opt}`);
      for (const size of [1, 2, 3, 7, 64, 1 << 16]) {
        assert.ok((await dropped(carried, format, 4, size)).equals(kept), `${format}, pieces of ${size} bytes`);
      }
    }
    // Rows of no copied column: only the hash rode along.
    const none = await copyOut(db, `COPY (SELECT FROM t) TO STDOUT (FORMAT binary)`);
    const onlyHash = await copyOut(db, `COPY (SELECT ${hash} FROM t) TO STDOUT (FORMAT binary)`);
    assert.ok((await dropped(onlyHash, 'binary', 0, 5)).equals(none));
  });
});

for (const [from, to] of directions()) {
  describe(`one read of the source, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('reads a table with generated columns once, and counts the bytes of each table and of the run', async () => {
      const { src, tgt } = await pair(from, to, {
        source: PAGES('english') + NOTES('numeric(10,2)', 'english') + FILL,
        target: PAGES('english') + NOTES('numeric(12,2)', 'english'),
      });
      const binarySize = await copySize(src, 'SELECT id, url, body, embedding FROM pages');
      const textSize = await copySize(src, 'SELECT id, url, body, embedding FROM pages', 'text');
      assert.ok(
        textSize > 1.3 * binarySize,
        `the vector's text is larger than its binary form (${textSize} vs ${binarySize})`,
      );
      const before = await reads(src, 'pages');

      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(report.committed, true);
      const pages = byName(report, 'pages');
      const notes = byName(report, 'notes');
      assert.deepEqual([pages.format, notes.format], ['binary', 'text']);
      assert.ok(
        pages.notes.includes(
          'column search is generated on both sides and computed there; its values are compared, not copied ' +
            '(each server hashes them; the source sends its hashes with the rows, so the table is read once)',
        ),
        pages.notes.join('\n'),
      );
      assert.deepEqual([pages.sourceRows, pages.targetRows, notes.sourceRows, notes.targetRows], [ROWS, ROWS, 40, 40]);
      // The source's own statistics: one scan of the table, each row read once.
      const after = await reads(src, 'pages');
      assert.deepEqual({ scans: after.scans - before.scans, rows: after.rows - before.rows }, { scans: 1, rows: ROWS });
      assert.deepEqual(await tgt.fingerprint('pages'), await src.fingerprint('pages'));
      assert.deepEqual(await tgt.fingerprint('notes'), await src.fingerprint('notes'));

      // The bytes: about the binary COPY of the copied columns, not its text or the generated values.
      const t = pages.traffic!;
      assert.ok(t.sourceRead >= binarySize, `read ${t.sourceRead} of at least ${binarySize}`);
      assert.ok(t.sourceRead <= 1.1 * binarySize, `read ${t.sourceRead}, more than 1.1 × ${binarySize}`);
      assert.ok(t.targetWritten >= binarySize && t.targetWritten <= 1.1 * binarySize, `wrote ${t.targetWritten}`);
      const total = report.traffic!;
      const tables = pages.traffic!.sourceRead + notes.traffic!.sourceRead;
      assert.ok(total.sourceRead > tables && total.sourceRead < tables + 1024 * 1024, JSON.stringify(total));
      assert.ok(total.targetWritten > pages.traffic!.targetWritten + notes.traffic!.targetWritten);

      // Every rendering with per-table figures shows them, and the closing line the totals.
      assert.match(toText(report), /read → written[\s\S]*public\.pages .*\d+(\.\d)? kB → \d+(\.\d)? kB/);
      assert.match(toMarkdown(report), /\| read → written \| reason \|/);
      assert.match(
        toMarkdown(report),
        /- \*\*Network\*\*: read \d+(\.\d)? kB from the source, wrote \d+(\.\d)? kB to the target/,
      );
      // The CLI's closing lines: the table with its bytes, then the run's.
      const cli = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes']);
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /public\.pages .*VERIFIED\s+same\s+\d+ kB → \d+ kB/);
      assert.match(
        cli.stdout,
        /Outcome: verified\. Changes committed to the target\.\nNetwork: read \d+ kB from the source, wrote \d+ kB to the target \(every connection of the run/,
      );
    });

    it('a target that generates other values than the source holds does not verify, in migrate and in compare', async () => {
      const { src, tgt } = await pair(from, to, {
        source: PAGES('english') + NOTES('numeric(10,2)', 'english') + FILL,
      });
      // 'simple' keeps every word as it is: another tsvector for the same text.
      await tgt.sql(PAGES('simple') + NOTES('numeric(12,2)', 'simple'));
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.committed, false);
      for (const [name, rows] of [
        ['pages', ROWS],
        ['notes', 32],
      ] as const) {
        const t = byName(report, name);
        assert.equal(t.status, 'mismatch', `${name}: ${t.reason}`);
        assert.equal(t.content.differingRows, rows, `${name}: every row with text generates another tsvector`);
        assert.deepEqual(new Set(t.content.differences.map((d) => d.kind)), new Set(['changed']));
      }
      assert.equal(await tgt.count('pages'), 0, 'rolled back');

      // The same rows loaded by other means: compare finds the generated values differ too.
      await withClient(tgt.url, async (c) => {
        const rows = await src.sql('SELECT id, url, body, embedding FROM pages');
        for (const r of rows)
          await c.query('INSERT INTO pages (id, url, body, embedding) VALUES ($1, $2, $3, $4)', [
            r.id,
            r.url,
            r.body,
            r.embedding,
          ]);
      });
      const compared = await compare({ source: src.url, target: tgt.url, selection: { tables: ['pages'] } });
      assert.equal(byName(compared, 'pages').status, 'mismatch');
      assert.equal(byName(compared, 'pages').content.differingRows, ROWS);
    });
  });
}

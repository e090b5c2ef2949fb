// The content digest and the COPY row splitters, against real COPY streams cut at every boundary.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ContentDigest, readDigest, rowHash, rowHasher } from '../src/engine/verify/digest.js';
import { serverDigest } from '../src/engine/verify/serverDigest.js';
import { TestDb, testServers, withClient } from './support/pg.js';

const digestOf = (rows: string[]) => {
  const d = new ContentDigest();
  for (const r of rows) d.addRowHash(rowHash(Buffer.from(r)));
  return d;
};

describe('content digest', () => {
  it('ignores row order, counts duplicates, and subtracts', () => {
    const a = digestOf(['1\tx\n', '2\ty\n', '3\tz\n']);
    assert.ok(a.equals(digestOf(['3\tz\n', '1\tx\n', '2\ty\n'])), 'order does not matter');
    assert.ok(!a.equals(digestOf(['1\tx\n', '2\ty\n', '2\ty\n'])), 'a duplicate replacing a row is seen');
    assert.ok(!digestOf(['1\tx\n', '1\tx\n']).equals(digestOf([])), 'two equal rows do not cancel (XOR would)');
    assert.notEqual(digestOf(['1\tx\n', '1\tx\n']).hex(), digestOf(['1\tx\n']).hex());
    const both = digestOf(['old\n', '1\tx\n', '2\ty\n']);
    assert.ok(both.minus(digestOf(['old\n'])).equals(digestOf(['2\ty\n', '1\tx\n'])), 'what an append added');
    assert.equal(both.minus(digestOf(['old\n'])).rows, 2);
    assert.match(a.hex(), /^[0-9a-f]{32}$/);
  });
});

async function copyOut(url: string, sql: string): Promise<Buffer> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of c.query(copyTo(sql))) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await c.end();
  }
}

function hashesOf(format: 'binary' | 'text', data: Buffer, cut: (i: number) => number): string[] {
  const out: string[] = [];
  const h = rowHasher(format, (x) => out.push(x.toString('hex')));
  for (let pos = 0, i = 0; pos < data.length; i++) {
    const n = Math.max(1, cut(i));
    h.write(data.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

describe('COPY row splitters', () => {
  it('give the same row hashes however the stream is cut, in binary and text', async () => {
    const db = await TestDb.create(testServers()[17], 'digest');
    await db.sql(`CREATE TABLE t (id int, body text, v real[], b bytea, n numeric);
      INSERT INTO t SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat(E'line\\n\\t"q" ' || g, g % 50) END,
        CASE WHEN g % 5 = 0 THEN NULL ELSE (SELECT array_agg(g * d)::real[] FROM generate_series(1, g % 40) d) END,
        CASE WHEN g % 3 = 0 THEN ''::bytea ELSE decode(repeat('00ff', g % 30), 'hex') END, g / 7.0
      FROM generate_series(1, 300) g;
      INSERT INTO t VALUES (0, repeat('x', 200000), NULL, NULL, NULL);`);
    for (const format of ['binary', 'text'] as const) {
      const data = await copyOut(db.url, `COPY t TO STDOUT${format === 'binary' ? ' (FORMAT binary)' : ''}`);
      const whole = hashesOf(format, data, () => data.length);
      assert.equal(whole.length, 301, `${format}: one hash per row`);
      for (const [name, cut] of [
        ['1 byte', () => 1],
        ['7 bytes', () => 7],
        ['4 kB', () => 4096],
        ['varied', (i: number) => (i * 7919) % 3001],
      ] as const) {
        assert.deepEqual(hashesOf(format, data, cut), whole, `${format}, cut every ${name}`);
      }
    }
  });
});

describe('digest computed by the server', () => {
  it('equals the digest of the binary COPY stream, for every type that has a send function', async () => {
    for (const server of Object.values(testServers())) {
      const db = await TestDb.create(server, 'sdigest');
      await db.sql(`CREATE TYPE mood AS ENUM ('sad', 'ok');
        CREATE DOMAIN posint AS int CHECK (VALUE > 0);
        CREATE TABLE "Odd ""t""" (id int, body text, v real[], b bytea, n numeric, ts timestamptz, j jsonb, js json,
          m mood, d posint, iv interval, u uuid, c char(5), vc varchar(9), f8 float8, ia int[], r int4range,
          bits bit varying, x xml, "Col ""q""" text);
        INSERT INTO "Odd ""t""" SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE repeat(E'line\\n"q" ' || g, g % 50) END,
          CASE WHEN g % 5 = 0 THEN NULL ELSE (SELECT array_agg(g * d)::real[] FROM generate_series(1, g % 40) d) END,
          CASE WHEN g % 3 = 0 THEN ''::bytea ELSE decode(repeat('00ff', g % 30), 'hex') END, g / 7.0,
          CASE WHEN g = 1 THEN 'infinity' ELSE now() + g * interval '1 microsecond' END, jsonb_build_object('k', g),
          '{"b": 1,  "a": 2}', 'ok', g, g * interval '1 day 3 microseconds', gen_random_uuid(), 'ab', 'v ' || g,
          CASE WHEN g = 2 THEN 'NaN'::float8 WHEN g = 3 THEN '-0' ELSE g / 3.0 END, ARRAY[g, NULL, 3],
          int4range(g, g + 3), B'1011', '<a>x</a>', 'é ' || g
        FROM generate_series(1, 300) g;
        INSERT INTO "Odd ""t""" (id) VALUES (NULL), (NULL);`);
      await withClient(db.url, async (c) => {
        await c.query('BEGIN');
        const columns = await c.query(
          `SELECT quote_ident(attname) AS q FROM pg_attribute WHERE attrelid = '"Odd ""t"""'::regclass AND attnum > 0`,
        );
        const select = columns.rows.map((r) => r.q as string);
        const read = { from: 'ONLY "Odd ""t"""', select, format: 'binary' } as const;
        const byServer = await serverDigest(c, read);
        const byCopy = await readDigest(c, read);
        assert.ok(byServer, `PostgreSQL ${server.major}: the server computes the digest`);
        assert.equal(byServer.rows, 302);
        assert.equal(byServer.hex(), byCopy.hex(), `PostgreSQL ${server.major}: the same digest both ways`);
        await c.query(`UPDATE "Odd ""t""" SET v[2] = v[2] + 1 WHERE id = 77`);
        assert.notEqual((await serverDigest(c, read))!.hex(), byServer.hex(), 'one changed element is seen');
        const text = await serverDigest(c, { ...read, format: 'text' });
        assert.equal(text, null, 'text reads are left to COPY');
        await c.query('ROLLBACK');
      });
    }
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate } from '../src/engine/index.js';
import { type TestDb, directions, pair } from './support/pg.js';

// Values that broke CSV exports and shell pipelines in the story, plus every type family we promise.
const TRICKY_TEXTS = [
  'line one\nline two with "quotes" and \'single\'',
  'back\\slash \\N \\. and a tab\there',
  '\\.',
  'crlf\r\nline\rcarriage',
  'emoji 🚀🧠 and accents éàü and CJK 漢字',
  '\\N',
  '',
  ',;|\t"',
  'x'.repeat(100_000),
];

async function createValuesTable(db: TestDb, noteType: string, withEnumArray: boolean): Promise<void> {
  await db.sql(`
    CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy, really');
    CREATE TABLE tricky (
      id int PRIMARY KEY, note ${noteType}, doc jsonb, tags text[], blob bytea, feeling mood, feelings ${withEnumArray ? 'mood[]' : 'text'},
      uid uuid, embedding real[], amount numeric(30, 10), ratio double precision, at timestamptz, day date,
      span ${withEnumArray ? 'interval' : 'text'}, flag boolean, nested int[][]);`);
}

async function fillValues(db: TestDb): Promise<void> {
  for (const [i, text] of TRICKY_TEXTS.entries()) {
    await db.sql(
      `INSERT INTO tricky VALUES ($1, $2, $3, $4, $5, $6, $7, gen_random_uuid(),
         (SELECT array_agg(sin($1 * 1000 + d)::real) FROM generate_series(1, 1536) d),
         $8, $9, '2024-02-29 23:59:59.123456+05:30', '0001-01-01', '1 year 2 mons -3 days 04:05:06.789', $10, '{{1,2},{3,4}}')`,
      [
        i,
        text,
        JSON.stringify({ text, n: i, nested: { arr: [1, 'two', null], q: '"\\' } }),
        [text, 'plain', null as unknown as string],
        Buffer.from([0, 1, 2, 255, 10, 13, 92, i]),
        ['sad', 'ok', 'happy, really'][i % 3],
        ['{sad,"happy, really"}', '{}', null][i % 3],
        '12345678901234567890.0123456789',
        [0.1, Number.NaN, Number.POSITIVE_INFINITY, -0, 1e-300][i % 5],
        i % 2 === 0,
      ],
    );
  }
  await db.sql(`INSERT INTO tricky (id) VALUES (1000)`); // a row of NULLs
}

for (const [from, to] of directions()) {
  describe(`values arrive byte-identical, PostgreSQL ${from.major} → ${to.major}`, () => {
    // Arrays of a user-defined type carry the database's own type OID in binary COPY, so they (and
    // differing types) go through the text format; so does interval where a side is older than 17
    // (binary input there lets 17's infinite intervals through as finite ones), so the binary case
    // keeps its span as text and the text case has the interval.
    for (const [label, sourceNote, targetNote, enumArray, format] of [
      ['same built-in and enum types (binary COPY)', 'text', 'text', false, 'binary'],
      ['a differing type and an enum array (text COPY)', 'varchar(200000)', 'text', true, 'text'],
    ] as const) {
      it(label, async () => {
        const { src, tgt } = await pair(from, to);
        await createValuesTable(src, sourceNote, enumArray);
        await createValuesTable(tgt, targetNote, enumArray);
        await fillValues(src);
        const before = await src.fingerprint('tricky');
        const report = await migrate({ source: src.url, target: tgt.url });
        assert.equal(report.outcome, 'verified', JSON.stringify(report.tables, null, 1));
        const [t] = report.tables;
        assert.equal(t.format, format);
        assert.equal(t.sourceRows, TRICKY_TEXTS.length + 1);
        assert.equal(t.targetRows, TRICKY_TEXTS.length + 1);
        assert.deepEqual(await tgt.fingerprint('tricky'), before);
        // Spot checks that do not go through text: the bytes and the vector's floats themselves.
        const [row] = await tgt.sql(`SELECT blob, embedding, note FROM tricky WHERE id = 3`);
        assert.deepEqual([...row.blob], [0, 1, 2, 255, 10, 13, 92, 3]);
        assert.equal(row.embedding.length, 1536);
        assert.equal(row.note, TRICKY_TEXTS[3]);
        assert.deepEqual(await src.fingerprint('tricky'), before, 'the source is unchanged');
      });
    }
  });
}

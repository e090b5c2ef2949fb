// Proof by content: after a copy made by other means, every kind of discrepancy is found and named
// by key, and nothing else is flagged (server time zones, column order, floats, jsonb, arrays,
// numeric, bytea, infinite timestamps). migrate refuses to commit what it cannot prove.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compare, migrate, planMigration } from '../src/engine/index.js';
import { type Report, type TableReport, headline } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { directions, withClient, pair } from './support/pg.js';

const UNTOUCHED = `
CREATE TABLE floats (id int PRIMARY KEY, f float8, r real);
INSERT INTO floats VALUES (1, 'NaN', 'Infinity'), (2, '-Infinity', '-0'), (3, 1e-300, 3.4e38), (4, 0.1, 0.1),
  (5, 1.0/3, 2.0/3), (6, NULL, NULL), (7, 123456789.123456789, 1e-45);
CREATE TABLE docs_json (id int PRIMARY KEY, j jsonb, t json);
INSERT INTO docs_json SELECT g, jsonb_build_object('b', g, 'a', ARRAY[g, g + 1], 'u', 'é "q" ' || g),
  '{"z": 1,   "a": [1, 2]}' FROM generate_series(1, 30) g;
CREATE TABLE arrs (id int PRIMARY KEY, a int[], t text[], e real[]);
INSERT INTO arrs SELECT g, ARRAY[g, NULL, -g], ARRAY['x,y', 'q"u', NULL, ''],
  (SELECT array_agg(sin(g * d))::real[] FROM generate_series(1, 1536) d) FROM generate_series(1, 20) g;
CREATE TABLE nums (id int PRIMARY KEY, n numeric, m numeric(12, 4));
INSERT INTO nums VALUES (1, 'NaN', 1.5), (2, 123456789012345678901234567890.123456789, -0.0001), (3, 0, 0), (4, 1e-20, NULL);
CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
INSERT INTO blobs VALUES (1, ''), (2, '\\x00ff00'), (3, NULL), (4, decode(repeat('ab', 5000), 'hex'));
CREATE TABLE times (id int PRIMARY KEY, ts timestamp, tz timestamptz, d date, i interval);
INSERT INTO times VALUES (1, 'infinity', '-infinity', 'infinity', '1 year 2 mons 3 days 04:05:06.789'),
  (2, '2025-06-01 12:34:56.789012', '2025-06-01 12:34:56.789012+00', '2025-06-01', '-1 day'),
  (3, '1999-12-31 23:59:59', '1999-12-31 23:59:59+05:30', '0001-01-01 BC', '0');`;

/** Each table and what is done to it on the target after an exact copy (null: left alone). */
const CHANGES: Record<string, { ddl: string; change: string; keys?: RegExp }> = {
  embeddings: {
    ddl: `CREATE TABLE embeddings (id int PRIMARY KEY, v real[]);
      INSERT INTO embeddings SELECT g, (SELECT array_agg(cos(g + d))::real[] FROM generate_series(1, 1536) d)
      FROM generate_series(1, 40) g;`,
    change: `UPDATE embeddings SET v[777] = v[777] + 0.001 WHERE id = 17;`,
    keys: /^id=17 changed$/,
  },
  people: {
    ddl: `CREATE TABLE people (id int PRIMARY KEY, first text, last text);
      INSERT INTO people SELECT g, 'first' || g, 'last' || g FROM generate_series(1, 10) g;`,
    change: `UPDATE people SET first = CASE id WHEN 1 THEN 'first2' ELSE 'first1' END WHERE id IN (1, 2);`,
    keys: /^id=1 changed; id=2 changed$|^id=2 changed; id=1 changed$/,
  },
  nulls: {
    ddl: `CREATE TABLE nulls (id int PRIMARY KEY, body text);
      INSERT INTO nulls SELECT g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'x' END FROM generate_series(1, 10) g;`,
    change: `UPDATE nulls SET body = '' WHERE id = 4;`,
    keys: /^id=4 changed$/,
  },
  trail: {
    ddl: `CREATE TABLE trail (id int PRIMARY KEY, s text); INSERT INTO trail SELECT g, 's' || g FROM generate_series(1, 10) g;`,
    change: `UPDATE trail SET s = s || ' ' WHERE id = 9;`,
    keys: /^id=9 changed$/,
  },
  events: {
    ddl: `CREATE TABLE events (id int PRIMARY KEY, at timestamptz);
      INSERT INTO events SELECT g, '2025-01-01 00:00:00+00'::timestamptz + g * interval '1 hour' FROM generate_series(1, 10) g;`,
    change: `UPDATE events SET at = at + interval '1 microsecond' WHERE id = 3;`,
    keys: /^id=3 changed$/,
  },
  pages: {
    ddl: `CREATE TABLE pages (id int PRIMARY KEY, body text);
      INSERT INTO pages SELECT g, repeat(E'multi-line\\n"quoted" \\\\ text ' || g || E'\\n', 30) FROM generate_series(1, 20) g;`,
    change: `UPDATE pages SET body = overlay(body placing 'X' from 100 for 1) WHERE id = 12;`,
    keys: /^id=12 changed$/,
  },
  deleted: {
    ddl: `CREATE TABLE deleted (id int PRIMARY KEY, v text); INSERT INTO deleted SELECT g, 'v' FROM generate_series(1, 10) g;`,
    change: `DELETE FROM deleted WHERE id = 6;`,
    keys: /^id=6 missing on the target$/,
  },
  extra: {
    ddl: `CREATE TABLE extra (id int PRIMARY KEY, v text); INSERT INTO extra SELECT g, 'v' FROM generate_series(1, 10) g;`,
    change: `INSERT INTO extra VALUES (11, 'v');`,
    keys: /^id=11 extra on the target$/,
  },
  nokey: {
    ddl: `CREATE TABLE nokey (a int, b text); INSERT INTO nokey SELECT g, 'b' || g FROM generate_series(1, 10) g;`,
    change: `DELETE FROM nokey WHERE a = 2; INSERT INTO nokey VALUES (3, 'b3');`,
  },
  truncated: {
    ddl: `CREATE TABLE truncated (id int PRIMARY KEY); INSERT INTO truncated SELECT generate_series(1, 10);`,
    change: `TRUNCATE truncated;`,
  },
};

const byName = (r: Report, name: string): TableReport => r.tables.find((t) => t.table === name)!;

for (const [from, to] of directions()) {
  describe(`content, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('compare flags exactly the changed tables and names the changed keys', async () => {
      const ddl =
        UNTOUCHED +
        Object.values(CHANGES)
          .map((c) => c.ddl)
          .join('\n');
      const { src, tgt } = await pair(from, to, {
        source: `${ddl} CREATE TABLE dropped (id int PRIMARY KEY); INSERT INTO dropped VALUES (1);`,
      });
      // The copy "by other means": the same statements, the target's columns in another order and
      // its server's time zone elsewhere.
      await tgt.sql(`ALTER DATABASE ${tgt.name} SET TimeZone = 'Pacific/Chatham'`);
      await tgt.sql(`${ddl} CREATE TABLE reordered (b text, id int PRIMARY KEY, a int);`);
      await src.sql(`CREATE TABLE reordered (id int PRIMARY KEY, a int, b text);
        INSERT INTO reordered SELECT g, g * 2, 'b' || g FROM generate_series(1, 10) g;`);
      await tgt.sql(`INSERT INTO reordered (id, a, b) SELECT g, g * 2, 'b' || g FROM generate_series(1, 10) g;`);

      const clean = await compare({ source: src.url, target: tgt.url });
      const notVerified = clean.tables.filter((t) => t.status !== 'verified').map((t) => `${t.table}: ${t.reason}`);
      assert.deepEqual(notVerified, ['dropped: missing on the target'], 'no false alarm before the changes');
      assert.ok(clean.tables.every((t) => t.table === 'dropped' || t.content.status === 'match'));

      await tgt.sql(
        Object.values(CHANGES)
          .map((c) => c.change)
          .join('\n'),
      );
      const report = await compare({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'not verified');
      const flagged = report.tables
        .filter((t) => t.status !== 'verified')
        .map((t) => t.table)
        .sort();
      assert.deepEqual(flagged, [...Object.keys(CHANGES), 'dropped'].sort());
      for (const [name, c] of Object.entries(CHANGES)) {
        const t = byName(report, name);
        assert.equal(t.status, 'mismatch', `${name}: ${t.reason}`);
        assert.equal(t.content.status, 'differs', name);
        assert.notEqual(t.content.sourceDigest, t.content.targetDigest);
        if (c.keys) assert.match(t.content.differences.map((d) => `${d.key} ${d.kind}`).join('; '), c.keys, name);
      }
      assert.equal(
        byName(report, 'nokey').reason,
        'same row count, but 2 rows differ in content: 1 missing on the target, 1 extra on the target ' +
          '(the table has no key to name them; a changed row counts once on each side)',
      );
      assert.equal(byName(report, 'nokey').content.differingRows, 2);
      assert.match(byName(report, 'people').reason!, /same row count, but 2 rows differ in content: 2 changed/);
      assert.equal(byName(report, 'dropped').status, 'skipped');
      for (const name of ['floats', 'docs_json', 'arrs', 'nums', 'blobs', 'times', 'reordered']) {
        assert.equal(byName(report, name).status, 'verified', `${name}: ${byName(report, name).reason}`);
      }

      const counts = await compare({ source: src.url, target: tgt.url, countsOnly: true });
      assert.equal(counts.checks, 'counts only');
      assert.equal(byName(counts, 'people').status, 'verified', 'counts alone cannot see it');
      assert.equal(byName(counts, 'people').content.status, 'not checked');
    });

    it('migrate proves content with no false alarm, across versions, column orders and widening types', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `${UNTOUCHED} CREATE TABLE widened (id int PRIMARY KEY, r real, i int, n numeric(8, 2), ts timestamp, d date);
        INSERT INTO widened VALUES (1, 0.1, 7, 1.25, '2025-01-01 10:00:00', '2025-01-02'), (2, 1e-7, -1, NULL, NULL, NULL);`,
      });
      await tgt.sql(`ALTER DATABASE ${tgt.name} SET TimeZone = 'America/St_Johns'`);
      const targetDdl = UNTOUCHED.replace(/INSERT INTO[^;]+;/g, '').replace(
        'CREATE TABLE floats (id int PRIMARY KEY, f float8, r real)',
        'CREATE TABLE floats (r real, f float8, id int PRIMARY KEY)',
      );
      await tgt.sql(`${targetDdl} CREATE TABLE widened (id bigint PRIMARY KEY, r double precision, i numeric(10, 3),
        n numeric(12, 4), ts timestamptz, d timestamp);`);
      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.filter((t) => t.status !== 'verified')));
      for (const t of report.tables) {
        assert.equal(t.content.status, 'match', t.table);
        assert.equal(t.content.sourceDigest, t.content.targetDigest);
      }
      assert.deepEqual(await tgt.sql(`SELECT r::text, i::text, n::text FROM widened ORDER BY id`), [
        { r: '0.1', i: '7.000', n: '1.2500' },
        { r: '1e-07', i: '-1.000', n: null },
      ]);
    });

    it('double precision to numeric: a -0 arrives as 0, and the report says so', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE z (id int PRIMARY KEY, f float8); INSERT INTO z VALUES (1, '-0'), (2, 1e-5), (3, -2.5);`,
        target: `CREATE TABLE z (id int PRIMARY KEY, f numeric);`,
      });
      const report = await migrate({ source: src.url, target: tgt.url });
      const [z] = report.tables;
      assert.equal(z.status, 'verified', JSON.stringify(z));
      assert.match(z.notes.join(' '), /numeric has no negative zero, so a -0 arrives as 0/);
      assert.match(toMarkdown(report), /public\.z: column f is double precision .* numeric has no negative zero/);
      assert.match(toText(report), /Notes:\n {2}public\.z: column f/);
      assert.deepEqual(await tgt.sql('SELECT f::text FROM z ORDER BY id'), [
        { f: '0' },
        { f: '0.00001' },
        { f: '-2.5' },
      ]);
    });

    it('migrate skips lossy conversions up front, naming the column and the loss', async () => {
      const { src, tgt } = await pair(from, to);
      const cols = ['n numeric', 'f float8', 'ts timestamptz', 'c text', 'p numeric(8, 4)'];
      const targetCols = ['n numeric(6, 2)', 'f real', 'ts date', 'c char(20)', 'p numeric(8, 2)'];
      for (const [i, c] of cols.entries()) {
        await src.sql(`CREATE TABLE t${i} (id int PRIMARY KEY, ${c}); INSERT INTO t${i} (id) VALUES (1);`);
        await tgt.sql(`CREATE TABLE t${i} (id int PRIMARY KEY, ${targetCols[i]});`);
      }
      const planned = await planMigration({ source: src.url, target: tgt.url });
      const reasons = planned.plan.tables.map((t) => `${t.table}: ${t.action} ${t.reason}`);
      assert.deepEqual(reasons, [
        't0: skip column n is numeric on the source but numeric(6,2) on the target: values would be rounded to 2 decimal places',
        't1: skip column f is double precision on the source but real on the target: values would be rounded to 6 significant digits',
        't2: skip column ts is timestamp with time zone on the source but date on the target: the time of day would be dropped',
        't3: skip column c is text on the source but character(20) on the target: values would be padded to 20 characters, trailing spaces not kept',
        't4: skip column p is numeric(8,4) on the source but numeric(8,2) on the target: values would be rounded to 2 decimal places',
      ]);
    });
  });
}

describe('migrate refuses what it cannot prove', () => {
  const [from, to] = directions()[0];

  it('a composite type whose fields are declared in another order on the target: skipped, target unchanged', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TYPE pair AS (a int, b int); CREATE TABLE e (id int PRIMARY KEY, p pair, ps pair[]);
      INSERT INTO e VALUES (1, ROW(1, 2), ARRAY[ROW(3, 4)::pair]);`,
      target: `CREATE TYPE pair AS (b int, a int); CREATE TABLE e (id int PRIMARY KEY, p pair, ps pair[]);
      INSERT INTO e VALUES (9, ROW(9, 9), NULL);`,
    });
    const report = await migrate({ source: src.url, target: tgt.url });
    const e = byName(report, 'e');
    assert.equal(e.status, 'skipped');
    assert.match(
      e.reason!,
      /column p holds pair on the source \(a integer, b integer\) and pair on the target \(b integer, a integer\)/,
    );
    assert.match(e.reason!, /column ps holds pair\[\]/);
    assert.deepEqual(
      await tgt.sql(`SELECT id, (p).a, (p).b FROM e`),
      [{ id: 9, a: 9, b: 9 }],
      'the target is unchanged',
    );
  });

  it('composite field order is checked at every depth: nested, through domains, in arrays of domains', async () => {
    const ddl = (inner: string) => `CREATE TYPE inner_t AS (${inner}); CREATE TYPE outer_t AS (x int, i inner_t);
      CREATE DOMAIN dp AS inner_t; CREATE DOMAIN ddp AS dp;
      CREATE TABLE nested (id int PRIMARY KEY, o outer_t); CREATE TABLE via_domains (id int PRIMARY KEY, d ddp);
      CREATE TABLE domain_array (id int PRIMARY KEY, ds dp[]); CREATE TABLE plain (id int PRIMARY KEY, v text);`;
    const { src, tgt } = await pair(from, to, {
      source: `${ddl('a int, b int')}
      INSERT INTO nested VALUES (1, ROW(10, ROW(2, 3)::inner_t)); INSERT INTO via_domains VALUES (1, ROW(2, 3));
      INSERT INTO domain_array VALUES (1, ARRAY[ROW(2, 3)::dp]); INSERT INTO plain VALUES (1, 'x');`,
      target: ddl('b int, a int'),
    });
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(byName(report, 'plain').status, 'verified');
    for (const name of ['nested', 'via_domains', 'domain_array']) {
      const t = byName(report, name);
      assert.equal(t.status, 'skipped', `${name}: ${JSON.stringify(t)}`);
      assert.match(
        t.reason!,
        /\(a integer, b integer\).*\(b integer, a integer\)|a integer, b integer.*b integer, a integer/,
      );
    }
    assert.match(byName(report, 'nested').reason!, /x integer, i inner_t \(a integer, b integer\)/);
    assert.equal(await tgt.count('nested'), 0, 'nothing of theirs was loaded');
  });

  for (const [a, b] of directions())
    for (const created of [false, true])
      it(`regclass names the same object whatever either side's search_path finds first (${created ? 'created' : 'existing'} table, ${a.major} → ${b.major})`, async () => {
        const { src, tgt } = await pair(a, b);
        const things = 'CREATE SCHEMA app; CREATE TABLE app.thing (x int); CREATE TABLE public.thing (x int);';
        const ddl = 'CREATE TABLE public.refs (id int PRIMARY KEY, c regclass, cs regclass[], t regtype);';
        await src.sql(`${things} CREATE TYPE app.mood AS ENUM ('ok'); CREATE TYPE public.mood AS ENUM ('ok'); ${ddl}
        INSERT INTO public.refs VALUES (1, 'app.thing', '{app.thing,public.thing}', 'app.mood'), (2, 'public.thing', NULL, 'public.mood');
        ALTER DATABASE ${src.name} SET search_path = app, public`);
        // On the target, a schema named after the user comes first ("$user", public) and holds another thing.
        await tgt.sql(`${things} CREATE TYPE app.mood AS ENUM ('ok'); CREATE TYPE public.mood AS ENUM ('ok');
        CREATE SCHEMA postgres; CREATE TABLE postgres.thing (x int); CREATE TYPE postgres.mood AS ENUM ('ok');
        ${created ? '' : ddl}`);
        const report = await migrate({
          source: src.url,
          target: tgt.url,
          selection: { tables: ['public.refs'] },
          createMissing: created,
        });
        assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
        const arrived = await withClient(tgt.url, async (c) => {
          await c.query('SET search_path = pg_catalog');
          return (await c.query('SELECT id, c::text, cs::text, t::text FROM public.refs ORDER BY id')).rows;
        });
        assert.deepEqual(arrived, [
          { id: 1, c: 'app.thing', cs: '{app.thing,public.thing}', t: 'app.mood' },
          { id: 2, c: 'public.thing', cs: null, t: 'public.mood' },
        ]);
        assert.equal(
          (await compare({ source: src.url, target: tgt.url, selection: { tables: ['public.refs'] } })).outcome,
          'verified',
        );
        // Pointing at the user's own schema's thing reads "thing" on both sides unpinned: compare must still see it.
        await tgt.sql(`UPDATE public.refs SET c = 'postgres.thing' WHERE id = 2`);
        const after = await compare({ source: src.url, target: tgt.url, selection: { tables: ['public.refs'] } });
        assert.equal(after.tables[0].status, 'mismatch');
      });

  it('regclass and its kin travel by name, not by OID, and compare by name', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE foo1 (x int); CREATE TABLE foo2 (x int);
      CREATE TABLE regs (id int PRIMARY KEY, r regclass, rs regclass[], ro regrole, rn regnamespace, t regtype);
      INSERT INTO regs VALUES (1, 'foo1', '{foo1,foo2}', 'postgres', 'public', 'int4'), (2, 'foo2', NULL, NULL, NULL, NULL);`,
    });
    // Created in another order on the target, so the same names have other OIDs there.
    await tgt.sql(`CREATE TABLE pad (x int); CREATE TABLE foo2 (x int); CREATE TABLE foo1 (x int);
      CREATE TABLE regs (id int PRIMARY KEY, r regclass, rs regclass[], ro regrole, rn regnamespace, t regtype);`);
    const report = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['regs'] } });
    assert.equal(byName(report, 'regs').status, 'verified', JSON.stringify(report.tables));
    assert.equal(byName(report, 'regs').format, 'text');
    assert.deepEqual(await tgt.sql(`SELECT id, r::text, rs::text FROM regs ORDER BY id`), [
      { id: 1, r: 'foo1', rs: '{foo1,foo2}' },
      { id: 2, r: 'foo2', rs: null },
    ]);
  });

  for (const created of [false, true]) {
    const where = created ? 'on tables the run creates' : 'on existing tables';
    it(`values binary COPY would let through wrong (interval infinity before 17) or refuse travel as text, ${where}`, async () => {
      const ddl = `CREATE TABLE foo1 (x int); CREATE TABLE iv (id int PRIMARY KEY, i interval, ia interval[]);
        CREATE TABLE odd (id int PRIMARY KEY, q tsquery, v int2vector, o oidvector, acl aclitem[], r regclass,
                          rs regclass[], ro regrole, rt regtype, rp regproc);`;
      const { src, tgt } = await pair(from, to, {
        source: `${ddl} INSERT INTO iv VALUES (1, '1 day', '{2 days}');
        INSERT INTO odd VALUES (1, '', '', '', '{postgres=arwdDxt/postgres}', 'foo1', '{foo1}', 'postgres', 'int4', 'now'),
                               (2, 'a & b', '1 2', '3 4', NULL, NULL, NULL, NULL, NULL, NULL);`,
      });
      // Created in another order on the target, so the same names have other OIDs there.
      await tgt.sql(
        created ? 'CREATE TABLE pad (x int); CREATE TABLE foo1 (x int);' : `CREATE TABLE pad (x int); ${ddl}`,
      );
      const selection = { tables: ['iv', 'odd'] };
      const report = await migrate({ source: src.url, target: tgt.url, selection, createMissing: created });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.deepEqual(
        report.tables.map((t) => [t.table, t.format]),
        [
          ['iv', from.major >= 17 && to.major >= 17 ? 'binary' : 'text'],
          ['odd', 'text'],
        ],
      );
      for (const table of ['iv', 'odd']) assert.deepEqual(await tgt.fingerprint(table), await src.fingerprint(table));
      if (from.major < 17) return;
      // An infinite interval has no place on a server before 17: the load says so, nothing commits.
      await src.sql(`INSERT INTO iv VALUES (2, 'infinity', '{-infinity}')`);
      await tgt.sql(created ? 'DROP TABLE iv, odd' : 'TRUNCATE iv, odd');
      const again = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { tables: ['iv'] },
        createMissing: created,
      });
      if (to.major >= 17) {
        assert.equal(again.outcome, 'verified', JSON.stringify(again.tables));
        assert.deepEqual(await tgt.fingerprint('iv'), await src.fingerprint('iv'));
        return;
      }
      assert.equal(again.committed, false);
      assert.equal(byName(again, 'iv').status, 'failed');
      assert.match(byName(again, 'iv').reason!, /interval/);
      assert.equal((await tgt.sql(`SELECT to_regclass('iv') AS t`))[0].t, created ? null : 'iv');
    });
  }

  it('money is found at any depth (domains over domains, arrays of domains, composite fields), with how it renders', async () => {
    const ddl = `CREATE DOMAIN m1 AS money; CREATE DOMAIN m2 AS m1; CREATE TYPE priced AS (label text, p money);
      CREATE TABLE t (id int PRIMARY KEY, dd m2, arr m1[], comp priced, plain money, plain_arr money[], n numeric);`;
    const { src, tgt } = await pair(from, to, { both: ddl });
    // C and POSIX render money alike: no false skip between them (the differing case is in plan.test.ts).
    await src.sql(`ALTER DATABASE ${src.name} SET lc_monetary = 'C'`);
    await tgt.sql(`ALTER DATABASE ${tgt.name} SET lc_monetary = 'POSIX'`);
    const { plan } = await planMigration({ source: src.url, target: tgt.url });
    const [t] = plan.tables;
    assert.equal(t.action, 'copy', t.reason ?? '');
    const formats = Object.fromEntries(t.source.columns.map((c) => [c.name, c.moneyFormat]));
    assert.deepEqual(formats, {
      id: null,
      dd: '$1,234,567.89',
      arr: '$1,234,567.89',
      comp: '$1,234,567.89',
      plain: '$1,234,567.89',
      plain_arr: '$1,234,567.89',
      n: null,
    });
  });

  it('compare: a source column the target lacks is a mismatch, even when the rest matches', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE lost (id int PRIMARY KEY, name text, secret text); INSERT INTO lost VALUES (1, 'a', 'x');
      CREATE TABLE wider (id int PRIMARY KEY); INSERT INTO wider VALUES (1);`,
      target: `CREATE TABLE lost (id int PRIMARY KEY, name text); INSERT INTO lost VALUES (1, 'a');
      CREATE TABLE wider (id int PRIMARY KEY, extra text DEFAULT 'd'); INSERT INTO wider VALUES (1);`,
    });
    const report = await compare({ source: src.url, target: tgt.url });
    const lost = byName(report, 'lost');
    assert.equal(lost.status, 'mismatch');
    assert.equal(lost.reason, 'source column secret is missing on the target: its values are not there');
    assert.equal(byName(report, 'wider').status, 'verified', 'a column only the target has loses nothing');
    assert.equal(report.outcome, 'not verified');
  });

  it('append proves the rows it added', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'new' FROM generate_series(10, 19) g;`,
      target: `CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a SELECT g, 'old' FROM generate_series(1, 5) g;`,
    });
    const appended = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
    assert.equal(appended.outcome, 'verified', JSON.stringify(appended.tables));
    assert.equal(byName(appended, 'a').content.status, 'match');
    assert.equal(await tgt.count('a'), 15);
  });

  it('content that changes inside the load (spaces cut by varchar) is caught, named by key, and rolled back', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE codes (id int PRIMARY KEY, code text); CREATE TABLE ok (id int PRIMARY KEY);
      INSERT INTO codes VALUES (1, 'ab'), (2, 'cd' || repeat(' ', 10)), (3, 'ef'); INSERT INTO ok VALUES (1);`,
      target: `CREATE TABLE codes (id int PRIMARY KEY, code varchar(5)); CREATE TABLE ok (id int PRIMARY KEY);
      INSERT INTO codes VALUES (7, 'keep'); INSERT INTO ok VALUES (42);`,
    });
    const report = await migrate({ source: src.url, target: tgt.url });
    assert.equal(report.committed, false);
    const codes = byName(report, 'codes');
    assert.equal(codes.status, 'mismatch');
    assert.equal(codes.sourceRows, codes.targetRows, 'the counts alone would have passed');
    assert.deepEqual(codes.content.differences, [{ key: 'id=2', kind: 'changed' }]);
    assert.match(codes.reason!, /same row count, but 1 row differs in content: 1 changed/);
    assert.match(byName(report, 'ok').reason!, /rolled back because public.codes did not verify/);
    assert.equal(byName(report, 'ok').status, 'rolled back', 'verified, then taken back: never "verified" or "failed"');
    assert.equal(byName(report, 'ok').content.status, 'not checked');
    assert.deepEqual([report.cause?.table, report.cause?.status], ['codes', 'mismatch']);
    assert.match(
      headline(report),
      /^Nothing migrated of 2 tables: 0 verified .* Nothing was committed to the target\.$/,
    );
    assert.deepEqual(await tgt.sql(`SELECT id, code FROM codes`), [{ id: 7, code: 'keep' }], 'the target is unchanged');
    assert.deepEqual(await tgt.sql(`SELECT id FROM ok`), [{ id: 42 }]);
  });

  it('equal values in another binary form (an array that once held a NULL, another NaN) are the same content', async () => {
    const ddl = `CREATE TABLE a (id int PRIMARY KEY, x int[], f float8, r real);`;
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO a VALUES (1, '{1,NULL,3}', 'NaN', 'NaN'), (2, '{7}', 1, 1);
      UPDATE a SET x[2] = 5 WHERE id = 1;`,
    });
    const migrated = await migrate({ source: src.url, target: tgt.url });
    assert.equal(migrated.outcome, 'verified', JSON.stringify(migrated.tables));
    await tgt.sql(`UPDATE a SET f = 'Infinity'::float8 - 'Infinity'::float8, r = 'Infinity'::real * 0 WHERE id = 1`);
    const compared = await compare({ source: src.url, target: tgt.url });
    assert.equal(compared.outcome, 'verified', JSON.stringify(compared.tables));
    assert.match(byName(compared, 'a').notes.join(' '), /content compared as text/);
    await tgt.sql(`UPDATE a SET x = '{1,6,3}' WHERE id = 1`);
    const changed = await compare({ source: src.url, target: tgt.url });
    assert.deepEqual(byName(changed, 'a').content.differences, [{ key: 'id=1', kind: 'changed' }]);
  });

  it('columns the target generates are compared with the source, not taken on trust', async () => {
    const { src, tgt } = await pair(from, to, {
      source: `CREATE TABLE g (id int PRIMARY KEY, a int, g int); INSERT INTO g VALUES (1, 10, 20), (2, 7, 999);
      CREATE TABLE same (id int PRIMARY KEY, a int, g int); INSERT INTO same VALUES (1, 10, 20);
      CREATE TABLE twice (id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a * 2) STORED); INSERT INTO twice VALUES (1, 10);`,
      target: `CREATE TABLE g (id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a * 2) STORED);
      CREATE TABLE same (id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a * 2) STORED);
      CREATE TABLE twice (id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a * 3) STORED);`,
    });
    const lost = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['g'] } });
    assert.equal(byName(lost, 'g').status, 'mismatch');
    assert.deepEqual(byName(lost, 'g').content.differences, [{ key: 'id=2', kind: 'changed' }]);
    assert.equal(await tgt.count('g'), 0, 'rolled back');
    const kept = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['same'] } });
    assert.equal(kept.outcome, 'verified', 'the target computes what the source holds');
    const both = await migrate({ source: src.url, target: tgt.url, selection: { tables: ['twice'] } });
    assert.equal(byName(both, 'twice').status, 'mismatch', 'generated differently on the two sides');
    await tgt.sql(`INSERT INTO twice (id, a) VALUES (1, 10)`);
    const compared = await compare({ source: src.url, target: tgt.url, selection: { tables: ['twice'] } });
    assert.equal(byName(compared, 'twice').status, 'mismatch');
  });

  it('names differing rows past the first 20 with true totals, and shows odd keys unambiguously', async () => {
    const ddl = `CREATE TABLE many (id int PRIMARY KEY, v text); CREATE TABLE k (k text PRIMARY KEY, v int);`;
    const { src, tgt } = await pair(from, to, {
      both: ddl,
      source: `INSERT INTO many SELECT g, 'v' FROM generate_series(1, 100) g;
      INSERT INTO k VALUES ('', 1), (' ', 2), ('a' || chr(9) || 'b', 3), ('a\\tb', 4);`,
      target: `INSERT INTO many SELECT g, CASE WHEN g <= 30 THEN 'w' ELSE 'v' END FROM generate_series(6, 101) g;
      INSERT INTO k VALUES ('', 9), (' ', 9), ('a' || chr(9) || 'b', 9), ('a\\tb', 4);`,
    });
    const report = await compare({ source: src.url, target: tgt.url });
    const many = byName(report, 'many');
    assert.equal(many.content.differingRows, 31);
    assert.equal(many.content.differences.length, 20);
    assert.match(
      many.content.reason!,
      /31 rows differ in content \(the first 20 listed\): 25 changed, 5 missing on the target, 1 extra on the target/,
    );
    const keys = byName(report, 'k')
      .content.differences.map((d) => d.key)
      .sort();
    assert.deepEqual(keys, ['k=" "', 'k=""', 'k="a\\tb"']);
  });
});

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { makePlan } from '../src/engine/plan/plan.js';
import { parseTablePattern, selectTables } from '../src/engine/catalog/selection.js';
import { redact } from '../src/engine/errors.js';
import { parseEndpoint } from '../src/engine/connect/connection.js';
import { catalog, col, table } from './support/catalog.js';

describe('plan', () => {
  it('names an extension type that the target lacks', () => {
    const vec = col('embedding', 'vector(1536)', { typeSchema: 'public', category: 'U', typeExtension: 'vector' });
    const plan = makePlan({
      source: catalog([table('public', 'pages', [col('id', 'integer'), vec])], ['vector']),
      target: catalog([table('public', 'pages', [col('id', 'integer'), col('embedding', 'real[]')])]),
      selection: {},
      existing: 'replace',
    });
    assert.equal(plan.tables[0].action, 'skip');
    assert.equal(
      plan.tables[0].reason,
      'column embedding is vector(1536) on the source but real[] on the target (extension vector is not installed on the target)',
    );
  });

  it('copies a compatible type difference as text, with a note', () => {
    const plan = makePlan({
      source: catalog([table('public', 't', [col('n', 'integer')])]),
      target: catalog([table('public', 't', [col('n', 'bigint')])]),
      selection: {},
      existing: 'append',
    });
    assert.equal(plan.tables[0].action, 'copy');
    assert.equal(plan.tables[0].format, 'text');
    assert.match(plan.tables[0].notes[0], /integer on the source but bigint on the target; copied as text/);
  });

  it('skips money when the servers format it otherwise (lc_monetary), and copies it when they agree', () => {
    const money = (format: string) => col('price', 'money', { moneyFormat: format });
    const planWith = (a: string, b: string) =>
      makePlan({
        source: catalog([table('public', 'p', [col('id', 'integer'), money(a)])]),
        target: catalog([table('public', 'p', [col('id', 'integer'), money(b)])]),
        selection: {},
        existing: 'replace',
      }).tables[0];
    const yen = planWith('￥1,234,568', '$1,234,567.89');
    assert.equal(yen.action, 'skip');
    assert.match(
      yen.reason!,
      /column price is money, and lc_monetary differs .*￥1,234,568 on the source, \$1,234,567.89/,
    );
    assert.equal(planWith('$1,234,567.89', '$1,234,567.89').action, 'copy');
  });

  it('a skip says its kind: missing on the target only when the table is, not a view the target lacks', () => {
    const plan = makePlan({
      source: catalog([
        table('public', 'gone', [col('id', 'integer')]),
        table('public', 'v', [col('id', 'integer')], { kind: 'view' }),
        table('public', 'narrow', [col('id', 'integer'), col('extra', 'text')]),
      ]),
      target: catalog([table('public', 'narrow', [col('id', 'integer')])]),
      selection: { tables: ['gone', 'v', 'narrow'] },
      existing: 'replace',
    });
    assert.deepEqual(plan.tables.map((t) => [t.table, t.skip]).sort(), [
      ['gone', 'missing-on-target'],
      ['narrow', 'missing-columns'],
      ['v', 'other'],
    ]);
  });

  it('leaves the target generated columns out and lists target-only columns as defaults', () => {
    const plan = makePlan({
      source: catalog([table('public', 't', [col('a'), col('g')])]),
      target: catalog([
        table('public', 't', [
          col('g', 'text', { generated: true }),
          col('a'),
          col('extra', 'text', { hasDefault: true }),
        ]),
      ]),
      selection: {},
      existing: 'replace',
    });
    assert.deepEqual(plan.tables[0].columns, ['a']);
    assert.ok(plan.tables[0].notes.some((n) => /extra gets its default/.test(n)));
  });

  it('skips tables whose target privileges do not allow the load, the count or the lock', () => {
    const src = catalog([table('public', 'a', [col('x')]), table('public', 'b', [col('x')])]);
    const noSelect = { select: false, insert: true, update: true, delete: true, truncate: true };
    const insertOnly = { select: true, insert: true, update: false, delete: false, truncate: false };
    const tgt = catalog([
      table('public', 'a', [col('x')], { privileges: noSelect }),
      table('public', 'b', [col('x')], { privileges: insertOnly }),
    ]);
    const plan = makePlan({ source: src, target: tgt, selection: {}, existing: 'append' });
    assert.match(plan.tables[0].reason!, /may not read it \(no SELECT privilege/);
    assert.match(plan.tables[1].reason!, /may not lock it against concurrent writes/);
  });

  it('orders loads by foreign key and reports patterns that matched nothing', () => {
    const fk = (ref: string) => ({
      name: `${ref}_fk`,
      columns: ['r'],
      refSchema: 'public',
      refTable: ref,
      refColumns: ['id'],
      matchFull: false,
      validated: true,
    });
    const tables = [
      table('public', 'a', [col('r')], { foreignKeys: [fk('b')] }),
      table('public', 'b', [col('r')], { foreignKeys: [fk('c')] }),
      table('public', 'c', [col('r')]),
    ];
    const plan = makePlan({
      source: catalog(tables),
      target: catalog(tables),
      selection: { tables: ['a', 'B', 'c', 'nope'] },
      existing: 'replace',
    });
    assert.deepEqual(
      plan.tables.map((t) => t.table),
      ['c', 'b', 'a'],
    );
    assert.deepEqual(plan.unmatched, ['nope']);
  });
});

describe('table patterns', () => {
  it('parses quoted names, schemas and wildcards', () => {
    const p = parseTablePattern('"My ""Schema"".x"."Odd Name"');
    assert.ok(p.schema!.test('My "Schema".x') && p.table.test('Odd Name') && !p.table.test('odd name'));
    const u = parseTablePattern('users');
    assert.ok(
      u.table.test('users') && !u.table.test('Users') && !u.table.test('USERS'),
      'PostgreSQL folds to lower case only',
    );
    assert.ok(parseTablePattern('Users').table.test('Users') && parseTablePattern('Users').table.test('users'));
    const w = parseTablePattern('archon_*');
    assert.ok(w.schema === null && w.table.test('archon_pages') && !w.table.test('pages'));
    assert.throws(() => parseTablePattern('a.b.c'), /is not a table name/);
  });

  it('--schema names a schema the way a table pattern does: "Quoted" exactly, otherwise as written or folded', () => {
    const tables = ['Auth', 'auth', 'sales'].map((schema) => table(schema, 't', [col('id', 'integer')]));
    const pick = (schemas: string[]) => {
      const r = selectTables(tables, { schemas }, () => true);
      return [r.selected.map((t) => t.schema), r.unmatched];
    };
    assert.deepEqual(pick(['"Auth"']), [['Auth'], []]);
    assert.deepEqual(pick(['Auth']), [['Auth', 'auth'], []]);
    assert.deepEqual(pick(['auth']), [['auth'], []]);
    assert.deepEqual(pick(['"AUTH"']), [[], ['schema "AUTH"']]);
  });
});

describe('secrets', () => {
  it('redacts passwords from text and URLs', () => {
    assert.equal(
      redact('failed for postgresql://u:hunter2@h/db and hunter2', ['hunter2']),
      'failed for postgresql://u:********@h/db and ********',
    );
    const ep = parseEndpoint('postgresql://u:p%40ss@db.example.com:6543/app?sslmode=require', 'source');
    assert.equal(ep.label, 'u@db.example.com:6543/app');
    assert.ok(!ep.label.includes('p@ss'));
    for (const bad of [
      'jdbc:postgresql://h/db?user=u&password=leaky-pw',
      'u:leaky-pw@h/db',
      'postgresql+psycopg://u:leaky-pw@h/db',
    ]) {
      assert.throws(
        () => parseEndpoint(bad, 'source'),
        (e: Error) => /must be a PostgreSQL URL/.test(e.message) && !e.message.includes('leaky-pw'),
      );
    }
    const socket = parseEndpoint('postgresql://u:pw@%2Fvar%2Frun%2Fpostgresql/db', 'target');
    assert.equal(socket.label, 'u@/var/run/postgresql:5432/db');
    assert.equal(ep.config.password, 'p@ss');
    assert.deepEqual(ep.config.ssl, { rejectUnauthorized: false });
  });
});

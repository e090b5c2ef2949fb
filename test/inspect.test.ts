// What the tree shows for one connection (Count Rows) must agree with what a migration counts.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compare, countTableRows, inspect, migrate } from '../src/engine/index.js';
import { testServers, pair } from './support/pg.js';

describe('Count Rows counts a table as a migration does', () => {
  const servers = testServers();

  it('a parent table without its inheritance children, a partitioned table through its partitions', async () => {
    const ddl = `CREATE TABLE parent (id int PRIMARY KEY, v text);
      CREATE TABLE parent_child (extra text) INHERITS (parent);
      CREATE TABLE ev (id int, at date NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');`;
    const { src, tgt } = await pair(servers[17], servers[15], {
      both: ddl,
      source: `INSERT INTO parent SELECT g, 'own' FROM generate_series(1, 4) g;
      INSERT INTO parent_child (id, v, extra) SELECT g, 'child', 'x' FROM generate_series(100, 106) g;
      INSERT INTO ev SELECT g, '2025-01-01'::date + g FROM generate_series(1, 30) g;`,
    });
    const catalog = await inspect({ url: src.url });
    const table = (name: string) => catalog.tables.find((t) => t.name === name)!;

    const report = await migrate({
      source: src.url,
      target: tgt.url,
      selection: {
        only: [
          ['public', 'parent'],
          ['public', 'ev'],
        ],
      },
    });
    assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
    const migrated = (name: string) => report.tables.find((t) => t.table === name)!.sourceRows;
    assert.equal(migrated('parent'), 4);
    assert.equal(
      await countTableRows({ url: src.url }, table('parent')),
      migrated('parent'),
      'Count Rows agrees with the migration',
    );
    assert.equal(await countTableRows({ url: src.url }, table('ev')), migrated('ev'));
    assert.equal(await countTableRows({ url: src.url }, table('ev')), 30);

    const compared = await compare({ source: src.url, target: tgt.url, selection: { only: [['public', 'parent']] } });
    assert.equal(compared.tables[0].sourceRows, 4, 'compare counts it the same way');
  });
});

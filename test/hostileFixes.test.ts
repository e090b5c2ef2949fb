import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TestDb, directions, runCli } from './support/pg.js';

describe('hostile tester s4 findings', () => {
  for (const [from, to] of directions()) {
    const dir = `PostgreSQL ${from.major} → ${to.major}`;

    it(`an --exclude or --schema that matches nothing is reported by plan, compare and migrate, like --table (${dir})`, async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`CREATE TABLE projects (id int PRIMARY KEY); INSERT INTO projects VALUES (1), (2);`);
      await tgt.sql(`CREATE TABLE projects (id int PRIMARY KEY);`);
      const between = ['--source', src.url, '--target', tgt.url];
      const plan = runCli(['plan', ...between, '--exclude', 'audit_log']);
      assert.match(plan.stdout, /NOT FOUND {2}audit_log: matched no table on the source/, plan.stdout);
      const compare = runCli(['compare', ...between, '--exclude', 'public.nosuch', '--exclude', 'zzz*']);
      assert.equal(compare.code, 1, compare.stdout + compare.stderr);
      assert.match(compare.stdout, /NOT FOUND on the source: public\.nosuch, zzz\*/);
      const schema = runCli(['compare', ...between, '--schema', 'nosuch']);
      assert.equal(schema.code, 1, schema.stdout + schema.stderr);
      assert.match(schema.stdout, /NOT FOUND on the source: schema nosuch/);
      const migrate = runCli(['migrate', ...between, '--exclude', 'audit_log', '--yes']);
      assert.equal(migrate.code, 1, migrate.stdout + migrate.stderr);
      assert.match(migrate.stdout, /NOT FOUND on the source: audit_log/);
      assert.match(migrate.stdout, /Outcome: not verified/);
      // The data still arrived: the exclude that matched nothing left the rest of the run alone.
      assert.deepEqual(await tgt.sql('SELECT id FROM projects ORDER BY id'), [{ id: 1 }, { id: 2 }]);
      // A matching exclude is not reported.
      const ok = runCli(['compare', ...between, '--exclude', 'projects']);
      assert.doesNotMatch(ok.stdout, /NOT FOUND/);
    });
  }
});

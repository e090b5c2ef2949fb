// A failure needs a next step: the constraint that refused a table's rows is named with its definition
// on the target and the values it refused (the server's own words) in every rendering of the report,
// never in the progress log; and the plan warns before the run when a target table has a CHECK the
// source lacks.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { migrate, planMigration } from '../src/engine/index.js';
import { causesOf, refusalLines } from '../src/shared/report.js';
import { toJson } from '../src/shared/reportJson.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { directions, runCli, pair } from './support/pg.js';

for (const [from, to] of directions()) {
  describe(`a refused load names its constraint and values, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a CHECK the source lacks: warned in the plan (engine and CLI), then named with its definition and the failing row', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE tasks (id int PRIMARY KEY, title text, prio int CONSTRAINT prio_known CHECK (prio >= 0));
        INSERT INTO tasks VALUES (1, 'write', 1), (2, 'ship', 9);
        CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'n');`,
        target: `CREATE TABLE tasks (id int PRIMARY KEY, title text,
          prio int CONSTRAINT prio_known CHECK (prio >= 0) CONSTRAINT prio_small CHECK (prio < 5));
        CREATE TABLE notes (id int PRIMARY KEY, body text);`,
      });

      const planned = await planMigration({ source: src.url, target: tgt.url });
      const tasks = planned.plan.tables.find((t) => t.table === 'tasks')!;
      const warning =
        'public.tasks has CHECK constraint prio_small (CHECK ((prio < 5))) on the target that the source lacks: rows may be refused';
      assert.deepEqual(tasks.warnings, [warning], 'the CHECK both sides have is no warning');
      assert.ok(tasks.notes.includes(warning));
      assert.deepEqual(planned.plan.tables.find((t) => t.table === 'notes')!.warnings, []);
      const cli = runCli(['plan', '--source', src.url, '--target', tgt.url]);
      assert.match(cli.stdout + cli.stderr, /public\.tasks has CHECK constraint prio_small \(CHECK \(\(prio < 5\)\)\)/);

      const phases: string[] = [];
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        onProgress: (e) => e.type === 'phase' && phases.push(e.message),
      });
      assert.equal(report.committed, false);
      const [cause] = causesOf(report);
      assert.equal(cause.table, 'tasks');
      assert.deepEqual(cause.constraint, { name: 'prio_small', definition: 'CHECK ((prio < 5))' });
      assert.match(cause.refused ?? '', /^Failing row contains \(2, ship, 9\)\.?$/);
      const line =
        'public.tasks: constraint prio_small is CHECK ((prio < 5)) on the target; it refused: Failing row contains (2, ship, 9)';
      assert.ok(refusalLines(report)[0].startsWith(line), refusalLines(report)[0]);
      assert.ok(toMarkdown(report).includes(line), 'Markdown');
      assert.ok(toText(report, 400).replace(/\n\s+/g, ' ').includes(line), 'the terminal');
      assert.deepEqual(JSON.parse(toJson(report)).causes[0].constraint, cause.constraint, 'JSON');
      // The rows are the user's: in the report, not in the progress the log keeps.
      assert.ok(
        phases.some((p) => p.includes('prio_small')),
        phases.join('\n'),
      );
      assert.ok(!phases.some((p) => p.includes('Failing row')), 'no refused values in the progress');
      assert.equal(await tgt.count('tasks'), 0, 'rolled back');
    });

    it('a key the target already holds (append): the primary key, its definition and the duplicate key', async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE items (id int CONSTRAINT items_pk PRIMARY KEY, v text);
        INSERT INTO items VALUES (1, 'a'), (42, 'b');`,
        target: `CREATE TABLE items (id int CONSTRAINT items_pk PRIMARY KEY, v text); INSERT INTO items VALUES (42, 'old');`,
      });
      const report = await migrate({ source: src.url, target: tgt.url, existing: 'append' });
      const [cause] = causesOf(report);
      assert.deepEqual(cause.constraint, { name: 'items_pk', definition: 'PRIMARY KEY (id)' });
      assert.match(cause.refused ?? '', /^Key \(id\)=\(42\) already exists\.?$/);
      assert.deepEqual(await tgt.sql('SELECT id, v FROM items'), [{ id: 42, v: 'old' }], 'the target as it was');
    });
  });
}

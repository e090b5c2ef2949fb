// The first-time user's path in VS Code, the smaller things (issue 20): the view models behind the
// walkthrough, the connection form and picks, the review's notes and the report's tab, against real
// catalogs where a plan is needed.
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect, planMigration } from '../src/engine/index.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { defaultName, newFormState } from '../src/vscode/connectionFormModel.js';
import type { ConnectionProfile } from '../src/vscode/connectionStore.js';
import { planWithChoices } from '../src/vscode/createModel.js';
import { reportTitle } from '../src/vscode/reportTitle.js';
import { reviewLines } from '../src/vscode/review.js';
import { type TablePick, selectionSummary } from '../src/vscode/tablePicker.js';
import { schemaContentText, schemaGroups } from '../src/vscode/treeModel.js';
import { WALKTHROUGH_KEYS } from '../src/vscode/walkthroughKeys.js';
import { connectionItems } from '../src/vscode/wizardModel.js';
import { testServers, pair } from './support/pg.js';
import { sampleReport } from './support/sampleReport.js';

const profile = (id: string, name: string, role: 'source' | 'target', port = 5432): ConnectionProfile => ({
  id,
  name,
  role,
  host: 'localhost',
  port,
  database: 'app',
  user: 'app',
  sslmode: 'prefer',
});

describe('the walkthrough', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
  const steps: { id: string; completionEvents: string[]; description: string }[] =
    manifest.contributes.walkthroughs[0].steps;
  const sources = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join('src', f), 'utf8'))
    .join('\n');

  it('ticks the plan, the migration and the report on what happened, not when the wizard opens', () => {
    const events = Object.fromEntries(steps.map((s) => [s.id, s.completionEvents]));
    assert.deepEqual(events.plan, [`onContext:${WALKTHROUGH_KEYS.planReviewed}`]);
    assert.deepEqual(events.migrate, [`onContext:${WALKTHROUGH_KEYS.migrationFinished}`]);
    assert.deepEqual(events.report, [`onContext:${WALKTHROUGH_KEYS.reportOpened}`]);
    for (const s of steps)
      assert.ok(!s.completionEvents.some((e) => e.startsWith('onCommand:')), `${s.id} completes on a command opened`);
    // Each key is set by the extension where the thing happens.
    for (const name of Object.keys(WALKTHROUGH_KEYS))
      assert.match(sources, new RegExp(`'setContext', WALKTHROUGH_KEYS\\.${name}, true`), `${name} is set`);
  });

  it('promises only the exports the report panel has', () => {
    const report = steps.find((s) => s.id === 'report')!;
    assert.match(report.description, /JSON, Markdown or HTML/);
    const page = readFileSync('webview-ui/main.ts', 'utf8');
    for (const format of ['json', 'markdown', 'html'])
      assert.match(page, new RegExp(`format: '${format}'`), `the panel exports ${format}`);
  });
});

describe('connections: default names, the last choice', () => {
  it('two servers on one host get different default names: the port where it is not 5432', () => {
    assert.equal(defaultName({ database: 'app', host: 'localhost', port: 5432 }), 'app on localhost');
    assert.equal(defaultName({ database: 'app', host: 'localhost', port: 5433 }), 'app on localhost:5433');
    assert.equal(newFormState('source').name, 'postgres on localhost');
  });

  it('preselects the connection picked last at the step, and says so', () => {
    const all = [
      profile('s1', 'cloud', 'source'),
      profile('t1', 'alpha', 'target'),
      profile('t2', 'local', 'target', 5433),
    ];
    const items = connectionItems(all, new Map([['t2', 'PostgreSQL 15.8']]), all[0], 't2');
    const active = items.filter((i) => i.active);
    assert.deepEqual(
      active.map((i) => [i.label, i.description]),
      [['local', 'PostgreSQL 15.8 · last used']],
    );
    assert.equal(
      connectionItems(all, new Map(), all[0]).filter((i) => i.active).length,
      0,
      'nothing remembered: the first row, as before',
    );
  });
});

describe("the picker's count beside VS Code's", () => {
  it('says what the other checked rows are when VS Code counts more than tables', () => {
    const table = (name: string): TablePick => ({ kind: 'table', key: ['public', name], rows: 10, bytes: 8192 });
    const tables = ['a', 'b', 'c'].map(table);
    const schema: TablePick = { kind: 'schema', schema: 'public' };
    const option: TablePick = { kind: 'option', option: 'createMissing' };
    const all = [option, schema, ...tables, table('d')];
    // VS Code's "N Selected" counts every checked row: here 5.
    const checked = [option, schema, ...tables];
    assert.match(
      selectionSummary(all, checked),
      /^3 of 4 tables selected \(5 rows checked: 3 tables, 1 whole-schema row, 1 option\) · /,
    );
    assert.match(selectionSummary(all, tables), /^3 of 4 tables selected · ~30 rows/, 'tables only: one count');
  });
});

describe('views are not tables', () => {
  const servers = testServers();

  it('the tree counts a schema by kind; the review never counts a view among the selected tables', async () => {
    const ddl = 'CREATE TABLE pages (id int PRIMARY KEY, body text); CREATE TABLE tags (id int PRIMARY KEY);';
    const { src, tgt } = await pair(servers[17], servers[15], {
      both: ddl,
      source: `CREATE VIEW page_ids AS SELECT id FROM pages;
      CREATE MATERIALIZED VIEW page_count AS SELECT count(*) FROM pages;`,
    });
    const [group] = schemaGroups(await inspect({ url: src.url }));
    assert.equal(schemaContentText(group.tables), '2 tables, 1 view, 1 materialized view');
    assert.equal(schemaContentText(group.tables.filter((t) => t.kind === 'table')), '2 tables');
    assert.equal(schemaContentText([]), '0 tables');

    const planned = await planMigration({
      source: src.url,
      target: tgt.url,
      selection: {
        only: [
          ['public', 'pages'],
          ['public', 'tags'],
          ['public', 'page_ids'],
        ],
      },
      existing: 'replace',
    });
    const lines = reviewLines(planned, 'cloud-db', 'local-db');
    assert.equal(lines[0].label, '$(play) Start migration: copy 2 tables', 'the view is no skipped table');
    assert.ok(!lines.some((l) => /selected table/.test(l.label)), lines.map((l) => l.label).join('\n'));
    const skip = lines.find((l) => l.kind === 'skip')!;
    assert.match(`${skip.label}: ${skip.detail}`, /Skipped: public\.page_ids: is a view on the source/);
  });
});

describe("the review's notes", () => {
  const servers = testServers();

  it('are grouped by what they say, the statement counts inside, each table with its own when listed', async () => {
    const { src, tgt } = await pair(servers[17], servers[15], {
      source: `CREATE TABLE a (id int PRIMARY KEY, v text);
      CREATE TABLE b (id int PRIMARY KEY, v text); CREATE INDEX b_v ON b (v);
      CREATE TABLE c (id int PRIMARY KEY, v text); CREATE INDEX c_v ON c (v); CREATE INDEX c_v2 ON c (v, id);`,
    });
    const planned = await planMigration({ source: src.url, target: tgt.url, existing: 'replace', createMissing: true });
    const chosen = planWithChoices(planned, { createMissing: true, addColumns: false });
    const lines = reviewLines(chosen, 'cloud-db', 'local-db');
    const created = lines.filter((l) => /created on the target from the source's definition/.test(l.label));
    assert.equal(created.length, 1, `one group, not one per statement count:\n${lines.map((l) => l.label).join('\n')}`);
    assert.match(
      created[0].label,
      /^\$\(info\) 3 tables: created on the target from the source's definition, in the run's transaction \(\d+–\d+ statement\(s\): 1 before the rows, \d+–\d+ after them\)$/,
    );
    const opened = reviewLines(chosen, 'cloud-db', 'local-db', new Set([created[0].group!]));
    const each = opened.filter((l) => l.label.startsWith('$(dash) public.'));
    assert.deepEqual(
      each.map((l) => l.label),
      ['$(dash) public.a', '$(dash) public.b', '$(dash) public.c'],
    );
    const counts = each.map((l) => Number(/\((\d+) statement/.exec(l.detail!)?.[1]));
    assert.ok(counts[0] < counts[1] && counts[1] < counts[2], `each table its own count: ${counts}`);
  });
});

describe('the report names the connections', () => {
  it('titles the tab "Archon: source → target, HH:MM" with the connection names, else their redacted addresses', () => {
    const r = sampleReport();
    const at = new Date(2026, 0, 5, 9, 7);
    r.startedAt = at.toISOString();
    r.source.name = 'cloud-db';
    r.target.name = 'local-db';
    assert.equal(reportTitle(r), 'Archon: cloud-db → local-db, 09:07');
    assert.equal(reportTitle({ ...r, kind: 'compare' }), 'Archon: cloud-db vs local-db, 09:07');
    const unnamed = sampleReport();
    unnamed.startedAt = at.toISOString();
    assert.equal(
      reportTitle(unnamed),
      'Archon: postgres@db.cloud.example.com:5432/archon → postgres@localhost:5432/archon, 09:07',
    );
  });

  it('says the existing-rows choice in words, never the option value', () => {
    const r = { ...sampleReport(), existing: 'skip-nonempty' as const };
    const md = toMarkdown(r);
    assert.match(md, /\*\*Existing rows\*\*: Skip tables that have rows/);
    assert.doesNotMatch(md, /skip-nonempty/);
  });
});

// The VS Code path a first-time user takes (issue 20), in its models, against real catalogs and plans
// in both directions: an empty target offers creation where the tables are chosen and is not asked
// about rows it does not have; a partial run says so on the row Enter starts, with the reasons one
// step away; Copy Table does not offer a Replace the target forbids.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { inspect, migrate, planMigration } from '../src/engine/index.js';
import { reviewItems } from '../src/vscode/createModel.js';
import { SKIPPED } from '../src/vscode/review.js';
import {
  type TablePick,
  allMissing,
  reselectTables,
  schemaChoices,
  selectedKeys,
  selectionSummary,
  tablePickItems,
} from '../src/vscode/tablePicker.js';
import { NO_REPLACE, copyPolicyItems, replaceRefusal } from '../src/vscode/wizardModel.js';
import { TestDb, directions } from './support/pg.js';

const SOURCE = `CREATE SCHEMA crm;
  CREATE TABLE crm.customers (id int PRIMARY KEY, name text);
  CREATE TABLE public.pages (id int PRIMARY KEY, body text, summary text);
  CREATE TABLE public.notes (id int PRIMARY KEY, page_id int REFERENCES public.pages (id), note text);
  INSERT INTO crm.customers SELECT g, 'c' || g FROM generate_series(1, 20) g;
  INSERT INTO public.pages SELECT g, repeat('x', 2000), 's' || g FROM generate_series(1, 300) g;
  INSERT INTO public.notes SELECT g, g, 'n' FROM generate_series(1, 40) g;
  ANALYZE;`;

/** What the picker holds after it opened: every value, and those checked. */
function opened(items: ReturnType<typeof tablePickItems>) {
  const all = items.flatMap((i) => (i.value ? [i.value] : []));
  const picked = items.flatMap((i) => (i.value && i.picked ? [i.value] : []));
  return { all, picked };
}

const option = (all: TablePick[], name: string) =>
  all.find((c) => c.kind === 'option' && c.option === name) as TablePick;

for (const [from, to] of directions()) {
  const dir = `${from.major}→${to.major}`;

  describe(`the main path in VS Code (${dir})`, () => {
    it('an empty target: creation is on in the table picker, with the count; no question about its rows; the tables arrive', async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'empty');
      await src.sql(SOURCE);
      const target = { name: 'empty-db', catalog: await inspect({ url: tgt.url }) };
      const items = tablePickItems(await inspect({ url: src.url }), undefined, target);
      assert.deepEqual(
        items.slice(0, 2).map((i) => [i.label, i.separator ?? false, i.picked ?? false]),
        [
          ['What empty-db lacks', true, false],
          ['$(add) Create the tables empty-db lacks', false, true],
        ],
        'offered first, and on: nothing else could be copied',
      );
      assert.equal(items[1].description, '3 tables missing there');
      assert.match(
        items.find((i) => i.label === 'pages')!.description!,
        /^public · ~300 rows · .* · missing on empty-db$/,
      );
      const { all, picked } = opened(items);
      assert.match(
        selectionSummary(all, picked),
        /^3 of 3 tables selected \(6 rows checked: 3 tables, 2 whole-schema rows, 1 option\) · .* · 3 missing on the target, created$/,
      );
      // The wizard goes from the tables straight to the review: no existing-rows question.
      assert.ok(allMissing(picked));
      // Unchecked while every selected table is missing, it comes back on.
      const unchecked = reselectTables(
        all,
        picked,
        picked.filter((c) => c !== option(all, 'createMissing')),
      );
      assert.ok(unchecked.includes(option(all, 'createMissing')));
      const choices = schemaChoices(unchecked);
      assert.deepEqual(choices, { createMissing: true, addColumns: false });

      const only = selectedKeys(picked);
      const planned = await planMigration({
        source: src.url,
        target: tgt.url,
        selection: { only },
        existing: 'skip-nonempty',
        createMissing: true,
        addColumns: true,
      });
      const review = reviewItems(planned, choices, 'cloud-db', 'empty-db');
      assert.equal(review[0].label, '$(play) Start migration: copy 3 tables');
      assert.equal(review[1].label, '$(pass-filled) Create 3 tables on the target');
      // Turned off in the review: the first row points at the choice, not at Back.
      const off = reviewItems(planned, { createMissing: false, addColumns: false }, 'cloud-db', 'empty-db');
      assert.equal(off[0].label, '$(circle-slash) Nothing to copy');
      assert.equal(
        off[0].detail,
        'Every selected table is skipped: choose "Create 3 tables on the target" below to copy them.',
      );

      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { only },
        existing: 'skip-nonempty',
        ...choices,
      });
      assert.equal(report.outcome, 'verified');
      for (const table of ['crm.customers', 'public.pages', 'public.notes'])
        assert.deepEqual(await tgt.fingerprint(table), await src.fingerprint(table), table);
    });

    it('a target that lacks a table and a column: both offered in the picker, off; chosen, both arrive', async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'part');
      await src.sql(SOURCE);
      await tgt.sql(`CREATE SCHEMA crm; CREATE TABLE crm.customers (id int PRIMARY KEY, name text);
        CREATE TABLE public.pages (id int PRIMARY KEY, body text);`);
      const target = { name: 'local-db', catalog: await inspect({ url: tgt.url }) };
      const items = tablePickItems(await inspect({ url: src.url }), undefined, target);
      assert.deepEqual(
        items.slice(0, 3).map((i) => [i.label, i.description, i.picked ?? false]),
        [
          ['What local-db lacks', undefined, false],
          ['$(add) Create the tables local-db lacks', '1 table missing there', false],
          ['$(add) Add the columns local-db lacks', '1 table there lacks 1 source column', false],
        ],
      );
      assert.match(items.find((i) => i.label === 'pages')!.description!, / · local-db lacks column summary$/);
      const { all, picked } = opened(items);
      assert.ok(!allMissing(picked), 'tables exist there: the existing-rows step is asked');
      assert.match(
        selectionSummary(all, picked),
        / · 1 missing on the target, skipped · 1 lacking columns there, skipped$/,
      );
      const chosen = [...picked, option(all, 'createMissing'), option(all, 'addColumns')];
      const now = reselectTables(all, picked, chosen);
      assert.match(selectionSummary(all, now), / · 1 missing on the target, created · 1 lacking columns there, added$/);
      const choices = schemaChoices(now);
      assert.deepEqual(choices, { createMissing: true, addColumns: true });

      const only = selectedKeys(now);
      const planned = await planMigration({
        source: src.url,
        target: tgt.url,
        selection: { only },
        existing: 'replace',
        createMissing: true,
        addColumns: true,
      });
      const noAdd = reviewItems(planned, { createMissing: true, addColumns: false }, 'cloud-db', 'local-db');
      assert.deepEqual(
        noAdd.slice(1, 4).map((i) => i.label),
        [
          '$(pass-filled) Create 1 table on the target',
          '$(circle-large-outline) Add 1 column to 1 table on the target',
          '$(go-to-file) Show SQL',
        ],
      );
      const skipped = noAdd.find((i) => i.label === '$(error) Skipped: public.pages');
      assert.equal(
        skipped?.detail,
        'source column summary does not exist on the target (copying would lose its data): add it there first, ' +
          'or choose "Add 1 column to 1 table on the target" in this review',
      );
      const both = reviewItems(planned, choices, 'cloud-db', 'local-db');
      assert.equal(both[0].label, '$(play) Start migration: copy 3 tables');

      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { only },
        existing: 'replace',
        ...choices,
      });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => [t.table, t.status, t.reason])));
      for (const table of ['crm.customers', 'public.pages', 'public.notes'])
        assert.deepEqual(await tgt.fingerprint(table), await src.fingerprint(table), table);
    });

    it('a partial run says "copy 1 of 3 selected tables (2 skipped)" on the row Enter starts; the reasons are one row away', async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'part');
      await src.sql(SOURCE);
      await tgt.sql(`CREATE SCHEMA crm; CREATE TABLE crm.customers (id int PRIMARY KEY, name text);
        CREATE TABLE public.pages (id int PRIMARY KEY, body text);`);
      const planned = await planMigration({
        source: src.url,
        target: tgt.url,
        existing: 'append',
        createMissing: true,
        addColumns: true,
      });
      const none = { createMissing: false, addColumns: false };
      const review = reviewItems(planned, none, 'cloud-db', 'local-db');
      assert.equal(review[0].label, '$(warning) Start migration: copy 1 of 3 selected tables (2 skipped)');
      assert.match(
        review[0].detail!,
        /^Not copied: public\.pages \(\d+ kB\), public\.notes \(\d+ kB\); their reasons are listed below\. One transaction/,
        'the largest skipped first, with their sizes',
      );
      const why = review.findIndex((i) => i.label === '$(list-flat) Why 2 selected tables are skipped');
      assert.equal(why, 3, 'right after the two choices that would copy them');
      assert.equal(review[why].value, `group:${SKIPPED}`);
      // Chosen (the wizard adds its key to the shown rows): every skipped table under it, with its reason.
      const open = reviewItems(planned, none, 'cloud-db', 'local-db', new Set([SKIPPED]));
      const listed = open.slice(why + 1, why + 3);
      assert.deepEqual(
        listed.map((i) => i.label.replace(/\(\d+ kB\)/, '(…)')),
        ['$(error) Skipped: public.pages (…)', '$(warning) Skipped: public.notes (…)'],
      );
      assert.match(listed[0].detail!, /^source column summary does not exist on the target/);
      assert.match(listed[1].detail!, /^missing on the target: create public\.notes there first/);
      assert.equal(
        open.filter((i) => /Skipped: public\.pages/.test(i.label)).length,
        1,
        'listed once: the grouped rows below give way',
      );
      const whole = reviewItems(planned, { createMissing: true, addColumns: true }, 'cloud-db', 'local-db');
      assert.equal(whole[0].label, '$(play) Start migration: copy 3 tables');
      assert.ok(!whole.some((i) => /^\$\(list-flat\) Why/.test(i.label)));
    });

    it('Copy Table: Replace that a foreign key forbids is shown not possible, with the reason, and Append suggested', async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'fk');
      await src.sql(SOURCE);
      await tgt.sql(`CREATE TABLE public.pages (id int PRIMARY KEY, body text, summary text);
        CREATE TABLE public.links (id int PRIMARY KEY, page_id int REFERENCES public.pages (id));
        CREATE SCHEMA crm; CREATE TABLE crm.customers (id int PRIMARY KEY, name text);
        INSERT INTO public.pages VALUES (1000, 'kept', 'k'); INSERT INTO public.links VALUES (1, 1000);
        INSERT INTO crm.customers VALUES (1000, 'kept');`);
      const plan = (table: [string, string], existing: 'append' | 'replace') =>
        planMigration({ source: src.url, target: tgt.url, selection: { only: [table] }, existing });
      const refused = replaceRefusal(await plan(['public', 'pages'], 'replace'));
      assert.match(refused ?? '', /^cannot empty it: public\.links \(links_page_id_fkey\) on the target references it/);
      const items = copyPolicyItems(1, 'skip-nonempty', refused);
      const replace = items.at(-1)!;
      assert.deepEqual(
        [replace.label, replace.description, replace.value],
        ['$(circle-slash) Replace', 'not possible for this table', NO_REPLACE],
      );
      assert.match(
        replace.detail!,
        /^Cannot empty it: public\.links .*\. Append keeps the rows there and adds the source's\.$/,
      );
      assert.equal(
        items.find((i) => i.value === 'append')!.description,
        "suggested: keeps the 1 row there and adds the source's",
      );
      assert.equal(items.find((i) => i.active)?.value, 'skip-nonempty', 'Enter alone still changes nothing');
      // A table nothing references: Replace as before, naming what it deletes.
      assert.equal(replaceRefusal(await plan(['crm', 'customers'], 'replace')), null);
      const free = copyPolicyItems(1, 'replace', null);
      assert.equal(free.at(-1)!.description, 'deletes the 1 row there');
      assert.equal(free.find((i) => i.active)?.value, 'skip-nonempty', 'never Replace by default');
      // Append, as suggested, keeps the target's row and adds the source's.
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { only: [['public', 'pages']] },
        existing: 'append',
      });
      assert.equal(report.outcome, 'verified');
      assert.equal(await tgt.count('public.pages'), 301);
      assert.deepEqual(await tgt.sql('SELECT body FROM public.pages WHERE id = 1000'), [{ body: 'kept' }]);
    });
  });
}

// The tree's and the wizard's words for a hosted platform's schemas, from a real Supabase-like catalog.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { inspect, planMigration } from '../src/engine/index.js';
import { platformOf, schemaKindView } from '../src/vscode/platformView.js';
import { reviewLines } from '../src/vscode/review.js';
import { tablePickItems as tableItems } from '../src/vscode/tablePicker.js';
import { TestDb, testServers } from './support/pg.js';
import { makeLocalPostgres, makeSupabaseLike } from './support/supabase.js';

describe('VS Code: a Supabase connection', () => {
  it("offers the user's tables selected, platform data unselected with its note, internals not at all", async () => {
    const src = await TestDb.create(testServers()[17], 'sb');
    const tgt = await TestDb.create(testServers()[15], 'local');
    await makeSupabaseLike(src, { rows: true });
    await makeLocalPostgres(tgt, { rows: false });
    const catalog = await inspect({ url: src.url });
    const items = tableItems(catalog);
    const table = (schema: string, name: string) =>
      items.find((i) => i.value?.kind === 'table' && i.value.key[0] === schema && i.value.key[1] === name);
    assert.equal(table('public', 'crawled_pages')?.picked, true);
    assert.equal(table('auth', 'users')?.picked, false);
    assert.match(table('auth', 'users')?.description ?? '', /Supabase data, not selected by default$/);
    assert.match(table('storage', 'objects')?.detail ?? '', /point at files that are not in the database/);
    for (const internal of [
      ['auth', 'schema_migrations'],
      ['vault', 'secrets'],
      ['supabase_migrations', 'schema_migrations'],
    ])
      assert.equal(table(internal[0], internal[1]), undefined, `${internal.join('.')} is offered`);
    const separators = items.filter((i) => i.separator).map((i) => i.label);
    assert.deepEqual(separators, [
      'schema auth — Supabase data',
      'schema public',
      'schema storage — Supabase data',
      'schema supabase_functions — Supabase data',
    ]);
    // Picked again after Back: the user's choice stands.
    assert.equal(tableItems(catalog, [['auth', 'users']]).find((i) => i.label === 'users')?.picked, true);

    const planned = await planMigration({ source: src.url, target: tgt.url });
    const lines = reviewLines(planned, 'supabase', 'local');
    assert.match(
      lines.find((l) => l.kind === 'from')!.label,
      /FROM supabase \(Supabase, PostgreSQL 17\.\d+, read-only\)/,
    );
    const left = lines.find((l) => l.label.includes('Not copied'))!;
    assert.match(
      left.label,
      /Not copied: \d+ platform tables \(\d+ platform data, not selected; \d+ platform internal/,
    );
    assert.match(left.detail ?? '', /auth\.users/);

    assert.equal(platformOf('db.abcdefghijklmnop.supabase.co')?.name, 'Supabase');
    assert.equal(platformOf('localhost', catalog)?.name, 'Supabase');
    assert.equal(platformOf('localhost', { platform: null }), null);
    assert.equal(schemaKindView('supabase', 'vault')?.greyed, true);
    assert.match(schemaKindView('supabase', 'vault')?.tooltip ?? '', /never copied|own machinery/);
    assert.equal(schemaKindView('supabase', 'auth')?.description, 'Supabase data · not selected by default');
    assert.equal(schemaKindView('supabase', 'public'), null);
  });
});

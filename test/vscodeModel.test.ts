// The VS Code adapter's logic that needs no running VS Code, against the real engine and servers.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliHint } from '../src/cli/index.js';
import {
  type Column,
  type PlanResult,
  type RunEntry,
  ConnectionError,
  LockTimeoutError,
  type Remedy,
  type Table,
  type UndoPreview,
  type UndoTable,
  UsageError,
  inspect,
  parseEndpoint,
  planMigration,
  withoutPassword,
} from '../src/engine/index.js';
import { COMMAND_IDS } from '../src/vscode/commandIds.js';
import { historyActions, historyItem, sameChanges, undoReviewLine } from '../src/vscode/undoModel.js';
import {
  ConnectionStore,
  profileFromUrl,
  urlOf,
  type KeyValueStore,
  type SecretStore,
} from '../src/vscode/connectionStore.js';
import { editFormState, formItems, newFormState } from '../src/vscode/connectionFormModel.js';
import { errorMessage } from '../src/vscode/errorWords.js';
import { columnView, rowsText, schemaGroups, tableView } from '../src/vscode/treeModel.js';
import { reviewLines } from '../src/vscode/review.js';
import { reselectTables, selectedKeys, selectionSummary, tablePickItems } from '../src/vscode/tablePicker.js';
import {
  DEFAULT_POLICY,
  POLICY_ITEMS,
  connectionItems,
  planLine,
  policyItems,
  retryWithout,
  retryableTables,
  runEndNotice,
} from '../src/vscode/wizardModel.js';
import { NO_BACKUP, reviewItems } from '../src/vscode/createModel.js';
import { dropPickItems, dropQuestion, droppedText, journalRunView, journalView } from '../src/vscode/journalModel.js';
import { refusedReport, rolledBackReport, sampleReport, severalCausesReport } from './support/sampleReport.js';
import { headline } from '../src/shared/report.js';
import { TestDb, testServers, pair } from './support/pg.js';
import { catalog, col, table } from './support/catalog.js';
import { makePlan } from '../src/engine/plan/plan.js';

class MemoryState implements KeyValueStore {
  data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.data.set(key, structuredClone(value));
  }
}

class MemorySecrets implements SecretStore {
  data = new Map<string, string>();
  constructor(private readonly broken = false) {}
  async get(key: string) {
    if (this.broken) throw new Error('no keyring');
    return this.data.get(key);
  }
  async store(key: string, value: string) {
    if (this.broken) throw new Error('no keyring');
    this.data.set(key, value);
  }
  async delete(key: string) {
    if (this.broken) throw new Error('no keyring');
    this.data.delete(key);
  }
}

describe('connection store', () => {
  it('keeps passwords in secret storage only, and deletes them with the connection', async () => {
    const state = new MemoryState();
    const secrets = new MemorySecrets();
    const store = new ConnectionStore(state, secrets, () => 'id1');
    const { fields, password } = profileFromUrl('postgresql://app:s3cr%40t-pw@db.example.com:6543/kb?sslmode=require');
    assert.equal(password, 's3cr@t-pw');
    const { profile, passwordStored } = await store.save({ ...fields, name: 'cloud', role: 'source' }, password);
    assert.ok(passwordStored);
    assert.ok(!JSON.stringify([...state.data]).includes('s3cr'), 'no password in the non-secret state');
    assert.equal(await store.password('id1'), 's3cr@t-pw');
    assert.equal(urlOf(profile), 'postgresql://app@db.example.com:6543/kb?sslmode=require');
    await store.update('id1', { sslrootcert: '/tmp/ca.pem' });
    await store.update('id1', { sslrootcert: undefined, sslmode: 'require' });
    assert.ok(!('sslrootcert' in store.get('id1')!), 'a cleared CA file is removed, not kept');
    assert.throws(() => urlOf({ ...profile, host: 'db.example.com:5432' }), /not a valid host name/);
    await store.update('id1', { role: 'target', name: 'renamed' });
    assert.deepEqual(
      store.list().map((p) => [p.name, p.role]),
      [['renamed', 'target']],
    );
    await store.remove('id1');
    assert.deepEqual(store.list(), []);
    assert.equal(secrets.data.size, 0);
  });

  it('remembers a broken connection until it works again, in place', async () => {
    const store = new ConnectionStore(new MemoryState(), new MemorySecrets(), () => 'id3');
    await store.save({ ...profileFromUrl('host=h dbname=d').fields, name: 'n', role: 'target' });
    const broken = { reason: 'auth', message: 'password authentication failed' };
    assert.equal(await store.setBroken('id3', broken), true, 'changed: the tree redraws');
    assert.equal(await store.setBroken('id3', broken), false, 'the same failure again: nothing to redraw');
    assert.deepEqual(store.get('id3')?.broken, broken);
    assert.equal(await store.setBroken('id3', undefined), true);
    assert.ok(!('broken' in store.get('id3')!), 'mended: the mark is gone');
    assert.deepEqual(
      store.list().map((p) => p.id),
      ['id3'],
    );
  });

  it('without a keyring, keeps the password for the session only', async () => {
    const state = new MemoryState();
    const store = new ConnectionStore(state, new MemorySecrets(true), () => 'id2');
    const { passwordStored } = await store.save(
      { ...profileFromUrl('postgresql://u@h/db').fields, name: 'n', role: 'target' },
      'pw-123456',
    );
    assert.equal(passwordStored, false);
    assert.equal(await store.password('id2'), 'pw-123456');
    assert.ok(!JSON.stringify([...state.data]).includes('pw-123456'));
    assert.equal(
      await new ConnectionStore(state, new MemorySecrets(true)).password('id2'),
      undefined,
      'gone after a reload',
    );
  });

  it('rejects what is not a PostgreSQL URL, saying why', () => {
    assert.throws(() => profileFromUrl('mysql://x@y/z'), /starts with postgresql:\/\//);
    assert.throws(() => profileFromUrl('postgresql://u@host'), /no database name/);
  });

  it("reads a pasted URL with the engine's parser: defaults, IPv6, the CA file, no host", () => {
    assert.deepEqual(profileFromUrl('postgres://h/my%20db'), {
      fields: { host: 'h', port: 5432, database: 'my db', user: 'postgres', sslmode: 'prefer' },
      password: undefined,
    });
    assert.equal(profileFromUrl('postgresql://u@[::1]:5433/db').fields.host, '::1');
    const ca = join(mkdtempSync(join(tmpdir(), 'archon-ca-')), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    const verified = profileFromUrl(`postgresql://u@h/db?sslmode=verify-ca&sslrootcert=${ca}`).fields;
    assert.deepEqual([verified.sslmode, verified.sslrootcert], ['verify-ca', ca]);
    assert.throws(() => profileFromUrl('postgresql:///db'), /no host/);
    assert.throws(() => profileFromUrl('postgresql://%2Fvar%2Frun%2Fpostgresql/db'), /Unix socket/);
  });
});

describe('tree and wizard content from real catalogs', () => {
  const servers = testServers();

  async function setup() {
    const ddl = `CREATE SCHEMA crm; CREATE TABLE crm.customers (id int PRIMARY KEY, name text);
      CREATE TABLE public.pages (id int PRIMARY KEY, body text);
      CREATE TABLE public.events (id int, at date) PARTITION BY RANGE (at);
      CREATE TABLE public.events_2025 PARTITION OF public.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE VIEW public.page_titles AS SELECT id FROM public.pages;`;
    const { src, tgt } = await pair(servers[17], servers[15], {
      source: `${ddl}INSERT INTO public.pages SELECT g, repeat('x', 100) FROM generate_series(1, 2000) g; ANALYZE;`,
      target: `CREATE SCHEMA crm; CREATE TABLE crm.customers (id int PRIMARY KEY, name text); CREATE TABLE public.pages (id int PRIMARY KEY, body text);
      CREATE TABLE public.child (id int, page_id int REFERENCES public.pages(id));`,
    });
    return { src, tgt };
  }

  it('builds schema and table nodes with estimates, sizes and tooltips', async () => {
    const { src } = await setup();
    const catalog = await inspect({ url: src.url });
    const groups = schemaGroups(catalog);
    assert.deepEqual(
      groups.map((g) => [g.schema, g.tables.map((t) => t.name)]),
      [
        ['crm', ['customers']],
        ['public', ['events', 'page_titles', 'pages']],
      ],
    );
    const pages = tableView(groups[1].tables.find((t) => t.name === 'pages')!);
    assert.match(pages.description, /^~2\.0k rows · \d+ kB$/);
    assert.match(pages.tooltip, /2 columns, primary key \(id\)/);
    assert.equal(pages.icon, 'table');
    assert.equal(tableView(groups[1].tables.find((t) => t.name === 'events')!).icon, 'layers');
    const view = tableView(groups[1].tables.find((t) => t.name === 'page_titles')!);
    assert.deepEqual([view.copyable, view.icon, view.description], [false, 'eye', 'view']);
    assert.match(tableView(groups[1].tables.find((t) => t.name === 'pages')!, 1999).description, /^1,999 rows/);
    assert.equal(
      rowsText(groups[1].tables[0], 218_714),
      '219k rows ✓',
      'a large exact count stays short for the sidebar',
    );
  });

  it('lists tables preselected, and reviews the plan in words', async () => {
    const { src, tgt } = await setup();
    const items = tablePickItems(await inspect({ url: src.url }));
    assert.deepEqual(
      items.filter((i) => i.value?.kind === 'table').map((i) => [selectedKeys([i.value])[0], i.picked]),
      [
        [['crm', 'customers'], true],
        [['public', 'events'], true],
        [['public', 'pages'], true],
      ],
    );
    const planned = await planMigration({
      source: src.url,
      target: tgt.url,
      selection: {
        only: [
          ['crm', 'customers'],
          ['public', 'events'],
          ['public', 'pages'],
        ],
      },
      existing: 'replace',
    });
    const lines = reviewLines(planned, 'cloud-db', 'local-db');
    assert.equal(lines[0].kind, 'start');
    const side = (kind: string) => lines.find((l) => l.kind === kind)!.label;
    assert.match(
      `${side('from')} ${side('to')}`,
      /Copy 1 table FROM cloud-db \(PostgreSQL 17\.\d+, read-only\) \$\(arrow-down\) TO local-db \(PostgreSQL 15\.\d+\)/,
    );
    assert.deepEqual(
      lines.filter((l) => l.kind === 'empties').map((l) => l.detail),
      ['crm.customers'],
    );
    const skips = lines.filter((l) => l.kind === 'skip').map((l) => `${l.label}: ${l.detail}`);
    assert.equal(skips.length, 2);
    assert.ok(skips.some((s) => /public.events: missing on the target/.test(s)));
    assert.ok(skips.some((s) => /public.pages: cannot empty it: public.child/.test(s)));
    const one = await planMigration({
      source: src.url,
      target: tgt.url,
      selection: { only: [['public', 'events']] },
      existing: 'append',
    });
    assert.match(planLine(one, 'a', 'b').text, /^Cannot copy public.events: missing on the target/);
  });

  it('picks among 257 tables: whole schemas in one action, a filtered toggle-all leaves hidden picks alone', () => {
    // As the catalog reads them: never analyzed (no estimate), but crm.orders with its 20,000 rows.
    const many = (schema: string, n: number, prefix: string) =>
      Array.from({ length: n }, (_, i) =>
        table(schema, `${prefix}${i + 1}`, [col('id', 'integer')], { estimatedRows: null }),
      );
    const items = tablePickItems(
      catalog([
        ...many('bulk', 250, 't'),
        table('crm', 'customers', [col('id', 'integer')], { estimatedRows: null }),
        table('crm', 'orders', [col('id', 'integer')], { estimatedRows: 20_000, bytes: 737_280 }),
        ...many('public', 5, 'p'),
      ]),
    );
    const all = items.flatMap((i) => (i.value ? [i.value] : []));
    const picked = items.flatMap((i) => (i.value && i.picked ? [i.value] : []));
    assert.equal(selectedKeys(picked).length, 257, 'all preselected');
    const schemaRow = (name: string) => all.find((c) => c.kind === 'schema' && c.schema === name)!;
    assert.match(items.find((i) => i.value === schemaRow('bulk'))!.label, /schema bulk: all 250 tables/);
    // Each table row names its schema, so typing "crm" filters to crm's rows.
    const crmRows = items.filter((i) => i.value?.kind === 'table' && /crm/.test(`${i.label} ${i.description}`));
    assert.equal(crmRows.length, 2);

    // Clearing the bulk schema's row clears its 250 tables; the others stay.
    let now = reselectTables(
      all,
      picked,
      picked.filter((c) => c !== schemaRow('bulk')),
    );
    assert.equal(selectedKeys(now).length, 7);
    assert.match(
      selectionSummary(all, now),
      /^7 of 257 tables selected \(9 rows checked: 7 tables, 2 whole-schema rows\) · ~20k rows · /,
    );
    // Checking it again brings them back, and the row shows checked.
    now = reselectTables(all, now, [...now, schemaRow('bulk')]);
    assert.equal(selectedKeys(now).length, 257);
    assert.ok(now.includes(schemaRow('bulk')));
    // "Toggle all" with "crm" typed clears only what is shown: crm's row and tables.
    const shown = new Set([schemaRow('crm'), ...crmRows.map((i) => i.value!)]);
    now = reselectTables(
      all,
      now,
      now.filter((c) => !shown.has(c)),
    );
    assert.deepEqual(
      selectedKeys(now).filter((k) => k[0] === 'crm'),
      [],
    );
    assert.equal(selectedKeys(now).length, 255, 'the hidden selections are kept');
    // One table cleared: its schema's row is no longer checked, the other tables stay picked.
    const p1 = all.find((c) => c.kind === 'table' && c.key[1] === 'p1')!;
    now = reselectTables(
      all,
      now,
      now.filter((c) => c !== p1),
    );
    assert.ok(!now.includes(schemaRow('public')));
    assert.equal(selectedKeys(now).filter((k) => k[0] === 'public').length, 4);
  });

  it('groups identical skip reasons, data loss first, with totals and an estimated time', () => {
    // 250 tables the target lacks, one that would lose digits, and one to copy: the plan decides from
    // the two catalogs alone.
    const id = col('id', 'integer');
    const plan = makePlan({
      source: catalog([
        // In name order, as the catalog reads them: t1, t10, t100, …
        ...Array.from({ length: 250 }, (_, i) => `t${i + 1}`)
          .sort()
          .map((name) => table('public', name, [id], { estimatedRows: null })),
        table('public', 'keep', [id, col('note')], { estimatedRows: 3000, bytes: 229_376 }),
        table('public', 'money', [id, col('amount', 'numeric(10,4)')], { estimatedRows: null }),
      ]),
      target: catalog([
        table('public', 'keep', [id, col('note')]),
        table('public', 'money', [id, col('amount', 'numeric(10,2)')]),
      ]),
      selection: {},
      existing: 'append',
    });
    const endpoint = (role: 'source' | 'target', serverVersion: string) => ({
      role,
      label: `postgres@127.0.0.1:5432/${role}`,
      serverVersion,
    });
    const planned: PlanResult = {
      source: endpoint('source', '17.0'),
      target: endpoint('target', '15.0'),
      plan,
      undo: { possible: true, reason: null, kept: [], bytes: 0, journal: true },
    };
    const lines = reviewLines(planned, 'cloud-db', 'local-db');
    const labels = lines.map((l) => l.label);
    assert.ok(labels.length < 12, `a short review, not one row per table: ${labels.join(' | ')}`);
    const loss = labels.findIndex((l) => /Skipped: public\.money/.test(l));
    const missing = labels.findIndex((l) => /250 tables skipped: missing on the target/.test(l));
    assert.ok(loss >= 0 && missing > loss, 'the reason that would lose data comes first');
    assert.match(labels[loss], /^\$\(error\)/);
    const group = lines[missing];
    assert.match(group.detail!, /create each table there first/);
    assert.match(group.detail!, /public\.t1, public\.t10, .*, …/);
    const totals = lines.find((l) => l.kind === 'totals')!;
    assert.match(totals.label, /In all: 1 table · ~3,000 rows · \d+ kB · under 10 s/);
    // Choosing the group row lists its tables; again, hides them.
    const open = reviewLines(planned, 'cloud-db', 'local-db', new Set([group.group!]));
    assert.equal(open.filter((l) => /^\$\(dash\) Skipped: public\.t\d+$/.test(l.label)).length, 250);
    assert.match(open.find((l) => l.group === group.group)!.detail!, /choose this row to hide the 250 tables/);
  });

  it('opens the existing-rows choice on one that changes nothing; Replace is last and says it empties', () => {
    assert.notEqual(DEFAULT_POLICY, 'replace');
    assert.equal(POLICY_ITEMS[0].value, DEFAULT_POLICY);
    assert.equal(POLICY_ITEMS.at(-1)!.value, 'replace');
    assert.match(POLICY_ITEMS.at(-1)!.description!, /empties/);
    assert.deepEqual(
      policyItems('append')
        .filter((i) => i.active)
        .map((i) => i.value),
      ['append'],
      'Back returns to the choice made',
    );
  });

  it('offers a retry only for tables that ran and did not verify, never for plan skips', () => {
    const report = sampleReport();
    assert.deepEqual(retryableTables(report), [
      ['public', 'archon_code_examples'],
      ['Odd Schema', 'Événements "2025"'],
    ]);
    const onlySkips = {
      ...report,
      tables: report.tables.filter((t) => t.status !== 'mismatch' && t.status !== 'failed'),
    };
    assert.deepEqual(retryableTables(onlySkips), []);
    assert.deepEqual(retryableTables({ ...report, kind: 'compare' }), []);
  });

  it('ends a run with a notice naming every table that took it back; a retry offers them and those rolled back', () => {
    const several = severalCausesReport();
    assert.deepEqual(runEndNotice(several), {
      text:
        'Archon: Rolled back by 3 tables: public.t1 (failed), public.t3 (failed), public.t4 (mismatch). ' +
        '2 other tables rolled back with them. Nothing was committed.',
      warn: true,
    });
    assert.deepEqual(
      retryableTables(several).map(([, t]) => t),
      ['t1', 't2', 't3', 't4', 't5'],
    );
    assert.match(runEndNotice(rolledBackReport()).text, /^Archon: Rolled back by public\.t010 \(failed\): new row/);
    const committed = { ...sampleReport(), committed: true, outcome: 'verified' as const };
    assert.deepEqual(runEndNotice(committed), { text: `Archon: ${headline(committed)}`, warn: false });
  });

  it('offers only other databases as the target, targets first', () => {
    const mk = (id: string, role: 'source' | 'target', database: string) => ({
      id,
      name: id,
      role,
      host: 'h',
      port: 5432,
      database,
      user: 'u',
      sslmode: 'prefer',
    });
    const a = mk('a', 'source', 'one');
    const items = connectionItems(
      [a, mk('b', 'target', 'two'), mk('c', 'source', 'three'), mk('d', 'target', 'one')],
      new Map([['b', 'PostgreSQL 15.8']]),
      a,
    );
    assert.deepEqual(
      items.map((i) => (i.separator ? `-- ${i.label}` : `${i.label} ${i.description}`)),
      ['-- Target connections', 'b PostgreSQL 15.8', '-- Source connections', 'c checking…'],
    );
  });
});

describe('extension manifest', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8'));
  const sources = readdirSync('src', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: join('src', f), text: readFileSync(join('src', f), 'utf8') }));

  it('registers every declared command, and declares every registered one', () => {
    const declared = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    // extension.ts registers exactly COMMAND_IDS: its handler table is typed Record<CommandId, Handler>.
    const registered = [...COMMAND_IDS].sort();
    assert.equal(new Set(registered).size, registered.length, 'no id twice in the table');
    for (const id of declared)
      assert.ok(registered.includes(id), `${id} is declared in package.json but not registered`);
    for (const id of registered)
      assert.ok(declared.includes(id), `${id} is registered but not declared in package.json`);
    assert.deepEqual(registered, declared);
    for (const c of manifest.contributes.commands) assert.equal(c.category, 'Archon');
  });

  it('registers commands in one place, from the table, and never runs its own commands by id', () => {
    const registrations = sources.flatMap(({ file, text }) => [...text.matchAll(/registerCommand\(/g)].map(() => file));
    assert.deepEqual(registrations, [join('src', 'extension.ts')]);
    assert.match(sources.find((s) => s.file === join('src', 'extension.ts'))!.text, /for \(const id of COMMAND_IDS\)/);
    for (const { file, text } of sources) {
      assert.doesNotMatch(text, /executeCommand\(\s*['"`]archon\./, `${file} calls our own code through a command`);
    }
  });

  it('menus name only declared commands, and stays within the declared VS Code API', () => {
    const declared = new Set(manifest.contributes.commands.map((c: { command: string }) => c.command));
    for (const list of Object.values(manifest.contributes.menus) as { command: string }[][])
      for (const m of list) assert.ok(declared.has(m.command), m.command);
    assert.equal(manifest.engines.vscode, '^1.100.0');
    assert.equal(manifest.devDependencies['@types/vscode'], '1.100.0');
    assert.ok(
      !manifest.activationEvents.some(
        (e: string) => e === '*' || e.startsWith('onCommand:') || e.startsWith('onView:'),
      ),
    );
  });
});

describe('connection strings pasted into the form', () => {
  it('reads a libpq key-value string like a URL: quoted values, escapes, defaults', () => {
    const { fields, password } = profileFromUrl(
      "host=db.example.com port=6543 dbname='my kb' user=app password=kv-secret sslmode=require",
    );
    assert.deepEqual(fields, {
      host: 'db.example.com',
      port: 6543,
      database: 'my kb',
      user: 'app',
      sslmode: 'require',
    });
    assert.equal(password, 'kv-secret');
    const escaped = profileFromUrl(String.raw`host=h dbname=d password='a b\'c'`);
    assert.equal(escaped.password, "a b'c");
    assert.equal(profileFromUrl('host = ::1  dbname=x').fields.host, '::1');
    assert.throws(() => profileFromUrl('host=h dbname=d sslmode=sometimes'), /unknown sslmode "sometimes"/);
    assert.throws(() => profileFromUrl('host=h dbname=d hostaddr=1.2.3.4'), /unknown keyword "hostaddr"/);
    assert.throws(() => profileFromUrl('host=h dbname=d port=fifty'), /port "fifty" is not a port/);
    assert.throws(() => profileFromUrl('host=h'), /no database name/);
    assert.throws(() => profileFromUrl('host=/tmp dbname=d'), /Unix socket/);
  });

  it('the engine reads a key-value string wherever it reads a URL (a socket directory too)', () => {
    const ep = parseEndpoint('host=/var/run/postgresql port=5433 dbname=app user=me sslmode=disable', 'source');
    assert.deepEqual(
      [ep.host, ep.port, ep.database, ep.user, ep.sslmode],
      ['/var/run/postgresql', 5433, 'app', 'me', 'disable'],
    );
    const pw = parseEndpoint('host=h dbname=d password=s3cret-pw', 'target');
    assert.equal(pw.config.password, 's3cret-pw');
    assert.equal(pw.label, `${pw.user}@h:5432/d`);
  });

  it('takes the password out of a pasted URL or key-value string, and leaves the rest as typed', () => {
    assert.deepEqual(withoutPassword('postgresql://app:s3cr%40t-pw@db.example.com:6543/kb?sslmode=require'), {
      text: 'postgresql://app@db.example.com:6543/kb?sslmode=require',
      password: 's3cr@t-pw',
    });
    assert.deepEqual(withoutPassword("host=h password='two words' dbname=d"), {
      text: 'host=h dbname=d',
      password: 'two words',
    });
    assert.deepEqual(withoutPassword('host=h dbname=d password=tail-pw'), {
      text: 'host=h dbname=d',
      password: 'tail-pw',
    });
    assert.deepEqual(withoutPassword('postgresql://app@h/d'), { text: 'postgresql://app@h/d' });
    assert.deepEqual(withoutPassword('host=h bogus'), { text: 'host=h bogus' });
    // A password as a query parameter, first, in the middle or last, and behind jdbc:.
    assert.deepEqual(withoutPassword('postgresql://u@h:5/kb?password=SeCrEt&sslmode=disable'), {
      text: 'postgresql://u@h:5/kb?sslmode=disable',
      password: 'SeCrEt',
    });
    assert.deepEqual(withoutPassword('postgresql://u@h/db?sslmode=disable&password=x%20y'), {
      text: 'postgresql://u@h/db?sslmode=disable',
      password: 'x y',
    });
    assert.deepEqual(withoutPassword('jdbc:postgresql://u:pw@h/db'), {
      text: 'jdbc:postgresql://u@h/db',
      password: 'pw',
    });
  });
});

describe('engine errors in VS Code words', () => {
  const refused = (remedy?: Remedy) =>
    new ConnectionError(
      'could not connect to the source u@h:5432/d: password authentication failed',
      'source',
      'auth',
      'x',
      '28P01',
      remedy,
    );

  it('words a remedy for VS Code, never with a CLI flag, environment variable or ~/.pgpass', () => {
    const m = errorMessage(refused({ kind: 'password' }));
    assert.match(m, /password authentication failed\. To fix: enter the password again \(Fix Connection/);
    assert.match(
      errorMessage(refused({ kind: 'sslmode', use: ['prefer', 'disable'] })),
      /choose sslmode prefer or disable/,
    );
    assert.equal(errorMessage(new Error('plain')), 'plain');
    const undoRefused = new UsageError('refusing to undo run r1: public.t changed since the run', {
      kind: 'force-undo',
    });
    assert.match(errorMessage(undoRefused), /To fix: choose Undo Migration again to see what changed/);
    const lock = new LockTimeoutError('gave up after waiting 10 s for a lock');
    assert.match(errorMessage(lock), /raise the setting archon\.lockTimeoutSeconds/);
    const noRun = new UsageError('no run "x" in the journal', { kind: 'list-runs' });
    assert.match(errorMessage(noRun), /Archon: Migration History/);
    for (const e of [
      refused({ kind: 'password' }),
      refused({ kind: 'sslmode', use: ['require'] }),
      undoRefused,
      lock,
    ]) {
      assert.doesNotMatch(errorMessage(e), /ARCHON_|PGPASSWORD|pgpass|--[a-z]|\?sslmode|archon (undo|history)/);
    }
  });

  it('the CLI words the same remedies its own way', () => {
    assert.match(cliHint(refused({ kind: 'password' })), /ARCHON_SOURCE_PASSWORD, PGPASSWORD or ~\/\.pgpass/);
    assert.equal(
      cliHint(refused({ kind: 'sslmode', use: ['require'] })),
      ' (use sslmode=require in the URL for this server)',
    );
    assert.equal(cliHint(refused()), '');
  });
});

describe('the connection form', () => {
  it('shows every field with its value, the password masked, Save anyway only after a failed Save', () => {
    const s = newFormState('source');
    s.password = 'hunter22-pw';
    const text = (items: { label: string; description?: string }[]) =>
      items.map((i) => `${i.label}: ${i.description ?? ''}`).join('\n');
    assert.match(text(formItems(s)), /Name: postgres on localhost\nGroup: Source \(read-only\)\nHost: localhost/);
    assert.match(text(formItems(s)), /Password: ••••••••/);
    assert.doesNotMatch(JSON.stringify(formItems(s)), /hunter22/);
    assert.ok(!formItems(s).some((i) => i.id === 'save-anyway'));
    s.result = {
      ok: false,
      reason: 'auth',
      message: 'could not connect to the source postgres@localhost:5432/postgres: password authentication failed',
      said: 'password authentication failed',
    };
    s.failedSave = true;
    const items = formItems(s);
    assert.equal(items[0].label, '$(error) Does not connect: the password was refused (or none was given)');
    assert.equal(items[0].detail, 'password authentication failed', "the server's words, short enough for the row");
    assert.ok(items.some((i) => i.id === 'save-anyway'));
  });

  it('opens a saved connection as it is, its last failure on top, for an edit in place', () => {
    const p = {
      id: 'c1',
      name: 'cloud',
      role: 'target' as const,
      host: 'h',
      port: 5433,
      database: 'd',
      user: 'u',
      sslmode: 'require',
      broken: { reason: 'tls', message: 'no SSL' },
    };
    const s = editFormState(p, true);
    assert.equal(s.title, 'Archon: Edit Connection: cloud');
    assert.match(
      formItems(s)
        .map((i) => `${i.label} ${i.description ?? ''}`)
        .join('\n'),
      /sslmode require/,
    );
    assert.match(formItems(s)[0].label, /SSL problem/);
    assert.ok(formItems(s).some((i) => i.description === 'saved in SecretStorage'));
  });

  it('shows a column with its type, nullability and keys', () => {
    const table = {
      schema: 'public',
      name: 't',
      primaryKey: ['id'],
      foreignKeys: [{ name: 'fk', columns: ['p'], refSchema: 'public', refTable: 'projects', refColumns: ['id'] }],
    } as unknown as Table;
    const col = (name: string, type: string, notNull: boolean) => ({ name, type, notNull }) as unknown as Column;
    assert.equal(columnView(table, col('id', 'bigint', true)).description, 'bigint · not null · primary key');
    assert.equal(columnView(table, col('id', 'bigint', true)).icon, 'key');
    assert.equal(columnView(table, col('p', 'uuid', false)).description, 'uuid · null · → public.projects');
  });
});

describe('undo in VS Code', () => {
  it('forces only over the changes the user was shown', () => {
    const table = (name: string, rowsNow: number, changed: boolean): UndoTable => ({
      schema: 'public',
      table: name,
      rowsNow,
      rowsRestored: 3,
      changed,
      sequences: [],
      drops: false,
      dropsColumns: [],
      goneSince: false,
    });
    const preview = (tables: UndoTable[]): UndoPreview => ({
      runId: 'r1',
      at: 'then',
      source: 's',
      target: 't',
      policy: 'replace',
      tables,
      objects: [],
    });
    const shown = preview([table('a', 5, true), table('b', 3, false)]);
    assert.ok(sameChanges(shown, preview([table('b', 3, false), table('a', 5, true)])), 'order does not matter');
    assert.ok(!sameChanges(shown, preview([table('a', 5, true), table('b', 4, true)])), 'b changed meanwhile');
    assert.ok(!sameChanges(shown, preview([table('a', 6, true), table('b', 3, false)])), 'a changed again');
  });

  const run = (over: Partial<RunEntry>): RunEntry => ({
    id: '20261206-074102-ab12',
    at: '2026-12-06 07:41:02 UTC',
    source: 'reader@db:5432/app',
    target: 'postgres@localhost:5432/app',
    policy: 'append',
    toolVersion: '0.1.0',
    tables: ['public.archon_projects'],
    rowsLoaded: 20,
    undoable: true,
    why: null,
    undoneAt: null,
    backupBytes: 8192,
    outcome: 'verified',
    summary: { verified: 1, mismatch: 0, skipped: 0, failed: 0, 'rolled back': 0, 'not run': 0, total: 1 },
    unmatched: [],
    hasReport: true,
    ...over,
  });

  it('History marks an undone run UNDONE, offers its report and never Undo for it', () => {
    const undone = run({
      undoable: false,
      undoneAt: '2026-12-06 08:00:00 UTC',
      why: 'undone at 2026-12-06 08:00:00 UTC',
    });
    assert.match(
      historyItem(undone).description,
      /^UNDONE at 2026-12-06 08:00:00 UTC · 2026-12-06 07:41:02 UTC · Append \(the rows there kept\) from /,
    );
    assert.match(historyItem(undone).label, /^\$\(discard\) 20261206-074102-ab12$/);
    assert.deepEqual(
      historyActions(undone).map((a) => a.action),
      ['report'],
    );
    assert.match(historyActions(undone)[0].detail, /marked UNDONE at 2026-12-06 08:00:00 UTC/);
    // A run that stands: no mark, its report and Undo.
    assert.doesNotMatch(historyItem(run({})).description, /UNDONE/);
    assert.match(
      historyItem(run({})).detail,
      /^committed, outcome verified: 1 verified by count and content · public\.archon_projects · undoable \(backups 8\.0 kB\)$/,
    );
    assert.deepEqual(
      historyActions(run({})).map((a) => a.action),
      ['report', 'undo'],
    );
    // Backups dropped: the report only, and the item says why undo is not possible.
    const dropped = run({ undoable: false, why: 'its backups were dropped at 2026-12-07 00:00:00 UTC' });
    assert.deepEqual(
      historyActions(dropped).map((a) => a.action),
      ['report'],
    );
    assert.match(historyItem(dropped).detail, /cannot be undone: its backups were dropped at/);
    // An older Archon kept no report: the action says so rather than failing.
    assert.match(historyActions(run({ hasReport: false }))[0].detail, /^Not kept: an older Archon ran this migration/);
  });

  it("the review says per table what undo does, in the undo dialog's words: created tables dropped, existing restored", () => {
    const table = (name: string, create?: 'create' | 'add-columns') => ({
      schema: 'public',
      table: name,
      action: 'copy',
      ...(create ? { create: { kind: create } } : {}),
    });
    const plan = (kept: string[], ...tables: ReturnType<typeof table>[]) =>
      ({
        plan: { tables },
        undo: {
          possible: true,
          reason: null,
          kept: kept.map((k) => ({ schema: 'public', table: k, rows: 12, bytes: 8192 })),
          bytes: kept.length * 8192,
          journal: true,
        },
      }) as unknown as PlanResult;
    const empty = undoReviewLine(plan([], table('a', 'create'), table('b', 'create'), table('c')));
    assert.equal(
      empty.detail,
      'Undo drops the 2 tables this run creates (public.a, public.b); empties public.c (no rows there now).',
    );
    assert.doesNotMatch(empty.detail, /empties the tables/);
    const mixed = undoReviewLine(plan(['p'], table('p', 'add-columns'), table('n', 'create')));
    assert.match(mixed.label, /Undo possible: the 12 rows now in public\.p are kept/);
    assert.match(
      mixed.detail,
      /^Undo drops the 1 table this run creates \(public\.n\); restores the rows kept of public\.p; drops the columns this run adds to public\.p\. Kept in the schema "archon"/,
    );
  });
});

describe('a failure, a backup and the journal: the next steps in VS Code', () => {
  it("offers 'Retry without' the tables that took the run back: the rest of the selection, in its order", () => {
    const several = severalCausesReport();
    const selected: [string, string][] = ['t1', 't2', 't3', 't4', 't5'].map((t) => ['public', t]);
    assert.deepEqual(retryWithout(selected, several), {
      tables: [
        ['public', 't2'],
        ['public', 't5'],
      ],
      label: 'Retry without 3 tables…',
      without: ['public.t1', 'public.t3', 'public.t4'],
    });
    const one = refusedReport();
    const all = one.tables.map((t): [string, string] => [t.schema, t.table]);
    assert.equal(retryWithout(all, one)?.label, 'Retry without public.t010…');
    assert.equal(retryWithout(all, one)?.tables.length, 11);
    assert.equal(retryWithout([['public', 't010']], one), null, 'nothing would be left');
    assert.equal(retryWithout(all, { ...one, committed: true }), null);
    assert.equal(retryWithout(all, { ...one, outcome: 'cancelled' }), null);
  });

  it('the review says what the backup keeps and where, and what turning it off costs; a CHECK the source lacks warns', async () => {
    const servers = testServers();
    const src = await TestDb.create(servers[17], 'bk');
    const tgt = await TestDb.create(servers[15], 'bk');
    await src.sql(`CREATE TABLE public.pages (id int PRIMARY KEY, n int); INSERT INTO public.pages VALUES (1, 1), (2, 9);
      CREATE TABLE public.tags (id int PRIMARY KEY, label text); INSERT INTO public.tags VALUES (1, 'a');`);
    await tgt.sql(`CREATE TABLE public.pages (id int PRIMARY KEY, n int CONSTRAINT n_small CHECK (n < 5));
      INSERT INTO public.pages VALUES (7, 1); CREATE TABLE public.tags (id int PRIMARY KEY); INSERT INTO public.tags VALUES (3);`);
    // Planned as the review plans, every change on: a table a choice leaves off keeps nothing.
    const planned = await planMigration({ source: src.url, target: tgt.url, existing: 'replace', addColumns: true });
    const widened = reviewItems(planned, { createMissing: false, addColumns: true }, 'cloud-db', 'local-db');
    assert.match(widened.find((i) => i.value === 'backup')!.label, /Keeps a backup of 2 tables/);
    const items = (backup: boolean) =>
      reviewItems(planned, { createMissing: false, addColumns: false, backup }, 'cloud-db', 'local-db');
    const on = items(true);
    const row = on.find((i) => i.value === 'backup')!;
    assert.match(
      row.label,
      /^\$\(pass-filled\) Keeps a backup of 1 table \(about [\d.]+ kB\) in schema archon on the target, for undo$/,
    );
    assert.match(row.detail!, /^public\.pages: kept until you drop them \(Archon: Drop Backups…/);
    assert.match(on.find((i) => i.value === 'undo')!.label, /Undo possible/);
    const off = items(false);
    assert.match(off.find((i) => i.value === 'backup')!.label, /^\$\(circle-large-outline\) Keep a backup of 1 table/);
    assert.match(off.find((i) => i.value === 'backup')!.description!, /Undo will not be possible for this run/);
    const undo = off.find((i) => i.value === 'undo')!;
    assert.equal(undo.label, '$(warning) This run cannot be undone');
    assert.equal(undo.detail, NO_BACKUP);
    assert.ok(
      on.some(
        (i) =>
          i.label ===
          '$(warning) public.pages has CHECK constraint n_small (CHECK ((n < 5))) on the target that the source lacks: rows may be refused',
      ),
      on.map((i) => i.label).join('\n'),
    );
    // Nothing to keep (the target's tables are empty): no backup row to offer.
    await tgt.sql('TRUNCATE public.pages');
    const empty = await planMigration({ source: src.url, target: tgt.url, existing: 'replace' });
    const none = reviewItems(empty, { createMissing: false, addColumns: false }, 'cloud-db', 'local-db');
    assert.equal(none.filter((i) => i.value === 'backup').length, 0);
  });

  it('shows the journal with its runs and backup sizes, and says what Drop Backups will drop and did', () => {
    const run = (id: string, backupBytes: number, extra: Partial<RunEntry> = {}): RunEntry => ({
      id,
      at: `2026-12-06 07:${id.slice(-2)}:00 UTC`,
      source: 'postgres@cloud:5432/kb',
      target: 'postgres@local:5432/kb',
      policy: 'replace',
      toolVersion: '0.1.0',
      tables: ['public.pages'],
      rowsLoaded: 10,
      undoable: backupBytes > 0,
      why: backupBytes > 0 ? null : 'its backups were dropped at 2026-12-06 08:00:00 UTC',
      undoneAt: null,
      backupBytes,
      outcome: 'verified',
      summary: { verified: 1, mismatch: 0, skipped: 0, failed: 0, 'rolled back': 0, 'not run': 0, total: 1 },
      unmatched: [],
      hasReport: true,
      ...extra,
    });
    const runs = [run('r-03', 2048), run('r-02', 0), run('r-01', 10 * 1024 * 1024)];
    const journal = journalView(runs);
    assert.equal(journal.label, 'Archon journal');
    assert.equal(journal.description, '3 runs · backups 10 MB');
    assert.match(journal.tooltip, /Schema archon/);
    assert.deepEqual(
      runs.map((r) => journalRunView(r).description),
      ['undoable · backups 2.0 kB', 'not undoable · no backups', 'undoable · backups 10 MB'],
    );
    const picks = dropPickItems(runs, 'r-01');
    assert.deepEqual(
      picks.map((p) => [p.value?.id, p.picked]),
      [
        ['r-03', false],
        ['r-01', true],
      ],
      'only runs that still keep backups, the one chosen in the tree picked',
    );
    const q = dropQuestion([runs[0], runs[2]], 'local-db');
    assert.equal(q.message, 'Drop the backups of 2 runs on local-db (10 MB)?');
    assert.match(q.detail, /can then no longer be undone/);
    assert.equal(
      droppedText([{ runs: ['r-01'], alreadyUndone: [], tables: 2, bytes: 10 * 1024 * 1024, objects: [] }], 'local-db'),
      'Archon: dropped the backups of run r-01 on local-db: 2 backup tables, 10 MB freed; it can no longer be undone.',
    );
    assert.equal(
      droppedText([{ runs: ['r-01'], alreadyUndone: ['r-01'], tables: 0, bytes: 0, objects: [] }], 'local-db'),
      'Archon: dropped the backups of run r-01 on local-db: 0 backup tables, 0 B freed; r-01 was already undone (the undo used its backup; no longer needed).',
    );
  });
});

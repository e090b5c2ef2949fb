import { strict as assert } from 'node:assert';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compare, detectPlatform, inspect, migrate, planMigration, tableKind } from '../src/engine/index.js';
import { planLine } from '../src/vscode/wizardModel.js';
import type { Report } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { TestDb, type TestServer, directions, runCli, testServers, urlOf } from './support/pg.js';
import { type Bouncer, startPgBouncer } from './support/pgbouncer.js';
import { createRoleSql, ensureSupabaseRoles, makeLocalPostgres, makeSupabaseLike } from './support/supabase.js';

/** A Supabase-like project with rows, and a local database with the same tables, empty. */
async function supabaseToLocal(from: TestServer, to: TestServer): Promise<{ src: TestDb; tgt: TestDb }> {
  const src = await TestDb.create(from, 'sb');
  const tgt = await TestDb.create(to, 'local');
  await makeSupabaseLike(src, { rows: true });
  await makeLocalPostgres(tgt, { rows: false });
  return { src, tgt };
}

const names = (r: Report) => r.tables.map((t) => `${t.schema}.${t.table}`).sort();
const left = (r: Report) => Object.fromEntries((r.platformTables ?? []).map((t) => [`${t.schema}.${t.table}`, t.kind]));

for (const [from, to] of directions()) {
  describe(`Supabase, PostgreSQL ${from.major} → ${to.major}`, () => {
    it("from Supabase: the user's tables by default, platform data listed unselected, internals never; the plan says so", async () => {
      const { src, tgt } = await supabaseToLocal(from, to);
      const plan = runCli(['plan', '--source', src.url, '--target', tgt.url]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, new RegExp(`FROM .*\\(Supabase, PostgreSQL ${from.major}\\.\\d+; read-only`));
      assert.match(plan.stdout, new RegExp(`TO .*\\(PostgreSQL ${to.major}\\.\\d+\\)`));
      assert.match(plan.stdout, /COPY {2}public\.crawled_pages/);
      assert.match(plan.stdout, /COPY {2}public\.sources/);
      assert.doesNotMatch(plan.stdout, /COPY {2}(auth|storage|vault|realtime|supabase_\w+)\./);
      assert.match(
        plan.stdout,
        /LEAVE auth\.identities, auth\.users\n +Supabase platform data, not selected by default/,
      );
      assert.match(
        plan.stdout,
        /LEAVE storage\.buckets, storage\.objects\n.*point at files that are not in the database/,
      );
      const internals = /LEAVE (.*)\n +Supabase platform internal, never copied by default/.exec(plan.stdout)?.[1];
      assert.equal(
        internals,
        'auth.schema_migrations, realtime.schema_migrations, realtime.subscription, storage.migrations, ' +
          'supabase_functions.migrations, supabase_migrations.schema_migrations, vault.secrets',
      );

      const report = await migrate({ source: src.url, target: tgt.url });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.deepEqual(names(report), ['public.crawled_pages', 'public.sources']);
      assert.equal(report.source.platform, 'Supabase');
      assert.equal(report.target.platform, null);
      const l = left(report);
      assert.equal(l['auth.users'], 'platform data');
      assert.equal(l['storage.buckets'], 'platform data');
      assert.equal(l['auth.schema_migrations'], 'platform internal');
      assert.equal(l['vault.secrets'], 'platform internal');
      assert.equal(l['realtime.subscription'], 'platform internal');
      assert.deepEqual(await tgt.fingerprint('public.crawled_pages'), await src.fingerprint('public.crawled_pages'));
      assert.equal(await tgt.count('auth.users'), 0);
      assert.equal(await tgt.count('supabase_migrations.schema_migrations'), 0);
      const compared = await compare({ source: src.url, target: tgt.url });
      assert.equal(compared.outcome, 'verified');
      assert.deepEqual(names(compared), ['public.crawled_pages', 'public.sources']);
      assert.equal(left(compared)['auth.users'], 'platform data');
      assert.match(toText(report), /Platform tables not copied \(\d+; left out by the platform's rules/);
      assert.match(
        toText(report),
        /auth\.identities, auth\.users — skipped: Supabase platform data, not selected by default/,
      );
      assert.match(toMarkdown(report), new RegExp(`— Supabase, PostgreSQL ${from.major}\\.`));
    });

    it('opting in to auth copies its users and identities, never its migration history', async () => {
      const { src, tgt } = await supabaseToLocal(from, to);
      const file = join(mkdtempSync(join(tmpdir(), 'archon-sb-')), 'report.json');
      const args = ['--source', src.url, '--target', tgt.url, '--schema', 'public', '--schema', 'auth'];
      const r = runCli(['migrate', ...args, '--yes', '--report', file]);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
      assert.deepEqual(names(report), ['auth.identities', 'auth.users', 'public.crawled_pages', 'public.sources']);
      assert.equal(left(report)['auth.schema_migrations'], 'platform internal');
      const users = report.tables.find((t) => t.table === 'users')!;
      assert.match(users.notes[0], /^Supabase data: Supabase Auth's users/);
      assert.deepEqual(await tgt.fingerprint('auth.users'), await src.fingerprint('auth.users'));
      assert.equal(await tgt.count('auth.identities'), 25);
      assert.equal(await tgt.count('auth.schema_migrations'), 0);
    });

    it('an internal table comes in only when named exactly or with --include-platform-schema, with a warning', async () => {
      const { src, tgt } = await supabaseToLocal(from, to);
      // A wildcard names a platform schema only when the schema part is written out.
      const selection = { tables: ['auth.*', '*.objects', 'supabase_*.*'] };
      const wildcard = await migrate({ source: src.url, target: tgt.url, selection });
      assert.deepEqual(names(wildcard), ['auth.identities', 'auth.users']);
      assert.equal(left(wildcard)['storage.objects'], 'platform data');
      assert.equal(left(wildcard)['auth.schema_migrations'], 'platform internal');
      const named = await migrate({
        source: src.url,
        target: tgt.url,
        selection: { tables: ['supabase_migrations.schema_migrations'] },
      });
      assert.equal(named.outcome, 'verified');
      assert.match(named.tables[0].notes[0], /^warning: copied because it was named, although it is Supabase's own/);
      // Copy Table to Target… on that table asks with the warning in the question.
      const one = await planMigration({
        source: src.url,
        target: tgt.url,
        selection: { only: [['vault', 'secrets']] },
      });
      const line = planLine(one, 'supabase', 'local');
      assert.ok(line.ok);
      assert.match(
        line.text,
        /FROM supabase \(Supabase, PostgreSQL \d+\.\d+, read-only\) TO local \(PostgreSQL \d+\.\d+\)\. Warning: copied because it was named/,
      );
      const plan = runCli(['plan', '--source', src.url, '--target', tgt.url, '--include-platform-schema']);
      assert.match(
        plan.stdout,
        /COPY {2}vault\.secrets .*\n +note: warning: copied because platform schemas were included/,
      );
      assert.doesNotMatch(plan.stdout, /LEAVE/);
      const all = await migrate({ source: src.url, target: tgt.url, selection: { includePlatform: true } });
      assert.equal(all.outcome, 'verified', JSON.stringify(all.tables.filter((t) => t.status !== 'verified')));
      assert.equal(all.platformTables, undefined);
      assert.ok(names(all).includes('vault.secrets') && names(all).includes('auth.schema_migrations'));
      assert.equal(await tgt.count('vault.secrets'), 1);
    });

    it("into a Supabase target: the same rules, the target's history untouched, replica mode for its postgres role", async () => {
      const src = await TestDb.create(from, 'local');
      const tgt = await TestDb.create(to, 'sb');
      await makeLocalPostgres(src, { rows: true });
      await makeSupabaseLike(tgt, { rows: false });
      // Like Supabase's postgres role: no superuser, granted SET on session_replication_role, tables owned by the platform.
      const role = 'archon_supabase_postgres';
      await tgt.sql(createRoleSql(role, `LOGIN NOSUPERUSER PASSWORD '${to.password}'`));
      await tgt.sql(`GRANT SET ON PARAMETER session_replication_role TO ${role};
        ALTER TABLE public.sources OWNER TO supabase_admin; ALTER TABLE public.crawled_pages OWNER TO supabase_admin;
        GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role};
        CREATE FUNCTION public.rewrite() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.summary := 'rewritten'; RETURN NEW; END$$;
        CREATE TRIGGER rewrite BEFORE INSERT ON public.sources FOR EACH ROW EXECUTE FUNCTION public.rewrite();`);
      const report = await migrate({ source: src.url, target: urlOf(to, tgt.name, role) });
      assert.equal(report.outcome, 'verified', JSON.stringify(report.tables));
      assert.equal(report.source.platform, null);
      assert.equal(report.target.platform, 'Supabase');
      assert.deepEqual(names(report), ['public.crawled_pages', 'public.sources']);
      assert.equal(left(report)['auth.users'], 'platform data');
      assert.equal(left(report)['supabase_migrations.schema_migrations'], 'platform internal');
      assert.deepEqual(await tgt.fingerprint('public.sources'), await src.fingerprint('public.sources'));
      assert.deepEqual(await tgt.sql('SELECT name FROM supabase_migrations.schema_migrations'), [
        { name: 'target own' },
      ]);
      assert.equal(await tgt.count('auth.users'), 0);
    });
  });
}

describe('platform detection', () => {
  it('knows Supabase by its host, or by its schemas owned by its roles; never by names anyone can take', async () => {
    assert.equal(detectPlatform({ host: 'db.abcdefghijklmnop.supabase.co', schemas: [] })?.name, 'Supabase');
    assert.equal(detectPlatform({ host: 'aws-0-eu-central-1.pooler.supabase.com', schemas: [] })?.name, 'Supabase');
    const owned = (owner: string) => ['auth', 'storage'].map((name) => ({ name, owner }));
    assert.equal(detectPlatform({ host: 'localhost', schemas: owned('supabase_admin') })?.id, 'supabase');
    assert.equal(detectPlatform({ host: 'localhost', schemas: owned('postgres') }), null);
    const authAndVault = [
      { name: 'auth', owner: 'supabase_auth_admin' },
      { name: 'vault', owner: 'supabase_admin' },
    ];
    assert.equal(detectPlatform({ host: 'localhost', schemas: authAndVault })?.id, 'supabase', 'vault is a marker too');
    assert.deepEqual(tableKind('supabase', 'auth', 'schema_migrations').kind, 'platform internal');
    assert.deepEqual(tableKind('supabase', 'auth', 'users').kind, 'platform data');
    assert.deepEqual(tableKind('supabase', 'public', 'users').kind, 'user');
    assert.deepEqual(tableKind(null, 'vault', 'secrets').kind, 'user');
    // The roles are the cluster's: a plain database next to a Supabase-like one is plain.
    const plain = await TestDb.create(testServers()[17], 'plain');
    await ensureSupabaseRoles(plain);
    await makeLocalPostgres(plain, { rows: false });
    assert.equal((await inspect({ url: plain.url })).platform, null);
    const sb = await TestDb.create(testServers()[17], 'sb');
    await makeSupabaseLike(sb, { rows: false });
    assert.equal((await inspect({ url: sb.url })).platform?.name, 'Supabase');
  });
});

describe('pooler and connection strings', () => {
  const s = () => testServers()[17];
  const bouncers: Bouncer[] = [];
  let src: TestDb;
  let tgt: TestDb;
  before(async () => {
    ({ src, tgt } = await supabaseToLocal(s(), testServers()[15]));
  });
  after(() => Promise.all(bouncers.map((b) => b.stop())));
  const through = (b: Bouncer, db: TestDb) =>
    `postgresql://postgres:${encodeURIComponent(s().password)}@127.0.0.1:${b.port}/${db.name}?sslmode=disable`;

  it("refuses Supabase's transaction pooler (port 6543) by its address, naming the session pooler's URL", () => {
    // A password made up for this run: it must appear nowhere in the output.
    const secret = `pw-${Math.random().toString(36).slice(2)}`;
    const pooler = new URL(
      'postgresql://postgres.abcdefghijklmnop@aws-0-eu-central-1.pooler.supabase.com:6543/postgres',
    );
    pooler.password = secret;
    const r = runCli(['plan', '--source', pooler.href, '--target', tgt.url]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is Supabase's transaction-mode pooler \(port 6543\)/);
    assert.match(r.stderr, /postgres\.abcdefghijklmnop@aws-0-eu-central-1\.pooler\.supabase\.com:5432\/postgres/);
    assert.ok(!(r.stderr + r.stdout).includes(secret), 'the password is nowhere in the output');
  });

  it('refuses a transaction-mode PgBouncer by its behaviour, and leaves the target alone', async () => {
    const b = await startPgBouncer(s(), 'transaction', { postgres: s().password });
    bouncers.push(b);
    const r = runCli(['migrate', '--source', through(b, src), '--target', tgt.url, '--yes']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /is a transaction-mode pooler \(two connections were served by one server session\)/);
    assert.match(r.stderr, new RegExp(`connect to the server directly \\(port ${s().port} on its host\\)`));
    assert.equal(await tgt.count('public.sources'), 0);
    // The same pooler as the target: refused before anything is written there.
    const local = await TestDb.create(s(), 'local');
    await makeLocalPostgres(local, { rows: false });
    const reversed = runCli(['migrate', '--source', tgt.url, '--target', through(b, local), '--yes']);
    assert.equal(reversed.code, 2, reversed.stdout + reversed.stderr);
    assert.match(reversed.stderr, /the target postgres@127\.0\.0\.1:\d+\/\S+ is a transaction-mode pooler/);
  });

  it('runs through a session-mode PgBouncer, and with a postgres.<project-ref> user and sslmode=require', async () => {
    const b = await startPgBouncer(s(), 'session', { postgres: s().password });
    bouncers.push(b);
    const pooled = await migrate({ source: through(b, src), target: tgt.url });
    assert.equal(pooled.outcome, 'verified', JSON.stringify(pooled.tables));
    const user = 'postgres.archontestref';
    await src.sql(createRoleSql(user, `LOGIN SUPERUSER PASSWORD '${s().password}'`));
    const url = urlOf(s(), src.name, user).replace('sslmode=disable', 'sslmode=require');
    const direct = await migrate({ source: url, target: tgt.url });
    assert.equal(direct.outcome, 'verified');
    assert.equal(direct.source.label, `${user}@127.0.0.1:${s().port}/${src.name}`);
    assert.equal(direct.source.platform, 'Supabase');
  });
});

describe('a table of yours that references auth.users', () => {
  it('the plan skips it while auth.users is empty on the target, and says so; it verifies with auth', async () => {
    const { src, tgt } = await supabaseToLocal(testServers()[17], testServers()[15]);
    const ddl = 'CREATE TABLE public.profiles (id uuid PRIMARY KEY REFERENCES auth.users(id), username text NOT NULL);';
    await src.sql(`${ddl} INSERT INTO public.profiles SELECT id, split_part(email, '@', 1) FROM auth.users;`);
    await tgt.sql(ddl);
    const planned = await planMigration({ source: src.url, target: tgt.url });
    const profiles = planned.plan.tables.find((t) => t.table === 'profiles')!;
    assert.equal(profiles.action, 'skip');
    assert.equal(
      profiles.reason,
      'its foreign key profiles_id_fkey needs rows of auth.users, which is empty on the target and not copied by ' +
        'this run: auth.users is not copied (platform data); select auth too, or fill it first',
    );
    const skipped = await migrate({ source: src.url, target: tgt.url });
    assert.equal(skipped.outcome, 'not verified');
    assert.equal(await tgt.count('public.profiles'), 0);
    // With rows in auth.users, whether they are the ones profiles needs is known only after the load.
    await tgt.sql(`INSERT INTO auth.users (id) VALUES (gen_random_uuid())`);
    const again = await planMigration({ source: src.url, target: tgt.url });
    assert.deepEqual(again.plan.tables.find((t) => t.table === 'profiles')!.notes, [
      'references auth.users, which is not copied (platform data): the rows it points at must already be on the ' +
        'target, or the load fails its foreign-key check (select auth too)',
    ]);
    const failed = await migrate({ source: src.url, target: tgt.url });
    assert.equal(failed.outcome, 'failed');
    assert.match(failed.cause?.message ?? '', /auth\.users/);
    await tgt.sql('DELETE FROM auth.users');
    const withAuth = await migrate({ source: src.url, target: tgt.url, selection: { schemas: ['public', 'auth'] } });
    assert.equal(withAuth.outcome, 'verified');
    assert.deepEqual(withAuth.tables.find((t) => t.table === 'profiles')?.notes, []);
    assert.equal(await tgt.count('public.profiles'), 25);
  });
});

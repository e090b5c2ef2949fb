import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { main } from '../src/cli/index.js';
import { directions, runCli, testServers, urlOf, pair } from './support/pg.js';

const servers = testServers();

async function kb() {
  const ddl = `CREATE TABLE projects (id int PRIMARY KEY, title text); CREATE TABLE pages (id int PRIMARY KEY, body text, extra text);`;
  const { src, tgt } = await pair(servers[17], servers[15], {
    source:
      ddl +
      `CREATE TABLE settings (k text); INSERT INTO projects SELECT g, 'p' || g FROM generate_series(1, 7) g; INSERT INTO pages SELECT g, E'multi\\nline "' || g, 'x' FROM generate_series(1, 42) g;`,
    target: `CREATE TABLE projects (id int PRIMARY KEY, title text); CREATE TABLE pages (id int PRIMARY KEY, body text);`,
  });
  return { src, tgt };
}

describe('archon CLI', () => {
  it('migrate: states the direction, flags skips, writes reports, exits 1 when a table is not verified', async () => {
    const { src, tgt } = await kb();
    const dir = mkdtempSync(join(tmpdir(), 'archon-cli-'));
    const r = runCli([
      'migrate',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--yes',
      '--report',
      join(dir, 'r.json'),
      '--markdown',
      join(dir, 'r.md'),
      '--html',
      join(dir, 'r.html'),
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, new RegExp(`FROM  postgres@127.0.0.1:${servers[17].port}/${src.name}  \\(PostgreSQL 17`));
    assert.match(r.stdout, /TO {4}postgres@127.0.0.1:\d+\/archon_tgt_\S+ {2}\(PostgreSQL 15/);
    assert.match(r.stdout, /public.projects\s+7\s+7\s+0\s+VERIFIED/);
    // Progress on stderr has the totals VS Code shows: bytes of an estimated total, elapsed time.
    assert.match(
      r.stderr,
      /\[1\/1\] public\.projects: 7 rows, [\d.]+ k?B in [\d.]+ s · 100% · [\d.]+ k?B of ~[\d.]+ k?B · .*\d+:\d\d elapsed/,
    );
    // Each stage after the copy says itself, so the copy's 100% does not read as the end of the run.
    const stages = r.stderr.split('\n').filter((l) => l.startsWith('… '));
    assert.deepEqual(
      stages.filter((l) => /^… (empty|verify|sequences|commit)/.test(l)),
      [
        '… empty: emptying 1 target table(s)',
        '… verify: checking foreign keys and deferrable unique constraints of the loaded tables',
        '… verify: counting rows and reading back the loaded tables to compare their content',
        '… verify [1/1] public.projects: reading it back and comparing its content',
        '… sequences: moving sequences past the copied values',
        '… commit: committing',
      ],
    );
    assert.match(r.stdout, /public.pages\s+—\s+—\s+—\s+SKIPPED\s+source column extra does not exist on the\s+target/);
    assert.match(r.stdout, /public.settings\s+—\s+—\s+—\s+SKIPPED\s+missing on the target/);
    // The engine's reasons name no flag; the CLI says which flag lifts a skip.
    assert.match(r.stdout, /hint: --create-missing creates the 1 table missing on the target/);
    assert.doesNotMatch(r.stdout, /SKIP.*--create-missing/);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8'));
    assert.equal(report.summary.verified, 1);
    assert.equal(report.summary.skipped, 2);
    assert.match(readFileSync(join(dir, 'r.md'), 'utf8'), /\| public.projects \| 7 \| 7 \| 0 \| VERIFIED \|/);
    assert.equal(await tgt.count('projects'), 7);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    assert.match(html, /<script type="application\/json" id="archon-report">\{"kind":"migrate"/);
    assert.match(html, /Content-Security-Policy/);
    for (const text of [
      r.stdout,
      r.stderr,
      html,
      readFileSync(join(dir, 'r.json'), 'utf8'),
      readFileSync(join(dir, 'r.md'), 'utf8'),
    ]) {
      assert.ok(
        !text.includes(servers[17].password) && !text.includes(servers[15].password),
        'no password in any output',
      );
    }
  });

  it('migrate: exit 0 when every selected table verifies; passwords from the environment', async () => {
    const { src, tgt } = await kb();
    const bare = (u: string) => u.replace(/:[^:@/]+@/, '@');
    const r = runCli(['migrate', '--table', 'projects', '--yes'], {
      ARCHON_SOURCE_URL: bare(src.url),
      ARCHON_TARGET_URL: bare(tgt.url),
      ARCHON_SOURCE_PASSWORD: servers[17].password,
      ARCHON_TARGET_PASSWORD: servers[15].password,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 verified/);
  });

  it('libpq key-value strings work wherever a URL does; a refused password is worded for the terminal', async () => {
    const { src, tgt } = await kb();
    const kv = (url: string, password: string) => {
      const u = new URL(url);
      return `host=${u.hostname} port=${u.port} dbname=${u.pathname.slice(1)} user=postgres password='${password}' sslmode=disable`;
    };
    const r = runCli(['migrate', '--table', 'projects', '--yes'], {
      ARCHON_SOURCE_URL: kv(src.url, servers[17].password),
      ARCHON_TARGET_URL: kv(tgt.url, servers[15].password),
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 verified/);
    assert.equal(await tgt.count('projects'), 7);
    const wrong = runCli(['plan', '--source', kv(src.url, 'not-the-password'), '--target', tgt.url]);
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stderr,
      /password authentication failed.*\(check the password in the URL, ARCHON_SOURCE_PASSWORD/,
    );
    assert.ok(!wrong.stderr.includes('not-the-password'));
  });

  it('a named table that does not exist is reported, and the run is not verified', async () => {
    const { src, tgt } = await kb();
    const r = runCli([
      'migrate',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--table',
      'projects',
      '--table',
      'projcts',
      '--yes',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /NOT FOUND on the source: projcts/);
    assert.match(r.stdout, /Outcome: not verified/);
  });

  it('a report path that cannot be written stops the run before the target is touched', async () => {
    const { src, tgt } = await kb();
    const r = runCli([
      'migrate',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--yes',
      '--report',
      '/nonexistent-dir/r.json',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--report \/nonexistent-dir\/r.json: the folder \/nonexistent-dir does not exist/);
    assert.equal(await tgt.count('projects'), 0);
  });

  it('migrate refuses to write without --yes when there is no terminal', async () => {
    const { src, tgt } = await kb();
    const r = runCli(['migrate', '--source', src.url, '--target', tgt.url]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pass --yes/);
    assert.equal(await tgt.count('projects'), 0);
  });

  it('plan writes nothing; compare checks counts and content, --counts-only counts', async () => {
    const { src, tgt } = await kb();
    const plan = runCli(['plan', '--source', src.url, '--target', tgt.url]);
    assert.equal(plan.code, 1);
    assert.match(plan.stdout, /COPY {2}public.projects/);
    assert.match(plan.stdout, /SKIP {2}public.pages\s+source column extra/);
    assert.match(plan.stdout, /hint: --add-columns adds the missing source columns to 1 table on the target/);
    assert.equal(await tgt.count('projects'), 0);
    await tgt.sql(
      `INSERT INTO projects SELECT g, 'p' || g FROM generate_series(1, 7) g; INSERT INTO pages VALUES (1, 'x')`,
    );
    const cmp = runCli(['compare', '--source', src.url, '--target', tgt.url]);
    assert.equal(cmp.code, 1);
    assert.match(cmp.stdout, /public.projects\s+7\s+7\s+0\s+VERIFIED\s+same/);
    assert.match(cmp.stdout, /public.pages\s+42\s+1\s+-41\s+MISMATCH\s+DIFFERS/);
    assert.match(cmp.stdout, /public.settings .*SKIPPED\s+missing on the target/);
    assert.match(cmp.stdout, /1 verified by count and content/);
    // Same counts, other titles: only the content shows it, and names the rows by key.
    await tgt.sql(`UPDATE projects SET title = 'changed' WHERE id IN (2, 5)`);
    const content = runCli(['compare', '--source', src.url, '--target', tgt.url, '--table', 'projects']);
    assert.equal(content.code, 1);
    assert.match(
      content.stdout,
      /public.projects\s+7\s+7\s+0\s+MISMATCH\s+DIFFERS \(2 rows\)\s+same row count, but 2 rows/,
    );
    assert.match(content.stdout, /public.projects: id=\d changed; id=\d changed/);
    const counts = runCli([
      'compare',
      '--source',
      src.url,
      '--target',
      tgt.url,
      '--table',
      'projects',
      '--counts-only',
    ]);
    assert.equal(counts.code, 0, counts.stdout);
    assert.match(counts.stdout, /public.projects\s+7\s+7\s+0\s+VERIFIED BY COUNT ONLY\s+not checked/);
    assert.match(counts.stdout, /1 verified by row count only \(content not checked\)/);
  });

  it('a wrong password: exit 2, names the endpoint, never the password', async () => {
    const { src, tgt } = await kb();
    const wrong = urlOf(servers[15], tgt.name, 'postgres', 'not-the-password-42');
    const r = runCli(['migrate', '--source', src.url, '--target', wrong, '--yes']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `could not connect to the target postgres@127.0.0.1:${servers[15].port}/${tgt.name}: password authentication failed`,
      ),
    );
    assert.ok(!r.stderr.includes('not-the-password-42') && !r.stdout.includes('not-the-password-42'));
  });

  it('an unreachable port: exit 2 with a clear message', () => {
    const r = runCli([
      'compare',
      '--source',
      'postgresql://me:secret-pw@127.0.0.1:1/db',
      '--target',
      'postgresql://me@127.0.0.1:2/db',
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /could not connect to the source me@127.0.0.1:1\/db: connection refused/);
    assert.ok(!r.stderr.includes('secret-pw'));
  });

  it("the executable exits with main()'s code and writes its words: exit 2 for what cannot start", () => {
    const r = runCli(['migrate', '--source', 'mysql://x', '--target', 'postgresql://y/db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the source must be a PostgreSQL URL/);
    assert.equal(runCli(['frobnicate']).code, 2);
    assert.match(runCli(['--help']).stdout, /\n {2}archon migrate /);
    assert.ok(existsSync('dist/cli.js'));
  });

  it('a port that is not one, and no password anywhere: exit 2, saying what and where', () => {
    const r = runCli(['plan', '--source', 'postgresql://me:pw@db.example.com:0/app', '--target', 'postgresql://b/db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the source URL's port "0" is not a port: use a number from 1 to 65535/);
    const home = mkdtempSync(join(tmpdir(), 'archon-home-'));
    const bare = `postgresql://postgres@127.0.0.1:${servers[17].port}/postgres?sslmode=disable`;
    const n = runCli(['plan', '--source', bare, '--target', 'postgresql://b/db'], { HOME: home });
    assert.equal(n.code, 2);
    assert.match(
      n.stderr,
      /could not connect to the source postgres@127.0.0.1:\d+\/postgres: the server asks for a password and none was given \(check the password in the URL, ARCHON_SOURCE_PASSWORD, PGPASSWORD or ~\/.pgpass\)/,
    );
    assert.doesNotMatch(n.stderr, /SASL|unexpected/);
  });

  it('Ctrl-C at "Proceed?" declines: nothing written, exit 1, no stack trace', async () => {
    const { src, tgt } = await kb();
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['migrate', '--source', src.url, '--target', tgt.url], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
      isTTY: true,
      ask: () => Promise.reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })),
    });
    assert.equal(code, 1);
    assert.match(err.join(''), /Interrupted at the prompt: nothing was written/);
    assert.doesNotMatch(err.join('') + out.join(''), /unexpected|AbortError|\n\s+at /);
    assert.match(out.join(''), /Outcome: cancelled/);
    assert.equal(await tgt.count('projects'), 0);
  });

  it('SIGTERM mid-copy rolls back and reports, like Ctrl-C', async () => {
    const ddl = 'CREATE TABLE big (id int PRIMARY KEY, body text);';
    const { src, tgt } = await pair(servers[17], servers[15], {
      both: ddl,
      source: `INSERT INTO big SELECT g, repeat('x', 2000) FROM generate_series(1, 300000) g;`,
      target: `INSERT INTO big VALUES (-1, 'keep');`,
    });
    const child = spawn(
      process.execPath,
      ['dist/cli.js', 'migrate', '--yes', '--source', src.url, '--target', tgt.url],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/big: started/.test(stderr) && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, stderr);
    assert.match(stderr, /Cancelling: rolling back the target/);
    assert.match(stdout, /Outcome: cancelled/);
    assert.deepEqual(await tgt.sql('SELECT id, body FROM big'), [{ id: -1, body: 'keep' }]);
  });

  it('a report path that is a folder is refused before anything is written', async () => {
    const { src, tgt } = await kb();
    const dir = mkdtempSync(join(tmpdir(), 'archon-dir-'));
    const between = ['--source', src.url, '--target', tgt.url];
    const migrate = (...extra: string[]) => runCli(['migrate', '--yes', ...between, ...extra]);
    // compare writes reports and nothing else (plan writes none, so it takes no report option).
    const compare = (...extra: string[]) => runCli(['compare', ...between, ...extra]);
    const r = migrate('--report', dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--report .*: is a folder; name a file/);
    writeFileSync(join(dir, 'afile'), '');
    const r2 = migrate('--report', join(dir, 'afile', 'r.json'));
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /--report .*afile\/r.json: cannot be written \(ENOTDIR/);
    const twice = compare('--report', join(dir, 'a'), '--markdown', join(dir, 'a'));
    assert.match(twice.stderr, /need a file each/);
    writeFileSync(join(dir, 'b.md'), '');
    symlinkSync(join(dir, 'b.md'), join(dir, 'link.json'));
    const linked = compare('--report', join(dir, 'link.json'), '--markdown', join(dir, 'b.md'));
    assert.match(linked.stderr, /need a file each/);
    assert.match(compare('--report', '').stderr, /--report needs a file name/);
    assert.equal(await tgt.count('projects'), 0);
  });

  it('a report path in a missing folder, or ending in "/", is refused naming it, by every command that writes one, before any work', async () => {
    const { src, tgt } = await kb();
    const migrated = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes']);
    assert.equal(migrated.code, 1, migrated.stderr);
    const run = /Undo: archon undo (\S+) --target URL/.exec(migrated.stdout)![1];
    await tgt.sql('UPDATE projects SET title = $1', ['mine']);
    const dir = mkdtempSync(join(tmpdir(), 'archon-paths-'));
    const missing = join(dir, 'no-such-folder');
    const commands = [
      ['migrate', '--source', src.url, '--target', tgt.url, '--yes'],
      ['compare', '--source', src.url, '--target', tgt.url],
      ['undo', run, '--target', tgt.url, '--yes', '--force'],
      ['backups', 'drop', run, '--target', tgt.url, '--yes'],
    ];
    for (const command of commands) {
      for (const [flag, file, said] of [
        ['--report', join(missing, 'r.json'), `the folder ${missing} does not exist`],
        ['--markdown', `${missing}/`, 'names a folder; name a file'],
        ['--html', `${dir}/`, 'is a folder; name a file'],
      ]) {
        const r = runCli([...command, flag, file]);
        assert.equal(r.code, 2, `${command[0]} ${flag} ${file}: ${r.stderr}`);
        assert.equal(r.stderr, `archon: ${flag} ${file}: ${said}\n`, command[0]);
        assert.equal(r.stdout, '', 'nothing was read, planned or asked');
      }
    }
    // Nothing was done: the run is not undone, its backups are there, the rows are the user's.
    assert.deepEqual(await tgt.sql('SELECT DISTINCT title FROM projects'), [{ title: 'mine' }]);
    assert.deepEqual(await tgt.sql('SELECT undone_at, backups_dropped_at FROM archon.runs'), [
      { undone_at: null, backups_dropped_at: null },
    ]);
  });

  for (const [from, to] of directions()) {
    it(`undo --report/--markdown/--html write the undo's report: each table restored or dropped, its counts (PostgreSQL ${from.major} → ${to.major})`, async () => {
      const { src, tgt } = await pair(from, to, {
        source: `CREATE TABLE projects (id int PRIMARY KEY, title text); CREATE TABLE settings (k text);
         INSERT INTO projects SELECT g, 'p' || g FROM generate_series(1, 7) g; INSERT INTO settings VALUES ('a');`,
        target: `CREATE TABLE projects (id int PRIMARY KEY, title text); INSERT INTO projects VALUES (1, 'old'), (2, 'old'), (3, 'old');`,
      });
      const between = ['--source', src.url, '--target', tgt.url];
      const migrated = runCli(['migrate', ...between, '--create-missing', '--yes']);
      assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
      const dir = mkdtempSync(join(tmpdir(), 'archon-undo-report-'));
      const files = { json: join(dir, 'u.json'), md: join(dir, 'u.md'), html: join(dir, 'u.html') };
      const r = runCli([
        'undo',
        '--target',
        tgt.url,
        '--yes',
        '--report',
        files.json,
        '--markdown',
        files.md,
        '--html',
        files.html,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr, /JSON report: .*u\.json\nMarkdown report: .*u\.md\nHTML report: .*u\.html/);
      // What the report says is what the target holds: the three old rows back, the created table gone.
      assert.deepEqual(await tgt.sql('SELECT id, title FROM projects ORDER BY id'), [
        { id: 1, title: 'old' },
        { id: 2, title: 'old' },
        { id: 3, title: 'old' },
      ]);
      assert.deepEqual(await tgt.sql(`SELECT to_regclass('public.settings') AS t`), [{ t: null }]);
      const report = JSON.parse(readFileSync(files.json, 'utf8'));
      assert.equal(report.kind, 'undo');
      assert.equal(report.outcome, 'undone');
      assert.equal(report.committed, true);
      assert.equal(report.run.id, /Undo: archon undo (\S+) --target URL/.exec(migrated.stdout)![1]);
      assert.equal(report.target, `postgres@127.0.0.1:${to.port}/${tgt.name}`);
      const byName = Object.fromEntries(report.tables.map((t: any) => [t.table, t]));
      assert.deepEqual(
        { ...byName.projects, sequencesReset: undefined },
        {
          schema: 'public',
          table: 'projects',
          action: 'restored',
          rowsBefore: 7,
          rowsAfter: 3,
          verified: true,
          columnsDropped: [],
          sequencesReset: undefined,
          changedSinceRun: false,
        },
      );
      // A dropped table has nothing left to prove: never "verified".
      assert.equal(byName.settings.action, 'dropped');
      assert.equal(byName.settings.rowsAfter, null);
      assert.equal(byName.settings.verified, false);
      const md = readFileSync(files.md, 'utf8');
      assert.match(md, /\| public\.projects \| restored \| 7 \| 3 \| count and content \|/);
      assert.match(md, /\| public\.settings \| dropped \(the run created it\) \| 1 \| — \| — \|/);
      assert.match(md, /Undone: run \S+; 1 table verified against the backups by count and content, 1 dropped/);
      const html = readFileSync(files.html, 'utf8');
      assert.match(
        html,
        /<td>public\.projects<\/td><td>restored<\/td><td>7<\/td><td>3<\/td><td>count and content<\/td>/,
      );
      assert.match(html, /Content-Security-Policy/);
      for (const text of [r.stdout, r.stderr, md, html, readFileSync(files.json, 'utf8')])
        assert.ok(!text.includes(from.password) && !text.includes(to.password), 'no password in any output');
    });
  }

  it('backups drop --report writes which runs can no longer be undone, and the backups are gone', async () => {
    const { src, tgt } = await kb();
    await tgt.sql(`INSERT INTO projects VALUES (100, 'old')`);
    const migrated = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--table', 'projects', '--yes']);
    assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
    const id = /Undo: archon undo (\S+) --target URL/.exec(migrated.stdout)![1];
    const dir = mkdtempSync(join(tmpdir(), 'archon-backups-report-'));
    const r = runCli([
      'backups',
      'drop',
      id,
      '--target',
      tgt.url,
      '--yes',
      '--report',
      join(dir, 'b.json'),
      '--markdown',
      join(dir, 'b.md'),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8'));
    assert.equal(report.kind, 'backups drop');
    assert.equal(report.outcome, 'dropped');
    assert.deepEqual(report.runs, [id]);
    assert.equal(report.tables, 1);
    assert.match(
      readFileSync(join(dir, 'b.md'), 'utf8'),
      new RegExp(`Dropped 1 backup table\\(s\\) of 1 run, .*: ${id} can no longer be undone`),
    );
    assert.deepEqual(
      await tgt.sql(
        `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'archon' AND relname LIKE 'backup%'`,
      ),
      [],
    );
  });

  it('an option a command does not take, or no command takes, is refused naming it, with the usage line', async () => {
    const { src, tgt } = await kb();
    const foreign = runCli(['undo', '--target', tgt.url, '--yes', '--ddl', 'x.sql']);
    assert.equal(foreign.code, 2);
    assert.match(
      foreign.stderr,
      /^archon: undo does not take --ddl \(plan does\)\nUsage: archon undo \[RUN\] --target URL/,
    );
    const bogus = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes', '--bogus']);
    assert.equal(bogus.code, 2);
    assert.match(
      bogus.stderr,
      /^archon: migrate: unknown option --bogus\nUsage: archon migrate --source URL --target URL/,
    );
    // plan writes no report: --report there was silently ignored; compare writes one.
    const planReport = runCli(['plan', '--source', src.url, '--target', tgt.url, '--report', 'r.json']);
    assert.equal(planReport.code, 2);
    assert.match(planReport.stderr, /plan does not take --report \(migrate, compare, undo, backups do\)/);
    const history = runCli(['history', '--target', tgt.url, '--source', src.url]);
    assert.equal(history.code, 2);
    assert.match(history.stderr, /history does not take --source/);
    assert.equal(await tgt.count('projects'), 0);
  });

  it('a number option given a negative, non-numeric or huge value, or a flag given one: which option, what was given, what it takes; exit 2', async () => {
    const { src, tgt } = await kb();
    const between = ['--source', src.url, '--target', tgt.url];
    const cases: [string[], RegExp][] = [
      [
        ['migrate', '--lock-timeout', '-5'],
        /^archon: --lock-timeout takes seconds: a number from 0\.001 to 2000000 \(got "-5"\)\n$/,
      ],
      [
        ['migrate', ...between, '--yes', '--stall-timeout', '-0.5'],
        /--stall-timeout takes seconds: .* \(got "-0\.5"\)/,
      ],
      [['migrate', ...between, '--yes', '--lock-timeout', 'soon'], /--lock-timeout takes seconds: .* \(got "soon"\)/],
      [['migrate', ...between, '--yes', '--lock-timeout', '1e99'], /--lock-timeout takes seconds: .* \(got "1e99"\)/],
      [['migrate', ...between, '--yes', '--lock-timeout', '0x10'], /--lock-timeout takes seconds: .* \(got "0x10"\)/],
      [['migrate', ...between, '--yes', '--lock-timeout', '99999999999'], /\(got "99999999999"\)/],
      [['compare', ...between, '--lock-timeout=-1'], /--lock-timeout takes seconds: .* \(got "-1"\)/],
      [['history', '--target', tgt.url, '--lock-timeout', '-5'], /--lock-timeout takes seconds: .* \(got "-5"\)/],
      [['undo', '--target', tgt.url, '--yes', '--lock-timeout', '0'], /--lock-timeout takes seconds: .* \(got "0"\)/],
      [
        ['backups', 'drop', '--older-than', '-7d', '--target', tgt.url, '--yes'],
        /^archon: --older-than takes a number and m, h, d or w, e\.g\. 7d \(got "-7d"\)\n$/,
      ],
      [['migrate', ...between, '-y=1'], /^archon: -y takes no value \(got "-y=1"\)\n$/],
      [['migrate', ...between, '--yes=1'], /^archon: --yes takes no value \(got "--yes=1"\)\n$/],
      [['migrate', ...between, '--yes', '--report'], /^archon: --report needs a value \(--report FILE\.json\)\n$/],
      [
        ['migrate', ...between, '--report', '--yes'],
        /^archon: --report needs a value \(--report FILE\.json\), not --yes\n$/,
      ],
    ];
    for (const [args, said] of cases) {
      const r = runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, said, args.join(' '));
      // Node's own words (and its "\n" shown escaped) never reach the user.
      assert.doesNotMatch(r.stderr, /Option '|ambiguous|unknown option|\\n/, args.join(' '));
    }
    assert.equal(await tgt.count('projects'), 0);
    // A fraction of a second is a number like any other.
    const ok = runCli(['migrate', ...between, '--yes', '--lock-timeout', '2.5', '--stall-timeout', '30']);
    assert.equal(ok.code, 1, ok.stderr);
    assert.equal(await tgt.count('projects'), 7);
  });

  it('control characters in names never reach the terminal raw', async () => {
    const { src, tgt } = await pair(servers[17], servers[15], {
      source: `CREATE TABLE "evil[2J
name" (id int)`,
    });
    const r = runCli(['plan', '--source', src.url, '--target', tgt.url]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /SKIP {2}public\."evil\\x1b\[2J\\nname" +missing on the target/);
    assert.ok(!r.stdout.includes('\x1b'), 'no raw escape character');
  });
});

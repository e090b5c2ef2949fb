import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect, parseEndpoint } from '../src/engine/connect/connection.js';
import type { ConnectionError } from '../src/engine/errors.js';
import { RunProgress, migrate, runLine, shortLine } from '../src/engine/index.js';
import { displayName } from '../src/shared/names.js';
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

describe('connect_timeout (hostile s4 finding 4)', () => {
  it('a timeout is the whole connection: one attempt on a silent peer, in every sslmode, and the message says the configured wait', async () => {
    const sockets = new Set<Socket>();
    // Accepts and never answers: counts every connection Archon opens to it.
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      for (const mode of ['', '&sslmode=prefer', '&sslmode=disable', '&sslmode=require']) {
        const before = sockets.size;
        const ep = parseEndpoint(`postgresql://u:pw@127.0.0.1:${port}/db?connect_timeout=1${mode}`, 'target');
        const e = await connect(ep).then(
          () => null,
          (err: ConnectionError) => err,
        );
        assert.ok(e, 'connected to a peer that says nothing');
        assert.equal(e.reason, 'timeout', e.message);
        assert.match(e.message, /no answer within 1 s from 127\.0\.0\.1:\d+$/);
        assert.equal(sockets.size - before, 1, `${mode}: a timeout was followed by another connection`);
      }
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('a connect_timeout longer than a timer can hold is refused naming the limit, with no warning from Node', () => {
    const r = runCli(['history', '--target', 'postgresql://u@127.0.0.1:1/db?connect_timeout=99999999999']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /connect_timeout=99999999999: at most 2147483 seconds \(about 24 days\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /Timeout duration|TimeoutOverflowWarning|within 99999999999/);
    assert.equal(parseEndpoint('postgresql://u@h/db?connect_timeout=2147483', 'target').connectTimeoutMs, 2147483000);
  });
});

describe('a report path that is a link (hostile s4 finding 9)', () => {
  for (const [from, to] of directions()) {
    it(`a link whose target folder is missing is refused naming it, before any work; one whose folder exists is written through (PostgreSQL ${from.major} → ${to.major})`, async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`CREATE TABLE projects (id int PRIMARY KEY); INSERT INTO projects VALUES (1), (2);`);
      await tgt.sql(`CREATE TABLE projects (id int PRIMARY KEY); INSERT INTO projects VALUES (9);`);
      const dir = mkdtempSync(join(tmpdir(), 'archon-link-'));
      const dangling = join(dir, 'dangling.json');
      symlinkSync('/nonexistent-archon/dir/file.json', dangling);
      const between = ['--source', src.url, '--target', tgt.url, '--yes'];
      const r = runCli(['migrate', ...between, '--report', dangling]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /--report \S+dangling\.json: a link to \/nonexistent-archon\/dir\/file\.json, and the folder \/nonexistent-archon\/dir does not exist/,
      );
      assert.doesNotMatch(r.stderr, /EEXIST/);
      assert.deepEqual(await tgt.sql('SELECT id FROM projects'), [{ id: 9 }], 'the target was touched');
      const loop = join(dir, 'loop.md');
      symlinkSync(loop, loop);
      const looped = runCli(['compare', ...between.slice(0, 4), '--markdown', loop]);
      assert.equal(looped.code, 2, looped.stdout + looped.stderr);
      assert.match(looped.stderr, /--markdown \S+loop\.md: a link that leads to no file/);
      const ahead = join(dir, 'ahead.json');
      symlinkSync(join(dir, 'real.json'), ahead);
      const ok = runCli(['migrate', ...between, '--report', ahead]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.equal(JSON.parse(readFileSync(join(dir, 'real.json'), 'utf8')).outcome, 'verified');
      assert.deepEqual(await tgt.sql('SELECT id FROM projects ORDER BY id'), [{ id: 1 }, { id: 2 }]);
    });
  }
});

describe('options given twice, and what backups drop says of an undone run (hostile s4 finding 10)', () => {
  it('a single-value option given twice is refused naming both values, by every command; repeatable ones stay repeatable', () => {
    const url = 'postgresql://u:s3cret-never-shown@127.0.0.1:1/db';
    const cases: [string[], RegExp][] = [
      [['migrate', '--lock-timeout', '5', '--lock-timeout', '7'], /--lock-timeout given twice \(5 and 7\)/],
      [['compare', '--report', 'a.json', '--report', 'b.json'], /--report given twice \(a\.json and b\.json\)/],
      [['plan', '--existing', 'append', '--existing=replace'], /--existing given twice \(append and replace\)/],
      [['undo', '--target', url, '--target', url], /--target given twice \(not shown/],
      [['history', '--target', url, '--target', url], /--target given twice/],
      [['backups', 'drop', '--older-than', '1d', '--older-than', '2d'], /--older-than given twice \(1d and 2d\)/],
    ];
    for (const [args, message] of cases) {
      const r = runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stdout + r.stderr, /s3cret-never-shown/);
    }
    // Repeatable: these get as far as connecting (nothing listens on port 1), not refused as repeated.
    const r = runCli([
      'plan',
      '--source',
      url,
      '--target',
      url,
      '--schema',
      'a',
      '--schema',
      'b',
      '--table',
      'x',
      '--table',
      'y',
      '--exclude',
      'p',
      '--exclude',
      'q',
    ]);
    assert.doesNotMatch(r.stderr, /given twice/);
  });

  for (const [from, to] of directions()) {
    it(`backups drop of a run already undone says its backup was no longer needed, not that it can no longer be undone (PostgreSQL ${from.major} → ${to.major})`, async () => {
      const src = await TestDb.create(from, 'src');
      const tgt = await TestDb.create(to, 'tgt');
      await src.sql(`CREATE TABLE projects (id int PRIMARY KEY); INSERT INTO projects VALUES (1), (2);`);
      await tgt.sql(`CREATE TABLE projects (id int PRIMARY KEY); INSERT INTO projects VALUES (9);`);
      const migrated = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes']);
      assert.equal(migrated.code, 0, migrated.stdout + migrated.stderr);
      const id = /Undo: archon undo (\S+) --target URL/.exec(migrated.stdout)![1];
      const undone = runCli(['undo', id, '--target', tgt.url, '--yes']);
      assert.equal(undone.code, 0, undone.stdout + undone.stderr);
      assert.deepEqual(await tgt.sql('SELECT id FROM projects'), [{ id: 9 }]);
      const dir = mkdtempSync(join(tmpdir(), 'archon-drop-undone-'));
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
      assert.doesNotMatch(r.stdout, /can no longer be undone/);
      assert.match(r.stdout, new RegExp(`${id} was already undone \\(the undo used its backup; no longer needed\\)`));
      assert.deepEqual(JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')).alreadyUndone, [id]);
      const md = readFileSync(join(dir, 'b.md'), 'utf8');
      assert.match(md, /was already undone/);
      assert.doesNotMatch(md, /can no longer be undone/);
    });
  }
});

describe('progress of a table larger than its estimate (hostile s4 finding 8)', () => {
  for (const [from, to] of directions()) {
    it(`a never-analyzed table that sends more than its size on disk shows its bytes so far, no share of a total that follows them (${from.major}→${to.major})`, async () => {
      const src = await TestDb.create(from, 'fresh');
      const tgt = await TestDb.create(to, 'fresh');
      const ddl = 'CREATE TABLE fresh (id int PRIMARY KEY, body text) WITH (autovacuum_enabled = off);';
      // Compressible values: a few kB on disk each, 200 kB each through COPY; never analyzed, no row estimate.
      await src.sql(`${ddl} INSERT INTO fresh SELECT g, repeat(md5(g::text), 6250) FROM generate_series(1, 60) g;`);
      await tgt.sql(ddl);
      const progress = new RunProgress();
      const seen: { bytes: number; estimate: number; line: string; short: string; fraction: number | null }[] = [];
      let estimate = 0;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        onProgress: (e) => {
          progress.update(e);
          if (e.type === 'table-start') estimate = e.estimatedBytes;
          if (e.type !== 'table-progress') return;
          const s = progress.snapshot();
          seen.push({ bytes: e.bytes, estimate, line: runLine(s), short: shortLine(s), fraction: s.fraction });
          // Progress is said at most every so often: held up here, the copy says it at each of the next
          // chunks, so some are said once the estimate is passed (a few are enough).
          if (seen.filter((x) => x.bytes > x.estimate).length < 3) Atomics.wait(pause, 0, 0, 300);
        },
      });
      assert.equal(report.outcome, 'verified');
      assert.deepEqual(await tgt.fingerprint('fresh'), await src.fingerprint('fresh'));
      const over = seen.filter((x) => x.bytes > x.estimate);
      assert.ok(over.length > 0, `no progress beyond the estimate: ${JSON.stringify(seen.slice(-1))}`);
      for (const x of over) {
        assert.equal(x.fraction, null, x.line);
        assert.doesNotMatch(x.line, /%| of ~|left/, x.line);
        assert.match(x.line, /[\d.]+ [kM]?B so far/, x.line);
        assert.doesNotMatch(x.short, /%/, x.short);
      }
    });
  }
});

describe('names that need quotes are shown quoted (hostile s4 finding 10)', () => {
  for (const [from, to] of directions()) {
    it(`a role and a function whose names need quotes are named as SQL writes them (${from.major}→${to.major})`, async () => {
      const src = await TestDb.create(from, 'quoted');
      const tgt = await TestDb.create(to, 'quoted');
      const role = `r"q x ${src.name}`;
      const quotedRole = `"${role.replace(/"/g, '""')}"`;
      await src.sql(
        `CREATE ROLE ${quotedRole}; CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);
         GRANT SELECT ON t TO ${quotedRole};`,
      );
      try {
        const r = runCli([
          'migrate',
          '--source',
          src.url,
          '--target',
          tgt.url,
          '--create-missing',
          '--create-objects',
          '--yes',
        ]);
        assert.match(
          r.stdout,
          new RegExp(`the target has no role ${quotedRole.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
          r.stdout,
        );
        assert.deepEqual(await tgt.sql('SELECT id FROM t'), [{ id: 1 }]);
      } finally {
        await src.sql(`DROP OWNED BY ${quotedRole}; DROP ROLE ${quotedRole};`);
      }
      assert.equal(displayName('we"ird sch', 'select'), '"we""ird sch"."select"');
      assert.equal(displayName('public', 'selected'), 'public.selected');
    });
  }
});

// Resume that stays consistent: a parallel run lost to its source session (the snapshot's keeper)
// keeps its spool; `--resume` takes a new snapshot, asks the source's server for the count and digest
// of every spooled unit, reuses those that match and reads the rest again, and proves the result.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import type { Report, TableReport } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { throughSlowLink } from './support/link.js';
import { TestDb, directions, runCli } from './support/pg.js';

const DDL = `CREATE TABLE pages (id int PRIMARY KEY, n int, body text);
  CREATE TABLE notes (id int PRIMARY KEY, note text);`;
const FILL = `
  INSERT INTO pages SELECT g, g, repeat(md5(g::text), 8) FROM generate_series(1, 12000) g;
  INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 3000) g;`;

/** Ranges of about 64 kB: the table splits in dozens. */
const TINY_RANGES = 64 * 1024;

async function fixture(from: Parameters<typeof TestDb.create>[0], to: Parameters<typeof TestDb.create>[0]) {
  const src = await TestDb.create(from, 'src');
  const tgt = await TestDb.create(to, 'tgt');
  await src.sql(DDL + FILL);
  await tgt.sql(DDL);
  return { src, tgt, spoolDir: await mkdtemp(join(tmpdir(), 'archon-test-spool-')) };
}

/** The run's spool folders under `dir` and their files. */
async function spoolFolders(dir: string): Promise<{ name: string; files: string[] }[]> {
  const names = (await readdir(dir)).filter((f) => f.startsWith('archon-spool-'));
  return Promise.all(names.map(async (name) => ({ name, files: await readdir(join(dir, name)) })));
}

/**
 * A run with --jobs 4 whose source session (the snapshot's exporter, `archon (source)`), or target
 * session, is terminated once the writer has loaded a few units: the run fails and keeps its spool.
 * Meanwhile a side session asks for notes' exclusive lock, so the readers of notes wait behind it
 * and the run cannot end first.
 */
async function lostRun(
  src: TestDb,
  tgt: TestDb,
  spoolDir: string,
  extra: Record<string, unknown> = {},
  stop?: AbortController,
  lose: 'source' | 'target' = 'source',
): Promise<Report> {
  const where = lose === 'source' ? src : tgt;
  const side = new pg.Client({ connectionString: src.url });
  await side.connect();
  side.on('error', () => {});
  let held: Promise<unknown> | null = null;
  let pending: Promise<unknown> | null = null;
  try {
    const report = await migrate({
      source: src.url,
      target: tgt.url,
      jobs: 4,
      rangeBytes: TINY_RANGES,
      spoolDir,
      ...extra,
      onProgress: (e) => {
        if (e.type === 'copy-start' && !held)
          held = side.query(`SET lock_timeout = '30s'; BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE`);
        if (e.type !== 'pipeline' || e.unitsDone < 3 || pending) return;
        // A user's cancel instead, where one is asked for, at the same point.
        stop?.abort();
        pending = stop
          ? Promise.resolve()
          : where.sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (${lose})'`,
            );
      },
      ...(stop ? { signal: stop.signal } : {}),
    });
    assert.ok(pending, 'the run was stopped mid-load');
    await pending;
    await (held as Promise<unknown> | null)?.catch(() => {}); // granted once the run's session is gone, or refused after its lock_timeout
    return report;
  } finally {
    await side.query('ROLLBACK').catch(() => {});
    await side.end();
  }
}

interface Spooled {
  file: string;
  range: { index: number; fromPage: number; toPage: number | null } | null;
  table: string;
}

/** The whole units of the kept spool: their files and what their sidecars say. */
async function spooledUnits(dir: string): Promise<Spooled[]> {
  const names = (await readdir(dir)).filter((f) => /^unit-\d+\.json$/.test(f));
  return Promise.all(
    names.map(async (n) => {
      const s = JSON.parse(await readFile(join(dir, n), 'utf8'));
      return { file: join(dir, n.replace(/json$/, 'copy')), range: s.range, table: s.table.name };
    }),
  );
}

const holds = (u: Spooled, page: number): boolean =>
  u.range !== null && page >= u.range.fromPage && (u.range.toPage === null || page < u.range.toPage);

const pageOf = async (db: TestDb, id: number): Promise<number> =>
  Number((await db.sql(`SELECT (ctid::text::point)[0]::int AS p FROM pages WHERE id = ${id}`))[0].p);

const byName = (r: Report, table: string): TableReport => r.tables.find((t) => t.table === table)!;

/** After a verified resume: the target is the source now, and no spool is left. */
async function provenNow(report: Report, src: TestDb, tgt: TestDb, spoolDir: string): Promise<void> {
  assert.equal(report.outcome, 'verified', JSON.stringify(report.tables.map((t) => t.reason)));
  for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
  assert.deepEqual(await spoolFolders(spoolDir), [], 'no spool files left');
}

for (const [from, to] of directions()) {
  describe(`resume, PostgreSQL ${from.major} → ${to.major}`, () => {
    it('a run whose source session is lost mid-load keeps its spool and says where, what it holds and how to go on', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const report = await lostRun(src, tgt, spoolDir);
      assert.equal(report.committed, false);
      assert.notEqual(report.outcome, 'verified');
      assert.equal(await tgt.count('pages'), 0, 'rolled back');
      const kept = report.spoolKept;
      assert.ok(kept, `the spool is kept: ${JSON.stringify(report.error)}`);
      const folders = await spoolFolders(spoolDir);
      assert.equal(folders.length, 1);
      assert.equal(join(spoolDir, folders[0].name), kept.dir);
      assert.ok(folders[0].files.includes('run.json'), 'the run manifest is there');
      const sidecars = folders[0].files.filter((f) => /^unit-\d+\.json$/.test(f));
      assert.equal(sidecars.length, kept.units);
      assert.ok(kept.units > 0 && kept.bytes > 0);
      for (const text of [toText(report), toMarkdown(report)]) {
        const flat = text.replace(/\s+/g, ' ');
        assert.match(flat, /the spool was kept for a resume/);
        assert.ok(flat.includes(`archon migrate --resume ${kept.runId}`), flat);
        assert.ok(flat.includes(kept.dir), 'says where');
        assert.match(flat, /delete that folder to discard it/);
      }
    });

    it('--resume reuses every spooled unit the source still has, reads the rest, and proves the whole', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const lost = await lostRun(src, tgt, spoolDir);
      const kept = lost.spoolKept!;
      assert.ok(kept, 'kept');
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId });
      await provenNow(report, src, tgt, spoolDir);
      const r = report.resumed!;
      assert.equal(r.fromRun, kept.runId);
      assert.equal(r.reused, kept.units, 'every spooled unit still matched');
      assert.equal(r.reread, 0);
      const ranges = byName(report, 'pages').ranges!;
      const total = ranges.length + (byName(report, 'notes').ranges?.length ?? 1);
      assert.equal(r.read, total - r.reused, 'only the units not spooled were read from the source');
      assert.equal(
        ranges.filter((x) => x.reused).length + (r.reused - ranges.filter((x) => x.reused).length),
        r.reused,
      );
      assert.ok(r.bytesSaved > 0);
      const flat = toText(report).replace(/\s+/g, ' ');
      assert.ok(flat.includes(`resumed run ${kept.runId}: ${r.reused} unit`), flat);
      assert.equal(await tgt.count('pages'), 12000);
    });

    it('a row moved to another range between the failure and the resume: exactly the changed ranges are read again', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const units = (await spooledUnits(kept.dir)).filter((u) => u.table === 'pages' && u.range?.toPage);
      assert.ok(units.length > 0, 'a spooled range of pages that is not the last');
      const first = units[0].range!;
      const id = Number(
        (
          await src.sql(
            `SELECT id FROM pages WHERE ctid >= '(${first.fromPage},0)'::tid AND ctid < '(${first.toPage},0)'::tid ORDER BY id LIMIT 1`,
          )
        )[0].id,
      );
      const before = await pageOf(src, id);
      // A wider row does not fit its full page: the new version goes to another page, another range.
      await src.sql(`UPDATE pages SET body = body || repeat('x', 500) WHERE id = ${id}`);
      const after = await pageOf(src, id);
      assert.notEqual(after, before);
      const all = await spooledUnits(kept.dir);
      const changed = all.filter((u) => u.table === 'pages' && (holds(u, before) || holds(u, after)));
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: true });
      await provenNow(report, src, tgt, spoolDir);
      assert.equal(report.resumed!.reread, changed.length, JSON.stringify({ before, after, changed }));
      assert.equal(report.resumed!.reused, all.length - changed.length);
      const reused = byName(report, 'pages').ranges!.filter((x) => x.reused);
      for (const x of reused)
        assert.ok(!changed.some((u) => u.range!.index === x.index), `range ${x.index} was reused`);
    });

    it('a byte changed in a spooled unit is caught: that unit is read again, never loaded', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const [unit] = (await spooledUnits(kept.dir)).filter((u) => u.table === 'pages');
      const bytes = await readFile(unit.file);
      const at = bytes.indexOf(Buffer.from('a'), Math.floor(bytes.length / 2));
      bytes[at] = 'b'.charCodeAt(0);
      await writeFile(unit.file, bytes);
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId });
      await provenNow(report, src, tgt, spoolDir);
      assert.equal(report.resumed!.reread, 1);
      assert.equal(report.resumed!.reused, kept.units - 1);
    });

    it('an edited manifest whose ranges leave a gap is refused: a resume never sums a table from part of it', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const path = join(kept.dir, 'run.json');
      const manifest = JSON.parse(await readFile(path, 'utf8'));
      const pages = manifest.tables.find((t: { name: string }) => t.name === 'pages');
      pages.ranges[1].fromPage += 1; // the pages between range 0's end and this are read by no range
      await writeFile(path, JSON.stringify(manifest));
      const base = { source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId };
      await assert.rejects(
        migrate(base),
        /does not cover public\.pages from its first page to its last, each page once/,
      );
      pages.ranges.splice(1, 1); // a range left out
      await writeFile(path, JSON.stringify(manifest));
      await assert.rejects(migrate(base), /does not cover public\.pages/);
      assert.equal(await tgt.count('pages'), 0);
    });

    it('a unit file that is a pipe or a link to a device is never read (it would never end): read again instead', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const [a, b] = (await spooledUnits(kept.dir)).filter((u) => u.table === 'pages');
      await rm(a.file);
      execFileSync('mkfifo', [a.file]);
      await rm(b.file);
      await symlink('/dev/zero', b.file);
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId });
      await provenNow(report, src, tgt, spoolDir);
      assert.equal(report.resumed!.reread, 2);
    });

    it("a live run's spool is not taken by a resume; a killed run's is", async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const base = { source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId };
      // A process that is alive holds it (this test's parent stands in for a running Archon).
      await writeFile(join(kept.dir, 'run.lock'), `${process.ppid}\n`);
      await assert.rejects(migrate(base), new RegExp(`still in use by another Archon \\(process ${process.ppid}\\)`));
      // One that has ended (killed) does not.
      await writeFile(join(kept.dir, 'run.lock'), '2147483646\n');
      await provenNow(await migrate(base), src, tgt, spoolDir);
    });

    it('a resume with other options, or to another target, is refused and names what differs', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
      const base = { source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: kept.runId };
      await assert.rejects(migrate({ ...base, existing: 'append' }), /--existing replace then, append now/);
      await assert.rejects(migrate({ ...base, selection: { exclude: ['notes'] } }), /--exclude/);
      const other = await TestDb.create(to, 'tgt');
      await other.sql(DDL);
      await assert.rejects(migrate({ ...base, target: other.url }), /read from another target/);
      assert.equal(await other.count('pages'), 0);
      // A folder others may write to is not trusted, whatever it holds.
      await chmod(kept.dir, 0o755);
      await assert.rejects(migrate(base), /is not this user's own \(owner-only\) spool folder/);
      await chmod(kept.dir, 0o700);
      assert.equal((await spoolFolders(spoolDir)).length, 1, 'the spool stays for the right resume');
      const report = await migrate(base);
      await provenNow(report, src, tgt, spoolDir);
    });

    it('the target session lost mid-load: the run fails with its spool kept, and the resume loads it without reading it again', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const lost = await lostRun(src, tgt, spoolDir, {}, undefined, 'target');
      assert.equal(lost.committed, false);
      const kept = lost.spoolKept!;
      assert.ok(kept, `the spool is kept: ${JSON.stringify(lost.error)}`);
      assert.equal(await tgt.count('pages'), 0);
      const report = await migrate({ source: src.url, target: tgt.url, jobs: 4, spoolDir, resume: true });
      await provenNow(report, src, tgt, spoolDir);
      assert.equal(report.resumed!.reused, kept.units);
      assert.equal(report.resumed!.reread, 0);
    });

    it('the target lost once every unit was loaded: units that went straight to the writer were kept too, and nothing is read again', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      // A source slower than the target: the writer waits for each unit, which goes straight to it.
      let pending: Promise<unknown> | null = null;
      const lost = await throughSlowLink(src, 2 * 1024 * 1024, (source) =>
        migrate({
          source,
          target: tgt.url,
          jobs: 4,
          rangeBytes: TINY_RANGES,
          spoolDir,
          onProgress: (e) => {
            if (e.type !== 'phase' || e.phase !== 'verify' || pending) return;
            pending = tgt.sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (target)'`,
            );
          },
        }),
      );
      assert.ok(pending, 'the target was lost after the load');
      await pending;
      assert.equal(
        lost.committed,
        false,
        JSON.stringify([lost.outcome, lost.error, lost.tables.map((t) => [t.status, t.reason])]),
      );
      const units = lost.tables.reduce((n, t) => n + (t.ranges?.length ?? 1), 0);
      assert.equal(
        lost.spoolKept?.units,
        units,
        `every unit kept: ${JSON.stringify([lost.outcome, lost.spoolKept, lost.error, lost.tables.map((t) => [t.status, t.reason])])}`,
      );
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        jobs: 4,
        rangeBytes: TINY_RANGES,
        spoolDir,
        resume: true,
      });
      await provenNow(report, src, tgt, spoolDir);
      assert.deepEqual(
        { reused: report.resumed!.reused, read: report.resumed!.read },
        { reused: units, read: 0 },
        'every unit loaded from the spool, none read from the source',
      );
    });

    it('lost before any range was read whole: the report says nothing was kept for a resume', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      // pages alone (notes, small, would be whole at once), in ranges of 1 MB through a link of
      // 256 kB/s each: none is whole when the run's session goes.
      let pending: Promise<unknown> | null = null;
      const lost = await throughSlowLink(src, 256 * 1024, (source) =>
        migrate({
          source,
          target: tgt.url,
          jobs: 2,
          rangeBytes: 1024 * 1024,
          spoolDir,
          selection: { tables: ['pages'] },
          onProgress: (e) => {
            if (e.type !== 'pipeline' || pending) return;
            pending = src.sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (source)'`,
            );
          },
        }),
      );
      await pending;
      assert.equal(lost.committed, false);
      assert.equal(lost.spoolKept ?? null, null, JSON.stringify(lost.spoolKept));
      assert.equal(lost.keptNothing, true);
      assert.match(toText(lost), /nothing was kept for a resume: no range had been read whole/);
      assert.deepEqual(await spoolFolders(spoolDir), []);
    });

    it('a cancel removes the spool (the user chose to stop: nothing of the source stays on disk)', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const report = await lostRun(src, tgt, spoolDir, {}, new AbortController());
      assert.equal(report.outcome, 'cancelled');
      assert.equal(report.spoolKept ?? null, null);
      assert.deepEqual(await spoolFolders(spoolDir), []);
    });
  });
}

describe('resume from the CLI', () => {
  const [from, to] = directions()[0];

  it('migrate --resume RUN continues the failed run; the terminal and the JSON say what was reused', async () => {
    const { src, tgt, spoolDir } = await fixture(from, to);
    const kept = (await lostRun(src, tgt, spoolDir)).spoolKept!;
    const file = join(await mkdtemp(join(tmpdir(), 'archon-test-report-')), 'report.json');
    const args = ['migrate', '--source', src.url, '--target', tgt.url, '--yes', '--jobs', '4', '--spool-dir', spoolDir];
    const refused = runCli([...args, '--existing', 'append', '--resume', kept.runId]);
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stderr, /--existing replace then, append now/);
    const stray = runCli([...args, kept.runId]);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /a run id follows --resume/);
    const cli = runCli([...args, '--resume', kept.runId, '--report', file]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.ok(cli.stdout.replace(/\s+/g, ' ').includes(`resumed run ${kept.runId}`), cli.stdout);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
    assert.equal(report.resumed!.reused, kept.units);
    await provenNow(report, src, tgt, spoolDir);
    const again = runCli([...args, '--resume']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /no spool of a failed run between this source and target/);
  });
});

describe('resume after the process was killed', () => {
  const [from, to] = directions()[0];

  it('SIGKILL mid-load leaves the spool and its manifest; --resume continues it and removes it', async () => {
    const { src, tgt, spoolDir } = await fixture(from, to);
    // A target that checks some rows slowly: the writer is still loading when the readers have spooled.
    await tgt.sql(`CREATE FUNCTION slow() RETURNS bool LANGUAGE sql AS 'SELECT pg_sleep(0.02) IS NOT NULL';
      ALTER TABLE pages ADD CONSTRAINT slow CHECK (id % 60 <> 0 OR slow())`);
    const args = ['migrate', '--source', src.url, '--target', tgt.url, '--yes', '--jobs', '4', '--spool-dir', spoolDir];
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let units = 0;
    for (let i = 0; i < 300 && units < 1; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const [folder] = await spoolFolders(spoolDir);
      units = folder ? folder.files.filter((f) => /^unit-\d+\.json$/.test(f)).length : 0;
    }
    child.kill('SIGKILL');
    await exited;
    assert.ok(units >= 1, 'the run spooled a unit before it was killed');
    assert.equal(await tgt.count('pages'), 0, 'the target transaction went with the process');
    const [folder] = await spoolFolders(spoolDir);
    assert.ok(folder.files.includes('run.json'));
    const cli = runCli([...args, '--resume']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.match(cli.stdout.replace(/\s+/g, ' '), /resumed run [0-9a-f-]{36}: \d+ units? reused/);
    for (const t of ['pages', 'notes']) assert.deepEqual(await tgt.fingerprint(t), await src.fingerprint(t), t);
    assert.deepEqual(await spoolFolders(spoolDir), []);
  });
});

// Resume that stays consistent: a parallel run lost to its source session (the snapshot's keeper)
// keeps its spool; `--resume` takes a new snapshot, asks the source's server for the count and digest
// of every spooled unit, reuses those that match and reads the rest again, and proves the result.
import { strict as assert } from 'node:assert';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import type { Report } from '../src/shared/report.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import { toText } from '../src/shared/reportText.js';
import { TestDb, directions } from './support/pg.js';

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
 * A run with --jobs 4 whose source session (the snapshot's exporter, `archon (source)`) is terminated
 * once the writer has loaded a few units: the run fails and keeps its spool. Meanwhile a side session
 * asks for notes' exclusive lock, so the readers of notes wait behind it and the run cannot end first.
 */
async function lostRun(
  src: TestDb,
  tgt: TestDb,
  spoolDir: string,
  extra: Record<string, unknown> = {},
  stop?: AbortController,
): Promise<Report> {
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
          : src.sql(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'archon (source)'`,
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

    it('a cancel removes the spool (the user chose to stop: nothing of the source stays on disk)', async () => {
      const { src, tgt, spoolDir } = await fixture(from, to);
      const report = await lostRun(src, tgt, spoolDir, {}, new AbortController());
      assert.equal(report.outcome, 'cancelled');
      assert.equal(report.spoolKept ?? null, null);
      assert.deepEqual(await spoolFolders(spoolDir), []);
    });
  });
}

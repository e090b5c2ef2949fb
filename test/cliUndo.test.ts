// archon undo ended before its commit, by Ctrl-C or by a lost connection, while it waited for a lock:
// the --report file is written all the same, names the run it was taking back, and says what ended it;
// the target keeps what the run left.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { migrate } from '../src/engine/index.js';
import { TestDb, type TestServer, directions } from './support/pg.js';

const VAULT = 'CREATE TABLE vault (id int PRIMARY KEY, secret text);';

/** A verified run that replaced the target's one row, and a session that holds a lock on its table. */
async function migratedAndLocked(from: TestServer, to: TestServer) {
  const src = await TestDb.create(from, 'usrc');
  const tgt = await TestDb.create(to, 'utgt');
  await src.sql(`${VAULT} INSERT INTO vault VALUES (1, 'new'), (2, 'newer');`);
  await tgt.sql(`${VAULT} INSERT INTO vault VALUES (7, 'old');`);
  const report = await migrate({ source: src.url, target: tgt.url });
  assert.equal(report.outcome, 'verified', JSON.stringify(report.error));
  const holder = new pg.Client(tgt.url);
  await holder.connect();
  await holder.query('BEGIN; LOCK TABLE vault IN ACCESS SHARE MODE');
  return { tgt, run: report.undo!.runId!, holder };
}

/** Resolves once the undo's session waits on the server for the lock the holder keeps (5 s at most). */
async function waitingForLock(tgt: TestDb): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await tgt.sql(
      `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'archon (target)'
          AND wait_event_type = 'Lock'`,
    );
    if (r.length) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error('the undo never waited for the lock');
}

/** `archon undo` as a user runs it; `meanwhile` acts once it waits for the lock. */
async function undoWaiting(
  tgt: TestDb,
  file: string,
  meanwhile: (child: ReturnType<typeof spawn>) => Promise<void>,
): Promise<{ code: number | null; stderr: string }> {
  const args = ['dist/cli.js', 'undo', '--target', tgt.url, '--yes', '--lock-timeout', '60', '--report', file];
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await waitingForLock(tgt);
  await meanwhile(child);
  return { code: await exited, stderr };
}

for (const [from, to] of directions()) {
  describe(`undo ended before its commit writes its report, ${from.major} → ${to.major}`, () => {
    it('Ctrl-C while it waits for a lock: the report names the run, cancelled, nothing changed', async () => {
      const { tgt, run, holder } = await migratedAndLocked(from, to);
      const file = join(mkdtempSync(join(tmpdir(), 'archon-undo-cancel-')), 'u.json');
      try {
        const r = await undoWaiting(tgt, file, async (child) => {
          child.kill('SIGINT');
        });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /cancelled; the undo was rolled back, nothing changed/);
        const report = JSON.parse(readFileSync(file, 'utf8'));
        assert.equal(report.outcome, 'cancelled');
        assert.equal(report.committed, false);
        assert.equal(report.run?.id, run);
        assert.equal(report.run.policy, 'replace');
      } finally {
        await holder.end();
      }
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault ORDER BY id'), [
        { id: 1, secret: 'new' },
        { id: 2, secret: 'newer' },
      ]);
      assert.deepEqual(await tgt.sql('SELECT undone_at FROM archon.runs'), [{ undone_at: null }]);
    });

    it('the connection lost while it waits for a lock: the report is written with the error and the run', async () => {
      const { tgt, run, holder } = await migratedAndLocked(from, to);
      const file = join(mkdtempSync(join(tmpdir(), 'archon-undo-lost-')), 'u.json');
      try {
        const r = await undoWaiting(tgt, file, async () => {
          await tgt.sql(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = 'archon (target)' AND datname = current_database()`,
          );
        });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /^archon: the connection to the target .* was lost during undo/m);
        assert.match(r.stderr, /JSON report: /);
        assert.doesNotMatch(r.stderr, /unexpected error/);
        const report = JSON.parse(readFileSync(file, 'utf8'));
        assert.equal(report.outcome, 'failed');
        assert.equal(report.committed, false);
        assert.equal(report.run?.id, run);
        assert.match(report.error?.message ?? '', /^the connection to the target .* was lost during undo/);
        assert.ok(!JSON.stringify(report).includes(to.password), 'no password in the report');
      } finally {
        await holder.end();
      }
      assert.deepEqual(await tgt.sql('SELECT id, secret FROM vault ORDER BY id'), [
        { id: 1, secret: 'new' },
        { id: 2, secret: 'newer' },
      ]);
      assert.deepEqual(await tgt.sql('SELECT undone_at FROM archon.runs'), [{ undone_at: null }]);
    });
  });
}

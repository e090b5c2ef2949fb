// Throughput and memory of a migration through the shipped CLI (dist/cli.js), against a baseline
// measured in the same run: the time to merely read the same table out of the source with COPY.
// Run: npm run bench [-- rows]   (default 20,000 pages with 1,536-dim embeddings)
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { startServers } from '../scripts/pg-servers.mjs';

const rows = Number(process.argv[2] ?? 20000);

async function sql(url, text) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/** Runs the CLI to the end; its peak resident memory comes from the kernel's own high-water mark. */
async function runCli(args) {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  let peakKb = 0;
  const sample = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // The process has just ended.
    }
  };
  const timer = setInterval(sample, 10);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  return { code, peakBytes: peakKb * 1024 };
}

const [src, tgt] = await startServers([17, 15]);
try {
  const ddl = `CREATE TABLE pages (id int PRIMARY KEY, content text, embedding real[])`;
  await sql(src.url(), ddl);
  await sql(tgt.url(), ddl);
  await sql(
    src.url(),
    `INSERT INTO pages SELECT g, repeat('Lorem ipsum ' || g, 40), (SELECT array_agg(sin(g + d))::real[] FROM generate_series(1, 1536) d) FROM generate_series(1, ${rows}) g`,
  );
  const size = (await sql(src.url(), `SELECT pg_total_relation_size('pages') AS b`)).rows[0].b;

  const t0 = performance.now();
  const c = new pg.Client(src.url());
  await c.connect();
  await pipeline(
    c.query(copyStreams.to('COPY pages TO STDOUT (FORMAT binary)')),
    new Writable({ write: (_c, _e, cb) => cb() }),
  );
  await c.end();
  const readMs = performance.now() - t0;

  const reportFile = join(mkdtempSync(join(tmpdir(), 'archon-bench-')), 'report.json');
  const t1 = performance.now();
  const run = await runCli(['migrate', '--source', src.url(), '--target', tgt.url(), '--yes', '--report', reportFile]);
  const migrateMs = performance.now() - t1;
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (run.code !== 0 || report.outcome !== 'verified')
    throw new Error(`migration not verified: ${JSON.stringify(report.tables)}`);

  const mb = (b) => (b / 1048576).toFixed(0);
  console.log(`table: ${rows} rows, ${mb(size)} MB on disk, ${mb(report.tables[0].bytes)} MB on the wire`);
  console.log(`baseline (COPY out of the source only): ${(readMs / 1000).toFixed(2)} s`);
  console.log(
    `archon migrate, CLI process (read, write, count both sides, commit): ${(migrateMs / 1000).toFixed(2)} s = ${(migrateMs / readMs).toFixed(2)}x the baseline`,
  );
  console.log(`archon process peak RSS: ${mb(run.peakBytes)} MB for ${mb(report.tables[0].bytes)} MB copied`);
} finally {
  await Promise.all([src.stop(), tgt.stop()]);
}

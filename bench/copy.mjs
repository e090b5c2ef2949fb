// Throughput and memory of a migration, against a baseline measured in the same run:
// the time to merely read the same table out of the source with COPY (nothing written).
// Run: npm run build && node bench/copy.mjs [rows]   (default 20,000 pages with 1,536-dim embeddings)
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import { startServers } from '../scripts/pg-servers.mjs';

const require = createRequire(import.meta.url);
const { migrate } = require('../out/test/engine-entry.js');
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

const [src, tgt] = await startServers([17, 15]);
try {
  const ddl = `CREATE TABLE pages (id int PRIMARY KEY, content text, embedding real[])`;
  await sql(src.url(), ddl);
  await sql(tgt.url(), ddl);
  await sql(src.url(), `INSERT INTO pages SELECT g, repeat('Lorem ipsum ' || g, 40), (SELECT array_agg(sin(g + d))::real[] FROM generate_series(1, 1536) d) FROM generate_series(1, ${rows}) g`);
  const size = (await sql(src.url(), `SELECT pg_total_relation_size('pages') AS b`)).rows[0].b;

  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const rssBefore = process.memoryUsage().rss;

  const t0 = performance.now();
  const c = new pg.Client(src.url());
  await c.connect();
  await pipeline(c.query(copyStreams.to('COPY pages TO STDOUT (FORMAT binary)')), new Writable({ write: (_c, _e, cb) => cb() }));
  await c.end();
  const readMs = performance.now() - t0;

  const t1 = performance.now();
  const report = await migrate({ source: src.url(), target: tgt.url() });
  const migrateMs = performance.now() - t1;
  clearInterval(sampler);
  if (report.outcome !== 'verified') throw new Error(`migration not verified: ${JSON.stringify(report.tables)}`);

  const mb = (b) => (b / 1048576).toFixed(0);
  console.log(`table: ${rows} rows, ${mb(size)} MB on disk, ${mb(report.tables[0].bytes)} MB on the wire`);
  console.log(`baseline (COPY out of the source only): ${(readMs / 1000).toFixed(2)} s`);
  console.log(`archon migrate (read, write, count both sides, commit): ${(migrateMs / 1000).toFixed(2)} s = ${(migrateMs / readMs).toFixed(2)}x the baseline`);
  console.log(`process RSS: ${mb(rssBefore)} MB before, ${mb(peak)} MB peak (${mb(peak - rssBefore)} MB growth for ${mb(report.tables[0].bytes)} MB copied)`);
} finally {
  await Promise.all([src.stop(), tgt.stop()]);
}

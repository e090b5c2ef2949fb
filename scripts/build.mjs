// esbuild bundles: the report page (browser), the extension, the CLI (which embeds the report page
// for --html), and the tests (so they run as plain JS).
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const define = { ARCHON_VERSION: JSON.stringify(version) };
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  define,
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
    entryPoints: ['src/cliMain.ts'],
    outfile: 'dist/cli.js',
    banner: { js: '#!/usr/bin/env node' },
    minify: true,
    define: { ...define, ARCHON_REPORT_PAGE_JS: JSON.stringify(pageJs) },
  }),
  build({
    ...node,
    entryPoints: readdirSync('test')
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => `test/${f}`),
    outdir: 'out/test',
    packages: 'external',
    define: { ...define, ARCHON_REPORT_PAGE_JS: JSON.stringify(pageJs) },
  }),
]);

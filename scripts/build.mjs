// One esbuild call per bundle: the extension, the CLI, and the tests (so tests run as plain JS).
import { build } from 'esbuild';
import { readdirSync, readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning', define: { ARCHON_VERSION: JSON.stringify(version) } };

await Promise.all([
  build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'], minify: true }),
  build({ ...common, entryPoints: ['src/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' }, minify: true }),
  build({
    ...common,
    entryPoints: [...readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`), 'test/engine-entry.ts'],
    outdir: 'out/test',
    packages: 'external',
  }),
]);

// `npm run test:e2e` (after `npm run package`): builds the end-to-end test and runs it with node's
// test runner. code-server is installed on first use into a cache outside the repository.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { ensureCodeServer } from './code-server.mjs';
import { ensureChromium, ensureDebianPackages } from './system-deps.mjs';

ensureChromium();
ensureDebianPackages(['libkrb5-dev'], "code-server's native modules");
ensureCodeServer();
await build({
  entryPoints: ['test-e2e/e2e.test.ts'],
  outdir: 'out/e2e',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
});
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', 'out/e2e/e2e.test.mjs'], { stdio: 'inherit' });
process.exitCode = r.status ?? 1;

import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const vsce = (...args: string[]) => spawnSync('node_modules/.bin/vsce', args, { encoding: 'utf8' });

describe('the .vsix', () => {
  // The details page VS Code shows for the installed extension is its README, whose links lead into docs/:
  // the manual's text (and the README's one screenshot) travel with it, so they work offline.
  it('holds the bundles, the assets and the manual text only, and is small', () => {
    const ls = vsce('ls', '--no-dependencies');
    assert.equal(ls.status, 0, ls.stderr);
    const files = ls.stdout.trim().split('\n').sort();
    assert.deepEqual(files, [
      'CHANGELOG.md',
      'CONTRIBUTING.md',
      'LICENSE',
      'README.md',
      'dist/extension.js',
      'docs/architecture.md',
      'docs/benchmarks.md',
      'docs/cli.md',
      'docs/images/report-light.png',
      'docs/supabase.md',
      'docs/troubleshooting.md',
      'docs/undo.md',
      'docs/verification.md',
      'docs/vscode.md',
      'docs/what-archon-creates.md',
      'docs/what-archon-does.md',
      'media/archon.svg',
      'media/walkthrough/migrate.md',
      'media/walkthrough/plan.md',
      'media/walkthrough/report.md',
      'media/walkthrough/source.md',
      'media/walkthrough/target.md',
      'package.json',
      'webview-ui/dist/report.js',
    ]);
    const out = join(mkdtempSync(join(tmpdir(), 'archon-vsix-')), 'archon.vsix');
    const pack = vsce(
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      '--no-rewrite-relative-links',
      '--out',
      out,
    );
    assert.equal(pack.status, 0, pack.stderr + pack.stdout);
    assert.ok(statSync(out).size < 8 * 1024 * 1024, `${statSync(out).size} bytes`);
  });
});

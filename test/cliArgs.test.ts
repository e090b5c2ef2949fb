// What the command line alone decides, in the CLI's main() without a server or a process: usage
// errors, each command's help from the command table, and docs/cli.md held to that help.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runMain } from './support/cli.js';

describe('archon command line', () => {
  it('bad arguments: exit 2', async () => {
    assert.equal((await runMain(['migrate', '--source', 'mysql://x', '--target', 'postgresql://y/db'])).code, 2);
    assert.match(
      (await runMain(['migrate', '--source', 'mysql://x', '--target', 'postgresql://y/db'])).stderr,
      /the source must be a PostgreSQL URL/,
    );
    assert.match(
      (await runMain(['migrate', '--source', 'postgresql://a/db', '--target', 'postgresql://a/db', '--yes'])).stderr,
      /the same database/,
    );
    assert.match(
      (await runMain(['plan', '--source', 'postgresql://a/db', '--target', 'postgresql://b/db', '--existing', 'merge']))
        .stderr,
      /--existing must be one of/,
    );
    assert.equal((await runMain(['frobnicate'])).code, 2);
  });

  it("help undo and undo --help list undo's options and not migrate's; archon --help lists every command", async () => {
    for (const args of [
      ['help', 'undo'],
      ['undo', '--help'],
      ['undo', '-h'],
    ]) {
      const r = await runMain(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: archon undo \[RUN\] --target URL/);
      for (const option of [
        '--target URL',
        '--force',
        '--report FILE.json',
        '--markdown FILE.md',
        '--html FILE.html',
        '-y, --yes',
      ])
        assert.ok(r.stdout.includes(`\n  ${option} `), `${args.join(' ')}: ${option}`);
      for (const option of ['--source', '--existing', '--create-missing', '--ddl', '--counts-only', '--stall-timeout'])
        assert.ok(!r.stdout.includes(option), `${args.join(' ')}: not ${option}`);
    }
    const all = await runMain(['--help']);
    assert.equal(all.code, 0);
    for (const command of ['migrate', 'plan', 'compare', 'undo', 'history', 'backups'])
      assert.match(all.stdout, new RegExp(`\\n  archon ${command} `));
  });

  it('docs/cli.md lists each command and exactly the options its --help lists', async () => {
    const doc = readFileSync('docs/cli.md', 'utf8');
    const commands = [...(await runMain(['--help'])).stdout.matchAll(/^ {2}archon ([a-z]+) /gm)]
      .map((m) => m[1])
      .filter((c) => c !== 'help');
    assert.ok(commands.length >= 6, 'the help lists the commands');
    const sections = doc.split(/^## /m).slice(1);
    assert.deepEqual(sections.map((s) => /^`archon ([a-z]+)/.exec(s)?.[1]).filter(Boolean), commands);
    for (const command of commands) {
      const help = (await runMain([command, '--help'])).stdout;
      const fromHelp = [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
      const section = sections.find((s) => s.startsWith(`\`archon ${command}`))!;
      const fromDoc = [...section.matchAll(/^\| `(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]);
      assert.deepEqual(fromDoc, fromHelp, `docs/cli.md, archon ${command}`);
      const usage = /^Usage: (archon .*)$/m.exec(help)![1];
      assert.ok(section.includes(usage), `docs/cli.md, archon ${command}: the usage line "${usage}"`);
    }
  });
});

describe('--spool-dir, checked before either side is touched', () => {
  it('a folder that cannot hold the spool is refused by name, exit 2 (under /proc a recursive mkdir never returned)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'archon-spool-test-')), 'a-file');
    writeFileSync(file, 'x');
    const args = ['migrate', '--source', 'postgresql://a/db', '--target', 'postgresql://b/db', '--yes'];
    for (const [dir, words] of [
      ['/proc/nonexist', /--spool-dir \/proc\/nonexist: (its parent folder does not exist|it cannot be made)/],
      [join(file, 'x'), /--spool-dir \S+: (its parent folder does not exist|it cannot be made)/],
      ['/no-such-folder/spool', /--spool-dir \/no-such-folder\/spool: its parent folder does not exist/],
      [file, /--spool-dir \S+a-file: not a folder/],
      ['', /--spool-dir needs a folder/],
    ] as const) {
      const r = await runMain([...args, '--spool-dir', dir]);
      assert.equal(r.code, 2, `${dir}: ${r.stderr}`);
      assert.match(r.stderr, words);
    }
  });
});

// Every way Ctrl-C ends the CLI says what happened, with the documented exit code (1): one while a
// connection is still being made (a server that never answers), a second one while the first one's
// cancel is still at work.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { type Server, type Socket, createServer } from 'node:net';
import { describe, it } from 'node:test';
import { TestDb, testServers } from './support/pg.js';

/** A TCP port that takes connections and never answers one. */
async function silentServer(): Promise<{ server: Server; port: number; connected: Promise<void> }> {
  const sockets: Socket[] = [];
  let seen: () => void = () => {};
  const connected = new Promise<void>((resolve) => {
    seen = resolve;
  });
  const server = createServer((s) => {
    sockets.push(s);
    seen();
  });
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, connected };
}

/** Runs the built CLI and sends SIGINT once per entry, when it resolves; resolves with the CLI's end. */
function interrupted(
  args: string[],
  signals: ((stderr: () => string) => Promise<void>)[],
): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string }> {
  const child = spawn(process.execPath, ['dist/cli.js', ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  void (async () => {
    for (const when of signals) {
      await when(() => stderr);
      child.kill('SIGINT');
    }
  })();
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })));
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
};

describe('Ctrl-C in the CLI', () => {
  it('while the source is being reached: a cancel, exit 1, said', async () => {
    const silent = await silentServer();
    const tgt = await TestDb.create(testServers()[17], 'sigtgt');
    try {
      const source = `postgresql://postgres@127.0.0.1:${silent.port}/x?connect_timeout=2`;
      const ended = await interrupted(
        ['migrate', '--source', source, '--target', tgt.url, '--yes'],
        [() => silent.connected],
      );
      assert.equal(ended.signal, null, JSON.stringify(ended));
      assert.equal(ended.code, 1, JSON.stringify(ended));
      assert.match(ended.stderr, /Cancelling: rolling back the target/);
      assert.match(ended.stderr, /archon: cancelled before anything was written\n$/);
    } finally {
      silent.server.close();
    }
  });

  it('a second Ctrl-C while the first cancel is at work: stopped at once, exit 1, said', async () => {
    const silent = await silentServer();
    const tgt = await TestDb.create(testServers()[17], 'sigtgt');
    try {
      const source = `postgresql://postgres@127.0.0.1:${silent.port}/x?connect_timeout=30`;
      const ended = await interrupted(
        ['migrate', '--source', source, '--target', tgt.url, '--yes'],
        // The first one is heard (its message is out) before the second is sent.
        [() => silent.connected, (stderr) => until(() => stderr().includes('Cancelling'))],
      );
      assert.equal(ended.signal, null, JSON.stringify(ended));
      assert.equal(ended.code, 1, JSON.stringify(ended));
      assert.match(ended.stderr, /archon: stopped at once by a second signal while rolling back the target/);
      assert.deepEqual(await tgt.sql(`SELECT nspname FROM pg_namespace WHERE nspname = 'archon'`), []);
    } finally {
      silent.server.close();
    }
  });
});

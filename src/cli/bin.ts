// The `archon` executable (dist/cli.js): the process's terminal, environment and exit code wired to
// the CLI adapter's main().
import { createInterface } from 'node:readline/promises';
import { main } from './index.js';
import { answerSignals } from './terminal.js';

answerSignals({ err: (s) => process.stderr.write(s) });

// `archon history | head` closes the pipe early: the reader has what it wanted, which is no error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: Boolean(process.stdin.isTTY),
  ask: async (q, signal) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(q, signal ? { signal } : {});
    } finally {
      rl.close();
    }
  },
}).then((code) => {
  process.exitCode = code;
});

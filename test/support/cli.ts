// The CLI's main() run in this process, as the `archon` executable would run it: for what the command
// line alone decides (usage, help, refusals), where starting a process per case only costs time.
import { main } from '../../src/cli/index.js';

export async function runMain(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    env,
    isTTY: false,
    // No terminal: a question is answered by the end of the input, as `runCli`'s empty stdin does.
    ask: async () => '',
  });
  return { code, stdout, stderr };
}

// The CLI adapter: a command line read against the command table, then handed to its command.
import { parseArgs } from 'node:util';
import { UsageError, VERSION } from '../engine/index.js';
import { visible } from '../shared/names.js';
import { assertNumbers, joinNegativeNumbers, repeatedOption, valueMistake } from './argv.js';
import { type Command, COMMANDS, commandNamed } from './commands.js';
import { commandHelp, mainHelp } from './help.js';
import { OPTIONS, type OptionName, type Values, parseConfig } from './options.js';
import { type CliIo, EXIT, failure } from './terminal.js';

export type { CliIo } from './terminal.js';
export { cliHint } from './terminal.js';

const ALL = Object.keys(OPTIONS) as OptionName[];

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(typed: string[], io: CliIo): Promise<number> {
  const secrets: string[] = [];
  const argv = joinNegativeNumbers(typed);
  try {
    // Read once with every option known, only to find the command: its own options are checked next.
    const scan = parseArgs({
      args: argv,
      options: parseConfig(ALL),
      allowPositionals: true,
      strict: false,
      tokens: true,
    });
    const [name, ...rest] = scan.positionals;
    if (name === undefined || name === 'help') return helpOnly(name, rest[0], scan.values as Values, io);
    const command = commandNamed(name);
    if (!command) throw new UsageError(`unknown command "${name}"; use ${COMMANDS.map((c) => c.name).join(', ')}`);
    const mistake = valueMistake(scan.tokens, argv) ?? repeatedOption(scan.tokens);
    if (mistake) throw new UsageError(mistake);
    const refused = refusedOption(command, scan.tokens);
    if (refused) return refuse(command, refused, io);
    if (scan.values.help) {
      io.out(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    const options = parseConfig([...command.options, 'help']);
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
    const args = positionals.slice(1);
    if (args.length > command.maxArgs) throw new UsageError(`unexpected argument "${args[command.maxArgs]}"`);
    assertNumbers(values as Values);
    return await command.run(values as Values, args, io, secrets);
  } catch (e) {
    return failure(e, io, secrets);
  }
}

/** No command: the version, the help, or a command's help (`archon help undo`). */
function helpOnly(name: string | undefined, about: string | undefined, values: Values, io: CliIo): number {
  if (name === undefined && values.version) {
    io.out(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (about !== undefined) {
    const command = commandNamed(about);
    if (!command) throw new UsageError(`no command "${about}"; use ${COMMANDS.map((c) => c.name).join(', ')}`);
    io.out(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  io.out(`${mainHelp()}\n`);
  // `archon` alone asked for nothing: the help, and an exit that says no command ran.
  return name === 'help' || values.help ? EXIT.ok : EXIT.usage;
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** The first option the command does not take, as it was typed; null when every one is the command's. */
function refusedOption(command: Command, tokens: Token[]): { typed: string; known: boolean } | null {
  for (const t of tokens) {
    if (t.kind !== 'option' || t.name === 'help' || command.options.includes(t.name as OptionName)) continue;
    const known = ALL.includes(t.name as OptionName);
    return { typed: known ? `--${t.name}` : t.rawName, known };
  }
  return null;
}

/** A usage error that names the option, the command and the commands that take it, then the usage line. */
function refuse(command: Command, refused: { typed: string; known: boolean }, io: CliIo): number {
  const takers = COMMANDS.filter((c) => c.options.includes(refused.typed.slice(2) as OptionName)).map((c) => c.name);
  const why = refused.known
    ? `${command.name} does not take ${refused.typed}${takers.length ? ` (${takers.join(', ')} ${takers.length === 1 ? 'does' : 'do'})` : ''}`
    : `${command.name}: unknown option ${refused.typed}`;
  io.err(`archon: ${visible(why)}\n`);
  io.err(`Usage: archon ${command.usage}\n(archon ${command.name} --help lists its options)\n`);
  return EXIT.usage;
}

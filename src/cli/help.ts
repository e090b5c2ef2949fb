// `archon --help` and `archon COMMAND --help`, both from the command table.
import { VERSION } from '../engine/index.js';
import { type Command, COMMANDS } from './commands.js';
import { OPTIONS, type OptionName, optionSynopsis } from './options.js';
import { wrap } from '../shared/reportText.js';

const WIDTH = 100;
const OPTION_COLUMN = 24;

const ABOUT = `A URL is postgresql://user@host:5432/dbname?sslmode=require, or a key-value string in quotes:
"host=db.example.com port=5432 dbname=app user=reader sslmode=require".

Passwords: in the URL, in ARCHON_SOURCE_PASSWORD / ARCHON_TARGET_PASSWORD, PGPASSWORD or ~/.pgpass.
They never appear in output or reports.

ARCHON_DEBUG=trips prints, after a run, each phase's time and round trips to each server on stderr.

Exit codes: 0 every selected table verified; 1 a table was skipped, mismatched or failed;
2 the run could not start (bad arguments, connection failure).`;

/** Words filled into lines of `width`, each after `indent` but the first. */
const fill = (text: string, width: number, indent: string): string => wrap(text, width).join(`\n${indent}`);

/** Two columns: the left padded, the right filled to the width and indented under itself. */
function columns(left: string, right: string, at: number): string {
  const indent = ' '.repeat(at);
  const head = left.length < at - 1 ? left.padEnd(at) : `${left}\n${indent}`;
  return `${head}${fill(right, WIDTH - at, indent)}`;
}

export function mainHelp(): string {
  const width = 55;
  const lines = COMMANDS.map((c) => columns(`  archon ${c.usage}`, c.summary, width));
  lines.push(columns('  archon help COMMAND', "that command's options", width));
  return `archon ${VERSION}: copy PostgreSQL tables from a source to a target with COPY, and verify them.

Usage:
${lines.join('\n')}

archon COMMAND --help (or archon help COMMAND) lists the options that command takes; any other
option is refused. archon --version prints the version.

${ABOUT}`;
}

export function commandHelp(c: Command): string {
  const names: OptionName[] = [...c.options, 'help'];
  const options = names.map((n) => columns(`  ${optionSynopsis(n)}`, OPTIONS[n].help, OPTION_COLUMN));
  return `Usage: archon ${c.usage}

${fill(`${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, WIDTH, '')}

Options:
${options.join('\n')}

${ABOUT}`;
}

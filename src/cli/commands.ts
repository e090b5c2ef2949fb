// The CLI's commands, one entry each: what it is for, its usage line, the options it takes and the
// function that runs it. Help, docs/cli.md and the refusal of an option a command does not take all
// read this table.
import { runBackups } from './backups.js';
import { runHistory } from './history.js';
import { runCompare, runMigrate, runPlan } from './migrate.js';
import type { OptionName, Values } from './options.js';
import type { CliIo } from './terminal.js';
import { runUndo } from './undo.js';

export interface Command {
  name: string;
  /** The usage line, without the leading `archon `. */
  usage: string;
  /** What it does, in a line or two. */
  summary: string;
  /** The options it takes (besides --help); every other option is refused. */
  options: readonly OptionName[];
  /** How many words may follow the command's name. */
  maxArgs: number;
  run: (values: Values, args: string[], io: CliIo, secrets: string[]) => Promise<number>;
}

const SELECT: OptionName[] = ['schema', 'table', 'exclude', 'include-platform-schema'];
const REPORTS: OptionName[] = ['report', 'markdown', 'html'];
/** What migrate and plan both take: the tables, the rows already there, the changes to the target's tables. */
const PLANNED: OptionName[] = [
  'source',
  'target',
  ...SELECT,
  'existing',
  'create-missing',
  'add-columns',
  'create-objects',
];

export const COMMANDS: readonly Command[] = [
  {
    name: 'migrate',
    usage: 'migrate --source URL --target URL [options]',
    summary: 'copy, verify counts and content, commit only if every table verifies',
    options: [
      ...PLANNED,
      'no-backup',
      'lock-timeout',
      'stall-timeout',
      'jobs',
      'spool-dir',
      'spool-limit',
      'resume',
      ...REPORTS,
      'yes',
    ],
    // The run id that --resume takes (a flag with an optional value: parseArgs has none).
    maxArgs: 1,
    run: runMigrate,
  },
  {
    name: 'plan',
    usage: 'plan --source URL --target URL [options]',
    summary: 'show what migrate would do; nothing is written',
    options: [...PLANNED, 'ddl', 'no-backup', 'lock-timeout'],
    maxArgs: 0,
    run: runPlan,
  },
  {
    name: 'compare',
    usage: 'compare --source URL --target URL [options]',
    summary: 'compare counts and content of both sides; nothing is written',
    options: ['source', 'target', ...SELECT, 'counts-only', 'lock-timeout', ...REPORTS],
    maxArgs: 0,
    run: runCompare,
  },
  {
    name: 'undo',
    usage: 'undo [RUN] --target URL [options]',
    summary: 'take a migration back (default: the latest one that can be); verified, all or nothing',
    options: ['target', 'force', 'lock-timeout', ...REPORTS, 'yes'],
    maxArgs: 1,
    run: runUndo,
  },
  {
    name: 'history',
    usage: 'history --target URL',
    summary: 'the migrations on a target, newest first',
    options: ['target', 'lock-timeout'],
    maxArgs: 0,
    run: runHistory,
  },
  {
    name: 'backups',
    usage: 'backups drop RUN|--older-than AGE --target URL [options]',
    summary: 'drop undo backups (those runs can no longer be undone)',
    options: ['target', 'older-than', 'lock-timeout', ...REPORTS, 'yes'],
    maxArgs: 2,
    run: runBackups,
  },
];

export const commandNamed = (name: string | undefined): Command | undefined => COMMANDS.find((c) => c.name === name);

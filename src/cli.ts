import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CancelledError,
  ConnectionError,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  LockTimeoutError,
  type PlanResult,
  type ProgressEvent,
  type Selection,
  UsageError,
  VERSION,
  compare,
  ddlScript,
  migrate,
  parseEndpoints,
  parseUrl,
  planMigration,
  RunProgress,
  phaseText,
  progressLine,
  redact,
  remedyOf,
  runLine,
} from './engine/index.js';
import { estimatedRowsText, formatBytes, formatCount, seconds } from './shared/format.js';
import { displayName, visible } from './shared/names.js';
import {
  EXISTING_POLICIES,
  type ExistingPolicy,
  type Report,
  headline,
  serverText,
  trafficLine,
} from './shared/report.js';
import { toJson } from './shared/reportJson.js';
import { toMarkdown } from './shared/reportMarkdown.js';
import { toText } from './shared/reportText.js';
import { platformGroups } from './shared/reportPlatform.js';
import { objectGroups, objectLines, objectsHeading } from './shared/reportObjects.js';
import { standaloneReportHtml } from './reportPage.js';
import { JOURNAL_COMMANDS, JOURNAL_USAGE, type JournalCommand, describeUndo, runJournalCommand } from './cliUndo.js';

const USAGE = `archon ${VERSION}: copy PostgreSQL tables from a source to a target with COPY, and verify them.

Usage:
  archon migrate --source URL --target URL [options]   copy, verify counts and content, commit only if
                                                       every table verifies
  archon plan    --source URL --target URL [options]   show what migrate would do; nothing is written
  archon compare --source URL --target URL [options]   compare counts and content of both sides;
                                                       nothing is written
${JOURNAL_USAGE}

Options:
  --source URL          the database to read from (never written); or ARCHON_SOURCE_URL
  --target URL          the database to write to; or ARCHON_TARGET_URL
  --schema S            only tables in schema S (repeatable; default: every non-system schema;
                        "S" in double quotes matches that exact case)
  --table T             only table T: name, schema.name, "Quoted"."Name", * wildcards (repeatable)
  --exclude T           leave table T out (repeatable)
  --include-platform-schema
                        also copy a hosted platform's internal schemas and tables (Supabase's
                        supabase_migrations, vault, realtime, auth.schema_migrations, ...); never
                        by default: a warning is shown for each
  --existing POLICY     rows already in the target: replace (default) | append | skip-nonempty
  --report FILE.json    write the report as JSON
  --markdown FILE.md    write the report as Markdown
  --html FILE.html      write the report as a page (the same page as the VS Code report panel)
  --counts-only         compare: row counts only, content not read (the quick check)
  --create-missing      migrate, plan: create the selected tables the target lacks (schema, types,
                        sequences, keys, indexes, foreign keys) in the run's transaction
  --add-columns         migrate, plan: add to existing target tables the source columns they lack
  --ddl FILE.sql        plan: write the DDL that migrate --create-missing would run (implies it)
  --lock-timeout SEC    give up when a table stays locked by another session this long (default 60)
  --stall-timeout SEC   give up when a copy moves no data this long (default 120)
  --no-backup           do not keep the rows replace/append remove (the run cannot be undone)
  --yes                 do not ask for confirmation (required without a terminal)
  -h, --help            this help

A URL is postgresql://user@host:5432/dbname?sslmode=require, or a key-value string in quotes:
"host=db.example.com port=5432 dbname=app user=reader sslmode=require".

Passwords: in the URL, in ARCHON_SOURCE_PASSWORD / ARCHON_TARGET_PASSWORD, PGPASSWORD or ~/.pgpass.
They never appear in output or reports.

Exit codes: 0 every selected table verified; 1 a table was skipped, mismatched or failed;
2 the run could not start (bad arguments, connection failure).`;

type Command = 'migrate' | 'plan' | 'compare';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Reads an answer; the signal abandons the question (and lets go of the terminal). */
  ask: (question: string, signal?: AbortSignal) => Promise<string>;
}

const OPTIONS = {
  source: { type: 'string' },
  target: { type: 'string' },
  schema: { type: 'string', multiple: true },
  table: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  'include-platform-schema': { type: 'boolean' },
  existing: { type: 'string' },
  report: { type: 'string' },
  markdown: { type: 'string' },
  html: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  'counts-only': { type: 'boolean' },
  'create-missing': { type: 'boolean' },
  'add-columns': { type: 'boolean' },
  ddl: { type: 'string' },
  'lock-timeout': { type: 'string' },
  'stall-timeout': { type: 'string' },
  'no-backup': { type: 'boolean' },
  force: { type: 'boolean' },
  'older-than': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];
type Output = [file: string | undefined, flag: string, what: string, render: (r: Report) => string];

/** A command line understood and checked: nothing has connected yet. */
interface Invocation {
  command: Command;
  common: {
    source: string;
    target: string;
    env: NodeJS.ProcessEnv;
    selection: Selection;
    existing: ExistingPolicy;
    lockTimeoutMs: number;
    stallTimeoutMs: number;
    createMissing: boolean;
    addColumns: boolean;
    backup: boolean;
  };
  /** plan --ddl: where the DDL script goes. */
  ddl: string | null;
  yes: boolean;
  countsOnly: boolean;
  outputs: Output[];
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const secrets: string[] = [];
  try {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    if (values.version) {
      io.out(`${VERSION}\n`);
      return 0;
    }
    const command = positionals[0] as Command | undefined;
    if (values.help || !command) {
      io.out(`${USAGE}\n`);
      return values.help ? 0 : 2;
    }
    if (JOURNAL_COMMANDS.includes(command as JournalCommand))
      return await runJournalCommand(command as JournalCommand, values, positionals.slice(1), io, secrets);
    if (!['migrate', 'plan', 'compare'].includes(command)) {
      throw new UsageError(`unknown command "${command}"; use migrate, plan, compare, undo, history or backups`);
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    return await run(invocation(command, values, io, secrets), io);
  } catch (e) {
    return failure(e, io, secrets);
  }
}

/** Checks everything that can be checked before connecting; `secrets` learns the passwords to hide. */
function invocation(command: Command, values: Values, io: CliIo, secrets: string[]): Invocation {
  const source = values.source ?? io.env.ARCHON_SOURCE_URL;
  const target = values.target ?? io.env.ARCHON_TARGET_URL;
  const fromEnv = [io.env.ARCHON_SOURCE_PASSWORD, io.env.ARCHON_TARGET_PASSWORD, io.env.PGPASSWORD];
  secrets.push(...[source, target].flatMap((u) => passwordOf(u)), ...fromEnv.filter((p): p is string => !!p));
  if (!source) throw new UsageError('missing --source URL (the database to read from)');
  if (!target) throw new UsageError('missing --target URL (the database to write to)');
  const existing = (values.existing ?? 'replace') as ExistingPolicy;
  if (!EXISTING_POLICIES.includes(existing)) {
    throw new UsageError(`--existing must be one of ${EXISTING_POLICIES.join(', ')} (got "${values.existing}")`);
  }
  parseEndpoints({ source, target, env: io.env }); // bad URLs are reported before anything else
  const outputs: Output[] = [
    [values.report, '--report', 'JSON report', toJson],
    [values.markdown, '--markdown', 'Markdown report', toMarkdown],
    [values.html, '--html', 'HTML report', standaloneReportHtml],
  ];
  // A report that cannot be written must be known before the target is touched, not after.
  for (const [file, flag] of outputs) {
    if (file === '') throw new UsageError(`${flag} needs a file name`);
    if (file) assertWritable(file, flag);
  }
  // Links count as the file they point at: two reports must never overwrite each other.
  const files = outputs
    .map(([file]) => file && (existsSync(file) ? realpathSync(file) : resolve(file)))
    .filter((f) => f);
  if (new Set(files).size < files.length) throw new UsageError('--report, --markdown and --html need a file each');
  if (values['counts-only'] && command !== 'compare') throw new UsageError('--counts-only goes with compare');
  for (const flag of ['create-missing', 'add-columns'] as const)
    if (values[flag] && command === 'compare') throw new UsageError(`--${flag} goes with migrate or plan`);
  if (values.ddl !== undefined && command !== 'plan') throw new UsageError('--ddl goes with plan');
  if (values.ddl === '') throw new UsageError('--ddl needs a file name');
  if (values.ddl) assertWritable(values.ddl, '--ddl');
  const selection = {
    schemas: values.schema,
    tables: values.table,
    exclude: values.exclude,
    includePlatform: !!values['include-platform-schema'],
  };
  const common = {
    source,
    target,
    env: io.env,
    selection,
    existing,
    lockTimeoutMs: milliseconds('--lock-timeout', values['lock-timeout'], DEFAULT_LOCK_TIMEOUT_MS),
    stallTimeoutMs: milliseconds('--stall-timeout', values['stall-timeout'], DEFAULT_STALL_TIMEOUT_MS),
    createMissing: !!values['create-missing'] || !!values.ddl,
    addColumns: !!values['add-columns'],
    backup: !values['no-backup'],
  };
  const ddl = values.ddl ?? null;
  return { command, common, ddl, yes: !!values.yes, countsOnly: !!values['counts-only'], outputs };
}

/**
 * Runs `fn` with a signal that Ctrl-C and SIGTERM abort: the engine then cancels what its sessions
 * are doing on the server, so nothing keeps waiting there after Archon has gone.
 */
export async function cancellable<T>(io: CliIo, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    io.err(`\nCancelling: ${what}…\n`);
    // Should the process end before the command returns its code, it still does not say success.
    process.exitCode = 1;
    controller.abort();
  };
  for (const signal of CANCEL_SIGNALS) process.once(signal, onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    for (const signal of CANCEL_SIGNALS) process.removeListener(signal, onSignal);
  }
}

async function run(inv: Invocation, io: CliIo): Promise<number> {
  if (inv.command === 'plan') {
    const planned = await cancellable(io, 'nothing was written', (signal) => planMigration({ ...inv.common, signal }));
    io.out(describePlan(planned, inv.common));
    if (inv.ddl) writeDdl(inv.ddl, planned, io);
    const tables = planned.plan.tables;
    return tables.length > 0 && tables.every((t) => t.action === 'copy') && planned.plan.unmatched.length === 0 ? 0 : 1;
  }
  const report =
    inv.command === 'compare'
      ? await cancellable(io, 'nothing is written', (signal) =>
          compare({ ...inv.common, countsOnly: inv.countsOnly, onProgress: progressPrinter(io), signal }),
        )
      : await runMigrate(inv, io);
  io.out(`\n${toText(report)}\n${headline(report)}\n`);
  const traffic = trafficLine(report);
  if (traffic) io.out(`${traffic}\n`);
  if (report.error) io.out(`Error: ${visible(report.error.message)}\n`);
  if (report.undo && report.committed) io.out(describeUndo(report.undo));
  let written = true;
  for (const [file, , what, render] of inv.outputs) {
    if (!file) continue;
    try {
      writeFileSync(file, render(report));
      io.err(`${what}: ${file}\n`);
    } catch (e) {
      // The run is over (perhaps committed): say so, and never exit 2, which reads "nothing happened".
      const done = report.committed ? 'the migration was committed; ' : '';
      io.err(`archon: ${done}${what} not written to ${file}: ${(e as Error).message}\n`);
      written = false;
    }
  }
  return report.outcome === 'verified' && written ? 0 : 1;
}

/** The plan first, then a confirmation; Ctrl-C rolls the target back. */
async function runMigrate(inv: Invocation, io: CliIo): Promise<Report> {
  if (!inv.yes && !io.isTTY) {
    throw new UsageError('refusing to write to the target without confirmation: no terminal to ask on; pass --yes');
  }
  return cancellable(io, 'rolling back the target', (signal) =>
    migrate({
      ...inv.common,
      signal,
      onProgress: progressPrinter(io),
      confirm: async (planned) => {
        io.out(describePlan(planned, inv.common));
        if (!planned.plan.tables.some((t) => t.action === 'copy')) return true;
        if (inv.yes) return true;
        return confirmed(io, signal);
      },
    }),
  );
}

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The answer at "Proceed?"; Ctrl-C or a closed terminal there declines, and nothing is written. */
export async function confirmed(io: CliIo, signal: AbortSignal): Promise<boolean> {
  // A signal (kill -INT, kill -TERM) while the prompt waits declines too, as the keystroke does.
  try {
    return /^y(es)?$/i.test((await io.ask('Proceed? [y/N] ', signal)).trim());
  } catch {
    io.err('\nInterrupted at the prompt: nothing was written.\n');
    return false;
  }
}

/** Exit code 2 with a message that names what went wrong and where, never a password. */
function failure(e: unknown, io: CliIo, secrets: string[]): number {
  if (e instanceof CancelledError) {
    io.err('archon: cancelled before anything was written\n');
    return 1;
  }
  if (
    e instanceof ConnectionError ||
    e instanceof UsageError ||
    e instanceof LockTimeoutError ||
    (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    io.err(`archon: ${visible(redact(`${(e as Error).message}${cliHint(e)}`, secrets))}\n`);
  } else {
    io.err(`archon: unexpected error: ${redact(String((e as Error)?.stack ?? e), secrets)}\n`);
  }
  return 2;
}

/** A report that cannot be written must be known before the target is touched: try it. */
function assertWritable(file: string, flag: string): void {
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder; name a file`);
    try {
      accessSync(file, constants.W_OK);
    } catch {
      throw new UsageError(`${flag} ${file}: the file exists and is not writable`);
    }
    return;
  }
  try {
    // Created and removed at once: the only test that a folder (or /proc, or a full disk) takes it.
    closeSync(openSync(file, 'wx'));
    unlinkSync(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES') {
      throw new UsageError(`${flag} ${file}: the folder does not exist or is not writable`);
    }
    throw new UsageError(`${flag} ${file}: cannot be written (${(e as Error).message})`);
  }
}

/** A time option in seconds, as milliseconds; the default when it is not given. */
export function milliseconds(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const seconds = Number(text);
  // PostgreSQL's timeouts are 32-bit milliseconds: about 24 days at most.
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 2_000_000) {
    throw new UsageError(`${flag} takes seconds, more than 0 and at most 2000000 (got "${text}")`);
  }
  return seconds * 1000;
}

export function passwordOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const p = parseUrl(url, 'source').password;
    return p ? [p] : [];
  } catch {
    return [];
  }
}

/** Where a terminal user can put things right; VS Code users get their own words for the same remedy. */
export function cliHint(e: unknown): string {
  const remedy = remedyOf(e);
  switch (remedy?.kind) {
    case 'password': {
      const side = e instanceof ConnectionError ? `ARCHON_${e.role.toUpperCase()}_PASSWORD, ` : '';
      return ` (check the password in the URL, ${side}PGPASSWORD or ~/.pgpass)`;
    }
    case 'sslmode':
      return ` (use ${remedy.use.map((m) => `sslmode=${m}`).join(' or ')} in the URL for this server)`;
    case 'force-undo':
      return ' (pass --force to restore anyway)';
    case 'list-runs':
      return ' (archon history lists the runs)';
    case 'lock-wait':
      return ' (the wait is set by --lock-timeout)';
    default:
      return '';
  }
}

const POLICY_WORDS: Record<ExistingPolicy, string> = {
  replace: 'replace (the tables are emptied first)',
  append: 'append (existing rows are kept)',
  'skip-nonempty': 'skip tables that have rows',
};

/** plan --ddl: the statements a run with --create-missing would execute, as a script a person can read. */
function writeDdl(file: string, { source, target, plan }: PlanResult, io: CliIo): void {
  const header = [
    `archon ${VERSION}: DDL for the selected tables missing on the target`,
    `FROM ${source.label} (PostgreSQL ${source.serverVersion}) TO ${target.label} (PostgreSQL ${target.serverVersion})`,
  ];
  writeFileSync(file, ddlScript(plan, header));
  io.err(`DDL: ${file}\n`);
}

/** What the run keeps for undo, in the plan's words. */
function keptLines(undo: PlanResult['undo'], existing: ExistingPolicy): string[] {
  if (!undo.possible) return [`  Undo: ${visible(undo.reason ?? '')}; this run cannot be taken back.`];
  const kept = undo.kept.map(
    (k) => `  KEEP  the ${formatCount(k.rows)} row(s) now in ${displayName(k.schema, k.table)}; undo restores them`,
  );
  const where = `in the schema "archon" on the target (about ${formatBytes(undo.bytes)}; --no-backup keeps nothing)`;
  if (existing === 'skip-nonempty') return ['  Undo: possible (archon undo); it empties the tables this run loads.'];
  return [`  Undo: possible (archon undo); the rows replaced or appended to are kept ${where}`, ...kept];
}

function describePlan({ source, target, plan, undo }: PlanResult, given: FlagsGiven): string {
  const copies = plan.tables.filter((t) => t.action === 'copy');
  const skips = plan.tables.filter((t) => t.action === 'skip');
  const creates = copies.filter((t) => t.create?.kind === 'create').length;
  const creating = creates ? ` (creating ${creates} of them on the target first)` : '';
  const lines = [
    `Archon will copy ${copies.length} table${copies.length === 1 ? '' : 's'}${creating}`,
    `  FROM  ${source.label}  (${serverText(source)}; read-only: one snapshot, nothing is written there)`,
    `  TO    ${target.label}  (${serverText(target)})`,
    `  Rows already in the target: ${POLICY_WORDS[plan.existing]}`,
    `  All in one target transaction: committed only if every table's row count and content match;`,
    `  otherwise rolled back.`,
    '',
  ];
  const width = Math.max(10, ...plan.tables.map((t) => displayName(t.schema, t.table).length));
  for (const t of copies) {
    const est = estimatedRowsText(t.estimatedRows);
    const how = `${t.format}${t.empties ? ', emptied first' : ''}`;
    const name = displayName(t.schema, t.table).padEnd(width);
    const verb = t.create ? { create: 'CREATE+COPY', 'add-columns': 'ALTER+COPY' }[t.create.kind] : 'COPY';
    lines.push(`  ${verb}  ${name}  ${est.padStart(14)}  ${formatBytes(t.bytes).padStart(8)}  ${how}`);
    for (const n of t.notes) lines.push(`          note: ${visible(n)}`);
  }
  for (const t of skips)
    lines.push(`  SKIP  ${displayName(t.schema, t.table).padEnd(width)}  ${visible(t.reason ?? '')}`);
  for (const u of plan.unmatched) lines.push(`  NOT FOUND  ${visible(u)}: matched no table on the source`);
  for (const g of platformGroups(plan))
    lines.push(`  LEAVE ${visible(g.names.join(', '))}`, `          ${visible(g.reason)}`);
  lines.push(...objectsPlanLines(plan));
  lines.push(...flagHints(skips, given));
  // Nothing to copy, nothing to take back.
  if (copies.length) lines.push('', ...keptLines(undo, plan.existing));
  return `${lines.join('\n')}\n\n`;
}

/** How many names of each kind the plan shows; the JSON report has them all. */
const NAMES_SHOWN = 4;

/** The objects the target lacks that the run does not create: the counts, then each kind with its first names. */
function objectsPlanLines(plan: PlanResult['plan']): string[] {
  const r = { kind: 'migrate' as const, objects: plan.objects };
  const heading = objectsHeading(r);
  if (!heading) return [];
  const cut = objectGroups(r).some((g) => g.names.length > NAMES_SHOWN);
  const more = cut ? ['    (the JSON report, --report FILE.json, lists every one)'] : [];
  return ['', `  ${visible(heading)}`, ...objectLines(r, NAMES_SHOWN).map((l) => `    ${l}`), ...more];
}

type FlagsGiven = { createMissing?: boolean; addColumns?: boolean };

/** Skips a flag would lift, said in the CLI's words (the engine's reasons name no flag); not a flag already given. */
function flagHints(skips: PlanResult['plan']['tables'], given: FlagsGiven): string[] {
  const count = (kind: string) => skips.filter((t) => t.skip === kind).length;
  const tables = (n: number) => `${n} table${n === 1 ? '' : 's'}`;
  const hints: string[] = [];
  const missing = count('missing-on-target');
  if (missing && !given.createMissing)
    hints.push(`  hint: --create-missing creates the ${tables(missing)} missing on the target`);
  const lacking = count('missing-columns');
  if (lacking && !given.addColumns)
    hints.push(`  hint: --add-columns adds the missing source columns to ${tables(lacking)} on the target`);
  return hints;
}

function progressPrinter(io: CliIo): (e: ProgressEvent) => void {
  // On a terminal the table at work and the totals rewrite one line; elsewhere (a log) each event is a
  // line of its own, with the totals when a table finishes.
  const progress = new RunProgress();
  let lastLine = 0;
  return (e) => {
    progress.update(e);
    const n = 'index' in e ? `[${e.index + 1}/${e.total}] ` : '';
    switch (e.type) {
      case 'phase':
        // A stage's next table rewrites the terminal's line, with the stage's own progress.
        if (e.at && io.isTTY) io.err(`\r${visible(runLine(progress.snapshot()))}\x1b[K`);
        else io.err(`${io.isTTY ? '\r\x1b[K' : ''}… ${visible(phaseText(e))}\n`);
        break;
      case 'table-start':
        if (!io.isTTY) io.err(`${n}${displayName(e.schema, e.table)}: started\n`);
        break;
      case 'table-progress': {
        // A line at most twice a second: a terminal over ssh should not be flooded.
        if (!io.isTTY || Date.now() - lastLine < 500) break;
        lastLine = Date.now();
        const p = progress.snapshot();
        io.err(`\r${visible(runLine(p))}\x1b[K`);
        break;
      }
      case 'table-done': {
        const start = io.isTTY ? '\r' : '';
        io.err(`${start}${n}${displayName(e.schema, e.table)}: ${formatCount(e.rows)} rows`);
        io.err(`${e.bytes ? `, ${formatBytes(e.bytes)}` : ''} in ${seconds(e.durationMs)}`);
        io.err(` · ${progressLine(progress.snapshot())}${io.isTTY ? '\x1b[K' : ''}\n`);
        break;
      }
    }
  };
}

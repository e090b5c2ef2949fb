// migrate, plan and compare: the commands between a source and a target.
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_JOBS,
  DEFAULT_SPOOL_LIMIT,
  DEFAULT_STALL_TIMEOUT_MS,
  type PlanResult,
  type Selection,
  UsageError,
  checkSpoolDir,
  compare,
  migrate,
  parseEndpoints,
  planMigration,
} from '../engine/index.js';
import { visible } from '../shared/names.js';
import { EXISTING_POLICIES, type ExistingPolicy, type Report, headline, trafficLine } from '../shared/report.js';
import { toJson } from '../shared/reportJson.js';
import { toMarkdown } from '../shared/reportMarkdown.js';
import { toText } from '../shared/reportText.js';
import { phaseLines } from '../shared/reportPhases.js';
import { standaloneReportHtml } from '../reportPage.js';
import type { Values } from './options.js';
import { progressPrinter } from './progress.js';
import { describePlan, writeDdl } from './planText.js';
import { type Output, assertWritable, reportOutputs, writeReports } from './reports.js';
import {
  type CliIo,
  EXIT,
  assertCanAsk,
  byteSize,
  cancellable,
  confirmed,
  milliseconds,
  secretsOf,
  wholeNumber,
} from './terminal.js';
import { describeUndo } from './undo.js';

/** What migrate, plan and compare hand the engine: checked before anything connects. */
interface Between {
  source: string;
  target: string;
  env: NodeJS.ProcessEnv;
  selection: Selection;
  existing: ExistingPolicy;
  lockTimeoutMs: number;
  stallTimeoutMs: number;
  /** Source sessions reading at once (--jobs), and where and how much the spool between them and the target holds. */
  jobs: number;
  spoolDir?: string;
  spoolLimit: number;
  createMissing: boolean;
  addColumns: boolean;
  createObjects: boolean;
  backup: boolean;
}

/** More sessions than this would take a hosted server's connection slots for little more speed. */
const MAX_JOBS = 32;

const REPORTS = { json: toJson, markdown: toMarkdown, html: standaloneReportHtml };

/** Checks everything that can be checked before connecting; `secrets` learns the passwords to hide. */
function between(values: Values, io: CliIo, secrets: string[]): Between {
  const source = values.source ?? io.env.ARCHON_SOURCE_URL;
  const target = values.target ?? io.env.ARCHON_TARGET_URL;
  secrets.push(...secretsOf([source, target], io.env));
  if (!source) throw new UsageError('missing --source URL (the database to read from)');
  if (!target) throw new UsageError('missing --target URL (the database to write to)');
  const existing = (values.existing ?? 'replace') as ExistingPolicy;
  if (!EXISTING_POLICIES.includes(existing)) {
    throw new UsageError(`--existing must be one of ${EXISTING_POLICIES.join(', ')} (got "${values.existing}")`);
  }
  parseEndpoints({ source, target, env: io.env }); // bad URLs are reported before anything else
  const selection = {
    schemas: values.schema,
    tables: values.table,
    exclude: values.exclude,
    includePlatform: !!values['include-platform-schema'],
  };
  return {
    source,
    target,
    env: io.env,
    selection,
    existing,
    lockTimeoutMs: milliseconds('--lock-timeout', values['lock-timeout'], DEFAULT_LOCK_TIMEOUT_MS),
    stallTimeoutMs: milliseconds('--stall-timeout', values['stall-timeout'], DEFAULT_STALL_TIMEOUT_MS),
    jobs: wholeNumber('--jobs', values.jobs, DEFAULT_JOBS, MAX_JOBS),
    ...spoolDirOf(values['spool-dir']),
    spoolLimit: byteSize('--spool-limit', values['spool-limit'], DEFAULT_SPOOL_LIMIT),
    createMissing: !!values['create-missing'] || !!values.ddl,
    addColumns: !!values['add-columns'],
    createObjects: !!values['create-objects'],
    backup: !values['no-backup'],
  };
}

/** plan: both sides read, nothing written; exit 0 only when every selected table would be copied. */
export async function runPlan(values: Values, _args: string[], io: CliIo, secrets: string[]): Promise<number> {
  const common = between(values, io, secrets);
  if (values.ddl === '') throw new UsageError('--ddl needs a file name');
  if (values.ddl) assertWritable(values.ddl, '--ddl');
  const planned = await cancellable(io, 'nothing was written', (signal) => planMigration({ ...common, signal }));
  // plan writes no report: compare is the command that reads both sides and writes one.
  io.out(describePlan(planned, { ...common, reportFlag: 'compare --report' }));
  if (values.ddl) writeDdl(values.ddl, planned, io);
  const tables = planned.plan.tables;
  const all = tables.length > 0 && tables.every((t) => t.action === 'copy') && planned.plan.unmatched.length === 0;
  return all ? EXIT.ok : EXIT.notVerified;
}

/** compare: counts and content of both sides; nothing is written. */
export async function runCompare(values: Values, _args: string[], io: CliIo, secrets: string[]): Promise<number> {
  const common = between(values, io, secrets);
  const outputs = reportOutputs(values, REPORTS);
  const report = await cancellable(io, 'nothing is written', (signal) =>
    compare({ ...common, countsOnly: !!values['counts-only'], onProgress: progressPrinter(io), signal }),
  );
  return finish(report, outputs, io);
}

/** migrate: the plan first, then a confirmation; Ctrl-C rolls the target back. */
export async function runMigrate(values: Values, args: string[], io: CliIo, secrets: string[]): Promise<number> {
  if (args.length && !values.resume)
    throw new UsageError(`unexpected argument "${args[0]}" (a run id follows --resume)`);
  const common = between(values, io, secrets);
  const resume = values.resume ? (args[0] ?? true) : undefined;
  const outputs = reportOutputs(values, REPORTS);
  assertCanAsk(values.yes, io);
  const report = await cancellable(io, 'rolling back the target', (signal) =>
    migrate({
      ...common,
      ...(resume ? { resume } : {}),
      signal,
      onProgress: progressPrinter(io),
      confirm: async (planned: PlanResult) => {
        io.out(describePlan(planned, common));
        if (!planned.plan.tables.some((t) => t.action === 'copy')) return true;
        if (values.yes) return true;
        return confirmed(io, signal);
      },
    }),
  );
  return finish(report, outputs, io);
}

/** ARCHON_DEBUG names what to log on stderr, comma-separated (`trips`: time and round trips per phase). */
const debugging = (env: NodeJS.ProcessEnv, what: string): boolean =>
  (env.ARCHON_DEBUG ?? '').split(',').some((w) => w.trim() === what);

/** The report in the terminal, then in the files asked for; exit 0 only when it is verified and written. */
function finish(report: Report, outputs: Output<Report>[], io: CliIo): number {
  io.out(`\n${toText(report)}\n${headline(report)}\n`);
  // A debug log, never part of the normal output: where the run's time and round trips went.
  if (debugging(io.env, 'trips')) io.err(`${phaseLines(report).join('\n')}\n`);
  const traffic = trafficLine(report);
  if (traffic) io.out(`${traffic}\n`);
  if (report.error) io.out(`Error: ${visible(report.error.message)}\n`);
  if (report.undo && report.committed) io.out(describeUndo(report.undo));
  const written = writeReports(outputs, report, io, report.committed ? 'the migration was committed; ' : '');
  return report.outcome === 'verified' && written ? EXIT.ok : EXIT.notVerified;
}

/** --spool-dir, checked (and made when only its last part is missing) before either side is touched. */
function spoolDirOf(dir: string | undefined): { spoolDir?: string } {
  if (dir === undefined) return {};
  checkSpoolDir(dir, '--spool-dir');
  return { spoolDir: dir };
}

// The plan in the terminal's words: the direction, each table's verb and size, the skips with the
// flag that lifts them, what the target lacks and what the run keeps for undo; plan --ddl's script.
import { writeFileSync } from 'node:fs';
import { type PlanResult, VERSION, ddlScript } from '../engine/index.js';
import { estimatedRowsText, formatBytes, formatCount } from '../shared/format.js';
import { displayName, visible } from '../shared/names.js';
import { type ExistingPolicy, serverText } from '../shared/report.js';
import { platformGroups } from '../shared/reportPlatform.js';
import { objectGroups, objectLines, objectsHeading } from '../shared/reportObjects.js';
import type { CliIo } from './terminal.js';

const POLICY_WORDS: Record<ExistingPolicy, string> = {
  replace: 'replace (the tables are emptied first)',
  append: 'append (existing rows are kept)',
  'skip-nonempty': 'skip tables that have rows',
};

/** plan --ddl: the statements a run with --create-missing would execute, as a script a person can read. */
export function writeDdl(file: string, { source, target, plan }: PlanResult, io: CliIo): void {
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

export function describePlan({ source, target, plan, undo, jobs }: PlanResult, given: FlagsGiven): string {
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
    ...readsText(jobs, given),
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
  lines.push(...objectsPlanLines(plan, given.reportFlag ?? '--report'));
  lines.push(...flagHints(skips, given, plan.objects));
  // Nothing to copy, nothing to take back.
  if (copies.length) lines.push('', ...keptLines(undo, plan.existing));
  return `${lines.join('\n')}\n\n`;
}

/** How many names of each kind the plan shows; the JSON report has them all. */
const NAMES_SHOWN = 4;

/** The objects the target lacks that the run does not create: the counts, then each kind with its first names. */
function objectsPlanLines(plan: PlanResult['plan'], reportFlag: string): string[] {
  const r = { kind: 'migrate' as const, objects: plan.objects };
  const heading = objectsHeading(r);
  if (!heading) return [];
  const cut = objectGroups(r).some((g) => g.names.length > NAMES_SHOWN);
  const more = cut ? [`    (the JSON report, ${reportFlag} FILE.json, lists every one)`] : [];
  return ['', `  ${visible(heading)}`, ...objectLines(r, NAMES_SHOWN).map((l) => `    ${l}`), ...more];
}

/** The flags given, and how this command gets a JSON report (plan writes none: compare does). */
type FlagsGiven = {
  createMissing?: boolean;
  addColumns?: boolean;
  createObjects?: boolean;
  reportFlag?: string;
  spoolLimit?: number;
};

/** How the source is read (--jobs): one stream per table, or sessions sharing one snapshot with a spool. */
function readsText(jobs: number | undefined, given: FlagsGiven): string[] {
  if (jobs === undefined) return [];
  if (jobs < 2) return ['  Source reads: one session, each table streamed straight into the target (--jobs 1).'];
  const limit = given.spoolLimit ? ` (at most ${formatBytes(given.spoolLimit)})` : '';
  return [
    `  Source reads: ${jobs} sessions on the one snapshot (--jobs ${jobs}), big tables in ranges of pages;`,
    `  rows read ahead of the target wait in a spool on local disk${limit}, removed after the run.`,
  ];
}

/** Skips a flag would lift, said in the CLI's words (the engine's reasons name no flag); not a flag already given. */
function flagHints(
  skips: PlanResult['plan']['tables'],
  given: FlagsGiven,
  objects: PlanResult['plan']['objects'] = [],
): string[] {
  const count = (kind: string) => skips.filter((t) => t.skip === kind).length;
  const tables = (n: number) => `${n} table${n === 1 ? '' : 's'}`;
  const hints: string[] = [];
  const missing = count('missing-on-target');
  if (missing && !given.createMissing)
    hints.push(`  hint: --create-missing creates the ${tables(missing)} missing on the target`);
  const lacking = count('missing-columns');
  if (lacking && !given.addColumns)
    hints.push(`  hint: --add-columns adds the missing source columns to ${tables(lacking)} on the target`);
  // The engine's reason names the flag exactly where the flag would create the object.
  const creatable = objects.filter((o) => o.status === 'not created' && o.reason.includes('--create-objects')).length;
  if (creatable && !given.createObjects)
    hints.push(
      `  hint: --create-objects creates the functions, views and triggers (on created tables) the target lacks (${creatable} listed above)`,
    );
  return hints;
}

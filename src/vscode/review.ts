// The review step's rows (Migrate Database and Retry Failed Tables), without `vscode` so it can be
// unit-tested. It has to stay readable with hundreds of tables: identical reasons are grouped into
// one row (its tables listed on demand), reasons that would lose data come first, and the totals
// and an estimated time sit under the direction.
import type { PlanResult, SkipKind, TablePlan } from '../engine/index.js';
import { COMPACT_FROM, compactCount, formatBytes, formatCount, plural } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import { type SchemaObject, serverText } from '../shared/report.js';
import { kindCount, namesText, objectGroups, objectsHeading } from '../shared/reportObjects.js';
import { platformReviewLine } from './platformView.js';
import { undoReviewLine } from './undoModel.js';

interface ReviewLine {
  label: string;
  detail?: string;
  kind: 'start' | 'from' | 'to' | 'totals' | 'empties' | 'undo' | 'skip' | 'group' | 'note' | 'nothing' | 'skipped';
  /** A group row's key: choosing the row shows or hides its tables. */
  group?: string;
}

/** A table or partitioned table (or a partition of one) on the source, not a view, matview or foreign table. */
const isTable = (t: TablePlan) => t.source.kind === 'table' || t.source.kind === 'partitioned table';

/** What the skipped relation is, for counting it: "table", "view", "materialized view", "foreign table". */
const relationWord = (t: TablePlan) => (isTable(t) ? 'table' : t.source.kind);

/** Where a table's name stood in its reason, so that reasons differing only by the name group together. */
const NAME = '\u0000';
/** How many names a group row's detail lists before "…". */
const NAMED = 5;

/** The key of the row that lists every skipped table with its reason, right under Start. */
export const SKIPPED = 'skipped';

/**
 * A rough rate for the estimate: between two servers COPY usually moves tens of MB/s; sizes on disk
 * include indexes. The estimate only sets expectations; the progress shows the real rate.
 */
const BYTES_PER_SECOND = 20 * 1024 * 1024;
const SECONDS_PER_TABLE = 0.05;

interface Group {
  key: string;
  /** The reason or note, with NAME where the table's name stood (and each count's range, for notes). */
  text: string;
  names: string[];
  /** Each table's own text, with NAME where its name stood (in the order of `names`). */
  texts: string[];
  /** The engine's kind of skip reason (the same for every table with the same reason). */
  skip?: SkipKind | null;
  /** What the entries are ("table", "view"), for counting them; the same for every entry of a reason. */
  word?: string;
  /** A note that warns (rows may be refused, weaker row security): shown with a warning, not an info. */
  warn?: boolean;
}

/** Copying the table as it stands would lose data (a source column the target lacks, a lossy type). */
const isLoss = (g: Group) => g.skip === 'data-loss' || g.skip === 'missing-columns';

/**
 * A count in a note ("(3 statement(s): 2 before the rows"): a number standing as a word. Numbers
 * inside a type or a value (`numeric(6,2)`, `41.3 s`) are part of what the note says, so they stay.
 */
const COUNT = /(?<=^|[\s(])\d+(?=\s)/g;

/**
 * Groups entries by what they say. `byCounts` lets texts that differ only by their counts share a
 * group, whose text then gives each count's range ("3–4 statement(s)"): a review of 15 created tables
 * is one row about creating them, not one row per statement count.
 */
function groupsOf(
  kind: string,
  entries: { name: string; text: string; skip?: SkipKind | null; word?: string; warn?: boolean }[],
  byCounts = false,
): Group[] {
  const byText = new Map<string, Group>();
  for (const { name, text, skip, word, warn } of entries) {
    const t = text.split(name).join(NAME);
    // A warning quotes a definition, whose numbers are part of what it says: never a range.
    const key = byCounts && !warn ? t.replace(COUNT, '#') : t;
    const g = byText.get(key) ?? { key: `${kind}:${key}`, text: t, names: [], texts: [], skip, word, warn };
    g.names.push(name);
    g.texts.push(t);
    byText.set(key, g);
  }
  return [...byText.values()].map((g) => ({ ...g, text: countRanges(g.texts) }));
}

/** The texts of a group as one: where their counts differ, the range ("3–4"). */
function countRanges(texts: string[]): string {
  const [first] = texts;
  if (texts.every((t) => t === first)) return first;
  const counts = texts.map((t) => (t.match(COUNT) ?? []).map(Number));
  let at = 0;
  return first.replace(COUNT, () => {
    const values = counts.map((c) => c[at]);
    at++;
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? String(low) : `${low}–${high}`;
  });
}

/** "about 3 min" for `bytes` in `tables` tables. */
function estimatedTime(bytes: number, tables: number): string {
  const s = bytes / BYTES_PER_SECOND + tables * SECONDS_PER_TABLE;
  if (s < 10) return 'under 10 s';
  if (s < 90) return `about ${Math.round(s / 5) * 5} s`;
  if (s < 90 * 60) return `about ${Math.round(s / 60)} min`;
  return `about ${(s / 3600).toFixed(1)} h`;
}

/** The review step: the direction in words, the totals, what gets emptied, the skips and notes grouped. */
export function reviewLines(
  p: PlanResult,
  sourceName: string,
  targetName: string,
  shown: ReadonlySet<string> = new Set(),
): ReviewLine[] {
  const copies = p.plan.tables.filter((t) => t.action === 'copy');
  const skips = p.plan.tables.filter((t) => t.action === 'skip');
  const lines = headLines(p, sourceName, targetName, shown);
  const emptied = copies.filter((t) => t.empties);
  if (emptied.length) {
    lines.push({
      label: `$(trash) ${plural(emptied.length, 'target table')} will be emptied first`,
      detail: emptied.map((t) => displayName(t.schema, t.table)).join(', '),
      kind: 'empties',
    });
  }
  if (copies.length) lines.push(undoReviewLine(p));
  const skipGroups = groupsOf(
    'skip',
    skips.map((t) => ({
      name: displayName(t.schema, t.table),
      text: t.reason ?? '',
      skip: t.skip,
      word: relationWord(t),
    })),
  );
  // Data loss first; otherwise the plan's order (a stable sort).
  const loss = (g: Group) => Number(isLoss(g));
  skipGroups.sort((a, b) => loss(b) - loss(a));
  // Listed in full under Start, the groups would only say it again.
  // (Views and the like are not in that list: they are no selected table.)
  const listed = (g: Group) => shown.has(SKIPPED) && g.word === 'table';
  for (const g of skipGroups) if (!listed(g)) lines.push(...skipRows(g, shown));
  if (p.plan.unmatched.length)
    lines.push({ label: `$(warning) Not found on the source: ${p.plan.unmatched.join(', ')}`, kind: 'skip' });
  lines.push(...platformReviewLine(p.plan.platformTables));
  lines.push(...objectRows(p.plan.objects));
  const notes = copies.flatMap((t) =>
    t.notes.map((text) => ({ name: displayName(t.schema, t.table), text, warn: t.warnings.includes(text) })),
  );
  for (const g of groupsOf('note', notes, true)) lines.push(...noteRows(g, shown));
  return lines;
}

/** The source's objects the target lacks and the run does not create: the counts, then a row per kind. */
function objectRows(objects: SchemaObject[]): ReviewLine[] {
  const r = { kind: 'migrate' as const, objects };
  const heading = objectsHeading(r);
  if (!heading) return [];
  const detail =
    'Archon copies tables, and creates them when asked (with the types, owned sequences and extensions they ' +
    'need); not these. The report lists each one';
  return [
    { label: `$(circle-slash) ${heading}`, detail, kind: 'note' },
    ...objectGroups(r).map(
      (g): ReviewLine => ({
        label: `$(dash) ${kindCount(g.kind, g.names.length)}: ${namesText(g.names, NAMED)}`,
        detail: g.reason,
        kind: 'note',
      }),
    ),
  ];
}

const ONE_TRANSACTION = 'One transaction on the target: committed only if every table verifies, otherwise rolled back.';

/** The skipped tables, largest first: what a partial run leaves behind matters by its size. */
const bySize = (tables: TablePlan[]) => [...tables].sort((a, b) => b.bytes - a.bytes);

const sized = (t: TablePlan) => `${displayName(t.schema, t.table)} (${formatBytes(t.bytes)})`;

/**
 * The row Enter starts: "copy 4 tables", or, when selected tables are skipped, "copy 4 of 15 selected
 * tables (11 skipped)" with a warning and the largest of them named, so a partial run is never taken
 * for the whole.
 */
function startLine(copies: TablePlan[], skips: TablePlan[]): ReviewLine {
  if (!copies.length)
    return {
      label: '$(circle-slash) Nothing to copy',
      detail: 'Every selected table is skipped; go back to change the selection.',
      kind: 'nothing',
    };
  if (!skips.length)
    return {
      label: `$(play) Start migration: copy ${plural(copies.length, 'table')}`,
      detail: ONE_TRANSACTION,
      kind: 'start',
    };
  const total = copies.length + skips.length;
  const largest = bySize(skips).slice(0, 2).map(sized);
  const more = skips.length > largest.length ? `, and ${skips.length - largest.length} more` : '';
  return {
    label: `$(warning) Start migration: copy ${copies.length} of ${total} selected tables (${skips.length} skipped)`,
    detail: `Not copied: ${largest.join(', ')}${more}; their reasons are listed below. ${ONE_TRANSACTION}`,
    kind: 'start',
  };
}

const whyLabel = (n: number) => `Why ${plural(n, 'selected table')} ${n === 1 ? 'is' : 'are'} skipped`;

/** One step from Start: a row that lists every skipped table with its size and reason, largest first. */
function skippedLines(skips: TablePlan[], shown: ReadonlySet<string>): ReviewLine[] {
  if (!skips.length) return [];
  const open = shown.has(SKIPPED);
  const n = skips.length;
  const listed = bySize(skips);
  const row: ReviewLine = {
    label: `$(list-flat) ${whyLabel(n)}`,
    detail: open
      ? `choose this row to hide the list`
      : `choose this row to list ${n === 1 ? 'it' : `each`} with its reason: ${listed.slice(0, NAMED).map(sized).join(', ')}${n > NAMED ? ', …' : ''}`,
    kind: 'skipped',
    group: SKIPPED,
  };
  if (!open) return [row];
  const loss = (t: TablePlan) => t.skip === 'data-loss' || t.skip === 'missing-columns';
  return [
    row,
    ...listed.map(
      (t): ReviewLine => ({
        label: `${loss(t) ? '$(error)' : '$(warning)'} Skipped: ${sized(t)}`,
        detail: t.reason ?? '',
        kind: 'skip',
      }),
    ),
  ];
}

function headLines(
  p: PlanResult,
  sourceName: string,
  targetName: string,
  shown: ReadonlySet<string> = new Set(),
): ReviewLine[] {
  const copies = p.plan.tables.filter((t) => t.action === 'copy');
  // A view (or another relation that is no table) named in the selection is said among the skips,
  // never counted as a selected table.
  const skips = p.plan.tables.filter((t) => t.action === 'skip' && isTable(t));
  const n = plural(copies.length, 'table');
  const lines: ReviewLine[] = [
    startLine(copies, skips),
    ...(copies.length ? skippedLines(skips, shown) : []),
    // The direction in words, one side per row so neither is cut off.
    {
      label: `$(lock) Copy ${n} FROM ${sourceName} (${serverText(p.source)}, read-only)`,
      detail: p.source.label,
      kind: 'from',
    },
    {
      label: `$(arrow-down) TO ${targetName} (${serverText(p.target)})`,
      detail: p.target.label,
      kind: 'to',
    },
  ];
  if (!copies.length) return lines;
  const rows = copies.reduce((sum, t) => sum + (t.estimatedRows ?? 0), 0);
  const bytes = copies.reduce((sum, t) => sum + t.bytes, 0);
  lines.push({
    label:
      `$(database) In all: ${n} · ~${rows < COMPACT_FROM ? formatCount(rows) : compactCount(rows)} rows · ` +
      `${formatBytes(bytes)} · ${estimatedTime(bytes, copies.length)}`,
    detail: `Estimated from the source's statistics and sizes on disk; the progress shows the real rate.${readsDetail(p.jobs)}`,
    kind: 'totals',
  });
  return lines;
}

/** How the source is read, when more than one session reads it (the setting archon.jobs). */
const readsDetail = (jobs: number | undefined): string =>
  jobs && jobs > 1
    ? ` Read by ${jobs} source sessions on one snapshot (archon.jobs), big tables in ranges of their pages.`
    : '';

function namesDetail(g: Group, shown: ReadonlySet<string>): string {
  const open = shown.has(g.key);
  if (open) return `choose this row to hide the ${g.names.length} tables`;
  const listed = g.names.slice(0, NAMED).join(', ') + (g.names.length > NAMED ? ', …' : '');
  return `choose this row to list the ${g.names.length} tables: ${listed}`;
}

function skipRows(g: Group, shown: ReadonlySet<string>): ReviewLine[] {
  const icon = isLoss(g) ? '$(error)' : '$(warning)';
  const [name] = g.names;
  if (g.names.length === 1)
    return [{ label: `${icon} Skipped: ${name}`, detail: g.text.split(NAME).join(name), kind: 'skip' }];
  // A missing table's reason goes on to say what to do; the headline needs only what happened.
  const gist = g.skip === 'missing-on-target' ? 'missing on the target' : g.text.split(NAME).join('the table');
  const rows: ReviewLine[] = [
    {
      label: `${icon} ${plural(g.names.length, g.word ?? 'table')} skipped: ${gist}`,
      // The hint and names first: a long detail is cut at the right edge.
      detail: `${namesDetail(g, shown)} · ${g.text.split(NAME).join('each table')}`,
      kind: 'group',
      group: g.key,
    },
  ];
  if (shown.has(g.key))
    rows.push(...g.names.map((n): ReviewLine => ({ label: `$(dash) Skipped: ${n}`, kind: 'skip' })));
  return rows;
}

function noteRows(g: Group, shown: ReadonlySet<string>): ReviewLine[] {
  const [name] = g.names;
  const icon = g.warn ? '$(warning)' : '$(info)';
  // A warning says itself in the label: the detail may be cut at the right edge.
  if (g.names.length === 1 && g.warn)
    return [{ label: `${icon} ${g.text.split(NAME).join(name)}`, detail: name, kind: 'note' }];
  if (g.names.length === 1) return [{ label: `${icon} ${name}`, detail: g.text.split(NAME).join(name), kind: 'note' }];
  const text = g.text.split(NAME).join('each table');
  const rows: ReviewLine[] = [
    { label: `${icon} ${g.names.length} tables: ${text}`, detail: namesDetail(g, shown), kind: 'group', group: g.key },
  ];
  // Each table with its own words: its own counts, where the group's text gives their range.
  if (shown.has(g.key))
    rows.push(
      ...g.names.map(
        (n, i): ReviewLine => ({ label: `$(dash) ${n}`, detail: g.texts[i].split(NAME).join(n), kind: 'note' }),
      ),
    );
  return rows;
}

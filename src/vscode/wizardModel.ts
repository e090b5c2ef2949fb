// The migration wizard's content, computed without `vscode` so it can be unit-tested: the items of
// each step (the tables: tablePicker.ts; the review: review.ts), the rule for retries.
import type { PlanResult } from '../engine/index.js';
import { type ExistingPolicy, type Report, causesOf, headline, serverText, stopBanner } from '../shared/report.js';
import { displayName } from '../shared/names.js';
import { estimatedRowsText, formatBytes, formatCount, plural } from '../shared/format.js';
import { endpointLabel, sameDatabase } from '../shared/endpoint.js';
import type { ConnectionProfile } from './connectionStore.js';

export interface Item<T> {
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  /** The row active when the pick opens (what Enter alone chooses); else the first. */
  active?: boolean;
  /** A separator row in the list (kind Separator in VS Code). */
  separator?: boolean;
  value?: T;
}

/**
 * The connections to pick from, the step's group first. `lastId`, the one picked at this step last time
 * in this workspace, is the active row (Enter alone takes it) and says so.
 */
export function connectionItems(
  connections: ConnectionProfile[],
  versions: ReadonlyMap<string, string>,
  exclude?: ConnectionProfile,
  lastId?: string,
): Item<ConnectionProfile>[] {
  const usable = connections.filter((c) => !exclude || (c.id !== exclude.id && !sameDatabase(c, exclude)));
  const byRole = (role: 'source' | 'target') =>
    usable.filter((c) => c.role === role).sort((a, b) => a.name.localeCompare(b.name));
  // The group that fits the step comes first: sources when picking a source, targets otherwise.
  const order: ('source' | 'target')[] = exclude ? ['target', 'source'] : ['source', 'target'];
  return order.flatMap((role) => {
    const list = byRole(role);
    if (!list.length) return [];
    return [
      { label: role === 'source' ? 'Source connections' : 'Target connections', separator: true },
      ...list.map((c) => ({
        label: c.name,
        description: `${versions.get(c.id) ?? 'checking…'}${c.id === lastId ? ' · last used' : ''}`,
        detail: `${endpointLabel(c)} · sslmode=${c.sslmode}`,
        value: c,
        ...(c.id === lastId ? { active: true } : {}),
      })),
    ];
  });
}

export type TableKey = [schema: string, table: string];

/**
 * What to do with rows already in the target, the destructive choice last: the step opens on "Skip
 * tables that have rows", so Enter alone never empties a table (and the review then says what will be).
 */
export const POLICY_ITEMS: Item<ExistingPolicy>[] = [
  {
    label: 'Skip tables that have rows',
    description: 'nothing in the target is changed',
    detail: 'Copy only into empty target tables; tables with rows are left alone and reported as skipped.',
    value: 'skip-nonempty',
  },
  {
    label: 'Append',
    description: 'keep the target rows',
    detail: 'Keep the rows already in the target and add the source rows.',
    value: 'append',
  },
  {
    label: 'Replace',
    description: 'empties each target table',
    detail: 'Empty each target table first, then copy. Everything is rolled back if any table fails.',
    value: 'replace',
  },
];

/** The policy rows with `current` active: what Enter chooses (after Back, the choice made before). */
export const policyItems = (current: ExistingPolicy): Item<ExistingPolicy>[] =>
  POLICY_ITEMS.map((i) => (i.value === current ? { ...i, active: true } : i));

export const DEFAULT_POLICY: ExistingPolicy = 'skip-nonempty';

/** The tables a retry can help: those that ran or were to run and did not verify; never the skipped. */
export function retryableTables(report: Report): TableKey[] {
  if (report.kind !== 'migrate') return [];
  return report.tables
    .filter((t) => t.status !== 'verified' && t.status !== 'skipped')
    .map((t): TableKey => [t.schema, t.table]);
}

/**
 * The next step after a run that tables took back: the same selection without them (the rest of the
 * selection and the choices unchanged), as "Retry without public.t"; null when nothing would be left,
 * or when nothing took the run back.
 */
export function retryWithout(
  selected: readonly TableKey[],
  report: Report,
): { tables: TableKey[]; label: string; without: string[] } | null {
  if (report.kind !== 'migrate' || report.committed || report.outcome === 'cancelled') return null;
  const causes = causesOf(report);
  if (!causes.length) return null;
  const out = new Set(causes.map((c) => displayName(c.schema, c.table)));
  const tables = selected.filter(([schema, table]) => !out.has(displayName(schema, table)));
  if (!tables.length || tables.length === selected.length) return null;
  const without = [...out];
  const label = `Retry without ${without.length === 1 ? without[0] : plural(without.length, 'table')}…`;
  return { tables, label, without };
}

/**
 * The notification at the end of a run: what stopped it (every table that took it back, by name; the
 * report lists each one's error) or the headline, and whether it warns.
 */
export function runEndNotice(report: Report): { text: string; warn: boolean } {
  const text = `Archon: ${stopBanner(report) ?? headline(report)}`;
  return { text, warn: report.outcome === 'failed' || report.outcome === 'not verified' };
}

/**
 * Why Replace cannot be done for "Copy Table to Target…", from the plan made with Replace (a foreign key
 * of another target table, no TRUNCATE privilege); null when it can, or when the table is not copied at all.
 */
export function replaceRefusal(withReplace: PlanResult): string | null {
  const t = withReplace.plan.tables[0];
  return t?.action === 'skip' ? t.reason : null;
}

/** The Replace row when it cannot be done: its value only explains, it never runs. */
export const NO_REPLACE = 'no-replace';

const rowsThere = (n: number) => (n === 1 ? '1 row' : `${formatCount(n)} rows`);

/**
 * "Copy Table to Target…"'s existing-rows choices for a table with `rows` rows there: `preferred`
 * active (never Replace: Copy Table has no review), Replace naming what it deletes, or, when it
 * cannot be done, shown with the reason and Append suggested instead.
 */
export function copyPolicyItems(
  rows: number,
  preferred: ExistingPolicy,
  noReplace: string | null,
): Item<ExistingPolicy | typeof NO_REPLACE>[] {
  const active = preferred === 'replace' ? 'skip-nonempty' : preferred;
  return POLICY_ITEMS.map((i): Item<ExistingPolicy | typeof NO_REPLACE> => {
    const item = i.value === active ? { ...i, active: true } : i;
    if (i.value === 'append' && noReplace)
      return { ...item, description: `suggested: keeps the ${rowsThere(rows)} there and adds the source's` };
    if (i.value !== 'replace') return item;
    if (noReplace)
      return {
        label: '$(circle-slash) Replace',
        description: 'not possible for this table',
        detail: `${noReplace[0].toUpperCase()}${noReplace.slice(1)}. Append keeps the rows there and adds the source's.`,
        value: NO_REPLACE,
      };
    return rows ? { ...item, description: `deletes the ${rowsThere(rows)} there` } : item;
  });
}

/** One table's plan in a line, for "Copy Table to Target…". */
export function planLine(p: PlanResult, sourceName: string, targetName: string): { ok: boolean; text: string } {
  const t = p.plan.tables[0];
  if (!t)
    return { ok: false, text: `${p.plan.unmatched[0] ?? 'the table'} is not on the source any more; refresh the tree` };
  const name = displayName(t.schema, t.table);
  if (t.action === 'skip') return { ok: false, text: `Cannot copy ${name}: ${t.reason}` };
  const rows = t.estimatedRows === null ? '' : `${estimatedRowsText(t.estimatedRows)}, `;
  return {
    ok: true,
    text:
      `Copy ${name} (${rows}${formatBytes(t.bytes)}) ` +
      `FROM ${sourceName} (${serverText(p.source)}, read-only) ` +
      `TO ${targetName} (${serverText(p.target)})` +
      // A platform's internal table, named by this right-click: its warning belongs in the question.
      t.warnings.map((n) => `. ${n[0].toUpperCase()}${n.slice(1)}`).join(''),
  };
}

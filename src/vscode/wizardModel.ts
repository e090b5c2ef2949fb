// The migration wizard's content, computed without `vscode` so it can be unit-tested: the items of
// each step and the review text.
import { undoReviewLine } from './undoModel.js';
import { type Catalog, type PlanResult, isCopyable } from '../engine/index.js';
import type { ExistingPolicy } from '../shared/report.js';
import { displayName } from '../shared/names.js';
import { estimatedRowsText, formatBytes } from '../shared/format.js';
import { endpointLabel, sameDatabase } from '../shared/endpoint.js';
import type { ConnectionProfile } from './connectionStore.js';
import { rowsText, schemaGroups } from './treeModel.js';

export interface Item<T> {
  label: string;
  description?: string;
  detail?: string;
  picked?: boolean;
  /** A separator row in the list (kind Separator in VS Code). */
  separator?: boolean;
  value?: T;
}

export function connectionItems(
  connections: ConnectionProfile[],
  versions: ReadonlyMap<string, string>,
  exclude?: ConnectionProfile,
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
        description: versions.get(c.id) ?? 'checking…',
        detail: `${endpointLabel(c)} · sslmode=${c.sslmode}`,
        value: c,
      })),
    ];
  });
}

export type TableKey = [schema: string, table: string];

export function tableItems(catalog: Catalog, previouslyPicked?: TableKey[]): Item<TableKey>[] {
  const picked = previouslyPicked ? new Set(previouslyPicked.map((k) => JSON.stringify(k))) : null;
  return schemaGroups(catalog).flatMap(({ schema, tables }) => {
    const copyable = tables.filter(isCopyable);
    if (!copyable.length) return [];
    return [
      { label: `schema ${schema}`, separator: true },
      ...copyable.map((t) => ({
        label: t.name,
        description: `${rowsText(t)} · ${formatBytes(t.bytes)}`,
        detail: t.kind === 'partitioned table' ? 'partitioned: copied through the parent' : undefined,
        picked: picked ? picked.has(JSON.stringify([t.schema, t.name])) : true,
        value: [t.schema, t.name] as TableKey,
      })),
    ];
  });
}

export const POLICY_ITEMS: Item<ExistingPolicy>[] = [
  {
    label: 'Replace',
    description: 'default',
    detail: 'Empty each target table first, then copy. Everything is rolled back if any table fails.',
    value: 'replace',
  },
  { label: 'Append', detail: 'Keep the rows already in the target and add the source rows.', value: 'append' },
  {
    label: 'Skip tables that have rows',
    detail: 'Copy only into empty target tables; tables with rows are left alone and reported as skipped.',
    value: 'skip-nonempty',
  },
];

interface ReviewLine {
  label: string;
  detail?: string;
  kind: 'start' | 'from' | 'to' | 'empties' | 'undo' | 'skip' | 'note' | 'nothing';
}

/** The review step: the direction in words, what gets emptied, every skip with its reason. */
export function reviewLines(p: PlanResult, sourceName: string, targetName: string): ReviewLine[] {
  const copies = p.plan.tables.filter((t) => t.action === 'copy');
  const skips = p.plan.tables.filter((t) => t.action === 'skip');
  const lines: ReviewLine[] = [];
  const n = `${copies.length} table${copies.length === 1 ? '' : 's'}`;
  if (copies.length)
    lines.push({
      label: `$(play) Start migration: copy ${n}`,
      detail: 'One transaction on the target: committed only if every table verifies, otherwise rolled back.',
      kind: 'start',
    });
  else
    lines.push({
      label: '$(circle-slash) Nothing to copy',
      detail: 'Every selected table is skipped; go back to change the selection.',
      kind: 'nothing',
    });
  // The direction in words, one side per row so neither is cut off.
  lines.push({
    label: `$(lock) Copy ${n} FROM ${sourceName} (PostgreSQL ${p.source.serverVersion}, read-only)`,
    detail: p.source.label,
    kind: 'from',
  });
  lines.push({
    label: `$(arrow-down) TO ${targetName} (PostgreSQL ${p.target.serverVersion})`,
    detail: p.target.label,
    kind: 'to',
  });
  const emptied = copies.filter((t) => t.empties);
  if (emptied.length) {
    lines.push({
      label: `$(trash) ${emptied.length} target table${emptied.length === 1 ? '' : 's'} will be emptied first`,
      detail: emptied.map((t) => displayName(t.schema, t.table)).join(', '),
      kind: 'empties',
    });
  }
  if (copies.length) lines.push(undoReviewLine(p));
  for (const t of skips)
    lines.push({
      label: `$(warning) Skipped: ${displayName(t.schema, t.table)}`,
      detail: t.reason ?? '',
      kind: 'skip',
    });
  for (const u of p.plan.unmatched) lines.push({ label: `$(warning) Not found on the source: ${u}`, kind: 'skip' });
  for (const t of copies)
    for (const n of t.notes)
      lines.push({ label: `$(info) ${displayName(t.schema, t.table)}`, detail: n, kind: 'note' });
  return lines;
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
      `FROM ${sourceName} (PostgreSQL ${p.source.serverVersion}, read-only) ` +
      `TO ${targetName} (PostgreSQL ${p.target.serverVersion})`,
  };
}

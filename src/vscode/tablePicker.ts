// The table picker of Migrate Database (step 3), without `vscode` so it can be unit-tested: one row
// per schema that selects or clears all of that schema's tables in one action, one row per table
// (its schema in the description, so typing a schema's name filters to it), and the selection's
// totals for the title.
import { type Catalog, isCopyable } from '../engine/index.js';
import { compactCount, formatBytes, formatCount } from '../shared/format.js';
import { rowsText, schemaGroups } from './treeModel.js';
import { platformTableItem } from './platformView.js';
import type { Item, TableKey } from './wizardModel.js';

interface TableChoice {
  kind: 'table';
  key: TableKey;
  rows: number | null;
  bytes: number;
}

interface SchemaChoice {
  kind: 'schema';
  schema: string;
}

export type TablePick = TableChoice | SchemaChoice;

const idOf = (k: TableKey) => JSON.stringify(k);

/** The picker's rows: per schema a separator, the whole-schema row, then its tables; all preselected at first. */
export function tablePickItems(catalog: Catalog, previouslyPicked?: TableKey[]): Item<TablePick>[] {
  const picked = previouslyPicked ? new Set(previouslyPicked.map(idOf)) : null;
  return schemaGroups(catalog).flatMap(({ schema, tables }) => {
    const copyable = tables.filter(isCopyable);
    if (!copyable.length) return [];
    // A hosted platform's rules: its internals are not offered, its data is offered unselected.
    const rows: Item<TablePick>[] = copyable
      .map(
        (t): Item<TablePick> => ({
          label: t.name,
          description: `${schema} · ${rowsText(t)} · ${formatBytes(t.bytes)}`,
          detail: t.kind === 'partitioned table' ? 'partitioned: copied through the parent' : undefined,
          picked: picked ? picked.has(idOf([t.schema, t.name])) : true,
          value: { kind: 'table', key: [t.schema, t.name], rows: t.estimatedRows, bytes: t.bytes },
        }),
      )
      .flatMap((item) => platformTableItem(catalog, schema, item, !!picked));
    const heading: Item<TablePick> = { label: `schema ${schema}`, separator: true };
    const [separator] = platformTableItem(catalog, schema, heading, !!picked);
    if (!rows.length || !separator) return [];
    const bytes = copyable.reduce((n, t) => n + t.bytes, 0);
    const whole: Item<TablePick> = {
      label: `$(folder) schema ${schema}: all ${rows.length} table${rows.length === 1 ? '' : 's'}`,
      description: `${formatBytes(bytes)} · check or clear the whole schema`,
      picked: rows.every((r) => r.picked),
      value: { kind: 'schema', schema },
    };
    return [separator, whole, ...rows];
  });
}

/**
 * The selection after the user changed it from `before` to `after`: a schema row checked adds all
 * its tables, cleared removes them (shown or filtered out alike: it names the whole schema); any
 * other change leaves the other tables as they were. A schema row then shows checked exactly when
 * all its tables are. Returned in the order of `all`.
 */
export function reselectTables(all: TablePick[], before: TablePick[], after: TablePick[]): TablePick[] {
  const was = new Set(before);
  const now = new Set(after);
  const tables = all.filter((c): c is TableChoice => c.kind === 'table');
  const chosen = new Set(tables.filter((t) => now.has(t)));
  for (const s of all) {
    if (s.kind !== 'schema' || was.has(s) === now.has(s)) continue;
    for (const t of tables) {
      if (t.key[0] !== s.schema) continue;
      if (now.has(s)) chosen.add(t);
      else chosen.delete(t);
    }
  }
  const whole = (schema: string) => tables.filter((t) => t.key[0] === schema).every((t) => chosen.has(t));
  return all.filter((c) => (c.kind === 'schema' ? whole(c.schema) : chosen.has(c)));
}

/** "12 of 257 tables · ~1.2M rows · 177 MB": what the selection holds, for the picker's title. */
export function selectionSummary(all: TablePick[], selected: TablePick[]): string {
  const total = all.filter((c) => c.kind === 'table').length;
  const tables = selected.filter((c): c is TableChoice => c.kind === 'table');
  const rows = tables.reduce((n, t) => n + (t.rows ?? 0), 0);
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  const rowsPart = rows < 10_000 ? formatCount(rows) : compactCount(rows);
  return `${tables.length} of ${total} tables selected · ~${rowsPart} rows · ${formatBytes(bytes)}`;
}

/** The table keys of a selection (the schema rows only stand for their tables). */
export const selectedKeys = (selected: (TablePick | undefined)[]): TableKey[] =>
  selected.filter((c): c is TableChoice => c?.kind === 'table').map((c) => c.key);

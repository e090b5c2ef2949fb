// The table picker of Migrate Database (step 3), without `vscode` so it can be unit-tested: one row
// per schema that selects or clears all of that schema's tables in one action, one row per table
// (its schema in the description, so typing a schema's name filters to it), and the selection's
// totals for the title. Where the target was read, each table says whether the target lacks it or
// some of its columns, and the fix is offered right here (create them, add the columns) rather than
// found out in the review, where going back cannot help.
import { type Catalog, type Table, isCopyable } from '../engine/index.js';
import { COMPACT_FROM, compactCount, formatBytes, formatCount, plural } from '../shared/format.js';
import { rowsText, schemaGroups } from './treeModel.js';
import { platformTableItem } from './platformView.js';
import type { Item, TableKey } from './wizardModel.js';

/** How a source table stands on the target: missing there, or there without some source columns. */
interface TargetFit {
  missing: boolean;
  /** Source columns the target's table lacks (by name). */
  lacking: string[];
}

interface TableChoice {
  kind: 'table';
  key: TableKey;
  rows: number | null;
  bytes: number;
  /** Undefined when the target could not be read. */
  fit?: TargetFit;
}

interface SchemaChoice {
  kind: 'schema';
  schema: string;
}

/** A check row for a schema change the run may make on the target (the engine's options of that name). */
export type SchemaOption = 'createMissing' | 'addColumns';

interface OptionChoice {
  kind: 'option';
  option: SchemaOption;
}

export type TablePick = TableChoice | SchemaChoice | OptionChoice;

/** The target as the picker sees it: its name, its catalog, and the changes chosen before (Back). */
export interface PickerTarget {
  name: string;
  catalog: Catalog;
  chosen?: Partial<Record<SchemaOption, boolean>>;
}

const idOf = (k: TableKey) => JSON.stringify(k);

function fitOf(t: Table, target: Catalog): TargetFit {
  const there = target.tables.find((x) => x.schema === t.schema && x.name === t.name);
  if (!there) return { missing: true, lacking: [] };
  const names = new Set(there.columns.map((c) => c.name));
  return { missing: false, lacking: t.columns.map((c) => c.name).filter((n) => !names.has(n)) };
}

/** "missing on local-db", "local-db lacks column body": what the row's description adds. */
function fitText(fit: TargetFit | undefined, targetName: string): string {
  if (!fit) return '';
  if (fit.missing) return ` · missing on ${targetName}`;
  if (!fit.lacking.length) return '';
  const n = fit.lacking.length;
  return ` · ${targetName} lacks ${n === 1 ? 'column' : 'columns'} ${fit.lacking.join(', ')}`;
}

/**
 * The picker's rows: the schema changes the target needs, if any (see optionItems), then per schema a
 * separator, the whole-schema row, then its tables; all preselected at first.
 */
export function tablePickItems(
  catalog: Catalog,
  previouslyPicked?: TableKey[],
  target?: PickerTarget,
): Item<TablePick>[] {
  const tables = tableItems(catalog, previouslyPicked, target);
  return [...optionItems(tables, target), ...tables];
}

function tableItems(catalog: Catalog, previouslyPicked?: TableKey[], target?: PickerTarget): Item<TablePick>[] {
  const picked = previouslyPicked ? new Set(previouslyPicked.map(idOf)) : null;
  return schemaGroups(catalog).flatMap(({ schema, tables }) => {
    const copyable = tables.filter(isCopyable);
    if (!copyable.length) return [];
    // A hosted platform's rules: its internals are not offered, its data is offered unselected.
    const rows: Item<TablePick>[] = copyable
      .map((t): Item<TablePick> => {
        const fit = target ? fitOf(t, target.catalog) : undefined;
        return {
          label: t.name,
          description: `${schema} · ${rowsText(t)} · ${formatBytes(t.bytes)}${fitText(fit, target?.name ?? '')}`,
          detail: t.kind === 'partitioned table' ? 'partitioned: copied through the parent' : undefined,
          picked: picked ? picked.has(idOf([t.schema, t.name])) : true,
          value: { kind: 'table', key: [t.schema, t.name], rows: t.estimatedRows, bytes: t.bytes, fit },
        };
      })
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
 * The check rows for what the target lacks, above the tables: "Create the tables local-db lacks" when
 * a table is missing there, "Add the columns local-db lacks" when a table there lacks source columns.
 * Creating is checked whenever every preselected table is missing (an empty target: there is nothing
 * else to copy into); otherwise each is off until checked, or as chosen before (Back).
 */
function optionItems(tables: Item<TablePick>[], target: PickerTarget | undefined) {
  if (!target) return [];
  const fits = tables.flatMap((i) => (i.value?.kind === 'table' && i.value.fit ? [{ fit: i.value.fit, i }] : []));
  const missing = fits.filter((f) => f.fit.missing);
  const lacking = fits.filter((f) => f.fit.lacking.length);
  const columns = lacking.reduce((n, f) => n + f.fit.lacking.length, 0);
  const nothingThere = allMissing(fits.filter((f) => f.i.picked).map((f) => f.i.value));
  const chosen = (o: SchemaOption) => target.chosen?.[o] ?? false;
  const rows: Item<TablePick>[] = [];
  if (missing.length)
    rows.push({
      label: `$(add) Create the tables ${target.name} lacks`,
      description: `${plural(missing.length, 'table')} missing there`,
      detail:
        "From the source's definition, in the run's transaction (undone if the run rolls back); unchecked, " +
        'they are skipped. On whenever every selected table is missing there: nothing else could be copied',
      picked: nothingThere || chosen('createMissing'),
      value: { kind: 'option', option: 'createMissing' },
    });
  if (lacking.length)
    rows.push({
      label: `$(add) Add the columns ${target.name} lacks`,
      description: `${plural(lacking.length, 'table')} there ${lacking.length === 1 ? 'lacks' : 'lack'} ${plural(columns, 'source column')}`,
      detail:
        "Added to those tables from the source's definition, in the run's transaction; unchecked, those tables are skipped",
      picked: chosen('addColumns'),
      value: { kind: 'option', option: 'addColumns' },
    });
  if (!rows.length) return [];
  return [{ label: `What ${target.name} lacks`, separator: true }, ...rows];
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
  // With every selected table missing on the target, creating them is the only way to copy anything.
  const forced = allMissing([...chosen]);
  const option = (c: OptionChoice) => now.has(c) || (forced && c.option === 'createMissing');
  const keep = (c: TablePick) =>
    c.kind === 'schema' ? whole(c.schema) : c.kind === 'option' ? option(c) : chosen.has(c);
  return all.filter(keep);
}

/**
 * VS Code counts every checked row ("16 Selected"), a whole-schema row and an option row too; the title
 * counts tables. Where the two differ, the title says what the other checked rows are, so the numbers
 * side by side never read as two counts of one thing.
 */
function checkedRows(selected: TablePick[], tables: number): string {
  const schemas = selected.filter((c) => c.kind === 'schema').length;
  const options = selected.filter((c) => c.kind === 'option').length;
  if (!schemas && !options) return ' selected';
  const others = [
    ...(schemas ? [plural(schemas, 'whole-schema row')] : []),
    ...(options ? [plural(options, 'option')] : []),
  ];
  return ` selected (${tables + schemas + options} rows checked: ${plural(tables, 'table')}, ${others.join(', ')})`;
}

/**
 * "12 of 257 tables selected · ~1.2M rows · 177 MB · 3 missing on the target, created": what the
 * selection holds and what becomes of the tables the target lacks, for the picker's title.
 */
export function selectionSummary(all: TablePick[], selected: TablePick[]): string {
  const total = all.filter((c) => c.kind === 'table').length;
  const tables = selected.filter((c): c is TableChoice => c.kind === 'table');
  const rows = tables.reduce((n, t) => n + (t.rows ?? 0), 0);
  const bytes = tables.reduce((n, t) => n + t.bytes, 0);
  const rowsPart = rows < COMPACT_FROM ? formatCount(rows) : compactCount(rows);
  const head = `${tables.length} of ${total} tables${checkedRows(selected, tables.length)} · ~${rowsPart} rows · ${formatBytes(bytes)}`;
  const { createMissing, addColumns } = schemaChoices(selected);
  const missing = tables.filter((t) => t.fit?.missing).length;
  const lacking = tables.filter((t) => t.fit?.lacking.length).length;
  const fate = (chosen: boolean) => (chosen ? 'created' : 'skipped');
  return [
    head,
    ...(missing ? [`${missing} missing on the target, ${fate(createMissing)}`] : []),
    ...(lacking ? [`${lacking} lacking columns there, ${addColumns ? 'added' : 'skipped'}`] : []),
  ].join(' · ');
}

/** The table keys of a selection (the schema rows only stand for their tables). */
export const selectedKeys = (selected: (TablePick | undefined)[]): TableKey[] =>
  selected.filter((c): c is TableChoice => c?.kind === 'table').map((c) => c.key);

/** The schema changes a selection asks for (its checked option rows). */
export function schemaChoices(selected: (TablePick | undefined)[]): Record<SchemaOption, boolean> {
  const has = (o: SchemaOption) => selected.some((c) => c?.kind === 'option' && c.option === o);
  return { createMissing: has('createMissing'), addColumns: has('addColumns') };
}

/** Every selected table is missing on the target (so there are no rows there to ask about). */
export function allMissing(selected: (TablePick | undefined)[]): boolean {
  const tables = selected.filter((c): c is TableChoice => c?.kind === 'table');
  return tables.length > 0 && tables.every((t) => t.fit?.missing);
}

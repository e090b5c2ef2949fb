// What the Connections tree shows, computed from engine catalogs (no `vscode` import, unit-tested).
import { type Catalog, type Column, type Table, isCopyable } from '../engine/index.js';
import { compactCount, formatBytes, formatCount, plural } from '../shared/format.js';

interface SchemaGroup {
  schema: string;
  tables: Table[];
}

/** Schemas in name order, each with its tables; partitions are folded into their parent. */
export function schemaGroups(catalog: Catalog): SchemaGroup[] {
  const bySchema = new Map<string, Table[]>();
  for (const t of catalog.tables) {
    if (t.partitionOf) continue;
    const list = bySchema.get(t.schema) ?? [];
    list.push(t);
    bySchema.set(t.schema, list);
  }
  return [...bySchema.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([schema, tables]) => ({ schema, tables }));
}

/**
 * What a schema holds, by kind: "3 tables, 1 view". A view, materialized view or foreign table is
 * listed in the tree but is no table (Archon copies only tables), so it is never counted as one.
 */
export function schemaContentText(tables: Table[]): string {
  const kinds: [string, (t: Table) => boolean][] = [
    ['table', (t) => t.kind === 'table' || t.kind === 'partitioned table'],
    ['view', (t) => t.kind === 'view'],
    ['materialized view', (t) => t.kind === 'materialized view'],
    ['foreign table', (t) => t.kind === 'foreign table'],
  ];
  const parts = kinds.map(([word, is]) => [word, tables.filter(is).length] as const);
  return parts
    .filter(([, n], i) => n > 0 || (i === 0 && parts.every(([, m]) => m === 0)))
    .map(([word, n]) => plural(n, word))
    .join(', ');
}

/** Short enough for the default sidebar width: an exact count is compact and ticked, in full in the tooltip. */
export function rowsText(t: Table, exact?: number): string {
  if (exact !== undefined) return `${exact < 100_000 ? formatCount(exact) : compactCount(exact)} rows ✓`;
  if (t.estimatedRows === null) return 'rows not estimated';
  return `~${compactCount(t.estimatedRows)} rows`;
}

interface TableView {
  label: string;
  description: string;
  tooltip: string;
  icon: 'table' | 'eye' | 'layers' | 'plug' | 'symbol-structure';
  copyable: boolean;
}

export function tableView(t: Table, exactRows?: number): TableView {
  const copyable = isCopyable(t);
  const icon =
    t.kind === 'table'
      ? 'table'
      : t.kind === 'partitioned table'
        ? 'layers'
        : t.kind === 'foreign table'
          ? 'plug'
          : t.kind === 'view'
            ? 'eye'
            : 'symbol-structure';
  const description = copyable ? `${rowsText(t, exactRows)} · ${formatBytes(t.bytes)}` : t.kind;
  const key = t.primaryKey ? `primary key (${t.primaryKey.join(', ')})` : 'no primary key';
  const lines = [
    `${t.schema}.${t.name} (${t.kind})`,
    `${plural(t.columns.length, 'column')}, ${key}`,
    exactRows !== undefined
      ? `${formatCount(exactRows)} rows (exact count, ✓ in the tree)`
      : `${rowsText(t)} (planner estimate; use Count Rows for the exact number)`,
    `${t.bytes.toLocaleString('en-US')} bytes on disk (${formatBytes(t.bytes)}), indexes and TOAST included`,
  ];
  if (t.foreignKeys.length)
    lines.push(`references ${[...new Set(t.foreignKeys.map((f) => `${f.refSchema}.${f.refTable}`))].join(', ')}`);
  if (t.triggers.length) lines.push(`${t.triggers.length} user trigger${t.triggers.length === 1 ? '' : 's'}`);
  if (!copyable) lines.push('not copied by Archon: only tables are');
  return { label: t.name, description, tooltip: lines.join('\n'), icon, copyable };
}

interface ColumnView {
  label: string;
  description: string;
  tooltip: string;
  icon: 'key' | 'references' | 'symbol-field';
}

/** A column under its table: name, type, nullability and the keys it is part of. */
export function columnView(t: Table, c: Column): ColumnView {
  const primary = t.primaryKey?.includes(c.name) ?? false;
  const refs = t.foreignKeys.filter((f) => f.columns.includes(c.name)).map((f) => `${f.refSchema}.${f.refTable}`);
  const keys = [primary ? 'primary key' : '', refs.length ? `→ ${refs.join(', ')}` : ''].filter(Boolean);
  const description = [c.type, c.notNull ? 'not null' : 'null', ...keys].join(' · ');
  const extras = [c.identity ? 'identity' : '', c.generated ? 'generated' : '', c.hasDefault ? 'has a default' : ''];
  const tooltip = [`${t.schema}.${t.name}.${c.name}`, description, extras.filter(Boolean).join(', ')]
    .filter(Boolean)
    .join('\n');
  return { label: c.name, description, tooltip, icon: primary ? 'key' : refs.length ? 'references' : 'symbol-field' };
}

// What the Connections tree shows, computed from engine catalogs (no `vscode` import, unit-tested).
import type { Catalog, Table } from '../engine/catalog.js';
import { formatBytes } from '../engine/report.js';

export interface SchemaGroup {
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

export function rowsText(t: Table, exact?: number): string {
  if (exact !== undefined) return `${exact.toLocaleString('en-US')} rows`;
  if (t.estimatedRows === null) return 'rows not estimated';
  return `~${compact(t.estimatedRows)} rows`;
}

/** 218714 → 219k; exact counts are never shown this way. */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;
}

export interface TableView {
  label: string;
  description: string;
  tooltip: string;
  icon: 'table' | 'eye' | 'layers' | 'plug' | 'symbol-structure';
  copyable: boolean;
}

export function tableView(t: Table, exactRows?: number): TableView {
  const copyable = t.kind === 'table' || t.kind === 'partitioned table';
  const icon = t.kind === 'table' ? 'table' : t.kind === 'partitioned table' ? 'layers' : t.kind === 'foreign table' ? 'plug' : t.kind === 'view' ? 'eye' : 'symbol-structure';
  const description = copyable ? `${rowsText(t, exactRows)} · ${formatBytes(t.bytes)}` : t.kind;
  const lines = [
    `${t.schema}.${t.name} (${t.kind})`,
    `${t.columns.length} column${t.columns.length === 1 ? '' : 's'}${t.primaryKey ? `, primary key (${t.primaryKey.join(', ')})` : ', no primary key'}`,
    exactRows !== undefined ? `${exactRows.toLocaleString('en-US')} rows (exact count)` : `${rowsText(t)} (planner estimate; use Count Rows for the exact number)`,
    `${t.bytes.toLocaleString('en-US')} bytes on disk (${formatBytes(t.bytes)}), indexes and TOAST included`,
  ];
  if (t.foreignKeys.length) lines.push(`references ${[...new Set(t.foreignKeys.map((f) => `${f.refSchema}.${f.refTable}`))].join(', ')}`);
  if (t.triggers.length) lines.push(`${t.triggers.length} user trigger${t.triggers.length === 1 ? '' : 's'}`);
  if (!copyable) lines.push('not copied by Archon: only tables are');
  return { label: t.name, description, tooltip: lines.join('\n'), icon, copyable };
}

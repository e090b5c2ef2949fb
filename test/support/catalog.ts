// Catalog objects built by hand, for the tests of what the engine and the adapters decide from a
// catalog (plans, pickers, trees): no server is needed to read one.
import type { Catalog, Column, Table } from '../../src/engine/catalog/catalog.js';

/** A column as the catalog reads a plain one: nullable, no default, binary-safe. */
export const col = (name: string, type = 'text', extra: Partial<Column> = {}): Column => ({
  name,
  type,
  typeSchema: 'pg_catalog',
  category: type === 'text' ? 'S' : type.endsWith('[]') ? 'A' : 'N',
  notNull: false,
  hasDefault: false,
  generated: false,
  identity: false,
  binarySafe: true,
  typeExtension: null,
  fields: null,
  moneyFormat: null,
  oidValued: false,
  ...extra,
});

/** A plain table the user owns and may do anything with: no keys, no rows, no row-level security. */
export const table = (schema: string, name: string, columns: Column[], extra: Partial<Table> = {}): Table => ({
  schema,
  name,
  kind: 'table',
  partitionOf: null,
  estimatedRows: 0,
  bytes: 0,
  columns,
  uniqueKeys: [],
  deferrableUniques: [],
  owner: 'postgres',
  rowSecurity: false,
  rls: { enabled: false, forced: false },
  isOwner: true,
  primaryKey: null,
  foreignKeys: [],
  checks: [],
  sequences: [],
  triggers: [],
  privileges: { select: true, insert: true, update: true, delete: true, truncate: true },
  ...extra,
});

/** A PostgreSQL 17 database holding `tables`, read by a superuser. */
export const catalog = (tables: Table[], extensions: string[] = []): Catalog => ({
  serverVersion: '17.0',
  serverVersionNum: 170000,
  database: 'db',
  user: 'me',
  readOnly: false,
  mayUseReplicaMode: true,
  extensions: extensions.map((name) => ({ name, version: '1' })),
  tables,
});

// What is read from the journal is checked against the form Archon wrote before anything acts on it:
// its JSON columns are plain jsonb that a superuser (or a stray UPDATE) can change, and a value of
// another shape would otherwise crash history and undo halfway, or print "undefined" as a fact.
import { UsageError } from '../errors.js';

type Check = (v: unknown) => boolean;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf =
  (each: Check): Check =>
  (v) =>
    Array.isArray(v) && v.every(each);
const str: Check = (v) => typeof v === 'string';
const bool: Check = (v) => typeof v === 'boolean';
const orNull =
  (c: Check): Check =>
  (v) =>
    v === null || v === undefined || c(v);
const shaped =
  (fields: Record<string, Check>): Check =>
  (v) =>
    isObject(v) && Object.entries(fields).every(([k, c]) => c(v[k]));

const strings = listOf(str);
const summary = (v: unknown) =>
  isObject(v) && typeof v.total === 'number' && Object.values(v).every((n) => typeof n === 'number');

/** archon.runs, as history reads it. */
const RUN: Record<string, Check> = {
  unmatched: orNull(strings),
  summary: orNull(summary),
  kept: orNull(listOf(shaped({ object: str, backupsOf: strings }))),
  outcome: orNull(str),
  report: orNull(isObject),
};

/** archon.run_tables, as undo reads it. */
const RUN_TABLE: Record<string, Check> = {
  columns: listOf(shaped({ name: str, generated: bool })),
  sequences: listOf(shaped({ schema: str, name: str, isCalled: bool })),
  created: orNull(shaped({ table: bool, columns: strings, objects: listOf(shaped({ kind: str, name: str })) })),
  digest_read: orNull(shaped({ columns: strings, format: (f) => f === 'binary' || f === 'text' })),
};

/**
 * Refuses a journal row whose JSON is not in the form Archon wrote, naming the run, the column and
 * the value (cut short): nothing is done with a journal that cannot be read as written.
 */
function assertShape(
  row: Record<string, unknown>,
  checks: Record<string, Check>,
  where: { table: string; run: string; label: string },
): void {
  for (const [column, check] of Object.entries(checks)) {
    if (!(column in row) || check(row[column])) continue;
    const value = JSON.stringify(row[column]) ?? String(row[column]);
    const named = column === 'kept' ? 'kept_for_backups' : column;
    throw new UsageError(
      `the journal on ${where.label} is not in the form Archon wrote: ${where.table}.${named} of run ` +
        `${where.run} is ${value.length > 60 ? `${value.slice(0, 60)}…` : value}; nothing was done ` +
        '(was it changed by hand?)',
    );
  }
}

/** A row of archon.runs (history's names: `kept` for kept_for_backups). */
export const assertRunShape = (row: Record<string, unknown>, run: string, label: string): void =>
  assertShape(row, RUN, { table: 'runs', run, label });

/** A row of archon.run_tables. */
export const assertRunTableShape = (row: Record<string, unknown>, run: string, label: string): void =>
  assertShape(row, RUN_TABLE, { table: 'run_tables', run, label });

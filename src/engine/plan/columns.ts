// Columns matched by name (never by position) between a source and a target table: what is copied,
// how each value travels (as-is or cast to the target's type), and what stops a table up front.
import type { Column, Table } from '../catalog/catalog.js';
import { conversion } from './conversions.js';
import { ident } from '../ident.js';

export interface ColumnPair {
  name: string;
  source: Column;
  target: Column;
  /** What the source query selects: the column, or the column cast to the target's type. */
  sourceExpr: string;
}

export interface ColumnMatch {
  /** Why the table cannot be copied; null when it can. */
  reason: string | null;
  /** The part of the reason about columns both sides have but whose values would not carry over. */
  typeProblems: string[];
  /** Source columns the target does not have. */
  lost: string[];
  /** The reason is that data would be lost or changed (not only that the load would fail). */
  losesData: boolean;
  /** Source columns missing on the target are all that stops the table (adding them would do). */
  onlyLostColumns: boolean;
  notes: string[];
  pairs: ColumnPair[];
  /** Columns the target generates: not copied, but compared (the target must compute what the source holds). */
  generated: ColumnPair[];
  /**
   * No column carries a value, yet the rows still exist (a table whose columns were all dropped holds
   * rows): COPY moves rows of no columns, and their digest is their count.
   */
  rowsOnly: boolean;
}

const list = (xs: string[]) => xs.join(', ');

export function matchColumns(s: Table, t: Table, targetExtensions: ReadonlySet<string>): ColumnMatch {
  const targetNames = new Set(t.columns.map((c) => c.name));
  const lost = s.columns.filter((c) => !targetNames.has(c.name)).map((c) => c.name);
  const problems = [...missingColumns(s, t, lost)];
  const typeProblems: string[] = [];
  const notes = targetOnlyNote(s, t);
  const targetCols = new Map(t.columns.map((c) => [c.name, c]));
  const pairs: ColumnPair[] = [];
  const generated: ColumnPair[] = [];
  let losesData = lost.length > 0;
  for (const sc of s.columns) {
    const tc = targetCols.get(sc.name);
    if (!tc) continue;
    if (tc.generated) {
      generated.push({ name: sc.name, source: sc, target: tc, sourceExpr: ident(sc.name) });
      const what = sc.generated ? 'generated on both sides' : 'generated on the target';
      notes.push(
        `column ${sc.name} is ${what} and computed there; its values are compared, not copied ` +
          '(each server hashes them; the source sends its hashes with the rows, so the table is read once)',
      );
      continue;
    }
    const pair = pairOf(sc, tc, targetExtensions);
    if ('problem' in pair) {
      typeProblems.push(pair.problem);
      losesData ||= pair.loss;
    } else {
      if (pair.note) notes.push(pair.note);
      pairs.push(pair.pair);
    }
  }
  problems.push(...typeProblems);
  // COPY without a column list fills every column the target does not generate: rows of no columns
  // fit only a target that has none of those.
  const rowsOnly = pairs.length === 0 && !problems.length && t.columns.every((c) => c.generated);
  if (pairs.length === 0 && !problems.length && !rowsOnly) problems.push('no column to copy');
  if (rowsOnly && !generated.length)
    notes.push(
      'the source table has no columns: its rows are copied as empty rows, and their count is all the content compared',
    );
  const reason = problems.length ? problems.join('; ') : null;
  const onlyLostColumns = lost.length > 0 && problems.length === 1;
  return { reason, typeProblems, lost, losesData, onlyLostColumns, notes, pairs, generated, rowsOnly };
}

function missingColumns(s: Table, t: Table, lost: string[]): string[] {
  const sourceNames = new Set(s.columns.map((c) => c.name));
  const problems: string[] = [];
  if (lost.length) {
    const [columns, verb, their] = lost.length > 1 ? ['columns', 'do', 'their'] : ['column', 'does', 'its'];
    problems.push(`source ${columns} ${list(lost)} ${verb} not exist on the target (copying would lose ${their} data)`);
  }
  const required = requiredOnTarget(t).filter((c) => !sourceNames.has(c));
  if (required.length) {
    const [columns, verb] = required.length > 1 ? ['columns', 'are'] : ['column', 'is'];
    problems.push(`target ${columns} ${list(required)} ${verb} NOT NULL without a default and missing on the source`);
  }
  return problems;
}

const requiredOnTarget = (t: Table) =>
  t.columns.filter((c) => c.notNull && !c.hasDefault && !c.generated && !c.identity).map((c) => c.name);

function targetOnlyNote(s: Table, t: Table): string[] {
  const sourceNames = new Set(s.columns.map((c) => c.name));
  const required = new Set(requiredOnTarget(t));
  const extra = t.columns.filter((c) => !sourceNames.has(c.name) && !required.has(c.name)).map((c) => c.name);
  if (!extra.length) return [];
  const [columns, gets] = extra.length > 1 ? ['columns', 'get their defaults'] : ['column', 'gets its default'];
  return [`target-only ${columns} ${list(extra)} ${gets}`];
}

/** A problem either loses or changes data (`loss`), or would only make the load fail. */
type PairOutcome = { problem: string; loss: boolean } | { pair: ColumnPair; note: string | null };

function pairOf(sc: Column, tc: Column, targetExtensions: ReadonlySet<string>): PairOutcome {
  const plain: ColumnPair = { name: sc.name, source: sc, target: tc, sourceExpr: ident(sc.name) };
  if (sc.fields !== tc.fields && sc.fields !== null && tc.fields !== null) {
    return {
      problem:
        `column ${sc.name} holds ${sc.type} on the source (${sc.fields}) and ${tc.type} on the target ` +
        `(${tc.fields}); COPY fills fields by position, so values would land in the wrong fields`,
      loss: true,
    };
  }
  if (sc.moneyFormat && tc.moneyFormat && sc.moneyFormat !== tc.moneyFormat)
    return {
      problem:
        `column ${sc.name} is money, and lc_monetary differs between the servers (1234567.891 reads ` +
        `${sc.moneyFormat} on the source, ${tc.moneyFormat} on the target): a stored amount would change its value`,
      loss: true,
    };
  if (sameType(sc, tc)) {
    const moved = sc.typeSchema !== tc.typeSchema;
    const note = `column ${sc.name}: type ${sc.type} of extension ${sc.typeExtension} is ${tc.type} on the target`;
    return { pair: plain, note: moved ? note : null };
  }
  const missingExt =
    sc.typeExtension && !targetExtensions.has(sc.typeExtension)
      ? ` (extension ${sc.typeExtension} is not installed on the target)`
      : '';
  const describe = `column ${sc.name} is ${sc.type} on the source but ${tc.type} on the target${missingExt}`;
  // Across categories (text to number, ...) or for extension and array types the load would fail
  // half-way, so the table is skipped up front.
  if (sc.category === 'A' && tc.category === 'A' && !missingExt)
    return { problem: `${describe}: arrays are copied only between the same types`, loss: false };
  if (sc.category !== tc.category || sc.category === 'U' || missingExt) {
    return { problem: describe, loss: false };
  }
  const c = conversion(sc.type, tc.type);
  if (c.how === 'lossy') return { problem: `${describe}: ${c.loss}`, loss: true };
  if (c.how === 'cast') {
    // Read as the target reads COPY's text: the content digest then compares what the target holds.
    const pair = { ...plain, sourceExpr: `${ident(sc.name)}::text::${tc.type}` };
    return { pair, note: `${describe}; copied as text${c.note ? `; ${c.note}` : ''}` };
  }
  return { pair: plain, note: `${describe}; copied as text` };
}

/**
 * The same type on both sides: same name in the same schema, or the same type of the same extension
 * wherever each side installed it (Supabase puts extensions in `extensions`, a plain server in `public`).
 */
function sameType(a: Column, b: Column): boolean {
  if (a.type === b.type && a.typeSchema === b.typeSchema) return true;
  return (
    a.typeExtension !== null &&
    a.typeExtension === b.typeExtension &&
    unqualified(a.type, a.typeSchema) === unqualified(b.type, b.typeSchema)
  );
}

/** A type as format_type wrote it, less the schema it names when the type is not on the search_path. */
function unqualified(type: string, schema: string): string {
  for (const prefix of [`${schema}.`, `${ident(schema)}.`])
    if (type.startsWith(prefix)) return type.slice(prefix.length);
  return type;
}

/** Binary COPY when every column has the same type on both sides and its wire format is portable. */
export function copyFormat(pairs: ColumnPair[]): 'binary' | 'text' {
  const same = ({ source: a, target: b }: ColumnPair) => sameType(a, b) && a.binarySafe && b.binarySafe;
  return pairs.every(same) ? 'binary' : 'text';
}

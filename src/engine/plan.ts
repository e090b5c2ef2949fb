import type { Catalog, Column, Table } from './catalog.js';
import { isCopyable } from './catalog.js';
import { displayName } from '../shared/names.js';
import type { ExistingPolicy } from '../shared/report.js';
import { tableKey } from './ident.js';
import { selectTables, type Selection } from './selection.js';

/** The reason a table is left alone under skip-nonempty, at plan time and again inside the load. */
export const ALREADY_HAS_ROWS = 'the target table already has rows (existing rows: skip tables that have rows)';

export interface TablePlan {
  schema: string;
  table: string;
  action: 'copy' | 'skip';
  /** Why the table is skipped; null when it will be copied. */
  reason: string | null;
  /** Things worth knowing that do not stop the copy (a type that differs but converts, ...). */
  notes: string[];
  /** Columns copied, matched by name; the target's generated columns are left out. */
  columns: string[];
  format: 'binary' | 'text';
  /** Whether the target table is emptied before the load (policy replace). */
  empties: boolean;
  estimatedRows: number | null;
  bytes: number;
  source: Table;
  target: Table | null;
}

export interface Plan {
  existing: ExistingPolicy;
  /** In load order: referenced tables before the tables that reference them. */
  tables: TablePlan[];
  /** Selection patterns that matched no source table. */
  unmatched: string[];
}

export interface PlanInput {
  source: Catalog;
  target: Catalog;
  selection: Selection;
  existing: ExistingPolicy;
  /** Target tables (by tableKey) that already hold rows; needed for skip-nonempty. */
  nonEmptyTargets?: ReadonlySet<string>;
}

const list = (xs: string[]) => xs.join(', ');

/** Decides, before anything is written, what happens to each selected table and why. */
export function makePlan(input: PlanInput): Plan {
  const { source, target, existing } = input;
  const { selected, unmatched } = selectTables(source.tables, input.selection, isCopyable);
  const targetByKey = new Map(target.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const targetExtensions = new Set(target.extensions.map((e) => e.name));

  const plans = selected.map((s): TablePlan => {
    const t = targetByKey.get(tableKey(s.schema, s.name)) ?? null;
    const base: TablePlan = {
      schema: s.schema,
      table: s.name,
      action: 'skip',
      reason: null,
      notes: [],
      columns: [],
      format: 'text',
      empties: false,
      estimatedRows: s.estimatedRows,
      bytes: s.bytes,
      source: s,
      target: t,
    };
    const skip = (reason: string): TablePlan => ({ ...base, reason });
    if (s.partitionOf) return skip(`is a partition of ${s.partitionOf}; its rows are copied with that table`);
    if (!isCopyable(s)) return skip(`is a ${s.kind} on the source; only tables are copied`);
    if (!s.privileges.select) return skip(`the source user ${source.user} may not read it (no SELECT privilege)`);
    if (!t)
      return skip(
        `missing on the target: create ${displayName(s.schema, s.name)} there first (Archon copies rows, not schema)`,
      );
    if (!isCopyable(t)) return skip(`is a ${t.kind} on the target, not a table`);
    if (!t.privileges.insert || !t.privileges.select) {
      const [verb, privilege] = t.privileges.insert ? ['read', 'SELECT'] : ['insert into', 'INSERT'];
      return skip(
        `the target user ${target.user} may not ${verb} it ` +
          `(no ${privilege} privilege; Archon counts the rows it loads)`,
      );
    }
    if (existing !== 'replace' && !(t.privileges.update || t.privileges.delete || t.privileges.truncate)) {
      // LOCK ... IN SHARE ROW EXCLUSIVE MODE (which keeps others from writing while Archon counts) needs one of these.
      const needs = 'needs UPDATE, DELETE or TRUNCATE privilege';
      return skip(`the target user ${target.user} may not lock it against concurrent writes (${needs})`);
    }
    if (existing === 'replace' && !t.privileges.truncate) {
      return skip(
        `the target user ${target.user} may not empty it (no TRUNCATE privilege); use append, or grant TRUNCATE`,
      );
    }
    const columnProblem = compareColumns(s, t, targetExtensions);
    if (columnProblem.reason) return { ...skip(columnProblem.reason), notes: columnProblem.notes };
    if (existing === 'skip-nonempty' && input.nonEmptyTargets?.has(tableKey(t.schema, t.name))) {
      return skip(ALREADY_HAS_ROWS);
    }
    const pairs = columnProblem.pairs;
    const sameTypes = pairs.every(
      ([a, b]) => a.type === b.type && a.typeSchema === b.typeSchema && a.binarySafe && b.binarySafe,
    );
    return {
      ...base,
      action: 'copy',
      notes: columnProblem.notes,
      columns: pairs.map(([a]) => a.name),
      format: sameTypes ? 'binary' : 'text',
      empties: existing === 'replace',
    };
  });

  blockEmptyingReferencedTables(plans, target);
  return { existing, tables: loadOrder(plans), unmatched };
}

interface ColumnComparison {
  reason: string | null;
  notes: string[];
  pairs: [Column, Column][];
}

function compareColumns(s: Table, t: Table, targetExtensions: Set<string>): ColumnComparison {
  const targetCols = new Map(t.columns.map((c) => [c.name, c]));
  const sourceCols = new Set(s.columns.map((c) => c.name));
  const notes: string[] = [];
  const problems: string[] = [];

  const lost = s.columns.filter((c) => !targetCols.has(c.name)).map((c) => c.name);
  if (lost.length) {
    const [columns, verb, their] = lost.length > 1 ? ['columns', 'do', 'their'] : ['column', 'does', 'its'];
    problems.push(`source ${columns} ${list(lost)} ${verb} not exist on the target (copying would lose ${their} data)`);
  }

  const required = t.columns
    .filter((c) => !sourceCols.has(c.name) && c.notNull && !c.hasDefault && !c.generated && !c.identity)
    .map((c) => c.name);
  if (required.length) {
    const [columns, verb] = required.length > 1 ? ['columns', 'are'] : ['column', 'is'];
    problems.push(`target ${columns} ${list(required)} ${verb} NOT NULL without a default and missing on the source`);
  }

  const extra = t.columns.filter((c) => !sourceCols.has(c.name) && !required.includes(c.name)).map((c) => c.name);
  if (extra.length) {
    const [columns, gets] = extra.length > 1 ? ['columns', 'get their defaults'] : ['column', 'gets its default'];
    notes.push(`target-only ${columns} ${list(extra)} ${gets}`);
  }

  const pairs: [Column, Column][] = [];
  for (const sc of s.columns) {
    const tc = targetCols.get(sc.name);
    if (!tc) continue;
    if (tc.generated) {
      if (!sc.generated)
        notes.push(
          `column ${sc.name} is generated on the target and computed there; the source's values are not copied`,
        );
      continue;
    }
    if (sc.type !== tc.type || sc.typeSchema !== tc.typeSchema) {
      const missingExt =
        sc.typeExtension && !targetExtensions.has(sc.typeExtension)
          ? ` (extension ${sc.typeExtension} is not installed on the target)`
          : '';
      const describe = `column ${sc.name} is ${sc.type} on the source but ${tc.type} on the target${missingExt}`;
      // Same category (text to text, number to number, ...) converts through the text format;
      // across categories or for extension types the load would fail half-way, so skip up front.
      if (sc.category === tc.category && sc.category !== 'U' && sc.category !== 'A' && !missingExt)
        notes.push(`${describe}; copied as text`);
      else problems.push(describe);
    }
    pairs.push([sc, tc]);
  }
  if (pairs.length === 0 && !problems.length) problems.push('no column to copy');
  return { reason: problems.length ? problems.join('; ') : null, notes, pairs };
}

/**
 * TRUNCATE refuses (rightly) to empty a table that another table references by foreign key. When
 * that other table is not emptied in the same run, the table is skipped and the reason says which
 * table and constraint, instead of cascading into data the user did not select.
 */
function blockEmptyingReferencedTables(plans: TablePlan[], target: Catalog): void {
  for (let changed = true; changed; ) {
    changed = false;
    const emptied = new Set(
      plans.filter((p) => p.action === 'copy' && p.empties).map((p) => tableKey(p.schema, p.table)),
    );
    for (const p of plans) {
      if (p.action !== 'copy' || !p.empties) continue;
      const key = tableKey(p.schema, p.table);
      const blockers = target.tables.flatMap((t) =>
        t.foreignKeys
          .filter((fk) => tableKey(fk.refSchema, fk.refTable) === key && !emptied.has(tableKey(t.schema, t.name)))
          .map((fk) => `${displayName(t.schema, t.name)} (${fk.name})`),
      );
      if (blockers.length) {
        p.action = 'skip';
        p.empties = false;
        const those = blockers.length > 1 ? 'those tables' : 'that table';
        p.reason =
          `cannot empty it: ${list(blockers)} on the target references it and is not being replaced; ` +
          `select ${those} too, or use append`;
        changed = true;
      }
    }
  }
}

/** Referenced tables first (by the target's foreign keys); ties and cycles keep name order. */
function loadOrder(plans: TablePlan[]): TablePlan[] {
  const byKey = new Map(plans.map((p) => [tableKey(p.schema, p.table), p]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: TablePlan[] = [];
  const visit = (p: TablePlan) => {
    const key = tableKey(p.schema, p.table);
    if (done.has(key) || visiting.has(key)) return;
    visiting.add(key);
    for (const fk of p.target?.foreignKeys ?? []) {
      const dep = byKey.get(tableKey(fk.refSchema, fk.refTable));
      if (dep && dep !== p) visit(dep);
    }
    visiting.delete(key);
    done.add(key);
    out.push(p);
  };
  plans.forEach(visit);
  return out;
}

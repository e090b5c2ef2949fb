// Verification: what makes a table "verified". Counts on both sides (the source in its snapshot,
// the target inside the load transaction or its own snapshot), and after a load in replica mode
// the foreign keys PostgreSQL did not check. migrate and compare both decide here.
import type pg from 'pg';
import { displayName } from '../shared/names.js';
import type { TableReport, TableStatus } from '../shared/report.js';
import type { Table } from './catalog.js';
import type { ProgressListener } from './events.js';
import { ident, qualified } from './ident.js';
import type { TablePlan } from './plan.js';
import { countRows } from './relation.js';

export interface Verdict {
  status: Extract<TableStatus, 'verified' | 'mismatch'>;
  /** Null exactly when verified. */
  reason: string | null;
}

/**
 * Counts compared. `targetRowsBefore` is what the target held before a load (null when nothing
 * was loaded, as in compare): then the rows it gained must equal the source's.
 */
export function countVerdict(sourceRows: number, targetRows: number, targetRowsBefore: number | null): Verdict {
  const arrived = targetRows - (targetRowsBefore ?? 0);
  if (arrived === sourceRows) return { status: 'verified', reason: null };
  const reason =
    targetRowsBefore === null
      ? `the target has ${targetRows} row(s), the source ${sourceRows}`
      : `the target gained ${arrived} row(s) but the source has ${sourceRows} in the snapshot`;
  return { status: 'mismatch', reason };
}

/**
 * After the load, inside the transaction: foreign keys first (in replica mode), then counts.
 * Sets each table's status; a table whose rows point at missing rows fails whatever its count.
 */
export async function verifyLoaded(
  tgt: pg.Client,
  loaded: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  opts: { replica: boolean; targetTables: Table[]; emit: ProgressListener },
): Promise<void> {
  const orphans = new Map<TablePlan, string>();
  if (opts.replica) {
    opts.emit({ type: 'phase', message: 'checking foreign keys of the loaded tables' });
    for (const t of loaded) {
      const problem = await danglingReferences(tgt, t, opts.targetTables);
      if (problem) orphans.set(t, problem);
    }
  }
  opts.emit({ type: 'phase', message: 'counting rows on the target' });
  for (const t of loaded) {
    const r = reports.get(t)!;
    r.targetRows = await countRows(tgt, t.target!);
    const orphan = orphans.get(t);
    Object.assign(
      r,
      orphan
        ? { status: 'failed', reason: orphan }
        : countVerdict(r.sourceRows!, r.targetRows, r.targetRowsBefore ?? 0),
    );
  }
}

/**
 * In replica mode PostgreSQL does not check foreign keys, so the load could leave rows pointing at
 * rows the target does not have (a referenced table that was skipped or not selected). Check each
 * foreign key of the loaded table the way the constraint would have.
 */
async function danglingReferences(tgt: pg.Client, t: TablePlan, targetTables: Table[]): Promise<string | null> {
  const problems: string[] = [];
  // A foreign key may also be declared on one partition only; those rows were loaded too.
  const name = displayName(t.schema, t.table);
  const holders = [t.target!, ...targetTables.filter((x) => x.partitionOf === name)];
  for (const holder of holders) {
    for (const fk of holder.foreignKeys) {
      const child = fk.columns.map((c) => `c.${ident(c)}`);
      const match = fk.columns.map((c, i) => `p.${ident(fk.refColumns[i])} = c.${ident(c)}`).join(' AND ');
      const res = await tgt.query(
        `SELECT count(*)::int8 AS n FROM ${qualified(holder.schema, holder.name)} c
         WHERE ${child.map((c) => `${c} IS NOT NULL`).join(' AND ')}
           AND NOT EXISTS (SELECT 1 FROM ${qualified(fk.refSchema, fk.refTable)} p WHERE ${match})`,
      );
      const n = Number(res.rows[0].n);
      if (n > 0) {
        problems.push(
          `${n} row(s) reference ${displayName(fk.refSchema, fk.refTable)} rows that the target does not have ` +
            `(foreign key ${fk.name})`,
        );
      }
    }
  }
  return problems.length ? problems.join('; ') : null;
}

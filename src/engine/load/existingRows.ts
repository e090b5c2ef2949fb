// What happens to the rows already in the target tables, inside the load transaction: emptied
// (replace), kept (append), or the table left alone when it has any (skip-nonempty).
import type pg from 'pg';
import type { ExistingPolicy, TableReport } from '../../shared/report.js';
import type { ProgressListener } from '../events.js';
import { qualified } from '../ident.js';
import { ALREADY_HAS_ROWS, type TablePlan } from '../plan/plan.js';
import { countRows, hasRows, relationSql } from '../catalog/relation.js';
import type { ContentDigest } from '../verify/digest.js';
import { digestOf } from '../verify/serverDigest.js';
import { targetRead } from '../verify/verify.js';

/**
 * Empties or locks the target tables and records each one's rows before the load. Returns the
 * tables still to load: under skip-nonempty a table that gained rows since the plan is skipped.
 */
export async function prepareExistingRows(
  tgt: pg.Client,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  existing: ExistingPolicy,
  emit: ProgressListener,
): Promise<TablePlan[]> {
  let loading = tables;
  if (existing === 'replace') {
    emit({ type: 'phase', phase: 'empty', message: `emptying ${loading.length} target table(s)` });
    // One statement, so foreign keys between the emptied tables do not stop it; ONLY on each plain
    // table keeps its inheritance children (not selected) out of it.
    await tgt.query(`TRUNCATE ${loading.map((t) => relationSql(t.target!)).join(', ')}`);
  } else {
    // Nobody else writes these tables while they are counted and loaded.
    await tgt.query(
      `LOCK TABLE ${loading.map((t) => qualified(t.schema, t.table)).join(', ')} IN SHARE ROW EXCLUSIVE MODE`,
    );
    if (existing === 'skip-nonempty') {
      const stillEmpty: TablePlan[] = [];
      for (const t of loading) {
        if (await hasRows(tgt, t.target!))
          Object.assign(reports.get(t)!, { status: 'skipped', reason: ALREADY_HAS_ROWS });
        else stillEmpty.push(t);
      }
      loading = stillEmpty;
    }
  }
  for (const t of loading)
    reports.get(t)!.targetRowsBefore = existing === 'append' ? await countRows(tgt, t.target!) : 0;
  return loading;
}

/** Under append, the digest of the rows each table already holds: the rest must be what was copied. */
export async function digestsBefore(
  tgt: pg.Client,
  loading: TablePlan[],
  reports: Map<TablePlan, TableReport>,
): Promise<Map<TablePlan, ContentDigest>> {
  const before = new Map<TablePlan, ContentDigest>();
  for (const t of loading) {
    if (reports.get(t)!.targetRowsBefore) before.set(t, await digestOf(tgt, targetRead(t)));
  }
  return before;
}

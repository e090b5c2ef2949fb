// Indexes a bulk load leaves unfit. An ivfflat index (pgvector) keeps the lists (centroids) it was
// built with: rows loaded afterwards are filed under the nearest of those lists, and lists built on
// other rows (or on none: an index made on an empty table) no longer fit them, so recall drops. Such
// indexes are rebuilt after the rows arrive, inside the run's transaction, before the read-back.
// Which access methods need it is data; hnsw and PostgreSQL's own stay fit as rows arrive. Tables
// the run creates build their indexes after the rows already (create/create.ts).
import type pg from 'pg';
import { estimatedRowsText, formatBytes } from '../../shared/format.js';
import { displayName } from '../../shared/names.js';
import type { ExistingPolicy, TableReport } from '../../shared/report.js';
import type { ProgressListener } from '../events.js';
import { qualified, tableKey } from '../ident.js';
import type { TablePlan, TableStep, TargetIndex } from '../plan/plan.js';
import { raiseMaintenanceWorkMem } from './create.js';

/** Index access methods whose indexes are rebuilt after rows are loaded into their table, and why. */
export type RebuildRule = Readonly<Record<string, string>>;

export const REBUILT_AFTER_LOAD: RebuildRule = {
  ivfflat: 'it keeps the lists (centroids) it was built with, which would not fit the loaded rows and lose recall',
};

/** Whether the load goes into a table that exists on the target now, with whatever indexes it has. */
const loadsIntoExisting = (t: Pick<TablePlan, 'action' | 'create'>) =>
  t.action === 'copy' && t.create?.kind !== 'create';

/** Which of a table's indexes a load leaves needing a rebuild: those whose method is listed; none for a table the run creates. */
export function rebuildsAfterLoad(
  t: Pick<TablePlan, 'action' | 'create'>,
  indexes: readonly TargetIndex[],
  rule: RebuildRule = REBUILT_AFTER_LOAD,
): TargetIndex[] {
  return loadsIntoExisting(t) ? indexes.filter((i) => Object.hasOwn(rule, i.method)) : [];
}

/**
 * The indexes of each table on the target with their access methods, those of its partitions included
 * (rows loaded through a partitioned table land there; its own index is only a parent of theirs). From
 * the catalog alone: no lock is taken, so a table someone holds does not hold up the plan.
 */
async function targetIndexes(tgt: pg.Client, tables: TablePlan[]): Promise<Map<TablePlan, TargetIndex[]>> {
  const out = new Map<TablePlan, TargetIndex[]>(tables.map((t) => [t, []]));
  if (!tables.length) return out;
  const r = await tgt.query<TargetIndex & { ord: string }>(
    `WITH RECURSIVE tree(ord, relid) AS (
       SELECT r.ord, r.rel::regclass::oid FROM unnest($1::text[]) WITH ORDINALITY AS r(rel, ord)
       UNION ALL
       SELECT tree.ord, i.inhrelid FROM tree
         JOIN pg_class parent ON parent.oid = tree.relid AND parent.relkind = 'p'
         JOIN pg_inherits i ON i.inhparent = tree.relid)
     SELECT p.ord, n.nspname AS schema, ic.relname AS name, am.amname AS method,
            ic.relpages::int8 * current_setting('block_size')::int8 AS bytes
       FROM tree p
       JOIN pg_index x ON x.indrelid = p.relid
       JOIN pg_class ic ON ic.oid = x.indexrelid AND ic.relkind = 'i'
       JOIN pg_am am ON am.oid = ic.relam
       JOIN pg_namespace n ON n.oid = ic.relnamespace
      ORDER BY 1, 2, 3`,
    [tables.map((t) => qualified(t.target!.schema, t.target!.name))],
  );
  for (const { ord, ...index } of r.rows)
    out.get(tables[Number(ord) - 1])!.push({ ...index, bytes: Number(index.bytes) });
  return out;
}

/** The indexes each plan named for a rebuild that the target still has. */
async function stillThere(tgt: pg.Client, tables: TablePlan[]): Promise<Map<TablePlan, TargetIndex[]>> {
  const unfit = new Map<TablePlan, TargetIndex[]>();
  const named = (i: TargetIndex) => tableKey(i.schema, i.name);
  for (const [t, now] of await targetIndexes(tgt, tables)) {
    const present = new Set(now.map(named));
    const indexes = t.rebuild!.filter((i) => present.has(named(i)));
    if (indexes.length) unfit.set(t, indexes);
  }
  return unfit;
}

const indexNames = (indexes: TargetIndex[], sized = false) =>
  indexes
    .map((i) => `${i.method} index ${displayName(i.schema, i.name)}${sized ? ` (${formatBytes(i.bytes)} now)` : ''}`)
    .join(', ');

/** Why, in the rule's words, once per access method. */
const whyRebuilt = (indexes: TargetIndex[], rule: RebuildRule) =>
  [...new Set(indexes.map((i) => i.method))].map((m) => `${m}: ${rule[m]}`).join('; ');

/**
 * At plan time, from the target's catalog: each table's indexes the load leaves unfit, kept on its plan,
 * with a note saying what the rebuild reads (the rows the table will hold: the source's estimate, plus
 * the target's own under append).
 */
export async function planRebuilds(
  tgt: pg.Client,
  tables: TablePlan[],
  existing: ExistingPolicy,
  rule: RebuildRule = REBUILT_AFTER_LOAD,
): Promise<void> {
  for (const [t, found] of await targetIndexes(tgt, tables.filter(loadsIntoExisting))) {
    const indexes = rebuildsAfterLoad(t, found, rule);
    if (!indexes.length) continue;
    t.rebuild = indexes;
    const kept = existing === 'append' ? (t.target?.estimatedRows ?? 0) : 0;
    const rows = t.estimatedRows === null ? null : t.estimatedRows + kept;
    t.notes.push(
      `${indexNames(indexes, true)} rebuilt after the load (REINDEX, in the run's transaction, before the ` +
        `read-back) over ${estimatedRowsText(rows)} (${formatBytes(t.bytes)} copied); ${whyRebuilt(indexes, rule)}`,
    );
  }
}

/**
 * After the rows, in the run's transaction: REINDEX the indexes the plan named (those the run builds
 * after the rows itself, for added columns, are new and left alone; one dropped since is skipped), each
 * table through `step` (its savepoint: a refused rebuild fails that table only). The time each table's
 * took goes to its notes.
 */
export async function rebuildIndexes(
  tgt: pg.Client,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  o: { emit: ProgressListener; step: TableStep; checkCancel: () => void },
): Promise<void> {
  const unfit = await stillThere(
    tgt,
    tables.filter((t) => t.rebuild?.length),
  );
  if (!unfit.size) return;
  const methods = [...new Set([...unfit.values()].flat().map((i) => i.method))].join(', ');
  o.emit({ type: 'phase', message: `rebuilding the ${methods} indexes of ${unfit.size} loaded table(s)` });
  await raiseMaintenanceWorkMem(tgt);
  for (const [t, indexes] of unfit) {
    const began = Date.now();
    await o.step(t, async () => {
      for (const i of indexes) {
        o.checkCancel();
        await tgt.query(`REINDEX INDEX ${qualified(i.schema, i.name)}`);
      }
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      reports.get(t)?.notes.push(`${indexNames(indexes)} rebuilt after the load in ${seconds} s (REINDEX)`);
    });
  }
}

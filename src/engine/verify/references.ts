// Foreign keys the plan itself would break: a copied table whose rows point at a table this run does
// not copy (skipped, or not selected), and that table is empty on the target. The load would fail its
// foreign-key check after copying everything; the plan says so up front instead, naming both tables.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { type Catalog, type ForeignKey, type Table, partitionsOf } from '../catalog/catalog.js';
import { checksLoadedRows } from './constraints.js';
import { ident, tableKey } from '../ident.js';
import type { Plan, TablePlan } from '../plan/plan.js';
import { hasRows, relationSql } from '../catalog/relation.js';

/** What the servers were asked once, kept across the plan's rounds. */
export interface ReferenceFacts {
  targetHasRows: Map<string, boolean>;
  sourceNeedsRows: Map<string, boolean>;
}

export const newReferenceFacts = (): ReferenceFacts => ({ targetHasRows: new Map(), sourceNeedsRows: new Map() });

/**
 * The copied tables whose foreign key needs rows that will not be on the target, with the reason; by
 * tableKey. Reads only: whether the referenced target table is empty, and whether the source has a
 * row whose key is set (a row with a NULL in a MATCH SIMPLE key points at nothing).
 */
export async function unmetReferences(
  s: { source: pg.Client; target: pg.Client },
  plan: Plan,
  target: Catalog,
  facts: ReferenceFacts,
): Promise<Map<string, string>> {
  const byKey = new Map(plan.tables.map((p) => [tableKey(p.schema, p.table), p]));
  const copied = new Set(plan.tables.filter((p) => p.action === 'copy').map((p) => tableKey(p.schema, p.table)));
  const targetTables = new Map(target.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const out = new Map<string, string>();
  for (const p of plan.tables.filter((x) => x.action === 'copy' && x.target)) {
    const own = tableKey(p.schema, p.table);
    for (const fk of foreignKeysOf(p.target!, target)) {
      const ref = tableKey(fk.refSchema, fk.refTable);
      const refTable = targetTables.get(ref);
      if (ref === own || copied.has(ref) || !refTable) continue;
      if (await cached(facts.targetHasRows, ref, () => hasRows(s.target, refTable))) continue;
      const needs = await cached(facts.sourceNeedsRows, `${own}/${fk.name}`, () => sourceNeedsRows(s.source, p, fk));
      if (needs) out.set(own, reason(fk, byKey.get(ref), plan));
    }
  }
  return out;
}

/** The foreign keys a load into the table must satisfy: its own and its partitions' (not one added NOT VALID after the rows). */
const foreignKeysOf = (t: Table, target: Catalog): ForeignKey[] =>
  [t, ...partitionsOf(t, target.tables)].flatMap((h) =>
    h.foreignKeys.filter((fk) => checksLoadedRows(fk, h, target.tables)),
  );

async function cached<T>(m: Map<string, T>, key: string, ask: () => Promise<T>): Promise<T> {
  if (!m.has(key)) m.set(key, await ask());
  return m.get(key)!;
}

/** Whether a source row sets the key (all of it; any of it under MATCH FULL, where a partial key fails too). */
async function sourceNeedsRows(source: pg.Client, p: TablePlan, fk: ForeignKey): Promise<boolean> {
  const onSource = new Set(p.source.columns.map((c) => c.name));
  // A key column the source lacks gets the target's default: not known here, so not counted.
  const columns = fk.columns.filter((c) => onSource.has(c));
  if (!columns.length) return false;
  const set = columns.map((c) => `${ident(c)} IS NOT NULL`).join(fk.matchFull ? ' OR ' : ' AND ');
  const r = await source.query(`SELECT EXISTS (SELECT 1 FROM ${relationSql(p.source)} WHERE ${set}) AS needs`);
  return r.rows[0].needs;
}

function reason(fk: ForeignKey, ref: TablePlan | undefined, plan: Plan): string {
  const name = displayName(fk.refSchema, fk.refTable);
  const platform = plan.platformTables.find((l) => l.schema === fk.refSchema && l.table === fk.refTable);
  const [why, fix] = ref
    ? [`skipped (${ref.reason})`, 'copy it too']
    : platform
      ? [
          `not copied (${platform.kind})`,
          platform.kind === 'platform data' ? `select ${platform.schema} too` : 'name it, or include platform schemas',
        ]
      : ['not selected', 'copy it too'];
  return (
    `its foreign key ${fk.name} needs rows of ${name}, which is empty on the target and not copied by ` +
    `this run: ${name} is ${why}; ${fix}, or fill it first`
  );
}

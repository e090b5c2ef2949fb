// What replica mode (session_replication_role = replica, which keeps user triggers from firing)
// also switches off: the triggers PostgreSQL itself uses for foreign keys and for deferrable unique
// constraints. After such a load, inside the transaction, Archon checks them the way they would have.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import { type DeferrableUnique, type ForeignKey, type Table, partitionsOf } from '../catalog/catalog.js';
import { ident, qualified, tableKey } from '../ident.js';
import { relationSql } from '../catalog/relation.js';
import type { TablePlan } from '../plan/plan.js';

/**
 * Every broken constraint of a loaded table, in words (null when all hold), and the foreign keys left
 * unchecked: those into a table whose rows did not load (`notLoaded`, by table key), which would only
 * count rows missing for that table's failure.
 */
export async function uncheckedConstraints(
  tgt: pg.Client,
  t: TablePlan,
  targetTables: Table[],
  notLoaded: ReadonlySet<string> = new Set(),
): Promise<{ problem: string | null; notChecked: string[] }> {
  const problems: string[] = [];
  const notChecked: string[] = [];
  // A constraint may also be declared on one partition only (Pagila's foreign keys are, on each); the
  // rows loaded through the parent landed there too.
  const holders = [t.target!, ...partitionsOf(t.target!, targetTables)];
  for (const holder of holders) {
    for (const fk of holder.foreignKeys) {
      if (!checksLoadedRows(fk, holder, targetTables)) continue;
      if (notLoaded.has(tableKey(fk.refSchema, fk.refTable))) notChecked.push(notCheckedNote(fk));
      else problems.push(...(await foreignKeyProblems(tgt, holder, fk, targetTables)));
    }
    for (const u of holder.deferrableUniques) {
      const problem = await (u.operators ? exclusionProblem(tgt, holder, u) : duplicateProblem(tgt, holder, u));
      if (problem) problems.push(problem);
    }
  }
  return { problem: problems.length ? problems.join('; ') : null, notChecked };
}

/**
 * Whether PostgreSQL's own trigger would have checked the loaded rows against the foreign key: a key
 * the run adds after the rows as NOT VALID (on a table it creates, or with columns it adds) checks
 * none of them; a key the target had before checks every row inserted, NOT VALID or not. `before`
 * is the target's catalog as the run found it.
 */
export function checksLoadedRows(fk: ForeignKey, holder: Table, before: Table[]): boolean {
  if (fk.validated) return true;
  const was = before.find((t) => t.schema === holder.schema && t.name === holder.name);
  return !!was?.foreignKeys.some((f) => f.name === fk.name);
}

const notCheckedNote = (fk: ForeignKey) => {
  const ref = displayName(fk.refSchema, fk.refTable);
  return `foreign key ${fk.name} (into ${ref}) not checked: ${ref} failed to load, so the rows it points at are not there`;
};

/**
 * Rows pointing at rows the target does not have; under MATCH FULL also rows that mix NULLs in. Both
 * sides read as PostgreSQL's own check reads them: a plain table without its inheritance children.
 */
async function foreignKeyProblems(
  tgt: pg.Client,
  holder: Table,
  fk: ForeignKey,
  targetTables: Table[],
): Promise<string[]> {
  const referenced = targetTables.find((x) => x.schema === fk.refSchema && x.name === fk.refTable);
  const parents = referenced ? relationSql(referenced) : qualified(fk.refSchema, fk.refTable);
  const child = fk.columns.map((c) => `c.${ident(c)}`);
  const match = fk.columns.map((c, i) => `p.${ident(fk.refColumns[i])} = c.${ident(c)}`).join(' AND ');
  const allSet = child.map((c) => `${c} IS NOT NULL`).join(' AND ');
  const someSet = child.map((c) => `${c} IS NOT NULL`).join(' OR ');
  const res = await tgt.query(
    `SELECT count(*) FILTER (WHERE ${allSet} AND NOT EXISTS (SELECT 1 FROM ${parents} p WHERE ${match}))::int8 AS dangling,
            count(*) FILTER (WHERE (${someSet}) AND NOT (${allSet}))::int8 AS mixed
     FROM ${relationSql(holder)} c`,
  );
  const problems: string[] = [];
  const dangling = Number(res.rows[0].dangling);
  if (dangling > 0) {
    const ref = displayName(fk.refSchema, fk.refTable);
    problems.push(`${dangling} row(s) reference ${ref} rows that the target does not have (foreign key ${fk.name})`);
  }
  const mixed = Number(res.rows[0].mixed);
  if (fk.matchFull && mixed > 0) {
    problems.push(`${mixed} row(s) mix NULL and non-NULL values in foreign key ${fk.name} (MATCH FULL)`);
  }
  return problems;
}

async function duplicateProblem(tgt: pg.Client, holder: Table, u: DeferrableUnique): Promise<string | null> {
  const cols = u.columns.map(ident);
  // NULLs are distinct (never duplicates) unless the constraint says NULLS NOT DISTINCT.
  const where = u.nullsNotDistinct ? '' : `WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')}`;
  const dup = await tgt.query(
    `SELECT ${cols.map((c, i) => `coalesce(${c}::text, 'null') AS v${i}`).join(', ')} FROM ${relationSql(holder)}
     ${where} GROUP BY ${cols.join(', ')} HAVING count(*) > 1 LIMIT 1`,
  );
  if (!dup.rows.length) return null;
  const key = `(${u.columns.join(', ')})=(${Object.values(dup.rows[0]).join(', ')})`;
  return `duplicate key ${key} breaks the deferrable unique constraint ${u.name}`;
}

/** Two rows that conflict under every operator of a deferrable exclusion constraint. */
async function exclusionProblem(tgt: pg.Client, holder: Table, u: DeferrableUnique): Promise<string | null> {
  const conflict = u.columns.map((c, i) => `a.${ident(c)} ${u.operators![i]} b.${ident(c)}`).join(' AND ');
  const res = await tgt.query(
    `SELECT 1 FROM ${relationSql(holder)} a JOIN ${relationSql(holder)} b
       ON (a.tableoid, a.ctid) < (b.tableoid, b.ctid) AND ${conflict} LIMIT 1`,
  );
  return res.rows.length ? `two rows conflict under the deferrable exclusion constraint ${u.name}` : null;
}

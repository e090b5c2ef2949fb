import { displayName } from '../shared/names.js';
import { errorInfo } from './errors.js';
import { ident, qualified } from './ident.js';
import type { TablePlan } from './plan.js';
import type { Session } from './session.js';

/**
 * Moves each owned sequence (serial or identity) of the target past both the copied values and the
 * source's sequence. A failure fails the run: new rows would collide with the copied ids. setval is
 * not undone by ROLLBACK, so the run calls this only once every table has verified.
 */
export async function moveSequences(s: Session, t: TablePlan): Promise<void> {
  const sourceSeqs = new Map(t.source.sequences.map((q) => [q.column, q]));
  for (const seq of t.target?.sequences ?? []) {
    if (!t.columns.includes(seq.column)) continue;
    const src = sourceSeqs.get(seq.column);
    const sourceValue = src ? await sourceSequenceValue(s, src.schema, src.name) : null;
    try {
      await s.target.query(
        `SELECT setval($1::regclass, v, true) FROM (
           SELECT GREATEST((SELECT max(${ident(seq.column)}) FROM ${qualified(t.schema, t.table)})::int8, $2::int8,
                           (SELECT last_value FROM pg_sequences WHERE schemaname = $3 AND sequencename = $4)) AS v) x
         WHERE v IS NOT NULL`,
        [qualified(seq.schema, seq.name), sourceValue, seq.schema, seq.name],
      );
    } catch (e) {
      const info = errorInfo(e, s.secrets);
      throw Object.assign(
        new Error(
          `could not move sequence ${displayName(seq.schema, seq.name)} past the copied values: ${info.message}`,
        ),
        {
          code: info.code,
        },
      );
    }
  }
}

async function sourceSequenceValue(s: Session, schema: string, name: string): Promise<string | null> {
  // pg_sequences shows NULL instead of failing when the value is not visible, so the read-only
  // source transaction never breaks here.
  const v = await s.source.query(
    `SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2`,
    [schema, name],
  );
  return v.rows[0]?.v ?? null;
}

import { displayName } from '../shared/names.js';
import { errorInfo } from './errors.js';
import { ident, qualified } from './ident.js';
import type { TablePlan } from './plan.js';
import type { Session } from './session.js';

/** One owned sequence of the target and the value its next nextval() must return. */
interface SequenceMove {
  name: string;
  regclass: string;
  next: string;
  /** ALTER SEQUENCE … RESTART is transactional (PostgreSQL 10+), but only the owner may run it. */
  owned: boolean;
}

/**
 * Moves each owned sequence (serial or identity) of the target past both the copied values and the
 * source's sequence, so new rows do not collide with the copied ids. Every value, bound and
 * privilege is checked first; then the sequences the user owns are restarted inside the load's
 * transaction (undone by a rollback), and only those it may merely update are moved with setval
 * (which no rollback undoes), last. `moved` hears each name that setval moved, for the report.
 */
export async function moveSequences(s: Session, tables: TablePlan[], moved: (name: string) => void): Promise<void> {
  const moves: SequenceMove[] = [];
  for (const t of tables) moves.push(...(await plannedMoves(s, t)));
  for (const m of moves.filter((x) => x.owned))
    await onSequence(s, m, () => s.target.query(`ALTER SEQUENCE ${m.regclass} RESTART WITH ${m.next}`));
  for (const m of moves.filter((x) => !x.owned)) {
    await onSequence(s, m, () => s.target.query('SELECT setval($1::regclass, $2::int8, false)', [m.regclass, m.next]));
    moved(m.name);
  }
}

async function plannedMoves(s: Session, t: TablePlan): Promise<SequenceMove[]> {
  const sourceSeqs = new Map(t.source.sequences.map((q) => [q.column, q]));
  const moves: SequenceMove[] = [];
  for (const seq of t.target?.sequences ?? []) {
    if (!t.columns.includes(seq.column)) continue;
    const src = sourceSeqs.get(seq.column);
    const sourceValue = src ? await sourceSequenceValue(s, src.schema, src.name) : null;
    const m = {
      name: displayName(seq.schema, seq.name),
      regclass: qualified(seq.schema, seq.name),
      next: '',
      owned: false,
    };
    const col = ident(seq.column);
    const rel = qualified(t.schema, t.table);
    const r = await onSequence(s, m, () =>
      s.target.query(
        // Ascending: past the largest value in use; descending: below the smallest.
        `SELECT v::text, (v + q.increment_by)::text AS next, q.max_value::text AS max, q.min_value::text AS min,
                q.increment_by > 0 AS ascending,
                pg_has_role(c.relowner, 'USAGE') AS owned, has_sequence_privilege(c.oid, 'UPDATE') AS updatable
           FROM pg_sequences q JOIN pg_class c ON c.oid = $1::regclass,
                LATERAL (SELECT CASE WHEN q.increment_by > 0
                  THEN GREATEST((SELECT max(${col}) FROM ${rel})::numeric, $2::numeric, q.last_value::numeric)
                  ELSE LEAST((SELECT min(${col}) FROM ${rel})::numeric, $2::numeric, q.last_value::numeric) END AS v) x
          WHERE q.schemaname = $3 AND q.sequencename = $4`,
        [m.regclass, sourceValue, seq.schema, seq.name],
      ),
    );
    const row = r.rows[0];
    if (!row || row.v === null) continue; // nothing copied and nothing used yet
    if (!row.owned && !row.updatable)
      throw sequenceError(m, `${s.summaries.target.label} may not update it (it needs UPDATE on the sequence)`);
    if (row.ascending && BigInt(row.next) > BigInt(row.max))
      throw sequenceError(m, `the largest value in use, ${row.v}, leaves no room below its maximum ${row.max}`);
    if (!row.ascending && BigInt(row.next) < BigInt(row.min))
      throw sequenceError(m, `the smallest value in use, ${row.v}, leaves no room above its minimum ${row.min}`);
    moves.push({ ...m, next: row.next, owned: row.owned });
  }
  return moves;
}

/** Runs one statement for a sequence; an error names the sequence. */
async function onSequence<T>(s: Session, m: SequenceMove, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const info = errorInfo(e, s.secrets);
    throw Object.assign(sequenceError(m, info.message), { code: info.code });
  }
}

const sequenceError = (m: SequenceMove, why: string): Error =>
  new Error(`could not move sequence ${m.name} past the copied values: ${why}`);

async function sourceSequenceValue(s: Session, schema: string, name: string): Promise<string | null> {
  // pg_sequences shows NULL instead of failing when the value is not visible, so the read-only
  // source transaction never breaks here.
  const v = await s.source.query(
    `SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2`,
    [schema, name],
  );
  return v.rows[0]?.v ?? null;
}

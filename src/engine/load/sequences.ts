import type pg from 'pg';
import type { TableReport } from '../../shared/report.js';
import { displayName } from '../../shared/names.js';
import type { Catalog } from '../catalog/catalog.js';
import { errorInfo } from '../errors.js';
import { ident, qualified, tableKey } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';
import { contained } from './tableFailure.js';
import type { Session } from '../connect/session.js';
import { SQLSTATE } from '../sqlState.js';

/** One sequence of the target and the value its next nextval() must return. */
interface SequenceMove {
  name: string;
  regclass: string;
  next: string;
  /** ALTER SEQUENCE … RESTART is transactional (PostgreSQL 10+), but only the owner may run it. */
  owned: boolean;
  /** `next` is already handed out (an exhausted sequence left so): the next nextval fails, as on the source. */
  called: boolean;
  /** Why it does not simply continue past the values in use, for the notes of the tables copied into it. */
  why: string | null;
}

/** A move checked and ready, with the sequence it is for. */
export interface PlannedMove {
  m: SequenceMove;
  c: CopiedSequence;
  users: SequenceUser[];
}

/** A target sequence that copied columns take their values from (owning it, or calling it in their default). */
interface CopiedSequence {
  schema: string;
  name: string;
  copied: { t: TablePlan; column: string; owned: boolean }[];
  /** The source's sequences behind the same columns: the target's continues past them too. */
  sources: { schema: string; name: string }[];
}

/** A column of the target that takes its values from a sequence: it owns it, or its default calls it. */
export interface SequenceUser {
  schema: string;
  table: string;
  column: string;
  /** The column owns the sequence (serial, identity, OWNED BY); otherwise its default calls it. */
  owns: boolean;
  /** Why its values cannot be looked at (not an integer column, not readable); null when they are. */
  uncounted: string | null;
}

/** The copied columns' sequences, each once however many tables share it. */
function copiedSequences(tables: TablePlan[]): CopiedSequence[] {
  const byKey = new Map<string, CopiedSequence>();
  for (const t of tables) {
    for (const seq of t.target?.sequences ?? []) {
      if (!t.columns.includes(seq.column)) continue;
      const key = tableKey(seq.schema, seq.name);
      const c = byKey.get(key) ?? { schema: seq.schema, name: seq.name, copied: [], sources: [] };
      byKey.set(key, c);
      c.copied.push({ t, column: seq.column, owned: seq.owned });
      for (const src of t.source.sequences.filter((q) => q.column === seq.column))
        if (!c.sources.some((q) => q.schema === src.schema && q.name === src.name)) c.sources.push(src);
    }
  }
  return [...byKey.values()];
}

// Found through pg_depend (a default calling nextval('s') depends on s), never by reading the
// default's text. A partition's or an inheritance child's rows are read through its parent when the
// parent's column takes from the sequence too. Every sequence asked about at once, each by its name.
const USERS_SQL = `
WITH seqs AS (SELECT s.name, to_regclass(s.name) AS oid FROM unnest($1::text[]) s(name)),
users AS (
  SELECT q.name AS seq, ad.adrelid AS rel, ad.adnum AS attnum, false AS owns
    FROM seqs q JOIN pg_depend d ON d.refobjid = q.oid JOIN pg_attrdef ad ON ad.oid = d.objid
   WHERE d.classid = 'pg_attrdef'::regclass AND d.refclassid = 'pg_class'::regclass
  UNION
  SELECT q.name, d.refobjid, d.refobjsubid, true FROM seqs q JOIN pg_depend d ON d.objid = q.oid
   WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))
SELECT u.seq, n.nspname AS schema, c.relname AS table, a.attname AS column, bool_or(u.owns) AS owns,
       coalesce(nullif(t.typbasetype, 0), t.oid) IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AS integer,
       has_table_privilege(c.oid, 'SELECT')
         AND NOT (c.relrowsecurity AND NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)
                  AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE'))) AS readable,
       current_user AS who
  FROM users u JOIN pg_class c ON c.oid = u.rel JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relkind IN ('r', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN users pu ON pu.rel = i.inhparent AND pu.seq = u.seq
                    WHERE i.inhrelid = u.rel)
 GROUP BY u.seq, n.nspname, c.relname, a.attname, t.typbasetype, t.oid, c.oid
 ORDER BY 2, 3, 4`;

/** Every column of the target that takes its values from `regclass` (a quoted, qualified name). */
export async function sequenceUsers(c: pg.Client, regclass: string): Promise<SequenceUser[]> {
  return (await usersOfSequences(c, [regclass])).get(regclass) ?? [];
}

/** The columns of the target that take their values from each sequence named (quoted, qualified), in one query. */
export async function usersOfSequences(c: pg.Client, regclasses: string[]): Promise<Map<string, SequenceUser[]>> {
  const out = new Map<string, SequenceUser[]>(regclasses.map((r) => [r, []]));
  if (!regclasses.length) return out;
  const r = await c.query(USERS_SQL, [regclasses]);
  for (const u of r.rows)
    out.get(u.seq)?.push({
      schema: u.schema,
      table: u.table,
      column: u.column,
      owns: u.owns,
      uncounted: !u.integer ? 'it is not an integer column' : !u.readable ? `${u.who} may not read that table` : null,
    });
  return out;
}

const userName = (u: SequenceUser) => `${displayName(u.schema, u.table)}.${u.column}`;

/**
 * Checks, for every sequence a copied column takes its values from (serial, identity, or a sequence its
 * default calls, owned or not, shared or not), where it must stand: past the values every column
 * taking from it holds on the target now, copied or not, and past the source's sequences. Reads only.
 * A sequence that cannot be moved fails the tables copied into it, and only those (`failed`, each
 * table once with every sequence's words), so one run names every such problem.
 */
export async function planSequenceMoves(
  s: Session,
  tables: TablePlan[],
  failed: (t: TablePlan, e: unknown) => void,
): Promise<PlannedMove[]> {
  const moves: PlannedMove[] = [];
  const problems = new Map<TablePlan, unknown[]>();
  for (const c of copiedSequences(tables)) {
    let planned: Omit<PlannedMove, 'c'> | null = null;
    const e = await contained(s, async () => {
      planned = await plannedMove(s, c);
    });
    if (e) for (const t of new Set(c.copied.map((x) => x.t))) problems.set(t, [...(problems.get(t) ?? []), e]);
    else if (planned) moves.push({ ...(planned as Omit<PlannedMove, 'c'>), c });
  }
  for (const [t, errors] of problems) failed(t, errors.length === 1 ? errors[0] : joined(errors));
  return moves;
}

/** Several sequences' errors as one, for a table that uses them all. */
const joined = (errors: unknown[]): Error =>
  Object.assign(new Error(errors.map((e) => (e as Error).message).join('; ')), {
    code: (errors[0] as { code?: string }).code,
    severity: 'ERROR',
  });

/**
 * Moves the sequences planSequenceMoves checked: those the user owns are restarted inside the load's
 * transaction (undone by a rollback), and only those it may merely update are moved with setval
 * (which no rollback undoes), last. `moved` hears each name that setval moved, for the report; a
 * sequence worth naming (not owned by its column, shared, or not simply continued) gets where it
 * stands in the notes of the tables copied into it.
 */
export async function moveSequences(
  s: Session,
  moves: PlannedMove[],
  moved: (name: string) => void,
  reports?: Map<TablePlan, TableReport>,
): Promise<void> {
  for (const { m } of moves.filter((x) => x.m.owned))
    await onSequence(s, m, async () => {
      await s.target.query(`ALTER SEQUENCE ${m.regclass} RESTART WITH ${m.next}`);
      // After the RESTART the sequence is a new file of this transaction, so this setval is undone too.
      if (m.called) await s.target.query('SELECT setval($1::regclass, $2::int8, true)', [m.regclass, m.next]);
    });
  for (const { m } of moves.filter((x) => !x.m.owned)) {
    await onSequence(s, m, () =>
      s.target.query('SELECT setval($1::regclass, $2::int8, $3)', [m.regclass, m.next, m.called]),
    );
    moved(m.name);
  }
  for (const { m, c } of moves.filter((x) => x.m.why || worthNaming(x.c, x.users.length)))
    for (const t of new Set(c.copied.map((x) => x.t)))
      reports?.get(t)?.notes.push(m.why ?? `sequence ${m.name} now continues at ${m.next}`);
}

/** Not the plain case of a column and the sequence it owns alone: the notes name it. */
const worthNaming = (c: CopiedSequence, users: number) => c.copied.some((x) => !x.owned) || users > 1;

async function plannedMove(s: Session, c: CopiedSequence): Promise<Omit<PlannedMove, 'c'> | null> {
  const m: SequenceMove = {
    name: displayName(c.schema, c.name),
    regclass: qualified(c.schema, c.name),
    next: '',
    owned: false,
    called: false,
    why: null,
  };
  const sourceValues: string[] = [];
  for (const src of c.sources) {
    const v = await sourceSequenceValue(s, src.schema, src.name);
    if (v !== null) sourceValues.push(v);
  }
  const users = await onSequence(s, m, () => sequenceUsers(s.target, m.regclass));
  const stands = await onSequence(s, m, () => standing(s.target, m.regclass));
  const extreme = (fn: 'max' | 'min') => [
    ...users
      .filter((u) => u.uncounted === null)
      .map((u) => `(SELECT ${fn}(${ident(u.column)}) FROM ${qualified(u.schema, u.table)})::numeric`),
    `(SELECT ${fn}(x) FROM unnest($2::numeric[]) x)`,
    'coalesce($5::numeric, q.last_value::numeric)',
  ];
  const r = await onSequence(s, m, () =>
    s.target.query(
      // Ascending: past the largest value in use; descending: below the smallest.
      `SELECT v::text, (v + q.increment_by)::text AS next, q.max_value::text AS max, q.min_value::text AS min,
              q.increment_by > 0 AS ascending, q.cycle, q.increment_by::text AS step,
              pg_has_role(c.relowner, 'USAGE') AS owned, has_sequence_privilege(c.oid, 'UPDATE') AS updatable
         FROM pg_sequences q JOIN pg_class c ON c.oid = $1::regclass,
              LATERAL (SELECT CASE WHEN q.increment_by > 0 THEN GREATEST(${extreme('max').join(', ')})
                                   ELSE LEAST(${extreme('min').join(', ')}) END AS v) x
        WHERE q.schemaname = $3 AND q.sequencename = $4`,
      [m.regclass, sourceValues, c.schema, c.name, stands],
    ),
  );
  const row = r.rows[0];
  if (!row || row.v === null) return null; // nothing copied and nothing used yet
  if (!row.owned && !row.updatable)
    throw sequenceError(
      m,
      `${s.summaries.target.label} may not update it (it needs UPDATE on the sequence)`,
      SQLSTATE.insufficientPrivilege,
    );
  const past = row.ascending ? BigInt(row.next) > BigInt(row.max) : BigInt(row.next) < BigInt(row.min);
  const placed = past ? atBound(m, row, sourceValues) : { ...m, next: row.next };
  return { m: { ...placed, owned: row.owned }, users };
}

interface BoundsRow {
  v: string;
  max: string;
  min: string;
  ascending: boolean;
  cycle: boolean;
  step: string;
}

/**
 * A sequence with no room past the values in use. One that cycles and wrapped on the source goes on
 * where the source's does (as the source would); one whose values reach its bound exactly is left
 * exhausted, as the source is, so it never hands out a value in use; values beyond its bound (the
 * target's bound is narrower) are an error.
 */
function atBound(m: SequenceMove, row: BoundsRow, sourceValues: string[]): SequenceMove {
  const [edge, word] = row.ascending ? [row.max, 'maximum'] : [row.min, 'minimum'];
  if (row.cycle && sourceValues.length === 1) {
    const last = BigInt(sourceValues[0]);
    const next = last + BigInt(row.step);
    const wraps = row.ascending ? next > BigInt(row.max) : next < BigInt(row.min);
    const at = (wraps ? (row.ascending ? row.min : row.max) : next.toString()).toString();
    return {
      ...m,
      next: at,
      why:
        `sequence ${m.name} cycles and has wrapped on the source: it continues where the source's does, at ${at} ` +
        '(values already in use come again when it reaches them, as on the source)',
    };
  }
  if (BigInt(row.v) === BigInt(edge)) {
    const asSource = sourceValues.includes(edge) ? ', as on the source' : '';
    return {
      ...m,
      next: edge,
      called: true,
      why:
        `sequence ${m.name} is exhausted${asSource}: the values in use reach its ${word} ${edge}, so it is left ` +
        `there and its next nextval fails rather than hand out a value in use (change its ${word.toUpperCase().slice(0, 3)}VALUE to go on)`,
    };
  }
  const which = row.ascending ? 'largest' : 'smallest';
  const side = row.ascending ? 'below' : 'above';
  throw sequenceError(
    m,
    `the ${which} value in use, ${row.v}, leaves no room ${side} its ${word} ${edge}`,
    SQLSTATE.sequenceGeneratorLimitExceeded,
  );
}

/**
 * The value the sequence already stands at, as one handed out: after a (re)start that nothing has
 * called yet, one step before the value it hands out next (pg_sequences shows no value then, and a
 * START 1000 would otherwise move back). Null when the user may not read the sequence.
 */
async function standing(c: pg.Client, regclass: string): Promise<string | null> {
  const may = await c.query(`SELECT has_sequence_privilege($1::regclass, 'SELECT') AS ok`, [regclass]);
  if (!may.rows[0].ok) return null;
  const r = await c.query(
    `SELECT (CASE WHEN s.is_called THEN s.last_value::numeric ELSE s.last_value::numeric - q.seqincrement END)::text AS v
       FROM ${regclass} s, pg_sequence q WHERE q.seqrelid = $1::regclass`,
    [regclass],
  );
  return r.rows[0].v;
}

/** Runs one statement for a sequence; an error names the sequence. */
async function onSequence<T>(s: Session, m: SequenceMove, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const info = errorInfo(e, s.secrets);
    // Kept a server's error (its code and severity), so a table's own problem stays the table's.
    throw Object.assign(sequenceError(m, info.message, info.code ?? undefined), {
      severity: (e as { severity?: string }).severity,
    });
  }
}

/** Shaped like a server's error (SQLSTATE, severity): a problem of the tables that use the sequence, not the run's. */
const sequenceError = (m: SequenceMove, why: string, code?: string): Error =>
  Object.assign(new Error(`could not move sequence ${m.name} past the copied values: ${why}`), {
    code,
    severity: code ? 'ERROR' : undefined,
  });

async function sourceSequenceValue(s: Session, schema: string, name: string): Promise<string | null> {
  // pg_sequences shows NULL instead of failing when the value is not visible, so the read-only
  // source transaction never breaks here.
  const v = await s.source.query(
    `SELECT last_value::text AS v FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2`,
    [schema, name],
  );
  return v.rows[0]?.v ?? null;
}

/**
 * The plan's words for each sequence the run will move that is not the plain case (a column and the
 * sequence it owns alone): one a default calls that no column owns, one the run creates, one shared
 * by several tables, copied or not, and columns whose values cannot be looked at.
 */
export async function noteSequences(tgt: pg.Client, tables: TablePlan[], source: Catalog): Promise<void> {
  const copying = tables.filter((t) => t.action === 'copy');
  const created = new Set(
    copying.flatMap((t) => t.create?.created ?? []).flatMap((o) => (o.kind === 'sequence' ? [o.name] : [])),
  );
  const inRun = new Set(copying.map((t) => tableKey(t.target!.schema, t.target!.name)));
  const sequences = copiedSequences(copying);
  // One the run creates does not exist yet: the created tables copied into it are all that use it.
  const existing = sequences.map((c) => qualified(c.schema, c.name)).filter((q) => !created.has(q));
  const usersOf = await usersOfSequences(tgt, existing);
  for (const c of sequences) {
    const isCreated = created.has(qualified(c.schema, c.name));
    const users = usersOf.get(qualified(c.schema, c.name)) ?? [];
    const outside = users.filter((u) => !inRun.has(tableKey(u.schema, u.table)));
    if (!worthNaming(c, Math.max(users.length, c.copied.length))) continue;
    const ownedOnSource = source.tables.some((x) =>
      x.sequences.some((q) => q.owned && q.schema === c.schema && q.name === c.name),
    );
    for (const e of c.copied) {
      const others = [...new Set(c.copied.filter((x) => x.t !== e.t).map((x) => displayName(x.t.schema, x.t.table)))];
      const parts = [sequenceLead(c, e, ownerOf(c, users), isCreated, ownedOnSource)];
      if (others.length)
        parts.push(`shared with ${others.join(', ')} (copied too): moved once, past the values of all`);
      for (const u of outside.filter((x) => x.uncounted === null))
        parts.push(
          `${userName(u)}, which this run does not copy, takes its values from it too: moved past those as well ` +
            '(and undo leaves the sequence where the run moved it)',
        );
      for (const u of users.filter((x) => x.uncounted !== null))
        parts.push(`${userName(u)} takes its values from it too, but ${u.uncounted}: its values are not looked at`);
      e.t.notes.push(parts.join('; '));
    }
  }
}

/** The column that owns the sequence on the target (or will, once the run created it), by name. */
function ownerOf(c: CopiedSequence, users: SequenceUser[]): string | null {
  const u = users.find((x) => x.owns);
  if (u) return userName(u);
  const e = c.copied.find((x) => x.owned);
  return e ? `${displayName(e.t.schema, e.t.table)}.${e.column}` : null;
}

/** How a note names the sequence: whose it is, and whether the run creates it. */
function sequenceLead(
  c: CopiedSequence,
  e: CopiedSequence['copied'][number],
  owner: string | null,
  isCreated: boolean,
  ownedOnSource: boolean,
): string {
  const name = displayName(c.schema, c.name);
  const after = "moved past the copied values (and the source's sequence) after verification";
  if (e.owned) return `sequence ${name}, owned by ${e.column}, is ${after}`;
  const calls = `sequence ${name}, which the default of ${e.column} calls`;
  if (!isCreated) return `${calls} (${owner ? `owned by ${owner}` : 'no column owns it'}), is ${after}`;
  const whose = owner
    ? `owned by ${owner}, as on the source`
    : ownedOnSource
      ? 'no column owns it: its owner on the source is not created here'
      : 'no column owns it, as on the source';
  return `${calls}, is created on the target (${whose}) and ${after}`;
}

/**
 * The copied tables whose sequence the target user may not move (neither its owner nor granted UPDATE),
 * with the reason, by tableKey: the plan skips them up front rather than copy everything and fail at
 * the end. A sequence the run creates is the user's own.
 */
export async function unmovableSequences(tgt: pg.Client, tables: TablePlan[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const sequences = copiedSequences(tables.filter((t) => t.action === 'copy'));
  if (!sequences.length) return out;
  // One question for every sequence: over a slow link a round trip each would grow with the tables.
  const r = await tgt.query<{ i: number; movable: boolean; who: string }>(
    `SELECT s.i::int AS i, pg_has_role(c.relowner, 'USAGE') OR has_sequence_privilege(c.oid, 'UPDATE') AS movable,
            current_user AS who
       FROM unnest($1::text[]) WITH ORDINALITY s(name, i) JOIN pg_class c ON c.oid = to_regclass(s.name)`,
    [sequences.map((c) => qualified(c.schema, c.name))],
  );
  for (const row of r.rows) {
    if (row.movable) continue;
    const c = sequences[row.i - 1];
    for (const e of c.copied)
      out.set(
        tableKey(e.t.schema, e.t.table),
        `sequence ${displayName(c.schema, c.name)}, which ${e.column} takes its values from, must move past the ` +
          `copied values, but ${row.who} may not update it on the target: grant it UPDATE on the sequence ` +
          '(or make it the owner)',
      );
  }
  return out;
}

// One table's failure, contained. Each step of a table's load (its copy, the indexes built or rebuilt
// after it, its checks) runs in a savepoint on the target: a failure that is the table's own (a
// constraint, a bad value, refused DDL) is rolled back to it and recorded, and the run goes on with the
// other tables, so one run names every problem. Nothing is committed after such a failure; the other
// tables only show what would have happened. A failure that is no one table's (errors.ts, endsTheRun)
// is thrown: it ends the run at once.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import type { ErrorInfo } from '../../shared/report.js';
import { partitionsOf } from '../catalog/catalog.js';
import { connectionLost } from '../connect/connection.js';
import { CopyStreamError, endsTheRun, errorInfo } from '../errors.js';
import { tableKey } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';
import type { Session } from '../connect/session.js';
import { SQLSTATE, sqlStateOf } from '../sqlState.js';

const SAVEPOINT = 'archon_table';

/** Runs one table's step in a savepoint. Returns the table's own error (rolled back), or null. */
export async function contained(
  s: { source: pg.Client; target: pg.Client },
  step: () => Promise<void>,
): Promise<unknown | null> {
  await s.target.query(`SAVEPOINT ${SAVEPOINT}`);
  try {
    await step();
  } catch (e) {
    if (endsTheRun(e) || connectionLost(s.target) || connectionLost(s.source)) throw e;
    // A rollback that fails (the connection gone), or a source transaction that an error of its own
    // aborted (the snapshot lost): no longer this table's failure alone, so the run ends.
    await s.target.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`).catch(() => Promise.reject(e));
    await s.target.query(`RELEASE SAVEPOINT ${SAVEPOINT}`).catch(() => Promise.reject(e));
    await s.source.query('SELECT 1').catch(() => Promise.reject(new CopyStreamError('source', e)));
    return e;
  }
  await s.target.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  return null;
}

/**
 * A duplicate key where the run kept the rows the target held (Append): the clash is most likely with
 * those rows, and the way out is a choice of the user's, in the words of VS Code's choices
 * (the CLI's `--existing replace` and `skip-nonempty` carry the same names).
 */
const KEPT_ROWS_CLASH =
  'the target already holds rows with these keys: choose Replace to empty it first, or Skip tables that have rows';

/**
 * A table's own failure as its report says it: the server's words and code, and where a foreign key
 * refused rows because the table it references failed to load (`notLoaded`, by table key), that
 * too: those rows point at rows that are not there, which says nothing against this table's own.
 */
export function tableFailure(
  e: unknown,
  t: TablePlan,
  s: Pick<Session, 'secrets' | 'targetCatalog'>,
  notLoaded: ReadonlySet<string>,
  /** The rows the target table held before the run and kept (not emptied); null when unknown. */
  rowsKept: number | null = null,
): { message: string; info: ErrorInfo } {
  const info = errorInfo(e, s.secrets);
  const message = `${info.message}${info.code ? ` [${info.code}]` : ''}`;
  const code = sqlStateOf(e);
  if (code === SQLSTATE.uniqueViolation && !t.empties && (rowsKept ?? 0) > 0)
    return { message: `${message}; ${KEPT_ROWS_CLASH}`, info };
  const constraint = (e as { constraint?: string }).constraint;
  if (code !== SQLSTATE.foreignKeyViolation || !constraint || !t.target) return { message, info };
  const holders = [t.target, ...partitionsOf(t.target, s.targetCatalog.tables)];
  const fk = holders.flatMap((h) => h.foreignKeys).find((f) => f.name === constraint);
  if (!fk || !notLoaded.has(tableKey(fk.refSchema, fk.refTable))) return { message, info };
  const ref = displayName(fk.refSchema, fk.refTable);
  return {
    message: `${message} (${ref} failed to load, so the rows this foreign key points at are not there; this table's own rows may be fine)`,
    info,
  };
}

// Read in a savepoint of its own: a catalog read that failed would otherwise abort the run's transaction.
const CONSTRAINT_SQL = `
SELECT coalesce(
  (SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
     JOIN pg_namespace n ON n.oid = r.relnamespace WHERE c.conname = $1 AND r.relname = $2 AND n.nspname = $3 LIMIT 1),
  (SELECT pg_get_indexdef(i.oid) FROM pg_class i JOIN pg_namespace n ON n.oid = i.relnamespace
     WHERE i.relname = $1 AND i.relkind IN ('i', 'I') AND n.nspname = $3 LIMIT 1)) AS definition`;

/**
 * The target's constraint that refused a table's rows (the server names it in its error), with its
 * definition as the target has it, so the report can show what the rows broke. Null when the error
 * names no constraint. Asked after the table's savepoint was rolled back, inside the run's transaction.
 */
export async function refusingConstraint(
  target: pg.Client,
  e: unknown,
): Promise<{ name: string; definition: string | null } | null> {
  const err = e as { constraint?: unknown; table?: unknown; schema?: unknown };
  if (typeof err?.constraint !== 'string' || !err.constraint) return null;
  const name = err.constraint;
  if (typeof err.table !== 'string' || typeof err.schema !== 'string') return { name, definition: null };
  await target.query('SAVEPOINT archon_constraint');
  try {
    const r = await target.query(CONSTRAINT_SQL, [name, err.table, err.schema]);
    await target.query('RELEASE SAVEPOINT archon_constraint');
    return { name, definition: r.rows[0]?.definition ?? null };
  } catch {
    await target.query('ROLLBACK TO SAVEPOINT archon_constraint');
    await target.query('RELEASE SAVEPOINT archon_constraint');
    return { name, definition: null };
  }
}

// After the commit: ANALYZE each loaded target table. COPY leaves the planner's statistics as they were
// (an empty table's say "never analyzed", which the tree and picker show as "rows not estimated"), and
// autovacuum may take minutes to come. Outside the run's transaction, since it is not part of what the
// run proves or undoes; each table bounded by the session's lock_timeout (ANALYZE waits for a SHARE
// UPDATE EXCLUSIVE lock). A table that cannot be analyzed only says so in its notes: the rows are
// committed and verified either way.
import type pg from 'pg';
import type { TableReport } from '../../shared/report.js';
import { errorInfo } from '../errors.js';
import type { ProgressListener } from '../events.js';
import { qualified } from '../ident.js';
import { SQLSTATE } from '../sqlState.js';
import type { TablePlan } from '../plan/plan.js';

/** A server notice, as node-postgres passes it (the fields read here). */
interface Notice {
  code?: string;
  message?: string;
}

/**
 * Why ANALYZE did nothing, when the server says so only as a warning (a user who may not analyze it):
 * by the warning's SQLSTATE class, since its severity word and message follow lc_messages.
 */
function skippedBy(notices: Notice[]): string | null {
  const skip = notices.find((n) => n.code?.startsWith(SQLSTATE.warningClass));
  return skip?.message ?? null;
}

/** ANALYZEs one table: null when done, else why not (a note for the table). */
async function analyzeOne(target: pg.Client, t: TablePlan): Promise<string | null> {
  const notices: Notice[] = [];
  const listen = (n: Notice) => {
    notices.push(n);
  };
  target.on('notice', listen);
  try {
    await target.query(`ANALYZE ${qualified(t.schema, t.table)}`);
  } finally {
    target.off('notice', listen);
  }
  const skipped = skippedBy(notices);
  return skipped ? notAnalyzed(skipped) : null;
}

const notAnalyzed = (why: string) =>
  `not analyzed after the commit (${why}); the rows are committed, and the target's row estimate for this ` +
  'table stays as it was until autovacuum (or an ANALYZE) gathers statistics';

/**
 * ANALYZE every table the committed run loaded, one at a time. A table that could not be analyzed
 * says why in its notes; the report says how many were (Report.analyzed). Never throws: the run has
 * committed, and statistics are no part of what it proves.
 */
export async function analyzeLoaded(
  target: pg.Client,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  emit: ProgressListener,
  secrets: string[],
): Promise<{ tables: number; failed: number }> {
  let failed = 0;
  if (!tables.length) return { tables: 0, failed };
  emit({ type: 'phase', message: `gathering statistics on ${tables.length} loaded table(s) (ANALYZE)` });
  for (const t of tables) {
    const note = await analyzeOne(target, t).catch((e) => {
      const info = errorInfo(e, secrets);
      return notAnalyzed(`${info.message}${info.code ? ` [${info.code}]` : ''}`);
    });
    if (note === null) continue;
    failed++;
    reports.get(t)?.notes.push(note);
  }
  return { tables: tables.length, failed };
}

// What the target's journal says: the runs, newest first, and whether each can still be undone;
// and dropping the backups a user no longer wants (never done automatically; the undo that restored
// from them drops its own), with what undone runs kept only for them.
import { displayName } from '../shared/names.js';
import type { Outcome, Report } from '../shared/report.js';
import type { JournaledRun } from '../shared/reportJournal.js';
import { UsageError } from './errors.js';
import type pg from 'pg';
import { utcText } from './journal/journal.js';
import { dropBackupTables } from './journal/keptObjects.js';
import { assertRunShape } from './journal/journalShape.js';
import { type TargetOptions, assertJournalTrusted, openTarget, undoError } from './undo.js';

export interface RunEntry extends JournaledRun {
  toolVersion: string;
  tables: string[];
  rowsLoaded: number;
  /** Whether `archon undo ID` would take it back now; when not, `why` says why. */
  undoable: boolean;
  why: string | null;
  undoneAt: string | null;
  /** On-disk size of its backup tables. */
  backupBytes: number;
  /** The run's outcome and counts as its report gave them; null for runs journaled before they were kept. */
  outcome: Outcome | null;
  summary: Report['summary'] | null;
  /** The selected names that matched no table; null for runs journaled before they were kept. */
  unmatched: string[] | null;
  /** Whether the journal keeps the run's report (`runReport`); false for runs an older Archon journaled. */
  hasReport: boolean;
}

/** A journal an older Archon wrote has no column for the reports. */
async function hasReportColumn(c: pg.Client): Promise<boolean> {
  const r = await c.query(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'archon.runs'::regclass AND attname = 'report'
                      AND NOT attisdropped) AS has`,
  );
  return r.rows[0].has;
}

/**
 * A run's report as the run returned it, with what the journal says of it since: undone (and when,
 * the time history shows), or its backups dropped. Null when the journal does not keep it.
 */
export async function runReport(opts: TargetOptions & { run: string }): Promise<Report | null> {
  const t = await openTarget(opts);
  try {
    const has = await t.client.query(`SELECT to_regclass('archon.runs') IS NOT NULL AS has`);
    if (!has.rows[0].has) return null;
    await t.client.query('BEGIN READ ONLY');
    await assertJournalTrusted(t.client);
    if (!(await hasReportColumn(t.client))) return null;
    const r = await t.client.query<{ report: Report | null; undone: string | null; dropped: string | null }>(
      `SELECT report, ${utcText('undone_at')} AS undone, ${utcText('backups_dropped_at')} AS dropped
         FROM archon.runs WHERE id = $1`,
      [opts.run],
    );
    const row = r.rows[0];
    if (!row) throw new UsageError(`no run "${opts.run}" in the journal on ${t.endpoint.label}`, { kind: 'list-runs' });
    if (!row.report) return null;
    assertRunShape(row, opts.run, t.endpoint.label);
    const report = row.report;
    if (row.undone) return { ...report, undone: { at: row.undone } };
    if (row.dropped && report.undo)
      return {
        ...report,
        undo: { ...report.undo, possible: false, reason: `its backups were dropped at ${row.dropped}` },
      };
    return report;
  } catch (e) {
    throw undoError(e, t, opts.lockTimeoutMs);
  } finally {
    await t.close();
  }
}

const historySql = (hasReports: boolean) => `
SELECT r.id, ${utcText('r.at')} AS at, r.source, r.target, r.policy,
       r.tool_version AS "toolVersion", r.undoable, r.why_not,
       -- by name through to_jsonb: a journal an older Archon wrote has neither column yet
       to_jsonb(r) ->> 'outcome' AS outcome, to_jsonb(r) -> 'summary' AS summary,
       to_jsonb(r) -> 'kept_for_backups' AS kept, to_jsonb(r) -> 'unmatched' AS unmatched,
       ${utcText('r.undone_at')} AS "undoneAt", ${utcText('r.backups_dropped_at')} AS dropped,
       ${hasReports ? 'r.report IS NOT NULL' : 'false'} AS "hasReport",
       coalesce(jsonb_agg(jsonb_build_array(t.schema_name, t.table_name) ORDER BY t.ord)
                FILTER (WHERE t.ord IS NOT NULL), '[]') AS tables,
       coalesce(sum(t.rows_loaded), 0)::int8 AS "rowsLoaded",
       coalesce(sum(pg_total_relation_size(to_regclass(format('%I.%I', 'archon', t.backup_table))))
                FILTER (WHERE t.backup_table IS NOT NULL), 0)::int8 AS bytes
  FROM archon.runs r LEFT JOIN archon.run_tables t ON t.run_id = r.id
 GROUP BY r.id ORDER BY r.at DESC, r.id DESC`;

/** The runs on a target, newest first; empty when it has no journal. */
export async function history(opts: TargetOptions): Promise<RunEntry[]> {
  const t = await openTarget(opts);
  try {
    const has = await t.client.query(`SELECT to_regclass('archon.runs') IS NOT NULL AS has`);
    if (!has.rows[0].has) return [];
    await t.client.query('BEGIN READ ONLY');
    await assertJournalTrusted(t.client);
    // By name, not through to_jsonb(r): the reports are large, and history lists every run.
    const rows = (await t.client.query(historySql(await hasReportColumn(t.client)))).rows;
    for (const r of rows) assertRunShape(r, r.id, t.endpoint.label);
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      source: r.source,
      target: r.target,
      policy: r.policy,
      toolVersion: r.toolVersion,
      tables: r.tables.map(([schema, table]: [string, string]) => displayName(schema, table)),
      rowsLoaded: Number(r.rowsLoaded),
      undoable: r.undoable && !r.undoneAt && !r.dropped,
      why: r.undoneAt
        ? `undone at ${r.undoneAt}${keptWords(r.kept)}`
        : r.dropped
          ? `its backups were dropped at ${r.dropped}`
          : r.undoable
            ? null
            : r.why_not,
      undoneAt: r.undoneAt,
      backupBytes: Number(r.bytes),
      outcome: r.outcome,
      summary: r.summary,
      unmatched: r.unmatched,
      hasReport: r.hasReport,
    }));
  } catch (e) {
    throw undoError(e, t, opts.lockTimeoutMs);
  } finally {
    await t.close();
  }
}

/** What an undone run still keeps for other runs' backups, and until when. */
function keptWords(kept: { object: string; backupsOf: string[] }[] | null): string {
  if (!kept?.length) return '';
  const runs = [...new Set(kept.flatMap((k) => k.backupsOf))].sort();
  const whose = runs.length === 1 ? `run ${runs[0]}` : `runs ${runs.join(', ')}`;
  return `; kept ${kept.map((k) => k.object).join(', ')}, which it created, until the backups of ${whose} are dropped`;
}

export interface DropOptions extends TargetOptions {
  run?: string;
  /** Drop the backups of runs older than this. */
  olderThanMs?: number;
}

export interface DropResult {
  runs: string[];
  /**
   * Of `runs`, those already undone: their backups were used by the undo and are no longer needed, so
   * dropping them takes nothing away (the rest can no longer be undone).
   */
  alreadyUndone: string[];
  tables: number;
  bytes: number;
  /** What undone runs kept only for these backups, dropped with them (`type "s"."t"`). */
  objects: string[];
}

/**
 * Drops backup tables (one run's, or those of runs older than a time); their runs can no longer be
 * undone. What undone runs kept only for those backups goes too, when nothing else uses it now.
 */
export async function dropBackups(opts: DropOptions): Promise<DropResult> {
  const t = await openTarget(opts);
  try {
    const has = await t.client.query(`SELECT to_regclass('archon.runs') IS NOT NULL AS has`);
    if (!has.rows[0].has)
      throw new UsageError(`no Archon journal on ${t.endpoint.label}: there are no backups to drop`);
    await t.client.query('BEGIN');
    await assertJournalTrusted(t.client);
    const runs = opts.run
      ? await t.client.query('SELECT id, undone_at IS NOT NULL AS undone FROM archon.runs WHERE id = $1 FOR UPDATE', [
          opts.run,
        ])
      : await t.client.query(
          `SELECT id, undone_at IS NOT NULL AS undone FROM archon.runs WHERE at < now() - make_interval(secs => $1) AND backups_dropped_at IS NULL FOR UPDATE`,
          [(opts.olderThanMs ?? 0) / 1000],
        );
    if (opts.run && !runs.rows.length)
      throw new UsageError(`no run "${opts.run}" in the journal on ${t.endpoint.label}`, { kind: 'list-runs' });
    const ids: string[] = runs.rows.map((r) => r.id);
    const backups = await t.client.query(
      `SELECT backup_table AS name, coalesce(pg_total_relation_size(to_regclass(format('%I.%I', 'archon', backup_table))), 0)::int8 AS bytes
         FROM archon.run_tables WHERE run_id = ANY($1) AND backup_table IS NOT NULL
          -- an undone run's went with its undo
          AND to_regclass(format('%I.%I', 'archon', backup_table)) IS NOT NULL`,
      [ids],
    );
    const objects = await dropBackupTables(
      t.client,
      ids,
      backups.rows.map((b) => b.name),
    );
    await t.client.query(
      `UPDATE archon.runs SET backups_dropped_at = now() WHERE id = ANY($1) AND backups_dropped_at IS NULL
         AND EXISTS (SELECT 1 FROM archon.run_tables t WHERE t.run_id = runs.id AND t.backup_table IS NOT NULL)`,
      [ids],
    );
    await t.client.query('COMMIT');
    const bytes = backups.rows.reduce((sum, b) => sum + Number(b.bytes), 0);
    const alreadyUndone: string[] = runs.rows.filter((r) => r.undone).map((r) => r.id);
    return { runs: ids, alreadyUndone, tables: backups.rows.length, bytes, objects };
  } catch (e) {
    await t.rollback().catch(() => {});
    throw undoError(e, t, opts.lockTimeoutMs);
  } finally {
    await t.close();
  }
}

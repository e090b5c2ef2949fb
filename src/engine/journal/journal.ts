// The run journal and the backups that make a committed migration undoable. Both live on the
// target, in the schema Archon owns, and are written inside the migration's own transaction: a run
// that rolls back leaves neither an entry nor a backup table behind.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import {
  type ExistingPolicy,
  type Report,
  type TableReport,
  type UndoState,
  outcomeOf,
  summarize,
} from '../../shared/report.js';
import type { TableKind } from '../catalog/catalog.js';
import { type ContentDigest, type ReadBack, readDigest } from '../verify/digest.js';
import type { ProgressListener } from '../events.js';
import { ident, qualified, tableKey } from '../ident.js';
import { assertClosed, closeBackup, foreignJournal, secureJournal } from './journalGuard.js';
import type { TablePlan } from '../plan/plan.js';
import { countRowsOf, relationSql } from '../catalog/relation.js';
import { countUnforced } from '../schema/rowSecurity.js';
import type { CreatedObject, TableDdl } from '../schema/ddl.js';
import { usersOfSequences } from '../load/sequences.js';
import { digestOf, serverDigest } from '../verify/serverDigest.js';
import { VERSION } from '../version.js';

/** The schema Archon owns on a target; never migrated, never shown as a user's schema. */
export const JOURNAL_SCHEMA = 'archon';

/** What a run keeps so it can be taken back, as the plan states it. */
export interface UndoPlan {
  /** Whether the run will be undoable; when not, `reason` says why. */
  possible: boolean;
  reason: string | null;
  /** The tables whose current rows are copied aside before the load. */
  kept: { schema: string; table: string; rows: number; bytes: number }[];
  /** About how much space the backups take (the tables' current on-disk size). */
  bytes: number;
  /** The journal can be written (false: the user may not create or use the schema). */
  journal: boolean;
  /** Backups were asked for, but the schema belongs to another role: the run is refused, saying this. */
  refused?: string;
}

const JOURNAL_DDL = `
CREATE SCHEMA IF NOT EXISTS ${ident(JOURNAL_SCHEMA)};
CREATE TABLE IF NOT EXISTS archon.runs (
  id text PRIMARY KEY, at timestamptz NOT NULL, source text NOT NULL, target text NOT NULL,
  tool_version text NOT NULL, policy text NOT NULL, undoable boolean NOT NULL, why_not text,
  undone_at timestamptz, undone_forced boolean, backups_dropped_at timestamptz);
CREATE TABLE IF NOT EXISTS archon.run_tables (
  run_id text NOT NULL REFERENCES archon.runs ON DELETE CASCADE, ord int NOT NULL,
  schema_name text NOT NULL, table_name text NOT NULL, kind text NOT NULL, columns jsonb NOT NULL,
  rows_before int8 NOT NULL, rows_loaded int8 NOT NULL, rows_after int8 NOT NULL, digest_after text NOT NULL,
  backup_table text, sequences jsonb NOT NULL, PRIMARY KEY (run_id, ord));
ALTER TABLE archon.run_tables ADD COLUMN IF NOT EXISTS digest_read jsonb;
ALTER TABLE archon.run_tables ADD COLUMN IF NOT EXISTS created jsonb;
ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS outcome text;
ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS summary jsonb;
ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS kept_for_backups jsonb;
ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS unmatched jsonb;
ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS report jsonb`;

/**
 * A journal time as every adapter shows it (history, undo, the report of an undone run): one format,
 * computed by the server from its own clock, so the same moment reads the same everywhere.
 */
export const utcText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')`;

/** Whether the target user may keep a journal there: create the schema, or write in the one that exists. */
async function journalAllowed(tgt: pg.Client): Promise<string | null> {
  const r = await tgt.query(
    `SELECT n.oid IS NOT NULL AS exists,
            CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), 'CREATE')
                 ELSE has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE')
                      AND (to_regclass('archon.runs') IS NULL OR has_table_privilege('archon.runs', 'INSERT, UPDATE'))
            END AS allowed, current_user AS who
       FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
    [JOURNAL_SCHEMA],
  );
  const { exists, allowed, who } = r.rows[0];
  if (allowed) return null;
  return exists
    ? `${who} may not write in the schema "${JOURNAL_SCHEMA}" on the target (it needs CREATE and USAGE there)`
    : `${who} may not create the schema "${JOURNAL_SCHEMA}" on the target (it needs CREATE on the database)`;
}

/** What the run will keep and whether it can be undone: read-only, asked while the plan is made. */
export async function undoPlan(
  tgt: pg.Client,
  tables: TablePlan[],
  existing: ExistingPolicy,
  backup: boolean,
): Promise<UndoPlan> {
  const foreign = await foreignJournal(tgt);
  if (foreign) {
    // Without backups the run goes on, journal-less; with them, undo would trust what another role can change.
    const refused = backup ? { refused: foreign } : {};
    return { possible: false, reason: foreign, kept: [], bytes: 0, journal: false, ...refused };
  }
  const denied = await journalAllowed(tgt);
  if (denied) return { possible: false, reason: denied, kept: [], bytes: 0, journal: false };
  const kept: UndoPlan['kept'] = [];
  if (existing !== 'skip-nonempty') {
    // A table the run creates holds nothing yet: nothing to keep.
    const holding = tables.filter((p) => p.action === 'copy' && p.target && p.create?.kind !== 'create');
    const targets = holding.map((t) => t.target!);
    const counts = await countUnforced(tgt, targets, () => countRowsOf(tgt, targets));
    for (const [i, t] of holding.entries()) {
      const rows = counts[i];
      if (rows > 0) kept.push({ schema: t.schema, table: t.table, rows, bytes: t.target!.bytes });
    }
  }
  const bytes = kept.reduce((sum, k) => sum + k.bytes, 0);
  if (!backup && existing !== 'skip-nonempty')
    return {
      possible: false,
      reason: 'it keeps no backup of the rows it replaces, as asked',
      kept: [],
      bytes: 0,
      journal: true,
    };
  return { possible: true, reason: null, kept, bytes, journal: true };
}

/** A run id people can type and sort: when it started (UTC), and a few random characters. */
function newRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

interface Column {
  name: string;
  generated: boolean;
}

interface SequenceBefore {
  schema: string;
  name: string;
  lastValue: string;
  isCalled: boolean;
}

/** One table as the journal keeps it: enough to restore it and to tell whether it changed since. */
interface JournalTable {
  plan: TablePlan;
  kind: TableKind;
  columns: Column[];
  backup: string | null;
  rowsBefore: number;
  sequences: SequenceBefore[];
}

interface RunMeta {
  at: Date;
  source: string;
  target: string;
  existing: ExistingPolicy;
  /** Names the user gave that matched nothing: part of the run's outcome, which the journal keeps. */
  unmatched: string[];
}

/** A journal being written inside the load's transaction; `record` runs just before COMMIT. */
export interface Journal {
  runId: string;
  state: UndoState;
  record(
    loaded: TablePlan[],
    reports: Map<TablePlan, TableReport>,
    readBacks: Map<TablePlan, ReadBack>,
    objects?: CreatedObject[],
  ): Promise<void>;
  /** After the commit: keeps the run's report, as its user got it, for History to open again. */
  keepReport(report: Report): Promise<void>;
}

/**
 * Creates the journal (if needed) and, under replace and append, copies each table's current rows
 * aside before anything is emptied or loaded. Null when no journal may be written.
 */
export async function startJournal(
  tgt: pg.Client,
  tables: TablePlan[],
  meta: RunMeta,
  plan: UndoPlan,
  emit: ProgressListener,
): Promise<Journal | null> {
  if (plan.refused) throw new Error(`${plan.refused}; nothing is committed`);
  if (!plan.journal) return null;
  await tgt.query(JOURNAL_DDL);
  await secureJournal(tgt);
  const runId = newRunId(meta.at);
  const keep = plan.possible && meta.existing !== 'skip-nonempty';
  if (keep) {
    const names = tables.map((t) => qualified(t.target!.schema, t.target!.name)).join(', ');
    // Nobody writes these tables between the backup and the load.
    await tgt.query(`LOCK TABLE ${names} IN SHARE ROW EXCLUSIVE MODE`);
  }
  const entries = new Map<TablePlan, JournalTable>();
  const described = await describeTables(tgt, tables);
  for (const [i, t] of tables.entries()) {
    const entry = described[i];
    // A table the run creates held nothing; columns it adds held nothing either, and a backup that
    // kept them would hold on to the types undo drops with them.
    if (keep && t.create?.kind !== 'create') {
      entry.backup = backupName(runId, i);
      emit({ type: 'phase', message: `keeping the rows of ${displayName(t.schema, t.table)} for undo` });
      const kept = selectList(backedUp(entry.columns, t.create?.added ?? []));
      const r = await tgt.query(
        `CREATE TABLE ${qualified(JOURNAL_SCHEMA, entry.backup)} AS SELECT ${kept} FROM ${relationSql(t.target!)}`,
      );
      entry.rowsBefore = r.rowCount ?? 0;
      await closeBackup(tgt, entry.backup);
    }
    entries.set(t, entry);
  }
  await assertClosed(tgt);
  const state: UndoState = { runId, possible: plan.possible, reason: plan.reason };
  return {
    runId,
    state,
    record: (loaded, reports, readBacks, objects = []) =>
      record(tgt, runId, meta, plan, entries, { loaded, reports, readBacks, objects }),
    keepReport: async (report) => {
      // Outside the committed transaction: a report not kept costs History its "Open Report" for this
      // run, never the migration.
      await tgt
        .query('UPDATE archon.runs SET report = $2 WHERE id = $1', [runId, JSON.stringify(report)])
        .catch(() => {});
    },
  };
}

/** Backup tables are named by run and position, so no table name can push them past 63 bytes. */
const backupName = (runId: string, i: number): string => `backup_${runId}_${i + 1}`;

export const selectList = (columns: Column[]): string => columns.map((c) => ident(c.name)).join(', ');

/** The columns a backup keeps: those the table had before the run (not the ones the run added). */
export const backedUp = <C extends { name: string }>(columns: C[], added: string[]): C[] =>
  columns.filter((c) => !added.includes(c.name));

/**
 * Every table as the journal keeps it before the load: its columns and the sequences it takes values
 * from, each asked of all tables at once (a round trip per table would grow with the run).
 */
async function describeTables(tgt: pg.Client, tables: TablePlan[]): Promise<JournalTable[]> {
  const cols = await tgt.query<Column & { i: number }>(
    `SELECT r.i::int AS i, a.attname AS name, a.attgenerated <> '' AS generated
       FROM unnest($1::text[]) WITH ORDINALITY r(rel, i) JOIN pg_attribute a ON a.attrelid = r.rel::regclass
      WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY r.i, a.attnum`,
    [tables.map((t) => qualified(t.target!.schema, t.target!.name))],
  );
  const values = await sequencesBefore(tgt, tables);
  return tables.map((t, i) => {
    const names = [...new Set(t.target!.sequences.map((q) => qualified(q.schema, q.name)))];
    return {
      plan: t,
      kind: t.target!.kind,
      columns: cols.rows.filter((c) => c.i === i + 1).map(({ name, generated }) => ({ name, generated })),
      backup: null,
      rowsBefore: 0,
      sequences: names.flatMap((q) => values.get(q) ?? []),
    };
  });
}

/**
 * Where the run's tables' sequences stand, in one query, by qualified name. One a table outside the run
 * takes values from too is left out: it stays where the run moves it, since set back by undo it would
 * hand out ids that table may hold by then.
 */
async function sequencesBefore(tgt: pg.Client, tables: TablePlan[]): Promise<Map<string, SequenceBefore>> {
  const inRun = new Set(tables.map((t) => tableKey(t.target!.schema, t.target!.name)));
  const all = new Map(tables.flatMap((t) => t.target!.sequences.map((q) => [qualified(q.schema, q.name), q] as const)));
  const users = await usersOfSequences(tgt, [...all.keys()]);
  const kept = [...all].filter(([q]) => !users.get(q)?.some((u) => !inRun.has(tableKey(u.schema, u.table))));
  const out = new Map<string, SequenceBefore>();
  if (!kept.length) return out;
  const reads = kept.map(
    ([q], i) => `SELECT ${i} AS i, last_value::text AS "lastValue", is_called AS "isCalled" FROM ${q}`,
  );
  const r = await tgt.query<{ i: number; lastValue: string; isCalled: boolean }>(reads.join(' UNION ALL '));
  for (const { i, lastValue, isCalled } of r.rows) {
    const [q, seq] = kept[i];
    out.set(q, { schema: seq.schema, name: seq.name, lastValue, isCalled });
  }
  return out;
}

/**
 * How a kept digest was taken, so undo can take it again the same way: the columns in their order,
 * the COPY format. Entries written before this was kept (null) were text over every column, SHA-1.
 */
export interface StoredRead {
  columns: string[];
  format: 'binary' | 'text';
  /** Read with the search_path pinned (columns that hold names); absent in older entries. */
  pinNames?: boolean;
}

/** The digest of a table taken as a stored read says (the journal's, or a legacy entry's when null). */
export function keptDigest(
  client: pg.Client,
  from: string,
  how: StoredRead | null,
  legacyColumns: Column[],
  signal?: AbortSignal,
): Promise<ContentDigest> {
  if (!how) {
    const select = legacyColumns.map((c) => ident(c.name));
    return readDigest(client, { from, select, format: 'text', hash: 'sha1' }, signal);
  }
  const read = { from, select: how.columns.map(ident), format: how.format, pinNames: how.pinNames };
  return how.format === 'binary' ? digestOf(client, read, signal) : readDigest(client, read, signal);
}

/**
 * A table's digest over every column, binary where the server can compute it and as text otherwise,
 * with how it was taken; `sameAs` is a digest already taken the same way (undo compares two tables).
 */
export async function wholeTableDigest(
  client: pg.Client,
  from: string,
  columns: string[],
  o: { sameAs?: StoredRead; signal?: AbortSignal } = {},
): Promise<{ digest: ContentDigest; how: StoredRead }> {
  const { sameAs, signal } = o;
  const binary = { from, select: columns.map(ident), format: 'binary' } as const;
  if (!sameAs || sameAs.format === 'binary') {
    const digest = await serverDigest(client, binary, signal);
    if (digest) return { digest, how: { columns, format: 'binary' } };
    if (sameAs) return { digest: await readDigest(client, binary, signal), how: sameAs };
  }
  const text = { ...binary, format: 'text' } as const;
  return { digest: await readDigest(client, text, signal), how: { columns, format: 'text' } };
}

/** What the run created for a table, which undo drops again: the table, or the columns it added, and objects around it. */
export interface CreatedByRun {
  table: boolean;
  columns: string[];
  objects: CreatedObject[];
}

const createdBy = (d: TableDdl): CreatedByRun => ({
  table: d.kind === 'create',
  columns: d.kind === 'add-columns' ? (d.added ?? []) : [],
  objects: d.created,
});

/**
 * What the run created with a table, as the journal keeps it. The objects --create-objects made
 * around the tables (functions, views) belong to no table: they are kept with the first table's row,
 * where undo gathers every row's objects from.
 */
function createdJson(d: TableDdl | undefined, objects: CreatedObject[]): string | null {
  if (!d && !objects.length) return null;
  const made = d ? createdBy(d) : { table: false, columns: [], objects: [] };
  return JSON.stringify({ ...made, objects: [...made.objects, ...objects] });
}

/** The digest kept for a loaded table: verification's own read-back when it covered every column. */
async function digestAfter(
  tgt: pg.Client,
  t: TablePlan,
  columns: Column[],
  readBack: ReadBack | undefined,
): Promise<{ digest: ContentDigest; how: StoredRead }> {
  const names = columns.map((c) => c.name);
  const covered = new Set(readBack?.columns ?? []);
  if (readBack && names.length === covered.size && names.every((n) => covered.has(n)))
    return {
      digest: readBack.digest,
      how: { columns: readBack.columns, format: readBack.read.format, pinNames: readBack.read.pinNames },
    };
  return wholeTableDigest(tgt, relationSql(t.target!), names);
}

async function record(
  tgt: pg.Client,
  runId: string,
  meta: RunMeta,
  plan: UndoPlan,
  entries: Map<TablePlan, JournalTable>,
  run: {
    loaded: TablePlan[];
    reports: Map<TablePlan, TableReport>;
    readBacks: Map<TablePlan, ReadBack>;
    objects: CreatedObject[];
  },
): Promise<void> {
  const { loaded, reports, readBacks } = run;
  // Recorded just before COMMIT, when every loaded table has verified: the outcome the report will give.
  const all = [...reports.values()];
  await tgt.query(
    `INSERT INTO archon.runs (id, at, source, target, tool_version, policy, undoable, why_not, outcome, summary,
       unmatched)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      runId,
      meta.at,
      meta.source,
      meta.target,
      VERSION,
      meta.existing,
      plan.possible,
      plan.reason,
      outcomeOf(all, meta.unmatched),
      JSON.stringify(summarize(all)),
      // The names that matched nothing are part of the outcome: history says them as the report did.
      JSON.stringify(meta.unmatched),
    ],
  );
  for (const [ord, t] of loaded.entries()) {
    const e = entries.get(t)!;
    const after = await digestAfter(tgt, t, e.columns, readBacks.get(t));
    const r = reports.get(t)!;
    await tgt.query(
      `INSERT INTO archon.run_tables (run_id, ord, schema_name, table_name, kind, columns, rows_before, rows_loaded,
         rows_after, digest_after, backup_table, sequences, digest_read, created)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        runId,
        ord,
        t.target!.schema,
        t.target!.name,
        e.kind,
        JSON.stringify(e.columns),
        e.backup ? e.rowsBefore : (r.targetRowsBefore ?? 0),
        r.sourceRows ?? 0,
        after.digest.rows,
        after.digest.hex(),
        e.backup,
        JSON.stringify(e.sequences),
        JSON.stringify(after.how),
        createdJson(t.create, ord === 0 ? run.objects : []),
      ],
    );
  }
  // Backups of tables that were not loaded after all are not kept.
  for (const [t, e] of entries) {
    if (e.backup && !loaded.includes(t)) await tgt.query(`DROP TABLE ${qualified(JOURNAL_SCHEMA, e.backup)}`);
  }
}

import type { Catalog, Table } from '../catalog/catalog.js';
import { isCopyable, partitionRoots, partitionsOf } from '../catalog/catalog.js';
import { displayName } from '../../shared/names.js';
import type { ExistingPolicy, PlatformTable, SchemaObject } from '../../shared/report.js';
import { type ColumnPair, copyFormat, matchColumns } from './columns.js';
import { tableKey } from '../ident.js';
import { selectTables, type Selection } from '../catalog/selection.js';
import type { TableDdl } from '../schema/ddl.js';
import { applyPlatformRules, referenceNotes } from '../catalog/platformRules.js';
import { liftableForce, liftedForceNote, weakerOnTarget } from '../schema/rowSecurity.js';
import { checksSourceLacks } from '../catalog/targetChecks.js';
import type { ObjectDdl } from '../schema/ddl.js';

/** The reason a table is left alone under skip-nonempty, at plan time and again inside the load. */
export const ALREADY_HAS_ROWS = 'the target table already has rows (existing rows: skip tables that have rows)';

/**
 * What kind of reason skips a table, for adapters to act on without reading it: the target lacks
 * the table (Archon may create it), it lacks source columns and nothing else is in the way (Archon
 * may add them), copying would lose or change data otherwise, or anything else.
 */
export type SkipKind = 'missing-on-target' | 'missing-columns' | 'data-loss' | 'other';

export interface TablePlan {
  schema: string;
  table: string;
  action: 'copy' | 'skip';
  /** Why the table is skipped; null when it will be copied. */
  reason: string | null;
  /** The kind of that reason; null when the table will be copied. */
  skip: SkipKind | null;
  /** Things worth knowing that do not stop the copy (a type that differs but converts, ...). */
  notes: string[];
  /** The notes that warn (a platform's internal table copied because it was named): worth a question. */
  warnings: string[];
  /** Columns copied, matched by name; the target's generated columns are left out. */
  columns: string[];
  /** What the source query selects for each of `columns`: the column, or a cast to the target's type. */
  sourceSelect: string[];
  /** Columns that name a row (primary key, or a unique key of NOT NULL columns); null when none. */
  key: string[] | null;
  /** Columns the target generates: not copied, but compared with the source's values after the load. */
  generated: string[];
  format: 'binary' | 'text';
  /** A copied or compared column holds names (regclass, …): read with the search_path pinned on both sides. */
  namesObjects: boolean;
  /** Whether the target table is emptied before the load (policy replace). */
  empties: boolean;
  estimatedRows: number | null;
  bytes: number;
  source: Table;
  target: Table | null;
  /** Set when the run creates the target table (opt-in): the DDL before and after the rows. */
  create?: TableDdl;
  /** Set when the load leaves some of the target's indexes unfit (ivfflat): rebuilt after the rows. */
  rebuild?: TargetIndex[];
}

export interface Plan {
  existing: ExistingPolicy;
  /** In load order: referenced tables before the tables that reference them. */
  tables: TablePlan[];
  /** Selection patterns that matched no source table. */
  unmatched: string[];
  /** A hosted platform's tables its rules left out, with the reason (not part of the run). */
  platformTables: PlatformTable[];
  /** Objects of the source that are not tables, which the target lacks and the run does not create. */
  objects: SchemaObject[];
  /** With --create-objects: the functions, views and triggers the run creates, in the order it runs them. */
  createObjects?: ObjectDdl[];
}

export interface PlanInput {
  source: Catalog;
  target: Catalog;
  selection: Selection;
  existing: ExistingPolicy;
  /** Target tables (by tableKey) that already hold rows; needed for skip-nonempty. */
  nonEmptyTargets?: ReadonlySet<string>;
  /** Tables (by tableKey) this run creates: empty, so never emptied; given the source's row-level security. */
  creating?: ReadonlySet<string>;
  /**
   * Tables (by tableKey) refused up front by what only the servers' rows tell, with why: a foreign key
   * needing rows the run will not put on the target, OIDs naming large objects.
   */
  refusedUpFront?: ReadonlyMap<string, string>;
}

const list = (xs: string[]) => xs.join(', ');

/** Decides, before anything is written, what happens to each selected table and why. */
export function makePlan(input: PlanInput): Plan {
  const { selected, unmatched } = selectTables(input.source.tables, input.selection, isCopyable);
  const platform = applyPlatformRules(selected, input.selection, input.source, input.target);
  const targetByKey = new Map(input.target.tables.map((t) => [tableKey(t.schema, t.name), t]));
  const targetExtensions = new Set(input.target.extensions.map((e) => e.name));
  const plans = platform.kept.map(({ table: s, note }) => {
    const p = planTable(s, targetByKey.get(tableKey(s.schema, s.name)) ?? null, input, targetExtensions);
    if (note) p.notes.unshift(note.text);
    if (note?.warning) p.warnings.push(note.text);
    if (p.action === 'copy') p.notes.push(...referenceNotes(p.target ?? s, platform.leftOut));
    if (p.action === 'copy' && p.target && liftableForce(p.target))
      p.notes.push(liftedForceNote(p.target, input.target.user));
    const weaker = p.action === 'copy' ? weakerRowSecurity(p, input) : null;
    if (weaker) {
      p.notes.push(weaker);
      p.warnings.push(weaker);
    }
    const unheld = p.action === 'copy' && p.target ? checksSourceLacks(s, p.target) : [];
    p.notes.push(...unheld);
    p.warnings.push(...unheld);
    return p;
  });
  blockEmptyingReferencedTables(plans, input.target, input.creating);
  // The objects around the tables are read from both servers once the plan is settled (schemaObjects.ts).
  return {
    existing: input.existing,
    tables: loadOrder(plans, input.target),
    unmatched,
    platformTables: platform.leftOut,
    objects: [],
  };
}

/** An existing target table less closed than the source's: worth a question before its rows go there. */
const weakerRowSecurity = (p: TablePlan, input: PlanInput): string | null =>
  input.creating?.has(tableKey(p.schema, p.table))
    ? null
    : weakerOnTarget(p.source, p.target!, input.source, input.target);

function planTable(s: Table, t: Table | null, input: PlanInput, targetExtensions: ReadonlySet<string>): TablePlan {
  const base: TablePlan = {
    schema: s.schema,
    table: s.name,
    action: 'skip',
    reason: null,
    skip: null,
    notes: [],
    warnings: [],
    columns: [],
    sourceSelect: [],
    key: null,
    generated: [],
    format: 'text',
    namesObjects: false,
    empties: false,
    estimatedRows: s.estimatedRows,
    bytes: s.bytes,
    source: s,
    target: t,
  };
  const onSource = whySkipOnSource(s, input);
  if (onSource) return { ...base, reason: onSource, skip: 'other' };
  const refused = input.refusedUpFront?.get(tableKey(s.schema, s.name));
  if (refused) return { ...base, reason: refused, skip: 'other' };
  if (!t) return { ...base, reason: missingReason(s), skip: 'missing-on-target' };
  const why = whySkipOnTarget(t, input);
  if (why) return { ...base, reason: why, skip: 'other' };
  const m = matchColumns(s, t, targetExtensions);
  if (m.reason) {
    const skip = m.onlyLostColumns ? 'missing-columns' : m.losesData ? 'data-loss' : 'other';
    return { ...base, reason: m.reason, skip, notes: m.notes };
  }
  if (input.existing === 'skip-nonempty' && input.nonEmptyTargets?.has(tableKey(t.schema, t.name))) {
    return { ...base, reason: ALREADY_HAS_ROWS, skip: 'other' };
  }
  return {
    ...base,
    action: 'copy',
    notes: m.notes,
    columns: m.pairs.map((p) => p.name),
    sourceSelect: m.pairs.map((p) => p.sourceExpr),
    key: rowKey(s, t, m.pairs),
    generated: m.generated.map((p) => p.name),
    namesObjects: [...m.pairs, ...m.generated].some((p) => p.source.namesObjects || p.target.namesObjects),
    format: copyFormat(m.pairs),
    empties: input.existing === 'replace' && !input.creating?.has(tableKey(s.schema, s.name)),
  };
}

const MISSING = 'missing on the target: ';
const ROWS_NOT_SCHEMA = '(or let Archon create it, when asked to create missing tables)';

const missingReason = (s: Table) => `${MISSING}create ${displayName(s.schema, s.name)} there first ${ROWS_NOT_SCHEMA}`;

/** Skipped only because the target lacks it: what --create-missing may create. */
export const isMissingOnTarget = (p: TablePlan): boolean =>
  p.action === 'skip' && p.target === null && p.skip === 'missing-on-target';

/**
 * Triggers that would rewrite copied rows are disabled for the load (ALTER TABLE … DISABLE TRIGGER),
 * which only the table's owner may do: in replica mode the ALWAYS and REPLICA ones, otherwise the
 * ordinary and ALWAYS ones, on the table and on its partitions.
 */
function triggersInTheWay(t: Table, target: Catalog): string | null {
  const fires = new Set(target.mayUseReplicaMode ? ['A', 'R'] : ['O', 'A']);
  const holders = [t, ...partitionsOf(t, target.tables)].filter((h) => !h.isOwner);
  const names = holders.flatMap((h) => h.triggers.filter((tr) => fires.has(tr.enabled)).map((tr) => tr.name));
  if (!names.length) return null;
  return (
    `its trigger${names.length > 1 ? 's' : ''} ${names.join(', ')} would fire on the copied rows, and ` +
    `${target.user} may not disable ${names.length > 1 ? 'them' : 'it'} (only the owner ${t.owner} or a superuser may)`
  );
}

/** Row-level security would let the user see only some rows: never copy or compare a part as the whole. */
export function rowSecurityReason(side: 'source' | 'target', user: string, t: Table): string {
  const who =
    t.owner === user
      ? 'a superuser or a role with BYPASSRLS (row security is forced, even for its owner)'
      : `its owner ${t.owner}, a superuser, or a role with BYPASSRLS`;
  return `row-level security on the ${side} hides rows of this table from ${user}; connect as ${who}`;
}

/** What stops a table on the source side, before the target is looked at: its kind, the privileges. */
function whySkipOnSource(s: Table, { source }: PlanInput): string | null {
  if (s.partitionOf) return `is a partition of ${s.partitionOf}; its rows are copied with that table`;
  if (!isCopyable(s)) return `is a ${s.kind} on the source; only tables are copied`;
  if (!s.privileges.select) return `the source user ${source.user} may not read it (no SELECT privilege)`;
  if (s.rowSecurity) return rowSecurityReason('source', source.user, s);
  return null;
}

/** What stops a table on the target before its columns are looked at: its kind, the privileges, triggers. */
function whySkipOnTarget(t: Table, { target, existing }: PlanInput): string | null {
  if (!isCopyable(t)) return `is a ${t.kind} on the target, not a table`;
  if (target.readOnly) return `the target is read-only (default_transaction_read_only is on, or it is a standby)`;
  if (t.rowSecurity && !liftableForce(t)) return rowSecurityReason('target', target.user, t);
  if (!t.privileges.insert || !t.privileges.select) {
    const [verb, privilege] = t.privileges.insert ? ['read', 'SELECT'] : ['insert into', 'INSERT'];
    const why = `no ${privilege} privilege; Archon counts the rows it loads`;
    return `the target user ${target.user} may not ${verb} it (${why})`;
  }
  if (existing !== 'replace' && !(t.privileges.update || t.privileges.delete || t.privileges.truncate)) {
    // LOCK ... IN SHARE ROW EXCLUSIVE MODE (which keeps others from writing while Archon counts) needs one of these.
    const needs = 'needs UPDATE, DELETE or TRUNCATE privilege';
    return `the target user ${target.user} may not lock it against concurrent writes (${needs})`;
  }
  if (existing === 'replace' && !t.privileges.truncate) {
    return `the target user ${target.user} may not empty it (no TRUNCATE privilege); use append, or grant TRUNCATE`;
  }
  return triggersInTheWay(t, target);
}

/**
 * The columns that name a row on both sides, for reporting which rows differ: the source's primary
 * key, else the target's, else a unique key whose columns are all NOT NULL; each fully copied.
 */
export function rowKey(s: Table, t: Table, pairs: ColumnPair[]): string[] | null {
  const copied = new Map(pairs.map((p) => [p.name, p]));
  const usable = (cols: string[]) => cols.every((c) => copied.get(c)?.source.notNull && copied.get(c)?.target.notNull);
  const candidates = [s.primaryKey, t.primaryKey, ...s.uniqueKeys, ...t.uniqueKeys];
  return candidates.find((k): k is string[] => k !== null && k.length > 0 && usable(k)) ?? null;
}

/**
 * TRUNCATE refuses (rightly) to empty a table that another table references by foreign key. When
 * that other table is not emptied in the same run, the table is skipped and the reason says which
 * table and constraint, instead of cascading into data the user did not select. A key declared on a
 * partition is its partitioned table's (emptied with it); one that references a partition references
 * the partitioned table it belongs to.
 */
function blockEmptyingReferencedTables(
  plans: TablePlan[],
  target: Catalog,
  creating: ReadonlySet<string> = new Set(),
): void {
  const roots = partitionRoots(target.tables);
  for (let changed = true; changed; ) {
    changed = false;
    // A table the run creates gets its foreign keys after the rows: it holds none while others are emptied.
    const emptied = new Set([
      ...creating,
      ...plans.filter((p) => p.action === 'copy' && p.empties).map((p) => tableKey(p.schema, p.table)),
    ]);
    for (const p of plans) {
      if (p.action !== 'copy' || !p.empties) continue;
      const key = tableKey(p.schema, p.table);
      const blockers = target.tables.flatMap((t) =>
        t.foreignKeys
          .filter(
            (fk) => rootKey(roots, fk.refSchema, fk.refTable) === key && !emptied.has(rootKey(roots, t.schema, t.name)),
          )
          .map((fk) => `${displayName(t.schema, t.name)} (${fk.name}${partitionNote(t, roots)})`),
      );
      if (blockers.length) {
        p.action = 'skip';
        p.skip = 'other';
        p.empties = false;
        const those = blockers.length > 1 ? 'those tables' : 'that table';
        p.reason =
          `cannot empty it: ${list(blockers)} on the target references it and is not being replaced; ` +
          `select ${those} too, or use append`;
        changed = true;
      }
    }
  }
}

/** The tableKey of the table whose copy carries a target relation's rows (see partitionRoots). */
function rootKey(roots: Map<string, Table>, schema: string, name: string): string {
  const root = roots.get(tableKey(schema, name));
  return root ? tableKey(root.schema, root.name) : tableKey(schema, name);
}

/** `, on a partition of X` for a partition, naming the table to select; '' for any other table. */
function partitionNote(t: Table, roots: Map<string, Table>): string {
  const root = roots.get(tableKey(t.schema, t.name));
  return root && root !== t ? `, on a partition of ${displayName(root.schema, root.name)}` : '';
}

/**
 * Referenced tables first (by the target's foreign keys, those declared on its partitions included);
 * ties and cycles keep name order.
 */
function loadOrder(plans: TablePlan[], target: Catalog): TablePlan[] {
  const byKey = new Map(plans.map((p) => [tableKey(p.schema, p.table), p]));
  const roots = partitionRoots(target.tables);
  const done = new Set<string>();
  const visiting = new Set<string>();
  const out: TablePlan[] = [];
  const visit = (p: TablePlan) => {
    const key = tableKey(p.schema, p.table);
    if (done.has(key) || visiting.has(key)) return;
    visiting.add(key);
    const holders = p.target ? [p.target, ...partitionsOf(p.target, target.tables)] : [];
    for (const fk of holders.flatMap((h) => h.foreignKeys)) {
      const dep = byKey.get(rootKey(roots, fk.refSchema, fk.refTable));
      if (dep && dep !== p) visit(dep);
    }
    visiting.delete(key);
    done.add(key);
    out.push(p);
  };
  plans.forEach(visit);
  return out;
}

/** An index on the target as the plan names it for a rebuild after the load (create/indexes.ts reads them). */
export interface TargetIndex {
  schema: string;
  name: string;
  /** pg_am.amname: btree, gin, ivfflat, hnsw, … */
  method: string;
  /** Its size from the catalog's page count (no lock taken to read it). */
  bytes: number;
}

/** One step of one table, contained: false when the table failed (recorded, the step rolled back). */
export type TableStep = (t: TablePlan, work: () => Promise<void>) => Promise<boolean>;

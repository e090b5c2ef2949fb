// Creating what the target lacks (opt-in, --create-missing): at plan time, the DDL of every selected
// table missing on the target, tried on the target in a transaction that is rolled back (what the
// target's version or privileges refuse becomes the table's reason, never a failure half-way); during
// the run, that DDL inside the load's one transaction: before the rows, after them (keys, indexes),
// and once they were verified (row-level security).
import type pg from 'pg';
import { displayName, visible } from '../../shared/names.js';
import type { TableReport } from '../../shared/report.js';
import { objectText, objectsHeading } from '../../shared/reportObjects.js';
import { type Catalog, readCatalog } from '../catalog/catalog.js';
import { errorInfo } from '../errors.js';
import type { ProgressListener } from '../events.js';
import { qualified, tableKey } from '../ident.js';
import { matchColumns } from '../plan/columns.js';
import {
  type Plan,
  type PlanInput,
  type TablePlan,
  type TableStep,
  isMissingOnTarget,
  makePlan,
} from '../plan/plan.js';
import {
  type BuiltObject,
  type TableDdl,
  type TargetFacts,
  constraintKey,
  needWhy,
  objectStatements,
  ownPart,
  sharedPart,
  writeDdl,
} from '../schema/ddl.js';
import { checkRowSecurity } from '../schema/rowSecurity.js';
import { checkAccess, planAccess } from '../schema/access.js';
import { type SourceDefinitions, type SourceRelation, readDefinitions } from '../schema/source.js';
import type { Session } from '../connect/session.js';

const keyOf = (t: { schema: string; table: string }) => tableKey(t.schema, t.table);

export interface SchemaChanges {
  /** Create the selected tables the target lacks. */
  createMissing?: boolean;
  /** Add to existing target tables the source columns they lack. */
  addColumns?: boolean;
  /**
   * Create the functions, procedures, views, materialized views and triggers (on created tables) the
   * target lacks (create/objects.ts), and the created tables' policies, grants and default privileges
   * (access.ts).
   */
  createObjects?: boolean;
}

/** The plan again, with each table to create or widen planned for copy and carrying its DDL. */
export async function planSchemaChanges(
  session: Session,
  input: PlanInput,
  first: Plan,
  opts: SchemaChanges,
  prelude: string[] = [],
): Promise<Plan> {
  const missing = opts.createMissing ? first.tables.filter(isMissingOnTarget) : [];
  const widen = opts.addColumns ? lostColumns(first, input.target) : new Map<string, string[]>();
  const changing = [...missing, ...first.tables.filter((t) => widen.has(keyOf(t)))];
  if (!changing.length || input.target.readOnly) return first;
  const defs = await readDefinitions(
    session.source,
    changing.map((t) => qualified(t.schema, t.table)),
  );
  const facts = await targetFacts(session.target, input.target);
  const refused = new Map<string, string>();
  // A table whose foreign key references a table that will not be there is refused with it, saying why.
  const write = () => {
    let d = writeDdl(defs, facts, refused, widen);
    let more = danglingReferences(defs, d, first, input.target);
    while (more.size) {
      for (const [k, why] of more) refused.set(k, why);
      d = writeDdl(defs, facts, refused, widen);
      more = danglingReferences(defs, d, first, input.target);
    }
    return d;
  };
  let ddl = write();
  // A table the target refuses claims no shared object: written again without it, tried again, until
  // a trial passes. Only the first refusal of a round counts: a later one may only have lost an object
  // (an extension, a type) that the refused table had claimed, which the rewrite gives to another.
  // Each round refuses one table more, so this ends.
  let trial = await tryOnTarget(session, changing, ddl, prelude);
  while (trial.refused.size) {
    const [k, why] = [...trial.refused][0];
    refused.set(k, why);
    ddl = write();
    trial = await tryOnTarget(session, changing, ddl, prelude);
  }
  if (opts.createObjects)
    await planAccess(session, { defs, ddl, replay: replayOf(changing, ddl, trial.prelude), user: facts.user });
  // Planned against the target as the DDL leaves it, read from the target itself inside the trial:
  // how each column travels (binary or text) is then decided by the target's own server and types.
  // A table the run creates holds nothing of the user's: nothing to empty, nothing that blocks emptying.
  const creating = new Set(missing.map(keyOf).filter((k) => !refused.has(k)));
  const target = { ...trial.catalog, platform: input.target.platform };
  const plan = makePlan({ ...input, target, creating });
  for (const p of plan.tables) attach(p, ddl.get(keyOf(p)));
  return plan;
}

/**
 * Tables to create (or columns to add, whose foreign keys are built with them) whose foreign key
 * references a table the target will not have (one the run does not create, and the target lacks),
 * each with the reason naming that table and why it is not created.
 */
function danglingReferences(
  defs: SourceDefinitions,
  ddl: Map<string, TableDdl>,
  first: Plan,
  target: Catalog,
): Map<string, string> {
  const topOf = topTables(defs);
  const onTarget = new Set(target.tables.map((t) => tableKey(t.schema, t.name)));
  const out = new Map<string, string>();
  for (const fk of defs.constraints.filter((c) => c.type === 'f' && !c.inherited && c.refRel)) {
    const from = topOf.get(fk.rel)!;
    const key = tableKey(from.schema, from.name);
    const d = ddl.get(key);
    const to = topOf.get(fk.refRel!) ?? { schema: fk.refSchema!, name: fk.refTable! };
    const ref = tableKey(to.schema, to.name);
    const built = d?.kind === 'create' || fk.columns.some((c) => d?.added?.includes(c));
    if (out.has(key) || !d || !built || d.problems.length || ref === key) continue;
    const why = notCreatedReason(ref, ddl, first, onTarget);
    const name = displayName(to.schema, to.name);
    if (why) out.set(key, `its foreign key ${fk.name} references ${name}, and ${name} is not being created: ${why}`);
  }
  return out;
}

/** The table each relation read belongs to: itself, or the top of its partition tree. */
function topTables(defs: SourceDefinitions): Map<string, SourceRelation> {
  const byOid = new Map(defs.relations.map((r) => [r.oid, r]));
  const top = (r: SourceRelation): SourceRelation => {
    const parent = r.parent === null ? undefined : byOid.get(r.parent);
    return parent ? top(parent) : r;
  };
  return new Map(defs.relations.map((r) => [r.oid, top(r)]));
}

/** Why a referenced table will not be on the target after the DDL; null when it will be. */
function notCreatedReason(
  ref: string,
  ddl: Map<string, TableDdl>,
  first: Plan,
  onTarget: ReadonlySet<string>,
): string | null {
  const d = ddl.get(ref);
  if (d) return d.problems.length ? d.problems.join('; ') : null;
  if (onTarget.has(ref)) return null;
  const planned = first.tables.find((t) => keyOf(t) === ref);
  return planned ? (planned.reason ?? null) : 'it is not selected, and the target does not have it';
}

/** The DDL parts a trial replays, in the run's order (as tryOnTarget runs them). */
function replayOf(
  tables: TablePlan[],
  ddl: Map<string, TableDdl>,
  prelude: string[],
): { before: string[][]; after: string[][] } {
  const parts = tables.flatMap((t) => {
    const d = ddl.get(keyOf(t));
    return d && !d.problems.length ? [d] : [];
  });
  return {
    // The functions the tables' trial took (--create-objects) between the schemas and types and the
    // tables: a signature may name one of those types, a default may call one of the functions.
    before: [
      ...[...parts].sort((a, b) => a.order - b.order).map(sharedPart),
      ...(prelude.length ? [prelude] : []),
      ...[...parts].sort((a, b) => a.order - b.order).map(ownPart),
    ],
    after: parts.map((d) => d.after),
  };
}

/** Skipped tables whose only obstacle is source columns the target lacks: those columns, by table. */
function lostColumns(first: Plan, target: Catalog): Map<string, string[]> {
  const extensions = new Set(target.extensions.map((e) => e.name));
  const out = new Map<string, string[]>();
  for (const p of first.tables.filter((t) => t.action === 'skip' && t.target)) {
    const m = matchColumns(p.source, p.target!, extensions);
    if (!m.lost.length) continue;
    const lost = p.source.columns.filter((c) => m.lost.includes(c.name));
    const widened = { ...p.target!, columns: [...p.target!.columns, ...lost] };
    if (matchColumns(p.source, widened, extensions).reason === null) out.set(keyOf(p), m.lost);
  }
  return out;
}

function attach(p: TablePlan, d: TableDdl | undefined): void {
  if (!d) return;
  if (d.problems.length) {
    p.reason =
      d.kind === 'create'
        ? `missing on the target, and Archon cannot create it there: ${d.problems.join('; ')}`
        : `${p.reason}; Archon cannot add the columns: ${d.problems.join('; ')}`;
    return;
  }
  if (p.action !== 'copy') return;
  p.create = d;
  for (const n of d.needsExtensions)
    p.notes.push(
      `extension ${n.name} is created on the target (in schema ${n.schema}, as on the source) before anything ` +
        `that needs it: ${needWhy(n)}`,
    );
  if (d.kind === 'add-columns') {
    const builds = d.builds.length ? `, then ${builtList(d.builds)} on them after the rows` : '';
    p.notes.unshift(
      `column(s) ${d.added?.join(', ')} added on the target from the source's definition, in the run's ` +
        `transaction (${d.before.length + d.after.length} statement(s))${builds}`,
    );
  } else {
    p.empties = false; // new, so nothing of the user's is emptied
    const count = d.before.length + d.after.length + d.afterVerify.length;
    const verified = d.afterVerify.length ? `, ${d.afterVerify.length} once they are verified` : '';
    p.notes.unshift(
      `created on the target from the source's definition, in the run's transaction (${count} statement(s): ` +
        `${d.before.length} before the rows, ${d.after.length} after them${verified})`,
    );
  }
  p.notes.splice(1, 0, ...d.notes);
  if (!d.notCreated.length) return;
  const which = d.kind === 'add-columns' ? 'not built' : 'not created (Archon creates tables, not these)';
  p.notes.push(`${which}: ${d.notCreated.join(', ')}`);
}

/**
 * What the statements after the rows did, each kind said only when it is there: the indexes and
 * constraints (found in the catalog before this is said), comments, the replica identity.
 */
function afterLoadText(after: string[], builds: BuiltObject[]): string {
  const comments = after.filter((sql) => sql.startsWith('COMMENT ON ')).length;
  return [
    ...(builds.length ? [`${builtList(builds)} built (found in the target's catalog)`] : []),
    ...(comments ? [`${comments} comment${comments > 1 ? 's' : ''} written`] : []),
    ...(after.some((sql) => / REPLICA IDENTITY /.test(sql)) ? ['replica identity set'] : []),
  ].join('; ');
}

/** `2 indexes (a, b) and 1 constraint (c)`: what a part after the rows builds, by kind. */
function builtList(objects: BuiltObject[]): string {
  const of = (kind: BuiltObject['kind'], one: string, many: string) => {
    const names = objects.filter((o) => o.kind === kind).map((o) => o.name);
    return names.length ? [`${names.length} ${names.length > 1 ? many : one} (${names.join(', ')})`] : [];
  };
  return [...of('index', 'index', 'indexes'), ...of('constraint', 'constraint', 'constraints')].join(' and ');
}

async function targetFacts(tgt: pg.Client, catalog: Catalog): Promise<TargetFacts> {
  const r = await tgt.query(`SELECT
      (SELECT array_agg(nspname::text) FROM pg_namespace) AS schemas,
      (SELECT coalesce(json_agg(json_build_array(n.nspname, t.typname)), '[]') FROM pg_type t
         JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_') AS types,
      (SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname)), '[]') FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'S') AS sequences,
      (SELECT array_agg(name::text) FROM pg_available_extensions) AS available,
      (SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname)), '[]') FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') AS relations,
      (SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname, con.conname)), '[]') FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') AS constraints,
      (SELECT coalesce(json_object_agg(e.extname, n.nspname), '{}') FROM pg_extension e
         JOIN pg_namespace n ON n.oid = e.extnamespace) AS "extensionSchemas"`);
  const row = r.rows[0];
  return {
    versionNum: catalog.serverVersionNum,
    version: catalog.serverVersion,
    user: catalog.user,
    schemas: new Set(row.schemas ?? []),
    types: new Set((row.types as [string, string][]).map(([s, n]) => tableKey(s, n))),
    sequences: new Set((row.sequences as [string, string][]).map(([s, n]) => tableKey(s, n))),
    extensions: new Set(catalog.extensions.map((e) => e.name)),
    extensionSchemas: new Map(Object.entries(row.extensionSchemas as Record<string, string>)),
    available: new Set(row.available ?? []),
    relations: new Set((row.relations as [string, string][]).map(([sc, n]) => tableKey(sc, n))),
    constraints: new Set((row.constraints as [string, string, string][]).map(([sc, t, n]) => constraintKey(sc, t, n))),
  };
}

/**
 * Runs the DDL on the target inside one transaction that is rolled back, in the run's order (every
 * table's part before the rows, then every part after them, then the parts after verification), each
 * part in its own savepoint. Returns the tables the target refused, with the server's words, and the
 * target's catalog as the run's copy and reads find it (before row-level security is switched on).
 */
async function tryOnTarget(
  s: Session,
  tables: TablePlan[],
  ddl: Map<string, TableDdl>,
  prelude: string[],
): Promise<{ refused: Map<string, string>; catalog: Catalog; prelude: string[] }> {
  const refused = new Map<string, string>();
  const tryPart = async (t: TablePlan, statements: string[]) => {
    if (refused.has(keyOf(t))) return;
    await s.target.query('SAVEPOINT archon_try');
    let sql = '';
    try {
      for (sql of statements) await s.target.query(sql);
      await s.target.query('RELEASE SAVEPOINT archon_try');
    } catch (e) {
      await s.target.query('ROLLBACK TO SAVEPOINT archon_try');
      const info = errorInfo(e, s.secrets);
      // Whole, on one line: a reason is read in a terminal and a table cell.
      const statement = sql.replace(/\s*\n\s*/g, ' ');
      refused.set(
        keyOf(t),
        `the target refuses \`${statement}\`: ${info.message}${info.code ? ` [${info.code}]` : ''}`,
      );
    }
  };
  const trying = tables.flatMap((t) => {
    const d = ddl.get(keyOf(t));
    return d && !d.problems.length ? [[t, d] as const] : [];
  });
  // As the run does: the parts before the rows in the order they were written (a parent before its
  // inheritance children), the parts after them in the plan's order.
  const written = [...trying].sort(([, a], [, b]) => a.order - b.order);
  s.clock.trial();
  // Every table's part at once when the target takes them all, the usual case: one round trip, not
  // one per statement. A refusal somewhere takes them back, and the parts go one by one to name it.
  const tryAll = async (parts: (readonly [TablePlan, string[]])[]) => {
    const live = parts.filter(([t, statements]) => statements.length && !refused.has(keyOf(t)));
    const all = live.flatMap(([, statements]) => statements);
    if (!live.length || (await allTaken(s.target, all))) return;
    for (const [t, statements] of live) await tryPart(t, statements);
    await s.target.query(inOneTrip(REARM));
  };
  await s.target.query(inOneTrip(['BEGIN', 'SAVEPOINT archon_try_all']));
  try {
    // The schemas and types first, then the functions a default may call (their signatures may name
    // those types), then the tables; the savepoint a refusal returns to is set again after each, so
    // nothing before is taken back with a table's statements.
    await tryAll(written.map(([t, d]) => [t, sharedPart(d)] as const));
    await s.target.query(inOneTrip(REARM));
    const taken = await preludeOf(s.target, prelude);
    if (prelude.length) await s.target.query(inOneTrip(REARM));
    await tryAll(written.map(([t, d]) => [t, ownPart(d)] as const));
    await tryAll(trying.map(([t, d]) => [t, d.after] as const));
    const catalog = await readCatalog(s.target);
    await tryAll(trying.map(([t, d]) => [t, d.afterVerify] as const));
    return { refused, catalog, prelude: taken };
  } finally {
    await s.target.query('ROLLBACK');
  }
}

/**
 * Statements as one simple query (one round trip): they run in order in the open transaction and the
 * first error stops the rest, as one by one would (one the server cannot parse stops them all before
 * the first runs).
 */
export const inOneTrip = (statements: string[]): string => statements.join(';\n');

/**
 * The savepoint a trial in one round trip returns to, set again after each: always in a round trip
 * before the statements, since a statement the server cannot parse stops the whole string before its
 * first statement runs.
 */
const REARM = ['RELEASE SAVEPOINT archon_try_all', 'SAVEPOINT archon_try_all'];

/** Whether the target takes every statement; if not, the savepoint set before them takes them all back. */
async function allTaken(tgt: pg.Client, statements: string[]): Promise<boolean> {
  try {
    await tgt.query(inOneTrip([...statements, ...REARM]));
    return true;
  } catch {
    await tgt.query('ROLLBACK TO SAVEPOINT archon_try_all');
    return false;
  }
}

/**
 * With --create-objects, the functions the target lacks come before the tables (a default may call
 * one), as the run creates them: each that the target takes is there for the tables' trial; whether
 * one is created at all is for the objects' own trial (create/objects.ts) to say.
 */
async function preludeOf(tgt: pg.Client, prelude: string[]): Promise<string[]> {
  if (!prelude.length) return [];
  const taken = ['SET LOCAL check_function_bodies = off'];
  await tgt.query(taken[0]);
  for (const sql of prelude) {
    await tgt.query('SAVEPOINT archon_prelude');
    const ok = await tgt.query(sql).then(
      () => true,
      () => false,
    );
    await tgt.query(`${ok ? 'RELEASE' : 'ROLLBACK TO'} SAVEPOINT archon_prelude`);
    if (ok) taken.push(sql);
  }
  return taken;
}

/**
 * Before the rows: each created table's schemas and types, then `between` (the functions
 * --create-objects creates: their signatures may name those types, a default may call them), then
 * each table's sequences and CREATE TABLE, in plan order.
 */
export async function createBeforeData(
  tgt: pg.Client,
  tables: TablePlan[],
  emit: ProgressListener,
  at: (t: TablePlan | null) => void,
  checkCancel: () => void,
  between: () => Promise<void> = async () => {},
): Promise<void> {
  const creating = inDdlOrder(tables);
  if (!creating.length) return between();
  emit({ type: 'phase', phase: 'create', message: `creating or altering ${creating.length} table(s) on the target` });
  for (const t of creating) await runPart(tgt, t, sharedPart(t.create!), at, checkCancel);
  at(null);
  await between();
  for (const t of creating) await runPart(tgt, t, ownPart(t.create!), at, checkCancel);
  at(null);
}

/** One table's part of its DDL in one round trip, the table named as the one at work. */
async function runPart(
  tgt: pg.Client,
  t: TablePlan,
  statements: string[],
  at: (t: TablePlan | null) => void,
  checkCancel: () => void,
): Promise<void> {
  at(t);
  checkCancel();
  if (statements.length) await tgt.query(inOneTrip(statements));
}

/**
 * After the rows: foreign keys, secondary indexes and comments of the created tables (and those of
 * columns added), with maintenance_work_mem raised for the transaction. Each table's through `step`
 * (its savepoint: a refusal fails that table only). Each table's note says what was built and how
 * long it took only once the target's catalog shows every index and constraint it claims.
 */
export async function createAfterData(
  tgt: pg.Client,
  tables: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  emit: ProgressListener,
  step: TableStep,
  checkCancel: () => void,
): Promise<void> {
  const creating = tables.filter((t) => t.create?.after.length);
  if (!creating.length) return;
  emit({
    type: 'phase',
    phase: 'create',
    message: `building foreign keys and indexes of ${creating.length} created or altered table(s)`,
  });
  await raiseMaintenanceWorkMem(tgt);
  for (const t of creating) {
    const began = Date.now();
    await step(t, async () => {
      checkCancel();
      await tgt.query(inOneTrip(t.create!.after));
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      const builds = t.create!.builds;
      await checkBuilt(tgt, builds);
      reports.get(t)?.notes.push(`after the load, in ${seconds} s: ${afterLoadText(t.create!.after, builds)}`);
    });
  }
}

/**
 * What index builds get as maintenance_work_mem, in kB (512 MB): enough to sort most tables' keys in
 * memory, small enough for a modest server's RAM (pg_restore users commonly pick this range).
 */
const INDEX_BUILD_MEMORY_KB = 524_288;

/**
 * Index builds get maintenance_work_mem raised for the transaction: to INDEX_BUILD_MEMORY_KB at most,
 * never lowered, never above the server's own maximum.
 */
export async function raiseMaintenanceWorkMem(tgt: pg.Client): Promise<void> {
  await tgt.query(
    `SELECT set_config('maintenance_work_mem', LEAST($1::int8, max_val::int8)::text || 'kB', true)
       FROM pg_settings WHERE name = 'maintenance_work_mem' AND setting::int8 < $1::int8`,
    [INDEX_BUILD_MEMORY_KB],
  );
}

/** Every index and constraint a note will claim, looked up in the target's catalog: absent fails the run. */
async function checkBuilt(tgt: pg.Client, builds: BuiltObject[]): Promise<void> {
  if (!builds.length) return;
  const r = await tgt.query<{ i: number }>(
    `SELECT b.i FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY b(kind, sch, tab, nam, i)
      WHERE NOT CASE b.kind
        WHEN 'index' THEN EXISTS (SELECT 1 FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
                                   JOIN pg_class tc ON tc.oid = x.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace
                                  WHERE n.nspname = b.sch AND tc.relname = b.tab AND ic.relname = b.nam)
        ELSE EXISTS (SELECT 1 FROM pg_constraint con JOIN pg_class tc ON tc.oid = con.conrelid
                      JOIN pg_namespace n ON n.oid = tc.relnamespace
                     WHERE n.nspname = b.sch AND tc.relname = b.tab AND con.conname = b.nam) END`,
    [builds.map((b) => b.kind), builds.map((b) => b.schema), builds.map((b) => b.table), builds.map((b) => b.name)],
  );
  if (!r.rows.length) return;
  const missing = r.rows
    .map(({ i }) => builds[i - 1])
    .map((b) => `${b.kind} ${b.name} on ${displayName(b.schema, b.table)}`);
  throw new Error(
    `after its statements ran, the target's catalog lacks ${missing.join(', ')}; nothing is claimed built`,
  );
}

/**
 * Once every loaded table was read back and verified, just before the commit: the created tables'
 * row-level security, after which the run reads them no more, found in the target's catalog as the
 * source has it.
 */
export async function createAfterVerify(
  tgt: pg.Client,
  tables: TablePlan[],
  emit: ProgressListener,
  at: (t: TablePlan | null) => void,
  checkCancel: () => void,
): Promise<void> {
  const securing = tables.filter((t) => t.create?.afterVerify.length);
  if (!securing.length) return;
  emit({
    type: 'phase',
    phase: 'create',
    // With --create-objects a table's part here may be grants only: the message does not claim row-level security for it.
    message: securing.some((t) => t.create!.access)
      ? `setting row-level security, policies and grants of ${securing.length} created table(s)`
      : `enabling row-level security on ${securing.length} created table(s)`,
  });
  for (const t of securing) {
    await runPart(tgt, t, t.create!.afterVerify, at, checkCancel);
    await checkRowSecurity(tgt, t.create!.rowSecurity);
    if (t.create!.access) await checkAccess(tgt, t.create!.access);
  }
  at(null);
}

/** The tables with DDL, in the order their parts before the rows were written (and tried) in. */
const inDdlOrder = (tables: TablePlan[]) =>
  tables.filter((t) => t.create).sort((a, b) => a.create!.order - b.create!.order);

/** The DDL of a created table, in the order it runs (the rows arrive between the two parts). */
export const ddlOf = (t: TablePlan): string[] =>
  t.create ? [...t.create.before, ...t.create.after, ...t.create.afterVerify] : [];

/** The objects of the source the target lacks and the run does not create, as a comment block. */
function notCreatedComment(plan: Plan): string[] {
  const heading = objectsHeading({ kind: 'migrate', objects: plan.objects });
  if (!heading) return [];
  return [
    '',
    `-- ${visible(heading)}:`,
    ...plan.objects.map((o) => `--   ${visible(`${o.kind} ${objectText(o)}: ${o.reason}`)}`),
  ];
}

/**
 * Selected tables the target lacks (or lacks columns of) that the DDL leaves so, each with its reason
 * as a comment (escaped by visible(): no line break in a reason can end the comment).
 */
function leftAsTheyAre(plan: Plan): string[] {
  const left = plan.tables.filter((t) => t.skip === 'missing-on-target' || t.skip === 'missing-columns');
  if (!left.length) return [];
  const lines = ['', '-- Left as they are on the target, and why:'];
  for (const t of left) lines.push(`--   ${visible(`${displayName(t.schema, t.table)}: ${t.reason}`)}`);
  return lines;
}

/** Every statement a run would execute to create the missing tables (and objects), as one SQL script. */
export function ddlScript(plan: Plan, header: string[]): string {
  const created = inDdlOrder(plan.tables);
  const objects = plan.createObjects ?? [];
  const lines = header.map((h) => `-- ${h}`);
  const left = leftAsTheyAre(plan);
  if (!created.length && !objects.length) {
    const none = left.length
      ? '-- Nothing to create: no selected table the target lacks (or lacks columns of) can be created or changed.'
      : '-- Nothing to create: the target has every selected table and column.';
    lines.push(none, ...left, ...notCreatedComment(plan));
    return `${lines.join('\n')}\n`;
  }
  const step = (what: string, pick: (d: TableDdl) => string[]) => {
    if (!created.length) return;
    lines.push('', `-- ${what}`);
    for (const t of created) for (const sql of pick(t.create!)) lines.push(`${sql};`);
  };
  const objectStep = (what: string, statements: string[]) => {
    if (statements.length) lines.push('', `-- ${what}`, ...statements.map((sql) => `${sql};`));
  };
  lines.push('-- Archon runs this inside the one transaction that loads the rows: all of it commits, or none.');
  lines.push('BEGIN;');
  if (created.some((t) => sharedPart(t.create!).length))
    step('Before the rows: schemas, extensions, types', sharedPart);
  objectStep('Before the tables: functions and procedures, with their bodies unchecked as pg_dump restores them', [
    ...(objects.length ? ['SET LOCAL check_function_bodies = off'] : []),
    ...objectStatements(objects, 1),
  ]);
  step('Before the rows: sequences, tables and their keys, added columns', ownPart);
  objectStep('After the tables: views, and functions that need a created relation', objectStatements(objects, 2));
  lines.push('', '-- … the rows are copied here (COPY … FROM STDIN), counted and compared …');
  step('After the rows: foreign keys, secondary indexes, comments', (d) => d.after);
  objectStep('After the rows: triggers with their enabled state, then materialized views refreshed', [
    ...objectStatements(objects, 3),
    ...objectStatements(objects, 'refresh'),
  ]);
  if (created.some((t) => t.create!.afterVerify.length))
    step(
      `After the rows were counted and compared, just before the commit: row-level security${
        created.some((t) => t.create!.access) ? ', policies and grants' : ''
      }`,
      (d) => d.afterVerify,
    );
  lines.push('', 'COMMIT;');
  lines.push(...notCreatedComment(plan));
  const missing = created.filter((t) => t.create!.notCreated.length);
  if (missing.length) lines.push('', '-- Not created with the tables above (Archon creates tables, not these):');
  // A name may hold a line break: shown escaped, it can never end the comment and become a statement.
  for (const t of missing) lines.push(...t.create!.notCreated.map((n) => `--   ${visible(n)}`));
  lines.push(...left);
  return `${lines.join('\n')}\n`;
}

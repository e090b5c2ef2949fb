// DDL for a table the target lacks, written from the source's definitions for the target's version:
// what runs before the data (schema, extensions, types, sequences, CREATE TABLE with its keys and
// checks, partitions, inheritance), after it (foreign keys, secondary indexes, comments) and once
// the rows were verified (row-level security, rowSecurity.ts). What the target's version cannot
// express is a problem of the table, said in the plan, never a failure half-way. Each relation is
// created as the source has it (its columns in its order, its constraints and indexes by their
// names), which is why partitions are created and then attached, as pg_dump does.
import { displayName, shownName } from '../../shared/names.js';
import type { AccessPlan } from './accessPlan.js';
import type { ObjectAcl } from './objectsAccess.js';
import { ident, literal, qualified, tableKey } from '../ident.js';
import { type RowSecurityOf, createdRowSecurityNote, rowSecurityDdl, rowSecurityOf } from './rowSecurity.js';
import type {
  InheritanceParent,
  SourceColumn,
  SourceConstraint,
  SourceDefinitions,
  SourceIndex,
  SourceExtensionUse,
  SourceRelation,
  SourceSequence,
  SourceType,
} from './source.js';

/** What the target already has, and what it could have. */
export interface TargetFacts {
  versionNum: number;
  version: string;
  schemas: ReadonlySet<string>;
  /** Types by tableKey(schema, name). */
  types: ReadonlySet<string>;
  /** Sequences by tableKey(schema, name): one a created table's default calls is used as it is. */
  sequences: ReadonlySet<string>;
  extensions: ReadonlySet<string>;
  /** The schema each installed extension lives in. */
  extensionSchemas: ReadonlyMap<string, string>;
  available: ReadonlySet<string>;
  /** Relations (tables, indexes, sequences, …) by tableKey(schema, name): an index name must be free. */
  relations: ReadonlySet<string>;
  /** Constraints by constraintKey(schema, table, name). */
  constraints: ReadonlySet<string>;
  /** The target user, who owns what the DDL creates. */
  user: string;
}

export const constraintKey = (schema: string, table: string, name: string): string =>
  JSON.stringify([schema, table, name]);

/** An index or constraint the part after the rows builds: checked in the target's catalog once built. */
export interface BuiltObject {
  kind: 'index' | 'constraint';
  schema: string;
  table: string;
  name: string;
}

export interface TableDdl {
  /** Run inside the load's transaction before the rows arrive. */
  before: string[];
  /** Run after the rows arrived: foreign keys, secondary indexes, comments. */
  after: string[];
  /**
   * Run once the rows were read back and verified, just before the commit: row-level security, which
   * would otherwise hide the rows from the run's own reads.
   */
  afterVerify: string[];
  /** The relations whose row-level security `afterVerify` sets, to be found so in the target's catalog. */
  rowSecurity: RowSecurityOf[];
  /** Why the target cannot have this table as the source defines it; the table is then not created. */
  problems: string[];
  /** Objects around the table that Archon does not create, named so nothing is silently missing. */
  notCreated: string[];
  /** How the table was created where that is worth knowing (as an inheritance child, its row-level security). */
  notes: string[];
  /** Extensions this DDL creates. */
  extensions: string[];
  /** Extensions the table needs that the target lacks: the run creates each (with the first table that needs it). */
  needsExtensions: ExtensionNeed[];
  /** The schemas, types, extensions and sequences this DDL creates, in order (undo drops them again where it can). */
  created: CreatedObject[];
  /** A table created, or columns added to a table the target has (--add-columns). */
  kind: 'create' | 'add-columns';
  /** For add-columns: the columns added. */
  added?: string[];
  /** The indexes and constraints `after` builds, to be found in the target's catalog before any note says so. */
  builds: BuiltObject[];
  /** With --create-objects: the created table's policies and grants (access.ts). */
  access?: AccessPlan;
  /**
   * The order the parts before the rows must run in (the order shared objects were claimed in),
   * which the plan's load order need not follow.
   */
  order: number;
}

/** An extension a table needs, and why: which of its objects which part of the table uses. */
export interface ExtensionNeed {
  name: string;
  /** The schema the source has it in, where the DDL names its objects: created there on the target. */
  schema: string;
  why: string[];
  /** Needed only because another needed extension requires it: none of its objects is named. */
  requiredOnly: boolean;
}

/** An object a run creates around its tables, named as SQL names it. */
export interface CreatedObject {
  kind:
    | 'schema'
    | 'type'
    | 'domain'
    | 'extension'
    | 'sequence'
    | 'default privileges'
    | 'function'
    | 'procedure'
    | 'aggregate'
    | 'view'
    | 'materialized view';
  /** For default privileges: the clause after ALTER DEFAULT PRIVILEGES that takes them back. */
  name: string;
}

/**
 * How a relation is made: a plain table (or the top of a partition tree); a partition, created on its
 * own and attached; an inheritance child created with INHERITS (its inherited columns come first, in
 * the parents' order, as the source's do); or one whose columns are in another order (a column added
 * to the parent after the child), created with all its columns and then attached with INHERIT.
 */
type Shape = 'plain' | 'partition' | 'inherits' | 'inherit-after';

/** One piece of a table: its relation (or a partition), with what was read about it. */
interface Part {
  rel: SourceRelation;
  shape: Shape;
  columns: SourceColumn[];
  /** Every constraint the source shows on it, inherited ones too. */
  constraints: SourceConstraint[];
  sequences: SourceSequence[];
  /** Secondary indexes as pg_get_indexdef wrote them (`ON ONLY` a partitioned table). */
  indexes: SourceIndex[];
}

/**
 * DDL per top-level table (by tableKey), in the order given. Shared objects (a schema, a type, an
 * extension) are written once, with the first table that needs them; a table with problems claims
 * none, so the others never depend on a table that is not created.
 */
export function writeDdl(
  defs: SourceDefinitions,
  facts: TargetFacts,
  refused: ReadonlyMap<string, string> = new Map(),
  widen: ReadonlyMap<string, string[]> = new Map(),
): Map<string, TableDdl> {
  const out = new Map<string, TableDdl>();
  const claimed = new Set<string>();
  const owners = ownedHere(defs);
  const tops = parentsFirst(
    defs.relations.filter((r) => r.parent === null || !defs.relations.some((p) => p.oid === r.parent)),
  );
  for (const top of tops) {
    const parts = partsOf(top, defs);
    const types = defs.types.filter((t) => parts.some((p) => t.rels.includes(p.rel.oid)));
    const key = tableKey(top.schema, top.name);
    const added = widen.get(key);
    if (added) {
      const ddl = addColumns(parts[0], added, defs, { facts, claimed, owners }, refused.get(key));
      const needs = extensionNeeds(types, usesOf(defs, parts, types), defs);
      out.set(key, inTargetExtensionSchemas({ ...ddl, order: out.size }, needs, defs, facts));
      continue;
    }
    const needs = extensionNeeds(types, usesOf(defs, parts, types), defs);
    const problems = [
      ...extensionProblems(needs, facts),
      ...typeProblems(types, facts),
      ...versionProblems(parts, facts),
      ...parentProblems(top, facts, out),
    ];
    if (refused.has(key)) problems.push(refused.get(key)!);
    const ddl: TableDdl = {
      before: [],
      after: [],
      afterVerify: [],
      rowSecurity: [],
      problems,
      notCreated: notCreated(parts),
      notes: inheritanceNotes(parts[0]),
      extensions: [],
      needsExtensions: needs.filter((n) => !facts.extensions.has(n.name)),
      created: [],
      kind: 'create',
      order: out.size,
      builds: [],
    };
    if (!problems.length) writeTable(ddl, parts, types, { facts, claimed, owners });
    out.set(key, inTargetExtensionSchemas(ddl, needs, defs, facts));
  }
  return out;
}

/** The tables in the order given, but each inheritance parent before its children. */
function parentsFirst(tops: SourceRelation[]): SourceRelation[] {
  const byKey = new Map(tops.map((t) => [tableKey(t.schema, t.name), t]));
  const out = new Set<SourceRelation>();
  const visit = (r: SourceRelation) => {
    if (out.has(r)) return;
    for (const i of r.inherits ?? []) {
      const parent = byKey.get(tableKey(i.schema, i.name));
      if (parent) visit(parent);
    }
    out.add(r);
  };
  tops.forEach(visit);
  return [...out];
}

/** An inheritance child needs each parent on the target, or created (and written) before it. */
function parentProblems(top: SourceRelation, facts: TargetFacts, written: Map<string, TableDdl>): string[] {
  return (top.inherits ?? []).flatMap((i) => {
    const key = tableKey(i.schema, i.name);
    const name = displayName(i.schema, i.name);
    if (facts.relations.has(key)) return [];
    const parent = written.get(key);
    if (!parent)
      return [
        `it inherits from ${name}, which is neither on the target nor created by this run: ` +
          `select ${name} too, or create it on the target first`,
      ];
    return parent.problems.length ? [`it inherits from ${name}, which Archon cannot create on the target either`] : [];
  });
}

function partsOf(top: SourceRelation, defs: SourceDefinitions): Part[] {
  const rels: SourceRelation[] = [];
  const walk = (r: SourceRelation) => {
    rels.push(r);
    for (const child of defs.relations.filter((c) => c.parent === r.oid)) walk(child);
  };
  walk(top);
  return rels.map((rel) => {
    const columns = defs.columns.filter((c) => c.rel === rel.oid);
    return {
      rel,
      shape: rel !== top ? 'partition' : rel.inherits ? inheritanceShape(rel.inherits, columns) : 'plain',
      columns,
      constraints: defs.constraints.filter((c) => c.rel === rel.oid),
      sequences: defs.sequences.filter((s) => s.rel === rel.oid),
      indexes: defs.indexes.filter((i) => i.rel === rel.oid),
    };
  });
}

/** An index, then its ATTACH to the partitioned index the source attached it to, under its own name. */
const indexStatements = (i: SourceIndex): string[] => [
  i.def,
  ...(i.parentSchema && i.parentName
    ? [`ALTER INDEX ${qualified(i.parentSchema, i.parentName)} ATTACH PARTITION ${qualified(i.schema, i.name)}`]
    : []),
];

/**
 * INHERITS puts the inherited columns first, in the parents' order, then the child's own: when the
 * source's child has another order (a column added to a parent after the child), it is created with
 * every column in its own order and attached afterwards.
 */
function inheritanceShape(parents: InheritanceParent[], columns: SourceColumn[]): Shape {
  const inherited = [...new Set(parents.flatMap((p) => p.columns.map((c) => c.name)))];
  const own = columns.map((c) => c.name).filter((n) => !inherited.includes(n));
  const same = [...inherited, ...own].join('\u0000') === columns.map((c) => c.name).join('\u0000');
  return same ? 'inherits' : 'inherit-after';
}

function inheritanceNotes({ rel, shape }: Part): string[] {
  if (!rel.inherits) return [];
  const parents = rel.inherits.map((i) => displayName(i.schema, i.name)).join(', ');
  const name = displayName(rel.schema, rel.name);
  if (shape === 'inherits')
    return [
      `created as an inheritance child of ${parents} (INHERITS), as on the source: a query on the parent reads its rows too`,
    ];
  return [
    `created as an inheritance child of ${parents}: its columns are declared on ${name} too, in the source's column ` +
      `order, then attached to ${parents} (ALTER TABLE … INHERIT), since INHERITS would put them in another order; ` +
      `a column dropped from the parent later stays in ${name}`,
  ];
}

const typeName = (t: SourceType) => displayName(t.schema, t.name);

/** What of a table's (or its types') definitions depends on an extension's objects. */
const usesOf = (defs: SourceDefinitions, parts: Part[], types: SourceType[]) =>
  defs.extensionUses.filter((u) => parts.some((p) => p.rel.oid === u.rel) || types.some((t) => t.oid === u.type));

/**
 * The extensions a table's DDL needs, each with what needs it, and those they require; the required
 * ones first (the order the source's extensions come in), since CREATE EXTENSION refuses without them.
 */
function extensionNeeds(types: SourceType[], uses: SourceExtensionUse[], defs: SourceDefinitions): ExtensionNeed[] {
  const why = new Map<string, string[]>();
  const add = (name: string, reason: string) => {
    const list = why.get(name) ?? [];
    if (!list.includes(reason)) list.push(reason);
    why.set(name, list);
  };
  for (const u of uses) add(u.extension, `${u.user} uses ${u.used}`);
  // A type reached inside another (a domain over it, a composite field) has no direct use to name.
  for (const t of types.filter((x) => x.extension && !why.has(x.extension)))
    add(t.extension!, `a column's type is made of type ${typeName(t)}`);
  const direct = new Set(why.keys());
  // Those that require others come later in the list: walked backwards, a requirement's own are found too.
  for (const e of [...defs.extensions].reverse())
    if (why.has(e.name)) for (const r of e.requires) add(r, `extension ${e.name} requires it`);
  return defs.extensions
    .filter((e) => why.has(e.name))
    .map((e) => ({ name: e.name, schema: e.schema, why: why.get(e.name)!, requiredOnly: !direct.has(e.name) }));
}

/**
 * An extension the target has in another schema than the source (Supabase keeps them in `extensions`):
 * every name of its objects the source's deparsers wrote (`public.citext`, `public.gin_trgm_ops`,
 * `OPERATOR(public.<->)`) is written in the target's schema instead, and a note says so.
 */
function inTargetExtensionSchemas(
  ddl: TableDdl,
  needs: ExtensionNeed[],
  defs: SourceDefinitions,
  facts: TargetFacts,
): TableDdl {
  const moves = needs.flatMap((n) => {
    const there = facts.extensionSchemas.get(n.name);
    const ext = defs.extensions.find((e) => e.name === n.name);
    return there && there !== n.schema && ext ? [{ ext, there }] : [];
  });
  if (!moves.length || ddl.problems.length) return ddl;
  const rewrite = (sql: string) =>
    moves.reduce(
      (text, { ext, there }) =>
        ext.members.reduce((t, name) => {
          // Not inside a longer name, nor the start of a longer operator (`<` of `<->`).
          const m = escapeRegExp(`${ext.quotedSchema}.${name}`);
          const at = new RegExp(`(?<![\\w$".])${m}(?![\\w$"+\\-*/<>=~!@#%^&|\\x60?])`, 'g');
          return t.replace(at, `${ident(there)}.${name}`);
        }, text),
      sql,
    );
  const notes = moves.map(
    ({ ext, there }) =>
      `extension ${ext.name} is in schema ${there} on the target (${ext.schema} on the source): its objects are named there`,
  );
  return {
    ...ddl,
    before: ddl.before.map(rewrite),
    after: ddl.after.map(rewrite),
    afterVerify: ddl.afterVerify.map(rewrite),
    notes: [...ddl.notes, ...notes],
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** At most three reasons, then how many more: a table with many trigram indexes needs one sentence. */
export const needWhy = (n: ExtensionNeed): string =>
  n.why.length > 3 ? `${n.why.slice(0, 3).join('; ')}; and ${n.why.length - 3} more` : n.why.join('; ');

function extensionProblems(needs: ExtensionNeed[], facts: TargetFacts): string[] {
  const problems: string[] = [];
  for (const n of needs) {
    const there = facts.extensionSchemas.get(n.name);
    if (!facts.extensions.has(n.name) && !facts.available.has(n.name))
      problems.push(
        `it needs extension ${n.name} (${needWhy(n)}), which the target does not offer ` +
          '(not in pg_available_extensions there): install it on the target server first',
      );
    // The definitions name the extension's objects in the source's schema: moved to the target's (movedExtensions).
    else if (there && there !== n.schema && n.schema === 'pg_catalog')
      problems.push(
        `it needs extension ${n.name} (${needWhy(n)}) in schema pg_catalog, where the source has it; the target ` +
          `has it in schema ${there}`,
      );
  }
  return problems;
}

function typeProblems(types: SourceType[], facts: TargetFacts): string[] {
  const problems: string[] = [];
  for (const t of types) {
    // Said by extensionProblems.
    if (t.extension) continue;
    // A type the target already has is used as it is there.
    if (facts.types.has(tableKey(t.schema, t.name))) continue;
    if (t.typtype === 'c' && !t.standalone) {
      problems.push(`a column holds the row type of table ${typeName(t)}; create that table on the target first`);
    } else if (!['e', 'd', 'c'].includes(t.typtype)) {
      const kind = { r: 'range', m: 'multirange', b: 'base', p: 'pseudo' }[t.typtype] ?? t.typtype;
      problems.push(`its ${kind} type ${typeName(t)} is not created by Archon; create it on the target first`);
    }
  }
  return problems;
}

/** Source features the target's version lacks (each one checked against a real server of that version). */
function versionProblems(parts: Part[], facts: TargetFacts): string[] {
  const needs = (what: string, major: number) =>
    `${what} needs PostgreSQL ${major} or later; the target runs ${facts.version}`;
  const problems: string[] = [];
  for (const { rel, columns, constraints } of parts) {
    const name = displayName(rel.schema, rel.name);
    if (facts.versionNum < 170000 && rel.relkind === 'p') {
      for (const c of columns.filter((x) => x.identity && x.local))
        problems.push(needs(`identity column ${c.name} on partitioned table ${name}`, 17));
      for (const c of constraints.filter((x) => x.type === 'x' && !x.inherited))
        problems.push(needs(`exclusion constraint ${c.name} on partitioned table ${name}`, 17));
    }
    if (facts.versionNum < 170000)
      for (const c of columns.filter((x) => x.collationProvider === 'b'))
        problems.push(needs(`column ${c.name} of ${name} with the builtin collation ${c.collation}`, 17));
  }
  return problems;
}

function notCreated(parts: Part[]): string[] {
  const out = new Set<string>();
  const add = (kind: string, names: string[] | null) => {
    for (const n of names ?? []) out.add(`${kind} ${n}`);
  };
  for (const { rel } of parts) {
    const on = ` on ${displayName(rel.schema, rel.name)}`;
    // Named as the report's objects name them (quoted where SQL would), so one key matches both lists.
    add('trigger', rel.triggers?.map((t) => shownName(t) + on) ?? null);
    add('row-level security policy', rel.policies?.map((t) => shownName(t) + on) ?? null);
    add('rule', rel.rules?.map((t) => shownName(t) + on) ?? null);
    for (const v of rel.views ?? []) out.add(v);
    add('publication membership in', rel.publications);
    if (rel.grants) out.add(`grants${on}`);
  }
  return [...out];
}

/** Extensions and types the target lacks, each once across tables; returns what adds a missing schema. */
function writeTypes(
  ddl: TableDdl,
  needs: ExtensionNeed[],
  types: SourceType[],
  facts: TargetFacts,
  claimed: Set<string>,
) {
  const claim = (key: string) => {
    if (claimed.has(key)) return false;
    claimed.add(key);
    return true;
  };
  const schema = (s: string) => {
    if (!facts.schemas.has(s) && claim(`schema ${s}`)) {
      ddl.before.push(`CREATE SCHEMA IF NOT EXISTS ${ident(s)}`);
      ddl.created.push({ kind: 'schema', name: ident(s) });
    }
  };
  // In the source's schema: the definitions name the extension's objects there.
  for (const n of needs.filter((x) => !facts.extensions.has(x.name))) {
    if (!claim(`extension ${n.name}`)) continue;
    schema(n.schema);
    ddl.before.push(`CREATE EXTENSION IF NOT EXISTS ${ident(n.name)} SCHEMA ${ident(n.schema)}`);
    ddl.extensions.push(n.name);
    ddl.created.push({ kind: 'extension', name: ident(n.name) });
  }
  for (const t of types.filter((x) => !x.extension && !facts.types.has(tableKey(x.schema, x.name)))) {
    if (!claim(`type ${t.schema}.${t.name}`)) continue;
    schema(t.schema);
    ddl.before.push(createType(t));
    // Not a shared statement (sharedPart): it runs with the table's own part, after the functions.
    ddl.before.push(...(t.domainLateChecks ?? []).map((c) => `ALTER DOMAIN ${qualified(t.schema, t.name)} ADD ${c}`));
    ddl.created.push({ kind: t.typtype === 'd' ? 'domain' : 'type', name: qualified(t.schema, t.name) });
  }
  return schema;
}

/** What writing one table's DDL needs to know of the others: what is claimed, which sequences are owned. */
interface Claims {
  facts: TargetFacts;
  claimed: Set<string>;
  /** Sequences (by tableKey) that a relation this run creates or widens owns on the source. */
  owners: ReadonlySet<string>;
}

const ownedHere = (defs: SourceDefinitions) =>
  new Set(defs.sequences.filter((s) => s.deptype === 'a').map((s) => tableKey(s.schema, s.name)));

function writeTable(ddl: TableDdl, parts: Part[], types: SourceType[], claims: Claims) {
  const schema = writeTypes(ddl, ddl.needsExtensions, types, claims.facts, claims.claimed);
  for (const p of parts) {
    schema(p.rel.schema);
    writeSequences(ddl, p.sequences, claims, schema);
    ddl.before.push(...createRelation(p, parts));
    ddl.before.push(...ownedBy(p, p.sequences, claims.facts));
  }
  // A partition's copy of its parent's foreign key comes first, under the source's name: the parent's
  // then adopts it rather than making one of its own.
  for (const p of [...parts].reverse()) {
    const later = declared(p).filter((c) => !beforeData(c));
    ddl.after.push(...later.map((c) => addConstraint(p, c)));
    ddl.builds.push(...later.map((c) => built('constraint', p, c.name)));
  }
  for (const p of parts) {
    ddl.after.push(...p.indexes.flatMap(indexStatements));
    ddl.builds.push(...p.indexes.map((i) => built('index', p, i.name)));
  }
  ddl.after.push(...comments(parts), ...parts.flatMap(replicaIdentity));
  ddl.afterVerify.push(...parts.flatMap((p) => rowSecurityDdl(p.rel)));
  ddl.rowSecurity.push(...parts.flatMap((p) => rowSecurityOf(p.rel)));
  ddl.notes.push(...parts.flatMap((p) => createdRowSecurityNote(p.rel, claims.facts.user) ?? []));
}

/** What logical decoding logs of a row's old version, as the source has it (after the index it may name). */
function replicaIdentity({ rel }: Part): string[] {
  const how = { n: 'NOTHING', f: 'FULL', i: rel.replicaIndex ? `USING INDEX ${ident(rel.replicaIndex)}` : null }[
    rel.replicaIdentity
  ];
  return how ? [`ALTER TABLE ${qualified(rel.schema, rel.name)} REPLICA IDENTITY ${how}`] : [];
}

function createType(t: SourceType): string {
  const name = qualified(t.schema, t.name);
  if (t.typtype === 'e') return `CREATE TYPE ${name} AS ENUM (${(t.labels ?? []).map(literal).join(', ')})`;
  if (t.typtype === 'c')
    return `CREATE TYPE ${name} AS (${(t.fields ?? []).map((f) => `${ident(f.name)} ${f.type}`).join(', ')})`;
  const parts = [`CREATE DOMAIN ${name} AS ${t.base}`];
  if (t.domainCollation) parts.push(`COLLATE ${t.domainCollation}`);
  if (t.domainDefault !== null) parts.push(`DEFAULT ${t.domainDefault}`);
  if (t.domainNotNull) parts.push('NOT NULL');
  parts.push(...(t.domainChecks ?? []));
  return parts.join(' ');
}

/**
 * The sequences that columns own or whose defaults call (Pagila's stand alone), each created once across
 * tables, before the first table that needs it; one the target has is used as it is. An identity
 * sequence comes with its column.
 */
function writeSequences(ddl: TableDdl, sequences: SourceSequence[], claims: Claims, schema: (s: string) => void) {
  for (const s of sequences.filter((x) => x.deptype !== 'i')) {
    const key = tableKey(s.schema, s.name);
    if (claims.facts.sequences.has(key) || claims.claimed.has(`sequence ${key}`)) continue;
    claims.claimed.add(`sequence ${key}`);
    schema(s.schema);
    ddl.before.push(`CREATE SEQUENCE ${qualified(s.schema, s.name)} AS ${s.type} ${sequenceOptions(s)}`);
    ddl.created.push({ kind: 'sequence', name: qualified(s.schema, s.name) });
    if (s.ownedBy && !claims.owners.has(key)) {
      const owner = `${displayName(s.ownedBy.schema, s.ownedBy.table)}.${s.ownedBy.column}`;
      ddl.notCreated.push(
        `ownership of sequence ${displayName(s.schema, s.name)} by ${owner}, a table not created here`,
      );
    }
  }
}

/** As pg_dump: OWNED BY only where the source's column owns the sequence, and only one the run creates. */
const ownedBy = (p: Part, sequences: SourceSequence[], facts: TargetFacts): string[] =>
  sequences
    .filter((s) => s.deptype === 'a' && !facts.sequences.has(tableKey(s.schema, s.name)))
    .map(
      (s) =>
        `ALTER SEQUENCE ${qualified(s.schema, s.name)} OWNED BY ` +
        `${qualified(p.rel.schema, p.rel.name)}.${ident(s.column)}`,
    );

const sequenceOptions = (s: SourceSequence) =>
  `START WITH ${s.start} INCREMENT BY ${s.increment} MINVALUE ${s.min} MAXVALUE ${s.max} CACHE ${s.cache}` +
  (s.cycle ? ' CYCLE' : ' NO CYCLE');

/** Keys and checks go in CREATE TABLE; foreign keys and NOT VALID checks wait for the data. */
const beforeData = (c: SourceConstraint) => c.type !== 'f' && !/\bNOT VALID$/.test(c.def);

const built = (kind: BuiltObject['kind'], p: Part, name: string): BuiltObject => ({
  kind,
  schema: p.rel.schema,
  table: p.rel.name,
  name,
});

const addConstraint = (p: Part, c: SourceConstraint) =>
  `ALTER TABLE ${qualified(p.rel.schema, p.rel.name)} ADD CONSTRAINT ${ident(c.name)} ${c.def}`;

/**
 * The constraints a relation's own statements create. A partition, created on its own before it is
 * attached, declares what it inherits too: ATTACH requires the checks, and adopts primary keys,
 * unique constraints and foreign keys under the source's names instead of making its own (exclusion
 * constraints it makes itself). So does a child attached with INHERIT, which requires the checks.
 * What INHERITS brings, and a NOT VALID check its parent's statement adds after the rows, is left to
 * the parent.
 */
function declared(p: Part): SourceConstraint[] {
  const own = p.constraints.filter((c) => !c.inherited);
  const inherited = p.constraints.filter((c) => c.inherited);
  const adopted = (c: SourceConstraint) => ['p', 'u', 'f'].includes(c.type) || (c.type === 'c' && beforeData(c));
  if (p.shape === 'partition') return [...own, ...inherited.filter(adopted)];
  if (p.shape === 'inherit-after') return [...own, ...inherited.filter((c) => c.type === 'c' && beforeData(c))];
  return own;
}

/** CREATE TABLE, then what attaches the relation to its parents and gives it what CREATE cannot. */
function createRelation(p: Part, parts: Part[]): string[] {
  const { rel, shape } = p;
  const name = qualified(rel.schema, rel.name);
  const partitionBy = rel.partkey ? ` PARTITION BY ${rel.partkey}` : '';
  const unlogged = rel.unlogged ? 'UNLOGGED ' : '';
  const [inline, later] = splitDuplicateKeys(declared(p).filter(beforeData));
  const columns = shape === 'inherits' ? p.columns.filter((c) => c.local) : p.columns;
  const lines = [
    // A partition's identity comes from its parent when it is attached (PostgreSQL 17).
    ...columns.map((c) => columnDefinition(shape === 'partition' ? { ...c, identity: '' } : c, p.sequences)),
    ...inline.map((c) => `CONSTRAINT ${ident(c.name)} ${c.def}`),
  ];
  const parents = (rel.inherits ?? []).map((i) => qualified(i.schema, i.name));
  const inherits = shape === 'inherits' ? ` INHERITS (${parents.join(', ')})` : '';
  const body = lines.length ? `(\n  ${lines.join(',\n  ')}\n)` : '()';
  const out = [`CREATE ${unlogged}TABLE ${name} ${body}${inherits}${partitionBy}`];
  out.push(...later.map((c) => addConstraint(p, c)));
  if (shape === 'partition') {
    const parent = parts.find((x) => x.rel.oid === rel.parent)?.rel ?? parts[0].rel;
    out.push(`ALTER TABLE ${qualified(parent.schema, parent.name)} ATTACH PARTITION ${name} ${rel.bound}`);
  }
  if (shape === 'inherit-after') out.push(...parents.map((parent) => `ALTER TABLE ${name} INHERIT ${parent}`));
  if (shape === 'inherits') out.push(...inheritedColumnChanges(p));
  return out;
}

/**
 * CREATE TABLE keeps one of two keys alike but for their names (PRIMARY KEY (a) and UNIQUE (a), or
 * two UNIQUE (b)): the first of each column list goes in CREATE TABLE, the others are added after it.
 */
function splitDuplicateKeys(constraints: SourceConstraint[]): [SourceConstraint[], SourceConstraint[]] {
  const seen = new Set<string>();
  const inline: SourceConstraint[] = [];
  const later: SourceConstraint[] = [];
  for (const c of constraints) {
    const key = ['p', 'u', 'x'].includes(c.type) ? keyColumns(c.def) : null;
    if (key !== null && seen.has(key)) later.push(c);
    else inline.push(c);
    if (key !== null) seen.add(key);
  }
  return [inline, later];
}

/** The first parenthesised list of a constraint's definition, `(a, b)` of `UNIQUE (a, b) INCLUDE (c)`. */
function keyColumns(def: string): string {
  const start = def.indexOf('(');
  let depth = 0;
  for (let i = start; i >= 0 && i < def.length; i++) {
    if (def[i] === '(') depth++;
    else if (def[i] === ')' && --depth === 0) return def.slice(start, i + 1);
  }
  return def;
}

/**
 * INHERITS gives an inherited column its parent's NOT NULL and default; where the source's child has
 * its own (a NOT NULL only the child declares, another default), it is set on the child alone.
 */
function inheritedColumnChanges({ rel, columns }: Part): string[] {
  const name = qualified(rel.schema, rel.name);
  return columns
    .filter((c) => !c.local)
    .flatMap((c) => {
      const fromParents = (rel.inherits ?? []).flatMap((i) => i.columns.filter((x) => x.name === c.name));
      const column = `ALTER TABLE ONLY ${name} ALTER COLUMN ${ident(c.name)}`;
      const out: string[] = [];
      if (c.notNull && !fromParents.some((x) => x.notNull)) out.push(`${column} SET NOT NULL`);
      const inheritedDefault = fromParents.find((x) => x.default !== null)?.default ?? null;
      if (!c.generated && !c.identity && c.expr !== inheritedDefault)
        out.push(c.expr === null ? `${column} DROP DEFAULT` : `${column} SET DEFAULT ${c.expr}`);
      return out;
    });
}

function columnDefinition(c: SourceColumn, sequences: SourceSequence[]): string {
  const parts = [ident(c.name), c.type];
  if (c.collation) parts.push(`COLLATE ${c.collation}`);
  if (c.generated === 's') parts.push(`GENERATED ALWAYS AS (${c.expr}) STORED`);
  else if (c.identity) {
    const seq = sequences.find((s) => s.deptype === 'i' && s.column === c.name);
    const how = c.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT';
    const options = seq ? ` (SEQUENCE NAME ${qualified(seq.schema, seq.name)} ${sequenceOptions(seq)})` : '';
    parts.push(`GENERATED ${how} AS IDENTITY${options}`);
  } else if (c.expr !== null) parts.push(`DEFAULT ${c.expr}`);
  if (c.notNull && !c.identity) parts.push('NOT NULL');
  return parts.join(' ');
}

function comments(parts: Part[]): string[] {
  const out: string[] = [];
  for (const { rel, columns } of parts) {
    const name = qualified(rel.schema, rel.name);
    if (rel.comment !== null) out.push(`COMMENT ON TABLE ${name} IS ${literal(rel.comment)}`);
    for (const c of columns.filter((x) => x.comment !== null))
      out.push(`COMMENT ON COLUMN ${name}.${ident(c.name)} IS ${literal(c.comment!)}`);
  }
  return out;
}

/**
 * --add-columns: the source columns an existing target table lacks, added before the rows. NOT NULL
 * only where a default fills the rows the table already has; the types they need are created.
 */
function addColumns(
  p: Part,
  names: string[],
  defs: SourceDefinitions,
  claims: Claims,
  refused: string | undefined,
): TableDdl {
  const { facts, claimed } = claims;
  const columns = p.columns.filter((c) => names.includes(c.name));
  const types = defs.types.filter((t) => t.rels.includes(p.rel.oid) && !facts.types.has(tableKey(t.schema, t.name)));
  // What the added columns need (their types, defaults, generation, the indexes and constraints built
  // for them), not what the table has already.
  const builtWith = readingAdded(p, names, defs);
  const uses = usesOf(defs, [p], types).filter(
    (u) => u.type !== null || names.includes(u.column ?? '') || builtWith.has(u.object ?? ''),
  );
  const needs = extensionNeeds(types, uses, defs);
  const problems = [...extensionProblems(needs, facts), ...typeProblems(types, facts), ...(refused ? [refused] : [])];
  for (const c of columns.filter((x) => x.identity))
    problems.push(`column ${c.name} is an identity column on the source; add it on the target yourself`);
  const ddl: TableDdl = {
    before: [],
    after: [],
    afterVerify: [],
    rowSecurity: [],
    problems,
    notCreated: [],
    notes: [],
    extensions: [],
    needsExtensions: needs.filter((n) => !facts.extensions.has(n.name)),
    created: [],
    kind: 'add-columns',
    order: 0,
    builds: [],
  };
  ddl.added = columns.map((c) => c.name);
  if (problems.length) return ddl;
  const schema = writeTypes(ddl, ddl.needsExtensions, types, facts, claimed);
  const name = qualified(p.rel.schema, p.rel.name);
  for (const c of columns) {
    const sequences = p.sequences.filter((s) => s.column === c.name);
    writeSequences(ddl, sequences, claims, schema);
    const fills = c.expr !== null || c.generated === 's';
    ddl.before.push(`ALTER TABLE ${name} ADD COLUMN ${columnDefinition({ ...c, notNull: c.notNull && fills }, [])}`);
    ddl.before.push(...ownedBy(p, sequences, facts));
    if (c.comment !== null) ddl.after.push(`COMMENT ON COLUMN ${name}.${ident(c.name)} IS ${literal(c.comment)}`);
  }
  withAddedColumns(ddl, p, names, defs, facts);
  return ddl;
}

/** The names of the source's constraints and indexes on `p` that read an added column. */
const readingAdded = (p: Part, added: string[], defs: SourceDefinitions): Set<string> => {
  const reads = (x: { rel: string; columns: string[] }) =>
    x.rel === p.rel.oid && x.columns.some((c) => added.includes(c));
  return new Set([...defs.constraints.filter(reads), ...defs.indexes.filter(reads)].map((x) => x.name));
};

/**
 * pg_get_indexdef writes a partitioned table's index `ON ONLY`; on a table the target has already,
 * one statement without ONLY builds it on each of the target's partitions.
 */
const cascading = (def: string) => def.replace(/^(CREATE (?:UNIQUE )?INDEX (?:"(?:[^"]|"")+"|\S+) )ON ONLY /, '$1ON ');

/**
 * The source's indexes and constraints that read an added column are built after the rows, as a
 * created table's are. What cannot be (a name the target uses already, a second primary key) is
 * named in `notCreated`, never claimed.
 */
function withAddedColumns(ddl: TableDdl, p: Part, added: string[], defs: SourceDefinitions, facts: TargetFacts) {
  const reads = (columns: string[]) => columns.some((c) => added.includes(c));
  const { schema, name } = p.rel;
  const table = displayName(schema, name);
  for (const c of defs.constraints.filter((x) => x.rel === p.rel.oid && !x.inherited && reads(x.columns))) {
    if (c.type === 'p') ddl.notCreated.push(`primary key ${c.name} on ${table} (the target table keeps its own key)`);
    else if (facts.constraints.has(constraintKey(schema, name, c.name)))
      ddl.notCreated.push(`constraint ${c.name} on ${table} (the target table has a constraint of that name already)`);
    else {
      ddl.after.push(addConstraint(p, c));
      ddl.builds.push(built('constraint', p, c.name));
    }
  }
  for (const i of defs.indexes.filter((x) => x.rel === p.rel.oid && reads(x.columns))) {
    if (facts.relations.has(tableKey(schema, i.name)))
      ddl.notCreated.push(`index ${i.name} on ${table} (the target has a relation of that name in ${schema} already)`);
    else {
      ddl.after.push(p.rel.relkind === 'p' ? cascading(i.def) : i.def);
      ddl.builds.push(built('index', p, i.name));
    }
  }
}

/** Where an object's statements run: before the tables, after them (before the rows), after the rows. */
export type Phase = 1 | 2 | 3;

export type CreatableKind =
  | 'schema'
  | 'function'
  | 'procedure'
  | 'aggregate'
  | 'view'
  | 'materialized view'
  | 'trigger'
  | 'rule';

/** One object the run creates, with how to find it again on either side. */
export interface ObjectDdl {
  kind: CreatableKind;
  /** As the report names it (the same name missingObjects gives it). */
  name: string;
  phase: Phase;
  /** Its creation, comment and enabled state. */
  statements: string[];
  /** After the rows: a materialized view's REFRESH. */
  afterData: string[];
  /** What undo drops; null for a trigger or rule, which goes with the relation the run created. */
  created: CreatedObject | null;
  /** How its definition is read on either side (readDefinition). */
  lookup: Lookup;
  /** Its definition as the source prints it, normalized (normalizeDefinition). */
  definition: string;
  /** A view's query as the source prints it, for the target to print it its own way (checkObjects). */
  query?: string;
  /** Its grants as the source's (objectsAccess.ts), read back before the commit. */
  acl?: ObjectAcl;
  /** The source's owner, where its rights are its owner's (objectsOwner.ts), read back before the commit. */
  owner?: string;
}

/** What names an object in the catalog: a function's signature, a relation, a trigger on its table. */
export type Lookup =
  | { kind: 'schema'; name: string }
  | { kind: 'function'; signature: string }
  | { kind: 'aggregate'; signature: string }
  | { kind: 'relation'; relation: string }
  | { kind: 'trigger'; relation: string; name: string }
  | { kind: 'rule'; relation: string; name: string };

/** What a table's DDL creates that other objects may name: schemas, extensions, types and domains. */
const SHARED = /^CREATE (SCHEMA|EXTENSION|TYPE|DOMAIN) /;
/** A table's statements before the rows that create its schema, extensions and types, in their order. */
export const sharedPart = (d: TableDdl): string[] => d.before.filter((sql) => SHARED.test(sql));
/** The rest of a table's statements before the rows: its sequences, the table, added columns. */
export const ownPart = (d: TableDdl): string[] => d.before.filter((sql) => !SHARED.test(sql));

/**
 * Whitespace is all that is normalized: each server prints a definition with its own line breaks and
 * indentation (pg_get_viewdef's layout changed between versions); any other difference is a real one.
 */
export const normalizeDefinition = (s: string): string => s.replace(/\s+/g, ' ').trim();

/** The statements of a plan's objects in one phase, for the --ddl script. */
export const objectStatements = (objects: ObjectDdl[], phase: Phase | 'refresh'): string[] =>
  phase === 'refresh'
    ? objects.flatMap((o) => o.afterData)
    : objects.filter((o) => o.phase === phase).flatMap((o) => o.statements);

// Who may see and change what a run creates (--create-objects): the source's policies and grants on
// every table (and partition, and sequence) the run creates, for the roles the target has. Planned
// once the tables' DDL is settled: each statement is tried in a rolled-back transaction on the target
// (after the tables' own DDL), so what the target refuses, or a role it lacks, becomes a reason up
// front. Run once the rows were verified, with the row-level security switches, and read back from
// the target's catalog before the commit. Never more open than the source: a policy that cannot be
// created leaves its table closed (row-level security is on without it), and a restrictive policy
// that cannot be created takes its table's permissive ones with it, which would let more through
// without it.
import type pg from 'pg';
import { displayName, shownName } from '../../shared/names.js';
import type { SchemaObject } from '../../shared/report.js';
import { endsTheRun, errorInfo } from '../errors.js';
import { apiRoleText } from '../catalog/platform.js';
import { callingDiffering, differingCalleeReason } from './callees.js';
import {
  type AclObject,
  type Grant,
  checkGrants,
  grantStatement,
  grantText,
  groupGrants,
  readGrants,
  grantorNote,
  revokeDefaults,
  targetDefaults,
  targetRoles,
} from './grants.js';
import {
  type DefaultGrant,
  checkDefaults,
  defaultText,
  grantDefaults,
  missingDefaults,
  readDefaultGrants,
  revokeDefaultsClause,
} from './defaultPrivileges.js';
import { ident, qualified, tableKey } from '../ident.js';
import { type Policy, checkPolicies, createPolicy, policyName, readPolicies, samePolicy } from './policies.js';
import { closedTo, createdRowSecurityNote } from './rowSecurity.js';
import type { AccessKind, AccessLeftOut, AccessPlan } from './accessPlan.js';
import type { TableDdl } from './ddl.js';
import type { SourceDefinitions, SourceRelation } from './source.js';
import type { Session } from '../connect/session.js';

/** What planning the access needs of the tables' planning. */
export interface AccessInput {
  defs: SourceDefinitions;
  ddl: Map<string, TableDdl>;
  /** The DDL parts to replay first, in the order the run runs them. */
  replay: { before: string[][]; after: string[][] };
  user: string;
}

/** The relation each relation read belongs to: itself, or the top of its partition tree. */
function topOf(defs: SourceDefinitions): (r: SourceRelation) => SourceRelation {
  const byOid = new Map(defs.relations.map((r) => [r.oid, r]));
  const top = (r: SourceRelation): SourceRelation => {
    const parent = r.parent === null ? undefined : byOid.get(r.parent);
    return parent ? top(parent) : r;
  };
  return top;
}

/** The schemas a created table's DDL makes (its list names them as ident() quotes them). */
function createdSchemas(rels: SourceRelation[], d: TableDdl, defs: SourceDefinitions): AclObject[] {
  const quoted = new Set(d.created.filter((c) => c.kind === 'schema').map((c) => c.name));
  const names = new Set([...rels, ...defs.sequences, ...defs.types].map((x) => x.schema));
  return [...names]
    .filter((n) => quoted.has(ident(n)))
    .map((n): AclObject => ({ kind: 'SCHEMA', schema: n, name: ident(n), shown: `schema ${shownName(n)}` }));
}

/**
 * The tables and sequences a created table's DDL makes (identity ones included), and the schemas it
 * creates (USAGE and CREATE as the source grants them), as GRANT names them.
 */
function aclObjects(rels: SourceRelation[], d: TableDdl, defs: SourceDefinitions): AclObject[] {
  const made = new Set(d.created.filter((c) => c.kind === 'sequence').map((c) => c.name));
  // An identity column's sequence is created with its table, and the target's default privileges
  // for sequences apply to it too.
  const oids = new Set(rels.map((r) => r.oid));
  const sequences = defs.sequences.filter(
    (s) => made.has(qualified(s.schema, s.name)) || (s.deptype === 'i' && oids.has(s.rel)),
  );
  const seen = new Set<string>();
  return [
    ...rels.map(
      (r): AclObject => ({
        kind: 'TABLE',
        schema: r.schema,
        name: qualified(r.schema, r.name),
        shown: displayName(r.schema, r.name),
      }),
    ),
    ...sequences.map(
      (s): AclObject => ({
        kind: 'SEQUENCE',
        schema: s.schema,
        name: qualified(s.schema, s.name),
        shown: displayName(s.schema, s.name),
      }),
    ),
    ...createdSchemas(rels, d, defs),
  ].filter((o) => !seen.has(o.name) && seen.add(o.name));
}

/**
 * Plans the policies and grants of every table `ddl` creates, tries them on the target, and attaches
 * each table's AccessPlan to its DDL (its statements appended to the part after verification).
 */
export async function planAccess(s: Session, input: AccessInput): Promise<void> {
  const { defs, ddl } = input;
  const top = topOf(defs);
  const relsOf = (key: string) => defs.relations.filter((r) => tableKey(top(r).schema, top(r).name) === key);
  for (const [key, d] of ddl)
    if (d.kind === 'add-columns' && !d.problems.length) await addedColumnGrants(s, d, relsOf(key)[0]);
  const tables = [...ddl.entries()].filter(([, d]) => d.kind === 'create' && !d.problems.length);
  if (!tables.length) return;
  const target: TargetAccess = {
    roles: await targetRoles(s.target),
    platform: s.sourceCatalog.platform?.id ?? null,
    versionNum: s.targetCatalog.serverVersionNum,
    defaults: await targetDefaults(s.target),
  };
  const plans = new Map<string, AccessPlan>();
  for (const [key, d] of tables) {
    const rels = relsOf(key);
    const relations = rels.map((r) => qualified(r.schema, r.name));
    const objects = aclObjects(rels, d, defs);
    const policies = await readPolicies(s.source, relations);
    const grants = (await readGrants(s.source, objects)).filter((g) => g.grantee !== input.user);
    const plan = draft(relations, objects, policies, grants, target);
    await leaveOutCallingDiffering(s, plan);
    plans.set(key, plan);
  }
  await planDefaults(
    s,
    tables.map(([key]) => [relsOf(key)[0].schema, plans.get(key)!] as const),
    target,
  );
  await tryAccess(s, input, plans, target);
  for (const [key, d] of tables) attachAccess(d, plans.get(key)!, relsOf(key), input.user);
}

/**
 * Columns added to an existing table get no grant: the source's grants on them are named. The table
 * is the target's, and who may read it is for its owner to say; a column added is covered by the
 * table's own grants and policies only, as any column the owner adds.
 */
async function addedColumnGrants(s: Session, d: TableDdl, rel: SourceRelation): Promise<void> {
  const table: AclObject = {
    kind: 'TABLE',
    schema: rel.schema,
    name: qualified(rel.schema, rel.name),
    shown: displayName(rel.schema, rel.name),
  };
  const grants = (await readGrants(s.source, [table])).filter((g) => g.column !== null && d.added?.includes(g.column));
  if (!grants.length) return;
  d.notes.push(
    `the source grants ${list(groupGrants(grants).map(grantText))} on the added column(s) of ${table.shown}; ` +
      "not granted on the target, where the table's own grants and policies decide who reads them",
  );
}

/**
 * The source's default privileges in the schemas the run creates tables in that the target lacks:
 * each given with the first created table of its schema, or left out when a role is missing.
 */
async function planDefaults(
  s: Session,
  tables: (readonly [string, AccessPlan])[],
  { roles, platform, versionNum }: TargetAccess,
): Promise<void> {
  const schemas = [...new Set(tables.map(([schema]) => schema))];
  // A default privilege the target's server cannot hold (MAINTAIN before 17) is no gap to fill.
  const [source] = byTargetVersion(await readDefaultGrants(s.source, schemas), versionNum);
  const target = await readDefaultGrants(s.target, schemas);
  for (const group of missingDefaults(source, target)) {
    const plan = tables.find(([schema]) => schema === group[0].schema)![1];
    const missing = [group[0].role, group[0].grantee].filter((r): r is string => r !== null && !roles.has(r));
    if (missing.length)
      plan.leftOut.push({
        kind: 'default privilege',
        name: defaultText(group),
        reason: lacks(missing[0], platform),
        role: missing[0],
      });
    else plan.defaults.push(group);
  }
}

interface TargetAccess {
  roles: ReadonlySet<string>;
  /** The source's platform, whose API roles a reason names as such. */
  platform: string | null;
  /** The target's server_version_num: a privilege newer than it is left out, named. */
  versionNum: number;
  defaults: (type: string, schema: string) => (string | null)[];
}

/** Why a grant or policy to `role` is left out; a platform's API role (Supabase's anon) said as such. */
function lacks(role: string, platformId?: string | null): string {
  const api = apiRoleText(platformId, role);
  return `the target has no role ${shownName(role)}${api ? ` (${api}; a plain PostgreSQL has none)` : ''}`;
}

/**
 * A policy whose expression calls a function the target has with another definition is left out:
 * its text would read back equal while it runs the target's body (the table stays closed without it).
 */
async function leaveOutCallingDiffering(s: Session, plan: AccessPlan): Promise<void> {
  const calling = await callingDiffering(
    s,
    plan.policies.map((p) => ({ classid: 'pg_policy', objid: p.oid! })),
  );
  const byOid = new Map([...calling].map(([k, fn]) => [k.slice(k.indexOf('/') + 1), fn]));
  for (const p of plan.policies.filter((x) => byOid.has(x.oid!)))
    plan.leftOut.push(policyOut(p, differingCalleeReason(byOid.get(p.oid!)!)));
  plan.policies = plan.policies.filter((x) => !byOid.has(x.oid!));
}

/** The statements and expectations before the trial: what needs a role the target lacks is left out. */
function draft(
  relations: string[],
  objects: AclObject[],
  policies: Policy[],
  grants: Grant[],
  target: TargetAccess,
): AccessPlan {
  const plan: AccessPlan = {
    relations,
    policies: [],
    objects,
    grants: [],
    statements: [],
    revoked: [],
    created: [],
    leftOut: [],
    defaults: [],
    undoDefaults: [],
  };
  for (const p of policies) {
    const missing = p.roles.filter((r): r is string => r !== null && !target.roles.has(r));
    const why = missing.map((r) => lacks(r, target.platform)).join('; ');
    if (missing.length) plan.leftOut.push({ ...policyOut(p, why), role: missing[0] });
    else plan.policies.push(p);
  }
  const [known, unknown] = byTargetVersion(grants, target.versionNum);
  for (const group of groupGrants(unknown)) {
    const name = `${grantText(group)} on ${objects[group[0].i].shown}`;
    plan.leftOut.push({
      kind: 'grant',
      name,
      reason: `the target's server (before PostgreSQL 17) has no such privilege`,
    });
  }
  for (const group of groupGrants(known)) {
    const role = group[0].grantee;
    const name = `${grantText(group)} on ${objects[group[0].i].shown}`;
    if (role !== null && !target.roles.has(role))
      plan.leftOut.push({ kind: 'grant', name, reason: lacks(role, target.platform), role });
    else plan.grants.push(...group);
  }
  return plan;
}

/** Grants the target's server knows the privilege of, and those it does not (MAINTAIN is PostgreSQL 17's). */
function byTargetVersion<T extends { privilege: string }>(grants: T[], versionNum: number): [T[], T[]] {
  const knows = (g: T) => g.privilege !== 'MAINTAIN' || versionNum >= 170000;
  return [grants.filter(knows), grants.filter((g) => !knows(g))];
}

const policyOut = (p: Policy, reason: string): AccessLeftOut => ({
  kind: 'policy',
  name: policyName(p),
  reason,
  ...(p.permissive ? {} : { restricts: displayName(p.schema, p.table) }),
});

/** A statement of the access plan with what it stands for, tried on its own. */
interface Step {
  sql: string;
  policy?: Policy;
  grants?: Grant[];
  /** A revoke of default privileges: whom, on what. */
  revoke?: string;
  defaults?: DefaultGrant[];
}

function stepsOf(plan: AccessPlan, target: TargetAccess): Step[] {
  const revokes = plan.objects.flatMap((o) => {
    const grantees = target.defaults(o.kind === 'SEQUENCE' ? 'S' : o.kind === 'SCHEMA' ? 'n' : 'r', o.schema);
    const whom = `${list(grantees.map((g) => g ?? 'PUBLIC'))} on ${o.shown}`;
    return revokeDefaults(o, grantees).map((sql) => ({ sql, revoke: whom }));
  });
  return [
    ...plan.policies.map((p) => ({ sql: createPolicy(p), policy: p })),
    ...revokes,
    ...groupGrants(plan.grants).map((g) => ({ sql: grantStatement(plan.objects[g[0].i], g), grants: g })),
    ...plan.defaults.map((g) => ({ sql: grantDefaults(g), defaults: g })),
  ];
}

/**
 * The tables' DDL, then every access statement in its own savepoint, in a transaction rolled back:
 * a statement the target refuses is left out with the server's words; the policies are read back
 * as the target writes them (the run's check compares with those).
 */
async function tryAccess(
  s: Session,
  input: AccessInput,
  plans: Map<string, AccessPlan>,
  target: TargetAccess,
): Promise<void> {
  const steps = new Map([...plans].map(([k, p]) => [k, stepsOf(p, target)]));
  await s.target.query('BEGIN');
  try {
    for (const part of [...input.replay.before, ...input.replay.after])
      for (const sql of part) await s.target.query(sql);
    for (const [key, plan] of plans) {
      const ok: Step[] = [];
      for (const step of steps.get(key)!) {
        const refused = await tryOne(s, step.sql);
        if (!refused) ok.push(step);
        else if (step.policy) plan.leftOut.push(policyOut(step.policy, refused));
        else if (step.grants) {
          const name = `${grantText(step.grants)} on ${plan.objects[step.grants[0].i].shown}`;
          plan.leftOut.push({ kind: 'grant', name, reason: refused });
        } else if (step.defaults)
          plan.leftOut.push({ kind: 'default privilege', name: defaultText(step.defaults), reason: refused });
        else ok.push(step); // a refused revoke stays: the run's check then fails rather than leave it open
      }
      const asOnSource = plan.policies;
      settle(plan, ok);
      plan.policies = (await readPolicies(s.target, plan.relations)).filter((p) =>
        plan.created.some((c) => c.kind === 'policy' && c.name === policyName(p)),
      );
      compareWithSource(plan, asOnSource);
    }
  } finally {
    await s.target.query('ROLLBACK');
  }
}

const expressions = (p: Policy) =>
  [p.using === null ? '' : `USING (${p.using})`, p.check === null ? '' : `WITH CHECK (${p.check})`].join(' ').trim();

/**
 * The policies as the target wrote them, against the source's: the run checks the target against
 * what it wrote (its server's deparser), so where that text differs from the source's (another
 * version's way of printing the same expression), the report says so rather than "equal".
 */
function compareWithSource(plan: AccessPlan, source: Policy[]): void {
  for (const c of plan.created.filter((x) => x.kind === 'policy')) {
    const there = plan.policies.find((p) => policyName(p) === c.name);
    const here = source.find((p) => policyName(p) === c.name);
    if (!there || !here || samePolicy(there, here)) continue;
    c.detail =
      `created; the target's server writes it as ${expressions(there)} where the source's reads ` +
      `${expressions(here)} (checked as the target writes it)`;
  }
}

async function tryOne(s: Session, sql: string): Promise<string | null> {
  await s.target.query('SAVEPOINT archon_access');
  try {
    await s.target.query(sql);
    await s.target.query('RELEASE SAVEPOINT archon_access');
    return null;
  } catch (e) {
    // A lock timeout, a cancel or a lost connection is no refusal of this statement: it ends the plan.
    if (endsTheRun(e)) throw e;
    await s.target.query('ROLLBACK TO SAVEPOINT archon_access');
    const info = errorInfo(e, s.secrets);
    return `the target refuses \`${sql}\`: ${info.message}${info.code ? ` [${info.code}]` : ''}`;
  }
}

/**
 * What the trial let through becomes the plan; a restrictive policy left out takes the permissive
 * policies of its relation with it, since they would let more rows through without it.
 */
function settle(plan: AccessPlan, ok: Step[]): void {
  const kept = ok.filter((st) => {
    const p = st.policy;
    const restrictive = p?.permissive && plan.leftOut.find((l) => l.restricts === displayName(p.schema, p.table));
    if (!p || !restrictive) return true;
    const why = `the restrictive policy ${restrictive.name} is not created, and without it this one would let more through than on the source`;
    plan.leftOut.push(policyOut(p, why));
    return false;
  });
  plan.statements = kept.map((st) => st.sql);
  plan.grants = kept.flatMap((st) => st.grants ?? []);
  plan.revoked = kept.flatMap((st) => st.revoke ?? []);
  plan.defaults = kept.flatMap((st) => (st.defaults ? [st.defaults] : []));
  plan.undoDefaults = plan.defaults.map(revokeDefaultsClause);
  plan.created = [
    ...kept.flatMap((st) => (st.policy ? [{ kind: 'policy' as const, name: policyName(st.policy) }] : [])),
    ...kept.flatMap((st) =>
      st.grants
        ? [{ kind: 'grant' as const, name: `${grantText(st.grants)} on ${plan.objects[st.grants[0].i].shown}` }]
        : [],
    ),
    ...plan.defaults.map((g) => ({ kind: 'default privilege' as const, name: defaultText(g) })),
  ];
}

const list = (xs: string[]) => xs.join(', ');
const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The AccessPlan on the table's DDL: its statements after the switches, its notes instead of "not created". */
function attachAccess(d: TableDdl, plan: AccessPlan, rels: SourceRelation[], user: string): void {
  d.access = plan;
  d.afterVerify.push(...plan.statements);
  d.created.push(...plan.undoDefaults.map((name) => ({ kind: 'default privileges' as const, name })));
  const handled = new Set([...plan.created, ...plan.leftOut].filter((x) => x.kind === 'policy').map((x) => x.name));
  d.notCreated = d.notCreated.filter(
    (n) => !handled.has(n.replace(/^row-level security policy /, '')) && !/^grants on /.test(n),
  );
  const old = new Set(rels.map((r) => createdRowSecurityNote(r, user)));
  d.notes = d.notes.filter((n) => !old.has(n));
  d.notes.push(...rels.flatMap((r) => securityNote(r, plan, user) ?? []), ...grantNotes(plan), ...leftOutNotes(plan));
}

/** A relation's row-level security with its policies: created, or not, and who it is closed to then. */
function securityNote(rel: SourceRelation, plan: AccessPlan, user: string): string | null {
  const name = displayName(rel.schema, rel.name);
  const on = (x: { name: string }) => x.name.endsWith(` on ${name}`);
  const created = plan.created
    .filter((c) => c.kind === 'policy' && on(c))
    .map((c) => c.name.slice(0, -` on ${name}`.length));
  if (!rel.rowSecurity) return created.length ? `policies ${list(created)} created on ${name}, as on the source` : null;
  const head = `row-level security ${rel.forceRowSecurity ? 'enabled and forced' : 'enabled'} on ${name}, as on the source (once its rows are verified, before the commit)`;
  if (!(rel.policies ?? []).length) return createdRowSecurityNote(rel, user);
  const left = plan.leftOut
    .filter((l) => l.kind === 'policy' && on(l))
    .map((l) => l.name.slice(0, -` on ${name}`.length));
  const reworded = plan.created.some((c) => c.kind === 'policy' && on(c) && c.detail);
  const as = reworded ? "the target's server writes" : 'the source defines';
  // Said of what the run does, not of what it did: a plan carries the same note and writes nothing.
  const made = created.length
    ? `; its ${created.length === 1 ? 'policy' : 'policies'} ${list(created)} created in the run's transaction and read back from the target's catalog before the commit, as ${as} ${created.length === 1 ? 'it' : 'them'}`
    : '';
  if (!left.length) return head + made;
  const permissive = plan.policies.some((p) => p.permissive && displayName(p.schema, p.table) === name);
  const then = permissive
    ? `so the rows only ${left.length === 1 ? 'it lets' : 'they let'} in stay closed`
    : `so ${closedTo(rel, user)}`;
  return `${head}${made}; ${left.length === 1 ? 'its policy' : 'its policies'} ${list(left)} ${left.length === 1 ? 'is' : 'are'} not created (see why below), ${then}`;
}

function grantNotes(plan: AccessPlan): string[] {
  const grants = plan.created.filter((c) => c.kind === 'grant').map((c) => c.name);
  const revoked = plan.revoked;
  return [
    ...(revoked.length
      ? [
          `what the target's default privileges grant new objects is revoked first (${revoked.join('; ')}), ` +
            "then the source's grants given: the target's grants are the source's, no more",
        ]
      : []),
    ...(grants.length
      ? [`granted as on the source, then read back from the target's catalog before the commit: ${list(grants)}`]
      : []),
    ...grantorNote([plan]),
    ...(plan.defaults.length
      ? [
          `default privileges the target lacked, given as on the source (undo takes them back): ${plan.defaults.map(defaultText).join('; ')}`,
        ]
      : []),
  ];
}

/** What is left out, and for each role the target lacks, how much (the platform's anon on a plain server). */
function leftOutNotes(plan: AccessPlan): string[] {
  const byRole = new Map<string, AccessLeftOut[]>();
  for (const l of plan.leftOut.filter((x) => x.role)) byRole.set(l.role!, [...(byRole.get(l.role!) ?? []), l]);
  const roles = [...byRole].map(([role, ls]) => {
    const g = ls.filter((l) => l.kind === 'grant').length;
    const p = ls.filter((l) => l.kind === 'policy').length;
    const dp = ls.filter((l) => l.kind === 'default privilege').length;
    const what = [
      ...(g ? [counted(g, 'grant', 'grants')] : []),
      ...(p ? [counted(p, 'policy', 'policies')] : []),
      ...(dp ? [counted(dp, 'default privilege', 'default privileges')] : []),
    ];
    return `the target has no role ${shownName(role)}: ${what.length > 1 ? `${what.slice(0, -1).join(', ')} and ${what.at(-1)}` : what[0]} not created (${ls.map((l) => `${l.kind} ${l.name}`).join('; ')})`;
  });
  const others = plan.leftOut.filter((l) => !l.role).map((l) => `${l.kind} ${l.name} not created: ${l.reason}`);
  return [...roles, ...others];
}

/** After the access statements ran: the policies and the grants, read back and compared. */
export async function checkAccess(tgt: pg.Client, plan: AccessPlan): Promise<void> {
  await checkPolicies(tgt, plan.relations, plan.policies);
  await checkGrants(tgt, plan.objects, plan.grants);
  await checkDefaults(tgt, plan.defaults.flat());
}

const createdReason = (kind: AccessKind): string =>
  kind === 'policy'
    ? "created and equal: found in the target's catalog as the source defines it"
    : kind === 'grant'
      ? "granted and equal: the target's grants are the source's"
      : "given as on the source: found in the target's catalog";

const PLANNED =
  "to be created in the run's transaction, then read back from the target's catalog and compared with the source's";

/** A planned policy's reason: what the trial found the target's server writes, when it words it otherwise. */
const plannedReason = (detail?: string): string => (detail ? detail.replace(/^created; /, 'to be created; ') : PLANNED);

/**
 * The report's objects with the created tables' policies and grants: those the run creates ('to be
 * created' until a committed run says 'created': settleAccess), those left out with why, instead of
 * the policies listed as not created with their table.
 */
export function withAccessObjects(objects: SchemaObject[], plans: (AccessPlan | undefined)[]): SchemaObject[] {
  const access = plans.filter((p): p is AccessPlan => !!p);
  if (!access.length) return objects;
  const handled = new Set(access.flatMap((p) => [...p.created, ...p.leftOut].map((x) => `${x.kind} ${x.name}`)));
  const created = access.flatMap((p) =>
    p.created.map(
      (c): SchemaObject => ({
        kind: c.kind,
        name: c.name,
        status: 'to be created',
        reason: plannedReason(c.detail),
      }),
    ),
  );
  const left = access.flatMap((p) =>
    p.leftOut.map((l): SchemaObject => ({ kind: l.kind, name: l.name, status: 'not created', reason: l.reason })),
  );
  return [...objects.filter((o) => !handled.has(`${o.kind} ${o.name}`)), ...created, ...left];
}

const ACCESS_KINDS: ReadonlySet<string> = new Set<AccessKind>(['policy', 'grant', 'default privilege']);

/**
 * A committed run's policies and grants: created, each read back before the commit (checkAccess). One
 * that did not commit leaves them 'to be created' for settleObjects to say not created.
 */
export const settleAccess = (objects: SchemaObject[], committed: boolean): SchemaObject[] =>
  objects.map((o) =>
    committed && o.status === 'to be created' && ACCESS_KINDS.has(o.kind)
      ? {
          ...o,
          status: 'created',
          reason:
            o.reason === PLANNED
              ? createdReason(o.kind as AccessKind)
              : o.reason.replace(/^to be created; /, 'created; '),
        }
      : o,
  );

/** A run that did not commit created nothing: what it would have created is said so, never 'created'. */
export const notCommitted = (objects: SchemaObject[]): SchemaObject[] =>
  objects.map((o) =>
    o.status === 'created'
      ? { ...o, status: 'not created', reason: 'the run did not commit, so nothing of it was created' }
      : o,
  );

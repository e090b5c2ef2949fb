// Privileges of the functions, procedures, views and materialized views --create-objects creates: the
// source's grants, to the roles the target has, and nothing more. A function created on the target
// gets EXECUTE for PUBLIC by default (a NULL proacl), and the target's default privileges may grant a
// new function or view to roles the source never granted it to; a SECURITY DEFINER function whose
// source revokes PUBLIC would otherwise let anyone call it with its owner's rights. So each object's
// creation is followed by a REVOKE from PUBLIC and from those roles, then the source's GRANTs; the run
// reads the ACL back before the commit (checkObjectGrants) and a difference fails it.
import type pg from 'pg';
import {
  type AclObject,
  type Grant,
  checkGrants,
  grantStatement,
  grantText,
  grantorNote,
  groupGrants,
  readGrants,
} from './grants.js';
import { roleText } from './policies.js';

/** An object's ACL as the run sets it: what is granted, what the target lacks a role for. */
export interface ObjectAcl {
  object: AclObject;
  /** The source's grants given on the target (index 0: this object). */
  grants: Grant[];
  /** The source's grants to roles the target lacks, as the report names them: left out, so narrower. */
  leftOut: string[];
}

/** What the ACL planning needs of an object about to be created. */
export interface AclCandidate {
  kind: string;
  schema: string;
  /** As GRANT names it: `"s"."f"(integer)` or `"s"."v"`. */
  sqlName: string;
  /** As a person reads it. */
  shown: string;
}

/** The GRANT kind of a creatable object, or null for one without its own ACL (a trigger). */
function aclKind(kind: string): AclObject['kind'] | null {
  // GRANT … ON FUNCTION names an aggregate too.
  if (kind === 'function' || kind === 'aggregate') return 'FUNCTION';
  if (kind === 'procedure') return 'PROCEDURE';
  if (kind === 'schema') return 'SCHEMA';
  if (kind === 'view' || kind === 'materialized view') return 'TABLE';
  return null;
}

/**
 * The source's ACL of each object, as the statements that set it on the target after its creation.
 * `defaults(type, schema)` gives who the target's default privileges grant a new object to; PUBLIC is
 * always revoked too, since a function's built-in default grants it EXECUTE.
 */
export async function planObjectAcls<T extends AclCandidate>(
  source: pg.Client,
  objects: T[],
  target: {
    roles: ReadonlySet<string>;
    user: string;
    defaults: (type: string, schema: string) => (string | null)[];
  },
): Promise<Map<T, { acl: ObjectAcl; statements: string[] }>> {
  const out = new Map<T, { acl: ObjectAcl; statements: string[] }>();
  for (const o of objects) {
    const kind = aclKind(o.kind);
    if (!kind) continue;
    const object: AclObject = { kind, schema: o.schema, name: o.sqlName, shown: o.shown };
    const all = (await readGrants(source, [object])).filter((g) => g.grantee !== target.user);
    const kept = all.filter((g) => g.grantee === null || target.roles.has(g.grantee));
    const leftOut = groupGrants(all.filter((g) => !kept.includes(g))).map((g) => `${grantText(g)} on ${o.shown}`);
    const type = kind === 'TABLE' ? 'r' : kind === 'SCHEMA' ? 'n' : 'f';
    const revokeFrom = [null, ...target.defaults(type, o.schema).filter((g) => g !== null)];
    const statements = [
      `REVOKE ALL ON ${kind} ${o.sqlName} FROM ${revokeFrom.map(roleText).join(', ')}`,
      ...groupGrants(kept).map((g) => grantStatement(object, g)),
    ];
    out.set(o, { acl: { object, grants: kept, leftOut }, statements });
  }
  return out;
}

/** The created objects' ACLs read back from the target: one grant more or less than the source's fails the run. */
export async function checkObjectGrants(tgt: pg.Client, acls: ObjectAcl[]): Promise<void> {
  for (const a of acls) await checkGrants(tgt, [a.object], a.grants);
}

/** The plan's words on the created objects' grants, or null when none is left out and none given. */
export function objectAclNote(acls: ObjectAcl[]): string | null {
  const left = acls.flatMap((a) => a.leftOut);
  const given = acls.flatMap((a) => groupGrants(a.grants).map((g) => `${grantText(g)} on ${a.object.shown}`));
  const parts = [
    `the created functions, procedures, aggregates, views and schemas get the source's grants and no more (PUBLIC and the target's default privileges revoked first, read back before the commit)${given.length ? `: ${given.join(', ')}` : ''}`,
    ...(left.length ? [`not granted, the target lacking the role: ${left.join(', ')}`] : []),
    ...grantorNote(acls.map((a) => ({ grants: a.grants, objects: [a.object] }))),
  ];
  return acls.length ? parts.join('; ') : null;
}

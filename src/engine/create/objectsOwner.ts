// The owner of what --create-objects creates, where its rights are its owner's: a view (not
// security_invoker) reads its relations as its owner, so row-level security does not apply to it
// when that owner is a superuser or the table's owner; a SECURITY DEFINER function or procedure runs
// as its owner. Created by the run's user (often a superuser) such an object would see more than on
// the source, so it gets the source's owner, or is not created, saying why. Other objects stay the
// run's user's: their owner changes nothing anyone reads, and a table given away mid-run would cost
// a run's user who is not a superuser its COPY, its checks and undo.
import type pg from 'pg';
import { ident } from '../ident.js';
import type { Lookup } from '../schema/ddl.js';

export interface OwnedObject {
  kind: string;
  reason: string | null;
  statements: string[];
  lookup: Lookup;
  created: { name: string } | null;
  source?: { owner: string; ownerSuper: boolean; sensitive: boolean };
  /** The owner the after-run check expects; unset when the run's user owns it. */
  owner?: string;
  ownerNote?: string;
}

const ALTER: Record<string, string> = {
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
};

const rightsOf = (kind: string) => (kind === 'function' || kind === 'procedure' ? 'runs with' : 'reads with');

/**
 * Gives each owner-sensitive object its source owner (ALTER … OWNER TO right after its CREATE, so its
 * comment, indexes and grants follow as the owner's; the plan's trial tries it like the rest), where
 * the target has that role and the run's user may set it; otherwise sets its reason, unless the
 * source's owner is a superuser there (then the run's user is no more than it was).
 */
export async function planOwners(tgt: pg.Client, objects: OwnedObject[]): Promise<void> {
  const open = objects.filter((o) => !o.reason && o.source?.sensitive);
  const me = (await tgt.query<{ me: string }>('SELECT current_user::text AS me')).rows[0].me;
  for (const o of open.filter((x) => x.kind === 'rule')) ruleOwner(o, me);
  const sensitive = open.filter((o) => ALTER[o.kind] && o.created);
  if (!sensitive.length) return;
  const { rows } = await tgt.query<{ r: string; may: boolean }>(
    // ALTER … OWNER TO needs membership up to 15, and from 16 a membership WITH SET (which one granted
    // WITH SET FALSE lacks): asked as the target's version asks it.
    `SELECT rolname::text AS r,
            pg_has_role(current_user, oid,
              CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) AS may
       FROM pg_roles WHERE rolname = ANY ($1::text[])`,
    [sensitive.map((o) => o.source!.owner)],
  );
  const may = new Map(rows.map((r) => [r.r, r.may]));
  for (const o of sensitive) ownerOf(o, me, may);
}

function ownerOf(o: OwnedObject, me: string, may: Map<string, boolean>): void {
  const { owner, ownerSuper } = o.source!;
  const why = `its rights are its owner's (it ${rightsOf(o.kind)} them)`;
  if (owner === me) {
    o.owner = owner;
    o.ownerNote = `owned by ${owner} on the target, as on the source: ${why}`;
    return;
  }
  if (may.get(owner)) {
    o.owner = owner;
    o.ownerNote = `owned by ${owner} on the target, as on the source: ${why}`;
    o.statements.splice(1, 0, `ALTER ${ALTER[o.kind]} ${o.created!.name} OWNER TO ${ident(owner)}`);
    return;
  }
  const absent = may.has(owner)
    ? `the run's user ${me} may not give it to ${owner} (a superuser may, or a member of ${owner} that may SET ROLE to it)`
    : `${owner} is not on the target`;
  if (ownerSuper) {
    o.ownerNote = `owned by the run's user ${me} on the target: its source owner ${owner} is a superuser there, and ${absent}; owned by ${me} it sees no more than on the source`;
    return;
  }
  o.reason = `owned by ${owner} on the source, whose rights it ${rightsOf(o.kind)}; ${absent}: owned by ${me} it would see more than on the source (create role ${owner} on the target, or run as a member of it)`;
}

/**
 * A rule on a table the run creates acts with that table's owner's rights, and the run's user owns the
 * tables it creates: it keeps them for the whole run, since one given away mid-run would hold row-level
 * security against a run's user who is not a superuser (its COPY, its read-back and undo's). So a rule
 * is created only where the run's user has no more rights than the table's source owner: it is that
 * owner, or the owner is a superuser on the source.
 */
function ruleOwner(o: OwnedObject, me: string): void {
  const { owner, ownerSuper } = o.source!;
  if (owner === me) return;
  if (ownerSuper) {
    o.ownerNote = `its actions run with the rights of its table's owner, ${me} on the target: ${owner} on the source, a superuser there, so no more than on the source`;
    return;
  }
  o.reason = `its actions run with the rights of its table's owner: ${owner} on the source, ${me} (the run's user, who creates the table) on the target, whose rights may reach further (create the rule on the target once the table is given to ${owner})`;
}

const OWNER_SQL: Partial<Record<Lookup['kind'], string>> = {
  function: 'SELECT pg_get_userbyid(proowner)::text AS o FROM pg_proc WHERE oid = to_regprocedure($1)',
  relation: 'SELECT pg_get_userbyid(relowner)::text AS o FROM pg_class WHERE oid = to_regclass($1)',
};

/** Each object whose owner the target holds otherwise than planned, said as a difference. */
export async function wrongOwners(
  tgt: pg.Client,
  objects: Pick<OwnedObject, 'kind' | 'lookup' | 'created' | 'owner'>[],
): Promise<string[]> {
  const wrong: string[] = [];
  for (const o of objects.filter((x) => x.owner !== undefined)) {
    const sql = OWNER_SQL[o.lookup.kind];
    if (!sql) continue;
    const param = o.lookup.kind === 'function' ? o.lookup.signature : (o.lookup as { relation: string }).relation;
    const found = (await tgt.query<{ o: string }>(sql, [param])).rows[0]?.o;
    if (found !== o.owner)
      wrong.push(
        `${o.kind} ${o.created?.name ?? ''} is owned by ${found ?? 'nobody'} on the target, not ${o.owner} as on the source`,
      );
  }
  return wrong;
}

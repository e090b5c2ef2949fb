// The schemas, types, domains and extensions a run created, dropped again by its undo, and what
// holds those it has to keep. Archon's own backups never count as users: a backup of a run that can
// no longer be undone is dropped out of the way; one of a run that can still be undone keeps the
// object (dropping it would break that run's undo), and the journal remembers it, so that dropping
// that run's backups (`backups drop`, or its undo) drops the object too.
import type pg from 'pg';
import { qualified } from '../ident.js';
import { JOURNAL_SCHEMA } from './journal.js';
import type { CreatedObject } from '../schema/ddl.js';
import { SQLSTATE, sqlStateOf } from '../sqlState.js';

/** An object a run created that its undo kept, and what holds it. */
export interface KeptObject {
  /** As SQL names it, with its kind: `type "crm"."mood"`. */
  object: string;
  /** The user's own objects that use it now (outside the journal schema): it stays. */
  usedBy: string[];
  /** Runs that can still be undone whose backups alone hold it: dropping their backups drops it. */
  backupsOf: string[];
}

/** Why an object was kept, in the words every adapter shows. */
export function keptReason(k: KeptObject): string {
  if (k.usedBy.length) return `other objects use it now (${k.usedBy.join(', ')})`;
  if (!k.backupsOf.length) return 'other objects use it now';
  const [one] = k.backupsOf;
  return k.backupsOf.length === 1
    ? `the backup of run ${one}, which can still be undone, holds it; dropping that run's backups drops it too`
    : `the backups of runs ${k.backupsOf.join(', ')}, which can still be undone, hold it; dropping those runs' ` +
        'backups drops it too';
}

/** One entry of `archon.runs.kept_for_backups`: an object kept only for other runs' backups. */
interface KeptEntry {
  object: string;
  kind: CreatedObject['kind'];
  name: string;
  backupsOf: string[];
}

/** An object as SQL names it, with its kind: `view "public"."v"` (what undo lists and keeps). */
export const createdLabel = (o: CreatedObject) => `${o.kind} ${o.name}`;
const label = createdLabel;

/**
 * Drops what a run created, newest first, each only if nothing uses it (RESTRICT); one still used
 * by another created object goes on the next pass, after it. Returns those kept, and why.
 */
export async function dropCreatedObjects(
  c: pg.Client,
  objects: CreatedObject[],
  note: (message: string) => void,
): Promise<Map<CreatedObject, KeptObject>> {
  let pending = await dropUnused(c, objects);
  while (pending.length) {
    const held = await holders(c, pending);
    if (!held.stale.length) return held.why;
    // Backups of runs that were undone (an older Archon kept them): nothing can restore from them.
    for (const b of held.stale)
      note(`dropping ${JOURNAL_SCHEMA}.${b.table}, a backup of run ${b.run}, which was undone`);
    const also = await dropBackupTables(
      c,
      held.stale.map((b) => b.run),
      held.stale.map((b) => b.table),
    );
    if (also.length) note(`dropped with them what undone runs kept only for them: ${also.join(', ')}`);
    pending = await dropUnused(c, pending);
  }
  return new Map();
}

/** Drops each object nothing uses, pass after pass, until a pass drops none; returns the rest. */
export async function dropUnused(c: pg.Client, objects: CreatedObject[]): Promise<CreatedObject[]> {
  let pending = objects;
  for (let dropped = true; pending.length && dropped; ) {
    dropped = false;
    const kept: CreatedObject[] = [];
    for (const o of pending) {
      if (await dropIfUnused(c, o)) dropped = true;
      else kept.push(o);
    }
    pending = kept;
  }
  return pending;
}

async function dropIfUnused(c: pg.Client, o: CreatedObject): Promise<boolean> {
  await c.query('SAVEPOINT archon_drop');
  try {
    // Gone already (dropped by someone since): what undo came to do is done. Default privileges are
    // no object to drop: the run's grant is revoked (a revoke of what is not there does nothing).
    if (o.kind === 'default privileges') await c.query(`ALTER DEFAULT PRIVILEGES ${o.name}`);
    // An aggregate by its signature as regprocedure prints it: DROP AGGREGATE wants `(*)` for one
    // without arguments, DROP ROUTINE takes the signature as it is.
    else await c.query(`DROP ${o.kind === 'aggregate' ? 'ROUTINE' : o.kind.toUpperCase()} IF EXISTS ${o.name}`);
    await c.query('RELEASE SAVEPOINT archon_drop');
    return true;
  } catch (e) {
    if (sqlStateOf(e) !== SQLSTATE.dependentObjectsStillExist) throw e;
    await c.query('ROLLBACK TO SAVEPOINT archon_drop');
    return false;
  }
}

interface Address {
  classid: string;
  objid: string;
}

const key = (a: Address) => `${a.classid}/${a.objid}`;

/** The catalog address of an object as the journal names it; null when it no longer exists. */
async function addressOf(c: pg.Client, o: CreatedObject): Promise<Address | null> {
  // A function's name holds its argument types, which only the server parses.
  if (o.kind === 'function' || o.kind === 'procedure' || o.kind === 'aggregate') {
    const r = await c.query<Address>(
      `SELECT 'pg_proc'::regclass::oid::text AS classid, p::oid::text AS objid FROM to_regprocedure($1) p WHERE p IS NOT NULL`,
      [o.name],
    );
    return r.rows[0] ?? null;
  }
  // A type's name (a domain is one here) is parsed as SQL as a whole; other objects' come as parts.
  const type = o.kind === 'type' || o.kind === 'domain';
  const names = type ? 'ARRAY[$2]' : 'parse_ident($2)';
  await c.query('SAVEPOINT archon_address');
  try {
    const r = await c.query<Address>(
      `SELECT classid::text AS classid, objid::text AS objid FROM pg_get_object_address($1, ${names}, '{}')`,
      [type ? 'type' : o.kind, o.name],
    );
    await c.query('RELEASE SAVEPOINT archon_address');
    return r.rows[0];
  } catch (e) {
    const gone: string[] = [SQLSTATE.undefinedObject, SQLSTATE.invalidSchemaName, SQLSTATE.undefinedTable];
    if (!gone.includes(sqlStateOf(e) ?? '')) throw e;
    await c.query('ROLLBACK TO SAVEPOINT archon_address');
    return null;
  }
}

/** An object and what is part of it (its array type, a composite's relation, an extension's members). */
const PARTS = `WITH RECURSIVE part(classid, objid) AS (
    VALUES ($1::oid, $2::oid)
    UNION
    SELECT d.classid, d.objid FROM pg_depend d JOIN part p ON d.refclassid = p.classid AND d.refobjid = p.objid
     WHERE d.deptype IN ('i', 'e'))`;

/**
 * The objects that would stop a DROP … RESTRICT of it (normal dependencies on it or its parts), and
 * for those in the journal schema, the run whose backup it is and whether that run can still be undone.
 */
const USERS_SQL = `${PARTS}
SELECT DISTINCT d.classid::text AS classid, d.objid::text AS objid, o.type, o.identity,
       rel.relnamespace = to_regnamespace($3) AS journal, rel.relname
  FROM pg_depend d JOIN part p ON d.refclassid = p.classid AND d.refobjid = p.objid
 CROSS JOIN LATERAL pg_identify_object(d.classid, d.objid, 0) o
  LEFT JOIN pg_class rel ON d.classid = 'pg_class'::regclass AND rel.oid = d.objid
 WHERE d.deptype = 'n' AND NOT EXISTS (SELECT 1 FROM part q WHERE q.classid = d.classid AND q.objid = d.objid)`;

interface User extends Address {
  type: string;
  identity: string;
  journal: boolean | null;
  relname: string;
}

interface Backup {
  run: string;
  live: boolean;
}

/** The run a backup table belongs to, and whether that run can still be undone. */
async function backupRun(c: pg.Client, table: string): Promise<Backup | null> {
  const r = await c.query<Backup>(
    `SELECT t.run_id AS run, r.undoable AND r.undone_at IS NULL AND r.backups_dropped_at IS NULL AS live
       FROM archon.run_tables t JOIN archon.runs r ON r.id = t.run_id WHERE t.backup_table = $1`,
    [table],
  );
  return r.rows[0] ?? null;
}

interface Direct {
  usedBy: Set<string>;
  backupsOf: Set<string>;
  /** Other kept objects of the same undo that use it (a schema holding a kept type). */
  via: Set<CreatedObject>;
}

interface Found {
  address: Address;
  parts: Set<string>;
  /** As the catalog names it (`type crm.mood`), for the objects it holds. */
  named: string;
}

/**
 * Why each object is still used: user objects, backups of runs that can still be undone, and kept
 * objects of the same undo (whose reasons it takes over); plus the backups of runs that cannot,
 * which hold it too when `staleHolds` (otherwise they are returned, to be dropped).
 */
async function holders(
  c: pg.Client,
  objects: CreatedObject[],
  staleHolds = false,
): Promise<{ why: Map<CreatedObject, KeptObject>; stale: { table: string; run: string }[] }> {
  const found = new Map<CreatedObject, Found>();
  for (const o of objects) {
    const address = await addressOf(c, o);
    if (address) found.set(o, await describe(c, address));
  }
  const stale = new Map<string, string>();
  const direct = new Map<CreatedObject, Direct>();
  for (const [o, { address }] of found) {
    const d: Direct = { usedBy: new Set(), backupsOf: new Set(), via: new Set() };
    const users = await c.query<User>(USERS_SQL, [address.classid, address.objid, JOURNAL_SCHEMA]);
    for (const u of users.rows) {
      const owner = [...found].find(([other, f]) => other !== o && f.parts.has(key(u)))?.[0];
      const backup = u.journal ? await backupRun(c, u.relname) : null;
      if (owner) d.via.add(owner);
      else if (backup && (backup.live || staleHolds)) d.backupsOf.add(backup.run);
      else if (backup) stale.set(u.relname, backup.run);
      else d.usedBy.add(`${u.type} ${u.identity}`);
    }
    direct.set(o, d);
  }
  const why = new Map<CreatedObject, KeptObject>();
  for (const o of objects) why.set(o, resolve(o, direct, found, new Set()));
  return { why, stale: [...stale].map(([table, run]) => ({ table, run })) };
}

async function describe(c: pg.Client, address: Address): Promise<Found> {
  const r = await c.query<Address>(`${PARTS} SELECT classid::text AS classid, objid::text AS objid FROM part`, [
    address.classid,
    address.objid,
  ]);
  const n = await c.query<{ named: string }>(
    `SELECT type || ' ' || identity AS named FROM pg_identify_object($1::oid, $2::oid, 0)`,
    [address.classid, address.objid],
  );
  return { address, parts: new Set(r.rows.map(key)), named: n.rows[0].named };
}

/** An object's reasons, taking over those of the kept objects that use it. */
function resolve(
  o: CreatedObject,
  direct: Map<CreatedObject, Direct>,
  found: Map<CreatedObject, Found>,
  seen: Set<CreatedObject>,
): KeptObject {
  const d = direct.get(o);
  const usedBy = new Set(d?.usedBy);
  const backupsOf = new Set(d?.backupsOf);
  seen.add(o);
  for (const v of [...(d?.via ?? [])].filter((x) => !seen.has(x))) {
    const inner = resolve(v, direct, found, seen);
    // Used by a kept object the user's objects hold: that object is what holds this one.
    if (inner.usedBy.length) usedBy.add(found.get(v)!.named);
    for (const r of inner.backupsOf) backupsOf.add(r);
  }
  return { object: label(o), usedBy: [...usedBy].sort(), backupsOf: [...backupsOf].sort() };
}

/** Remembers what an undone run kept only for other runs' backups (an empty list: nothing). */
export async function recordKept(c: pg.Client, runId: string, why: Map<CreatedObject, KeptObject>): Promise<void> {
  const entries: KeptEntry[] = [...why]
    .filter(([, k]) => !k.usedBy.length && k.backupsOf.length)
    .map(([o, k]) => ({ object: k.object, kind: o.kind, name: o.name, backupsOf: k.backupsOf }));
  const has = await c.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = 'archon.runs'::regclass AND attname = 'kept_for_backups'
        AND NOT attisdropped`,
  );
  // A journal an older Archon wrote lacks the column. Adding it locks the table and needs its owner,
  // so only for something to remember; without it the run reads as an older Archon's undo, which
  // `recordLegacyKept` works out again.
  if (!has.rowCount && !entries.length) return;
  if (!has.rowCount) await c.query('ALTER TABLE archon.runs ADD COLUMN IF NOT EXISTS kept_for_backups jsonb');
  await c.query('UPDATE archon.runs SET kept_for_backups = $2 WHERE id = $1', [runId, JSON.stringify(entries)]);
}

/**
 * Drops backup tables (of `runIds`), then what undone runs kept only for them, when nothing else
 * uses it now; each entry loses those runs, and goes once none are left. Returns what it dropped.
 */
export async function dropBackupTables(c: pg.Client, runIds: string[], tables: string[]): Promise<string[]> {
  await recordLegacyKept(c);
  for (const b of tables) await c.query(`DROP TABLE IF EXISTS ${qualified(JOURNAL_SCHEMA, b)}`);
  const rows = await c.query<{ id: string; kept: KeptEntry[] }>(
    `SELECT id, to_jsonb(r) -> 'kept_for_backups' AS kept FROM archon.runs r
      WHERE to_jsonb(r) -> 'kept_for_backups' @> '[{}]' ORDER BY r.undone_at DESC, r.id DESC FOR UPDATE`,
  );
  const freed = rows.rows.flatMap((r) => r.kept.filter((k) => k.backupsOf.some((id) => runIds.includes(id))));
  const present: KeptEntry[] = [];
  for (const k of freed) if (await addressOf(c, k)) present.push(k);
  const left = new Set(await dropUnused(c, present));
  for (const r of rows.rows) {
    const rest = r.kept
      .filter((k) => !freed.includes(k) || left.has(k))
      .map((k) => ({ ...k, backupsOf: k.backupsOf.filter((id) => !runIds.includes(id)) }))
      .filter((k) => k.backupsOf.length);
    if (r.kept.some((k) => freed.includes(k)))
      await c.query('UPDATE archon.runs SET kept_for_backups = $2 WHERE id = $1', [r.id, JSON.stringify(rest)]);
  }
  return present.filter((k) => !left.has(k)).map((k) => k.object);
}

/**
 * A run an older Archon undid recorded nothing of what it kept: what it created that is still
 * there is recorded now, as kept for the backups that alone hold it (any run's: none can be
 * restored into what that undo dropped), before those backups are dropped.
 */
async function recordLegacyKept(c: pg.Client): Promise<void> {
  const legacy = await c.query<{ id: string; objects: CreatedObject[] }>(
    `SELECT r.id, jsonb_agg(o.value ORDER BY t.ord DESC, o.n DESC) AS objects
       FROM archon.runs r JOIN archon.run_tables t ON t.run_id = r.id
      CROSS JOIN LATERAL jsonb_array_elements(to_jsonb(t) -> 'created' -> 'objects') WITH ORDINALITY o(value, n)
      WHERE r.undone_at IS NOT NULL AND jsonb_typeof(to_jsonb(r) -> 'kept_for_backups') IS DISTINCT FROM 'array'
      GROUP BY r.id`,
  );
  for (const run of legacy.rows) {
    const present: CreatedObject[] = [];
    for (const o of run.objects) if (await addressOf(c, o)) present.push(o);
    await recordKept(c, run.id, (await holders(c, present, true)).why);
  }
}

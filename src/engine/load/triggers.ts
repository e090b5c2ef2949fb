import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import type { ProgressListener } from '../events.js';
import { ident, qualified } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';

interface SilencedTriggers {
  /** Whether session_replication_role = replica is in force (then foreign keys were not checked). */
  replica: boolean;
  /** Puts every trigger disabled by name back in its own mode (origin, ALWAYS or REPLICA). */
  restore(): Promise<void>;
}

const FIRING_CLAUSE = { O: '', A: 'ALWAYS ', R: 'REPLICA ', D: '' } as const;

/**
 * Keeps the target's user triggers from rewriting copied rows: session_replication_role = replica
 * where the role may set it (superuser), else ALTER TABLE ... DISABLE TRIGGER inside the
 * transaction (table owner). Triggers that would still fire in that mode (ALWAYS, and in origin
 * mode ordinary ones) are disabled by name and restored to their own mode before commit.
 *
 * The triggers are read again inside the transaction, after taking the lock INSERT takes anyway
 * (CREATE TRIGGER must wait for it): one created after the plan was read, say while the user
 * looked at the review, is silenced like the others instead of firing on every copied row.
 */
export async function silenceTriggers(
  tgt: pg.Client,
  tables: TablePlan[],
  emit: ProgressListener,
): Promise<SilencedTriggers> {
  const names = tables.flatMap((t) => (t.target ? [qualified(t.target.schema, t.target.name)] : []));
  return silenceTriggersOn(tgt, names, emit);
}

/** The same for tables by their quoted names (undo restores tables it knows from the journal). */
export async function silenceTriggersOn(
  tgt: pg.Client,
  names: string[],
  emit: ProgressListener,
): Promise<SilencedTriggers> {
  if (names.length) await tgt.query(`LOCK TABLE ${names.join(', ')} IN ROW EXCLUSIVE MODE`);
  const replica = await tryReplicaMode(tgt);
  const fires = new Set(replica ? ['A', 'R'] : ['O', 'A']);
  const silenced = (await currentTriggers(tgt, names)).filter((tr) => fires.has(tr.enabled));
  for (const tr of silenced) {
    emit({
      type: 'phase',
      message: `disabling trigger ${tr.trigger} on ${displayName(tr.schema, tr.name)} for the load`,
    });
    await tgt.query(`ALTER TABLE ${qualified(tr.schema, tr.name)} DISABLE TRIGGER ${ident(tr.trigger)}`);
  }
  return {
    replica,
    restore: async () => {
      for (const tr of silenced) {
        const mode = FIRING_CLAUSE[tr.enabled as keyof typeof FIRING_CLAUSE] ?? '';
        await tgt.query(`ALTER TABLE ${qualified(tr.schema, tr.name)} ENABLE ${mode}TRIGGER ${ident(tr.trigger)}`);
      }
    },
  };
}

interface TriggerOn {
  schema: string;
  name: string;
  trigger: string;
  enabled: string;
}

/**
 * The user triggers of the tables and (rows loaded through a partitioned table land there) their
 * partitions; pg_partition_tree lists nothing for a table that is not partitioned, hence the union.
 */
async function currentTriggers(tgt: pg.Client, tables: string[]): Promise<TriggerOn[]> {
  if (!tables.length) return [];
  const r = await tgt.query<TriggerOn>(
    `SELECT DISTINCT n.nspname AS schema, c.relname AS name, tg.tgname AS trigger, tg.tgenabled AS enabled
       FROM unnest($1::text[]) AS r(rel),
            LATERAL (SELECT r.rel::regclass AS relid UNION SELECT relid FROM pg_partition_tree(r.rel::regclass)) p
       JOIN pg_trigger tg ON tg.tgrelid = p.relid AND NOT tg.tgisinternal
       JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
      ORDER BY 1, 2, 3`,
    [tables],
  );
  return r.rows;
}

/** SET LOCAL session_replication_role = replica, inside a savepoint so a refusal leaves the transaction usable. */
async function tryReplicaMode(tgt: pg.Client): Promise<boolean> {
  await tgt.query('SAVEPOINT archon_replica');
  try {
    await tgt.query('SET LOCAL session_replication_role = replica');
    await tgt.query('RELEASE SAVEPOINT archon_replica');
    return true;
  } catch {
    await tgt.query('ROLLBACK TO SAVEPOINT archon_replica');
    return false;
  }
}

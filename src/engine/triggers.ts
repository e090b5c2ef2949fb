import type pg from 'pg';
import { displayName } from '../shared/names.js';
import type { ProgressListener } from './events.js';
import { ident, qualified } from './ident.js';
import { type Table, partitionsOf } from './catalog.js';
import type { TablePlan } from './plan.js';

export interface SilencedTriggers {
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
 */
export async function silenceTriggers(
  tgt: pg.Client,
  tables: TablePlan[],
  targetTables: Table[],
  emit: ProgressListener,
): Promise<SilencedTriggers> {
  const replica = await tryReplicaMode(tgt);
  const fires = new Set(replica ? ['A', 'R'] : ['O', 'A']);
  // Rows loaded through a partitioned table land in its partitions, whose own triggers fire too.
  const holders = tables.flatMap((t) => (t.target ? [t.target, ...partitionsOf(t.target, targetTables)] : []));
  const silenced = holders.flatMap((t) => t.triggers.filter((tr) => fires.has(tr.enabled)).map((tr) => ({ t, tr })));
  for (const { t, tr } of silenced) {
    emit({ type: 'phase', message: `disabling trigger ${tr.name} on ${displayName(t.schema, t.name)} for the load` });
    await tgt.query(`ALTER TABLE ${qualified(t.schema, t.name)} DISABLE TRIGGER ${ident(tr.name)}`);
  }
  return {
    replica,
    restore: async () => {
      for (const { t, tr } of silenced) {
        await tgt.query(
          `ALTER TABLE ${qualified(t.schema, t.name)} ENABLE ${FIRING_CLAUSE[tr.enabled]}TRIGGER ${ident(tr.name)}`,
        );
      }
    },
  };
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

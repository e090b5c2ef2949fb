// A transaction-mode pooler (Supabase's port 6543, PgBouncer with pool_mode = transaction) hands each
// transaction to whichever server session is free: Archon's session settings, and anything that
// spans transactions, would land on sessions it does not own. Such a pooler is refused, by its
// address when a platform's profile knows it, else by how it behaves; the message names what to use.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { endpointLabel } from '../../shared/endpoint.js';
import { type Endpoint, connect, endQuietly } from './connection.js';
import { UsageError } from '../errors.js';
import { PROFILES } from '../catalog/platform.js';

const WHY =
  'it hands each transaction to any server session, so the session settings Archon relies on (no statement ' +
  "timeout, UTC, the source's one snapshot) would not hold";

/** The refusal for a platform's transaction-mode pooler, known by its host and port; null otherwise. */
function transactionPoolerByAddress(ep: Endpoint): string | null {
  for (const p of PROFILES) {
    const pooler = p.transactionPooler;
    if (!pooler || ep.port !== pooler.port || !pooler.hosts.some((h) => h.test(ep.host))) continue;
    const session = endpointLabel({ user: ep.user, host: ep.host, port: 5432, database: ep.database });
    return (
      `the ${ep.role} ${ep.label} is ${p.name}'s transaction-mode pooler (port ${pooler.port}): ${WHY}; ` +
      `use the same URL with port 5432 (${session}, the session pooler), or ${pooler.advice}`
    );
  }
  return null;
}

/** Refuses a transaction-mode pooler by address, before anything connects. */
export function assertNotTransactionPoolerAddress(ep: Endpoint): void {
  const refusal = transactionPoolerByAddress(ep);
  if (refusal) throw new UsageError(refusal);
}

/**
 * Refuses a connection whose statements may run on other clients' server sessions. Only where
 * something stands between client and server (the server's port is not the one dialled): two
 * connections at once then either share a server session (its pid, a setting one of them made) or not.
 */
export async function assertSessionPooling(client: pg.Client, ep: Endpoint): Promise<void> {
  assertNotTransactionPoolerAddress(ep);
  const probe = `SELECT pg_backend_pid() AS pid, current_setting('archon.pooler_probe', true) AS token,
                        current_setting('port')::int AS port`;
  const first = (await client.query(probe)).rows[0];
  if (first.port === ep.port) return;
  const token = randomUUID();
  await client.query(`SELECT set_config('archon.pooler_probe', $1, false)`, [token]);
  const other = await connect(ep);
  try {
    const a = (await client.query(probe)).rows[0];
    const b = (await other.query(probe)).rows[0];
    const again = (await client.query(probe)).rows[0];
    const shared = b.pid === a.pid || b.token === token || again.pid !== a.pid || again.token !== token;
    if (shared) {
      throw new UsageError(
        `the ${ep.role} ${ep.label} is a transaction-mode pooler (two connections were served by one server ` +
          `session): ${WHY}; connect to the server directly (port ${first.port} on its host) or through a ` +
          'pooler in session mode',
      );
    }
  } finally {
    await client.query('RESET archon.pooler_probe').catch(() => {});
    await endQuietly(other);
  }
}

import type pg from 'pg';
import { sameDatabase, sameDatabaseMessage } from '../../shared/endpoint.js';
import type { EndpointSummary } from '../../shared/report.js';
import { type Catalog, readCatalog } from '../catalog/catalog.js';
import { type Endpoint, connect, endQuietly, parseEndpoint, secretsOf } from './connection.js';
import { literal } from '../ident.js';
import { CancelledError, ConnectionError, LockTimeoutError, UsageError } from '../errors.js';
import type { ProgressListener } from '../events.js';
import { DEFAULT_LOCK_TIMEOUT_MS, LockWatch, lockTimeoutMessage } from './locks.js';
import { assertNotTransactionPoolerAddress, assertSessionPooling } from './pooler.js';
import { type Meters, meterOf } from './traffic.js';
import { PhaseClock } from './trips.js';
import { SQLSTATE, connectionFailed, sqlStateOf } from '../sqlState.js';

export interface EndpointsInput {
  /** PostgreSQL URL of the side read from (never written). */
  source: string;
  /** PostgreSQL URL of the side written to. */
  target: string;
  env?: NodeJS.ProcessEnv;
  /** Passwords kept apart from the URLs (the extension's secret storage). */
  passwords?: { source?: string; target?: string };
  /** How long a statement may wait for a lock before the run gives up (default 60 s). */
  lockTimeoutMs?: number;
  /** How long a copy may move no data before the run gives up (default 120 s). */
  stallTimeoutMs?: number;
}

/** Both sides open: the source inside one REPEATABLE READ READ ONLY snapshot, both catalogs read. */
export interface Session {
  source: pg.Client;
  target: pg.Client;
  sourceCatalog: Catalog;
  targetCatalog: Catalog;
  secrets: string[];
  summaries: { source: EndpointSummary; target: EndpointSummary };
  /** Who blocks our sessions, and the way to cancel their statements on the server. */
  watch: LockWatch;
  /** Both sides as parsed: more sessions to the source (a parallel load's readers) open from here. */
  endpoints: { source: Endpoint; target: Endpoint };
  /** The bound on every lock wait of the run's sessions. */
  lockTimeoutMs: number;
  stallTimeoutMs: number;
  /** Bytes over the network to each side, every connection of the session counted. */
  meters: Meters;
  /** Time and round trips per phase, from the first connection on. */
  clock: PhaseClock;
  close(): Promise<void>;
}

/** Both URLs parsed, or a UsageError before anything connects (also the CLI's early check). */
export function parseEndpoints(input: EndpointsInput): { source: Endpoint; target: Endpoint } {
  const source = parseEndpoint(input.source, 'source', input.env, input.passwords?.source);
  const target = parseEndpoint(input.target, 'target', input.env, input.passwords?.target);
  if (sameDatabase(source, target)) throw new UsageError(sameDatabaseMessage(source.label));
  assertNotTransactionPoolerAddress(source);
  assertNotTransactionPoolerAddress(target);
  return { source, target };
}

const summaryOf = (ep: Endpoint, catalog: Catalog): EndpointSummary => ({
  role: ep.role,
  label: ep.label,
  serverVersion: catalog.serverVersion,
  platform: catalog.platform?.name ?? null,
});

/**
 * Opens both sides. `targetReadOnly` also puts the target in a read-only snapshot (for compare,
 * which must not write there either).
 */
export async function openSession(
  input: EndpointsInput,
  opts: { targetReadOnly?: boolean; onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<Session> {
  const { source: sourceEndpoint, target: targetEndpoint } = parseEndpoints(input);
  const timeout = input.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const bounded = { lockTimeoutMs: Math.max(1, Math.round(timeout)) };
  const clock = new PhaseClock('connect');
  // A cancel while the source is still being reached ends as one when that wait does.
  const source = await connect(sourceEndpoint, bounded).catch((e) => {
    throw opts.signal?.aborted ? new CancelledError() : e;
  });
  clock.watch('source', source);
  let target: pg.Client | null = null;
  let watch: LockWatch | null = null;
  // A cancel reaches the server: the statement a session waits in ends there, not only here.
  const cancel = () => void watch?.cancel();
  opts.signal?.addEventListener('abort', cancel);
  try {
    await assertSessionPooling(source, sourceEndpoint);
    target = await connect(targetEndpoint, bounded);
    clock.watch('target', target);
    await assertSessionPooling(target, targetEndpoint);
    await assertDifferentClusters(
      source,
      target,
      { source: sourceEndpoint, target: targetEndpoint },
      !opts.targetReadOnly,
    );
    watch = await watchLocks(source, target, { source: sourceEndpoint, target: targetEndpoint }, timeout);
    watch.onProgress = opts.onProgress ?? (() => {});
    watch.start();
    // One consistent snapshot for every table, and a promise to the server that nothing is written.
    await unboundedSourceTransaction(source, null);
    if (opts.targetReadOnly) await unboundedSourceTransaction(target, null);
    clock.enter('catalog');
    const [sourceCatalog, targetCatalog] = await lockBounded(watch, () =>
      Promise.all([
        readCatalog(source, sourceEndpoint.host).catch(lostWhileReading(sourceEndpoint)),
        readCatalog(target!, targetEndpoint.host).catch(lostWhileReading(targetEndpoint)),
      ]),
    );
    // A cancel before the watch knew the backends reached no server: it is heard here instead.
    if (opts.signal?.aborted) throw new CancelledError();
    const t = target;
    const w = watch;
    return {
      source,
      target: t,
      sourceCatalog,
      targetCatalog,
      secrets: [...secretsOf(sourceEndpoint), ...secretsOf(targetEndpoint)],
      summaries: { source: summaryOf(sourceEndpoint, sourceCatalog), target: summaryOf(targetEndpoint, targetCatalog) },
      watch: w,
      endpoints: { source: sourceEndpoint, target: targetEndpoint },
      lockTimeoutMs: bounded.lockTimeoutMs,
      stallTimeoutMs: input.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS,
      meters: { source: meterOf(sourceEndpoint), target: meterOf(targetEndpoint) },
      clock,
      close: async () => {
        opts.signal?.removeEventListener('abort', cancel);
        await Promise.all([endQuietly(source), endQuietly(t), w.stop()]);
      },
    };
  } catch (e) {
    opts.signal?.removeEventListener('abort', cancel);
    await Promise.all([endQuietly(source), target ? endQuietly(target) : undefined, watch?.stop()]);
    throw opts.signal?.aborted ? new CancelledError() : e;
  }
}

/** A side's connection lost while its catalog was read: a ConnectionError naming that side, not a stack. */
const lostWhileReading =
  (ep: Endpoint) =>
  (e: unknown): never => {
    if (!connectionFailed(e)) throw e;
    const words = String((e as Error)?.message ?? e);
    throw new ConnectionError(
      `the connection to the ${ep.role} (${ep.label}) was lost while reading its catalog: ${words}; nothing was written`,
      ep.role,
      'unreachable',
      words,
      sqlStateOf(e),
    );
  };

/** PostgreSQL 17 brought transaction_timeout. */
const TRANSACTION_TIMEOUT_VERSION = 170000;

/**
 * Begins a source transaction (REPEATABLE READ READ ONLY; on `snapshot`, exported by another session,
 * when given) that the server's own time limits leave alone, in one round trip. Hosted platforms set
 * statement, idle-in-transaction and transaction timeouts per role, and a source transaction lives as
 * long as the run: a reader idles while the target catches up, the coordinator while readers read.
 * SET LOCAL, so the limits come back with the transaction's end; the run's own bounds (lock waits,
 * stalls) stay. `serverVersionNum` null: not known yet (before the catalog is read), so the server is
 * asked whether it has transaction_timeout, in the same statement that sets it.
 */
export async function unboundedSourceTransaction(
  client: pg.Client,
  serverVersionNum: number | null,
  snapshot?: string,
): Promise<void> {
  const steps = ['BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'];
  // Before any other statement of the transaction: that is the only place the server accepts it.
  if (snapshot !== undefined) steps.push(`SET TRANSACTION SNAPSHOT ${literal(snapshot)}`);
  steps.push('SET LOCAL statement_timeout = 0', 'SET LOCAL idle_in_transaction_session_timeout = 0');
  if (serverVersionNum === null) {
    steps.push(
      `SELECT pg_catalog.set_config(name, '0', true) FROM pg_catalog.pg_settings WHERE name = 'transaction_timeout'`,
    );
  } else if (serverVersionNum >= TRANSACTION_TIMEOUT_VERSION) steps.push('SET LOCAL transaction_timeout = 0');
  await client.query(steps.join('; '));
}

/** A watch over both sessions' lock waits, which knows their backends to name (and cancel) them. */
async function watchLocks(
  source: pg.Client,
  target: pg.Client,
  endpoints: { source: Endpoint; target: Endpoint },
  timeoutMs: number,
): Promise<LockWatch> {
  const pidOf = async (c: pg.Client) => Number((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  const [s, t] = await Promise.all([pidOf(source), pidOf(target)]);
  return new LockWatch(endpoints, { source: s, target: t }, timeoutMs);
}

export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/** Runs `fn`; a lock wait that gave up (55P03) becomes a LockTimeoutError naming who held the lock. */
export async function lockBounded<T>(watch: LockWatch | null, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const code = sqlStateOf(e);
    if (watch && code === SQLSTATE.lockNotAvailable) throw new LockTimeoutError(lockTimeoutMessage(watch));
    if (code === SQLSTATE.queryCanceled) throw new CancelledError(); // our own cancel, sent from the side
    throw e;
  }
}

interface ServerIdentity {
  db: string;
  dir: string | null;
  port: string;
  started: string;
  /** pg_control_system()'s system identifier: shared by a cluster and its physical replicas. */
  system: string | null;
  inRecovery: boolean;
}

async function identify(c: pg.Client): Promise<ServerIdentity> {
  const r = await c.query(`SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text AS db,
      (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS dir,
      current_setting('port') AS port, pg_postmaster_start_time()::text AS started,
      pg_is_in_recovery() AS "inRecovery"`);
  // Hosted platforms may revoke pg_control_system(); the other signs still decide.
  const system = await c
    .query('SELECT system_identifier::text AS id FROM pg_control_system()')
    .then((q) => q.rows[0].id as string)
    .catch(() => null);
  return { ...r.rows[0], system };
}

/**
 * Refuses two URLs that name one database (localhost vs 127.0.0.1, a pooler vs a direct port, TCP
 * vs a unix socket: a server is its start time and configured port, whatever the transport), and,
 * for a run that writes, a source that is a hot standby of the target (same system identifier:
 * the target's writes would stream back into the snapshot being copied, and a lagging replica
 * would put older rows over newer ones) or a target that is itself a read-only standby.
 */
async function assertDifferentClusters(
  source: pg.Client,
  target: pg.Client,
  eps: { source: Endpoint; target: Endpoint },
  writes: boolean,
): Promise<void> {
  const [a, b] = await Promise.all([identify(source), identify(target)]);
  const sameSystem = a.system !== null && a.system === b.system;
  const sameServer =
    a.started === b.started && a.port === b.port && (a.dir === null || a.dir === b.dir) && (sameSystem || !a.system);
  if (a.db === b.db && sameServer) throw new UsageError(sameDatabaseMessage(eps.source.label));
  if (!writes) return;
  if (b.inRecovery)
    throw new UsageError(
      `the target ${eps.target.label} is a hot standby (a read-only replica, in recovery): it cannot be written; ` +
        'point the target at its primary',
    );
  if (sameSystem && a.inRecovery && a.db === b.db)
    throw new UsageError(
      `the source ${eps.source.label} is a hot standby (physical replica) of the target ${eps.target.label} ` +
        `(both report system identifier ${a.system}): the run would copy the replica's rows, which may lag, over ` +
        "the primary's own, and stream its writes back into the copy being read; pick a source that is not a " +
        'replica of the target',
    );
}

/**
 * After a failure: the source connection may be mid-COPY, so it is dropped (it never wrote
 * anything); the target rolls back within 10 s or is disconnected. A server that did not hear
 * the rollback keeps the transaction (and its locks) until it notices the connection is gone, so
 * its session is ended from a fresh connection; when even that fails, the words returned tell the
 * user which session to end. Null when the target is known to be clean.
 */
export async function abandon(s: Session, hurry = false): Promise<string | null> {
  s.source.connection?.stream?.destroy();
  try {
    // A cancel must end within seconds: a session cut off mid-stream is ended from the side instead.
    await withinSeconds(hurry ? 2 : 10, s.target.query('ROLLBACK'));
    return null;
  } catch {
    s.target.connection?.stream?.destroy();
    await endQuietly(s.target);
  }
  const pid = s.watch.pid('target');
  try {
    await withinSeconds(15, s.watch.terminate('target'));
    return `the target did not answer the rollback; its session (pid ${pid}) was ended from a new connection, which discards the transaction`;
  } catch {
    return (
      `the target did not answer the rollback and could not be reached to end its session: the server discards the ` +
      `transaction when it notices the lost connection, and until then it may hold its locks; to end it now, run ` +
      `SELECT pg_terminate_backend(${pid}) on the target`
    );
  }
}

const withinSeconds = <T>(seconds: number, p: Promise<T>): Promise<T> =>
  Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), seconds * 1000).unref()),
  ]);

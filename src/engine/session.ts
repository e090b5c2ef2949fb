import type pg from 'pg';
import { sameDatabase, sameDatabaseMessage } from '../shared/endpoint.js';
import type { EndpointSummary } from '../shared/report.js';
import { type Catalog, readCatalog } from './catalog.js';
import { type Endpoint, connect, parseEndpoint, secretsOf } from './connection.js';
import { UsageError } from './errors.js';

export interface EndpointsInput {
  /** PostgreSQL URL of the side read from (never written). */
  source: string;
  /** PostgreSQL URL of the side written to. */
  target: string;
  env?: NodeJS.ProcessEnv;
  /** Passwords kept apart from the URLs (the extension's secret storage). */
  passwords?: { source?: string; target?: string };
}

/** Both sides open: the source inside one REPEATABLE READ READ ONLY snapshot, both catalogs read. */
export interface Session {
  source: pg.Client;
  target: pg.Client;
  sourceCatalog: Catalog;
  targetCatalog: Catalog;
  secrets: string[];
  summaries: { source: EndpointSummary; target: EndpointSummary };
  close(): Promise<void>;
}

/** Both URLs parsed, or a UsageError before anything connects (also the CLI's early check). */
export function parseEndpoints(input: EndpointsInput): { source: Endpoint; target: Endpoint } {
  const source = parseEndpoint(input.source, 'source', input.env, input.passwords?.source);
  const target = parseEndpoint(input.target, 'target', input.env, input.passwords?.target);
  if (sameDatabase(source, target)) throw new UsageError(sameDatabaseMessage(source.label));
  return { source, target };
}

const summaryOf = (ep: Endpoint, catalog: Catalog): EndpointSummary => ({
  role: ep.role,
  label: ep.label,
  serverVersion: catalog.serverVersion,
});

/**
 * Opens both sides. `targetReadOnly` also puts the target in a read-only snapshot (for compare,
 * which must not write there either).
 */
export async function openSession(input: EndpointsInput, opts: { targetReadOnly?: boolean } = {}): Promise<Session> {
  const { source: sourceEndpoint, target: targetEndpoint } = parseEndpoints(input);
  const source = await connect(sourceEndpoint);
  let target: pg.Client | null = null;
  try {
    target = await connect(targetEndpoint);
    await assertDifferentClusters(source, target, sourceEndpoint);
    // One consistent snapshot for every table, and a promise to the server that nothing is written.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (opts.targetReadOnly) await target.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const sourceCatalog = await readCatalog(source);
    const targetCatalog = await readCatalog(target);
    const t = target;
    return {
      source,
      target: t,
      sourceCatalog,
      targetCatalog,
      secrets: [...secretsOf(sourceEndpoint), ...secretsOf(targetEndpoint)],
      summaries: { source: summaryOf(sourceEndpoint, sourceCatalog), target: summaryOf(targetEndpoint, targetCatalog) },
      close: async () => {
        await Promise.all([endQuietly(source), endQuietly(t)]);
      },
    };
  } catch (e) {
    await Promise.all([endQuietly(source), target ? endQuietly(target) : undefined]);
    throw e;
  }
}

async function assertDifferentClusters(source: pg.Client, target: pg.Client, ep: Endpoint): Promise<void> {
  // Two URLs can name one database (localhost vs 127.0.0.1, a pooler vs a direct port).
  const sql = `SELECT (SELECT oid FROM pg_database WHERE datname = current_database())::text AS db,
                      (SELECT setting FROM pg_settings WHERE name = 'data_directory') AS dir,
                      inet_server_port() AS port, pg_postmaster_start_time()::text AS started`;
  const [a, b] = await Promise.all([source.query(sql), target.query(sql)]);
  const same = (x: Record<string, unknown>, y: Record<string, unknown>) =>
    x.db === y.db && x.started === y.started && x.port === y.port && (x.dir === null || x.dir === y.dir);
  if (same(a.rows[0], b.rows[0])) throw new UsageError(sameDatabaseMessage(ep.label));
}

/**
 * After a failure: the source connection may be mid-COPY, so it is dropped (it never wrote
 * anything); the target rolls back within 10 s or is disconnected, and the server then discards
 * the transaction.
 */
export async function abandon(s: Session): Promise<void> {
  s.source.connection?.stream?.destroy();
  try {
    await Promise.race([
      s.target.query('ROLLBACK'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 10_000).unref()),
    ]);
  } catch {
    s.target.connection?.stream?.destroy();
    await endQuietly(s.target);
  }
}

export async function endQuietly(client: pg.Client): Promise<void> {
  await Promise.race([client.end().catch(() => {}), new Promise((r) => setTimeout(r, 5000).unref())]);
}

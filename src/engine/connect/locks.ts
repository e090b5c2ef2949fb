// Waits on locks: bounded, visible, and cancellable on the server. Each side's session waits at
// most `lock_timeout`; meanwhile a side connection asks the server who blocks it (pg_blocking_pids),
// so the user sees which session to end; a cancel reaches the server (pg_cancel_backend) instead of
// leaving a TRUNCATE queued behind someone else's transaction.
import type pg from 'pg';
import { displayName } from '../../shared/names.js';
import type { Role } from '../../shared/report.js';
import { type Endpoint, connect, endQuietly } from './connection.js';
import type { ProgressListener } from '../events.js';

export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;
/**
 * How often the holder of a lock we wait for is looked up; a short lock timeout is looked at four
 * times within it, so the holder is named before the wait gives up (and a test need not wait long).
 */
const POLL_MS = 1_000;
const pollEvery = (timeoutMs: number): number => Math.max(1, Math.min(POLL_MS, timeoutMs / 4));

interface Blocker {
  pid: number;
  application: string;
  user: string;
  state: string;
  since: string | null;
  /** The relation our session waits for (the same on every row), when it is one. */
  waitSchema: string | null;
  waitTable: string | null;
}

const describeBlockers = (blockers: Blocker[]): string =>
  blockers
    .map(
      (b) =>
        `pid ${b.pid} (${[b.application || 'no application name', `user ${b.user}`, b.state].join(', ')}${b.since ? ` since ${b.since}` : ''})`,
    )
    .join(', ');

const BLOCKERS_SQL = `
SELECT a.pid, coalesce(a.application_name, '') AS application, coalesce(a.usename::text, '?') AS user,
       coalesce(a.state, '?') AS state, to_char(a.xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"') AS since,
       w.nspname AS "waitSchema", w.relname AS "waitTable"
FROM pg_stat_activity a
LEFT JOIN LATERAL (SELECT n.nspname, c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                     JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE l.pid = $1 AND NOT l.granted LIMIT 1) w ON true
WHERE a.pid = ANY(pg_blocking_pids($1))`;

/** "the target (public.t)": the side, and the relation waited for when known. */
const waitedOn = (role: Role, b: Blocker | undefined): string =>
  `the ${role}${b?.waitSchema && b.waitTable ? ` (${displayName(b.waitSchema, b.waitTable)})` : ''}`;

/** Watches a run's two sessions from side connections, opened only when first needed. */
export class LockWatch {
  /** The last sessions seen blocking one of ours, for the message when the wait gives up. */
  last: { role: Role; blockers: Blocker[] } | null = null;
  onProgress: ProgressListener = () => {};
  private readonly side = new Map<Role, Promise<pg.Client>>();
  /** Every side connection ever opened, to close them all at the end (one may have been replaced). */
  private readonly opened: Promise<pg.Client>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private polling = false;
  private said = '';
  /** Other sessions of ours, looked at too: a parallel load's source readers wait for locks as well. */
  private readonly others = new Map<number, Role>();

  constructor(
    private readonly endpoints: Record<Role, Endpoint>,
    private readonly pids: Record<Role, number>,
    readonly timeoutMs: number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), pollEvery(this.timeoutMs));
    this.timer.unref();
  }

  /** Cancels whatever statement each session is running, from the side: the wait ends on the server. */
  async cancel(): Promise<void> {
    await Promise.all((['source', 'target'] as const).map((role) => this.cancelStatement(role)));
  }

  /** Cancels the statement one session is running; a session that is idle by then ignores it. */
  async cancelStatement(role: Role): Promise<void> {
    await this.client(role)
      .then((c) => c.query('SELECT pg_cancel_backend($1)', [this.pids[role]]))
      .catch(() => {});
  }

  /** Cancels (or ends) other sessions of ours on one side, from the side: a parallel load's source readers. */
  async signalBackends(role: Role, pids: number[], how: 'cancel' | 'terminate'): Promise<void> {
    if (!pids.length) return;
    const fn = how === 'cancel' ? 'pg_cancel_backend' : 'pg_terminate_backend';
    await this.client(role)
      .then((c) => c.query(`SELECT pg_catalog.${fn}(p) FROM pg_catalog.unnest($1::int4[]) p`, [pids]))
      .catch(() => {});
  }

  /** Watches another session of ours (a reader opened again replaces its old pid). */
  watchAlso(role: Role, pid: number, replaces?: number): void {
    if (replaces !== undefined) this.others.delete(replaces);
    this.others.set(pid, role);
  }

  pid(role: Role): number {
    return this.pids[role];
  }

  /** Ends a session of ours on the server (its transaction is discarded), from a new connection. */
  async terminate(role: Role): Promise<void> {
    this.side.delete(role); // a side connection opened before may share the broken path
    const ok = await (await this.client(role)).query(
      'SELECT pg_terminate_backend($1) OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1) AS ok',
      [this.pids[role]],
    );
    if (!ok.rows[0].ok) throw new Error(`pid ${this.pids[role]} was not ended`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.side.clear();
    const clients = this.opened.splice(0);
    await Promise.all(clients.map((c) => c.then(endQuietly, () => {})));
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const watched = [
        ...(['source', 'target'] as const).map((role) => [this.pids[role], role] as const),
        ...this.others,
      ];
      for (const [pid, role] of watched) {
        const blockers = (await (await this.client(role)).query<Blocker>(BLOCKERS_SQL, [pid])).rows;
        if (!blockers.length) continue;
        this.last = { role, blockers };
        const message =
          `waiting for a lock on ${waitedOn(role, blockers[0])}, held by ${describeBlockers(blockers)}; ` +
          `giving up after ${this.timeoutMs / 1000} s`;
        if (message !== this.said) this.onProgress({ type: 'phase', message });
        this.said = message;
      }
    } catch {
      // A watcher that cannot see is no reason to stop the run; lock_timeout still bounds the wait.
    } finally {
      this.polling = false;
    }
  }

  private client(role: Role): Promise<pg.Client> {
    let c = this.side.get(role);
    if (!c) {
      c = connect(this.endpoints[role]).then(async (client) => {
        await client.query('SET statement_timeout = 5000');
        return client;
      });
      this.side.set(role, c);
      this.opened.push(c);
    }
    return c;
  }
}

/** The words for a statement that gave up waiting (SQLSTATE 55P03), naming who held the lock. */
export function lockTimeoutMessage(watch: LockWatch): string {
  const last = watch.last;
  const held = last ? ` on ${waitedOn(last.role, last.blockers[0])}, held by ${describeBlockers(last.blockers)}` : '';
  return (
    `gave up after waiting ${watch.timeoutMs / 1000} s for a lock${held}; ` +
    'end that session, or try again later with a longer lock timeout'
  );
}

// Round trips and time, phase by phase: over a link with tens of milliseconds of latency a small run's
// cost is the number of statements it waits for, not the rows it moves. Every client the engine opens
// counts what it sends (connection.ts installs the counter); a run's clock reads its two sessions'
// counts as it goes from phase to phase. Side connections (the lock watch's polls) are not counted:
// they run beside the run, never in its way, and their number depends on how long it lasts.
import type pg from 'pg';
import type { PhaseTime } from '../../shared/report.js';
import type { ProgressEvent, TimedPhase } from '../events.js';

interface Sent {
  /** Every statement (or COPY) a client sent and waited for: one round trip each. */
  queries: number;
  copies: number;
}

const sent = new WeakMap<pg.Client, Sent>();

/** A pg-copy-streams stream (COPY … TO STDOUT / FROM STDIN) passed to query() in place of text. */
const isCopyStream = (q: unknown): boolean =>
  typeof q === 'object' && q !== null && typeof (q as { submit?: unknown }).submit === 'function';

/** Makes a client count what it sends; the one place the engine's queries are counted. */
export function countQueries(client: pg.Client): void {
  const count: Sent = { queries: 0, copies: 0 };
  sent.set(client, count);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    count.queries++;
    if (isCopyStream(args[0])) count.copies++;
    return query(...args);
  };
}

const sentBy = (c: pg.Client | null): Sent => ({ queries: 0, copies: 0, ...(c ? sent.get(c) : {}) });

interface Mark {
  at: number;
  source: Sent;
  target: Sent;
  trials: number;
}

/**
 * A run's phases as it goes: time, statements to each side, COPYs and DDL trials, summed per phase (a
 * phase met twice, as `create` before and after the rows, adds up) in the order each first began.
 */
export class PhaseClock {
  private readonly clients: { source: pg.Client | null; target: pg.Client | null } = { source: null, target: null };
  private readonly totals = new Map<TimedPhase, PhaseTime>();
  private current: TimedPhase;
  private mark: Mark;
  private trials = 0;

  constructor(
    first: TimedPhase,
    private readonly now: () => number = Date.now,
  ) {
    this.current = first;
    this.mark = this.take();
  }

  /** A session's client, counted from its first statement (those that set up its connection are the current phase's). */
  watch(side: 'source' | 'target', client: pg.Client): void {
    this.clients[side] = client;
    this.mark[side] = { queries: 0, copies: 0 };
  }

  /** More sessions to a side (a parallel load's readers): what they send counts as the side's. */
  also(side: 'source' | 'target', client: pg.Client): void {
    this.extra[side].push(client);
  }

  private readonly extra: { source: pg.Client[]; target: pg.Client[] } = { source: [], target: [] };

  /** One trial of DDL on the target (rolled back), however many statements it sends. */
  trial(): void {
    this.trials++;
  }

  /** A new phase begins (the same one again goes on). */
  enter(phase: TimedPhase): void {
    if (phase === this.current) return;
    this.close();
    this.current = phase;
  }

  /** Follows a run's events: a stage that begins, and the copies. */
  follow(e: ProgressEvent): void {
    if (e.type === 'phase' && e.phase) this.enter(e.phase);
    else if (e.type === 'copy-start') this.enter('copy');
  }

  /** Every phase so far, the current one up to now. */
  phases(): PhaseTime[] {
    this.close();
    return [...this.totals.values()].map((p) => ({ ...p }));
  }

  private take(): Mark {
    return {
      at: this.now(),
      source: this.sentTo('source'),
      target: this.sentTo('target'),
      trials: this.trials,
    };
  }

  /** What a side's clients sent, its extra sessions' included. */
  private sentTo(side: 'source' | 'target'): Sent {
    const all = [sentBy(this.clients[side]), ...(this.extra?.[side] ?? []).map(sentBy)];
    return all.reduce((a, b) => ({ queries: a.queries + b.queries, copies: a.copies + b.copies }));
  }

  /** Adds what happened since the last mark to the current phase. */
  private close(): void {
    const was = this.mark;
    const now = this.take();
    this.mark = now;
    const p = this.totals.get(this.current) ?? {
      phase: this.current,
      ms: 0,
      sourceQueries: 0,
      targetQueries: 0,
      copies: 0,
      trials: 0,
    };
    p.ms += now.at - was.at;
    p.sourceQueries += now.source.queries - was.source.queries;
    p.targetQueries += now.target.queries - was.target.queries;
    p.copies += now.source.copies - was.source.copies + (now.target.copies - was.target.copies);
    p.trials += now.trials - was.trials;
    this.totals.set(this.current, p);
  }
}

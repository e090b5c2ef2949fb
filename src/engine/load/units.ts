// Work units of a parallel load and who takes which: a table, or a range of a big table's pages.
// Readers take units in one global order: the tables in the order the writer loads them, and in a
// table the biggest first. The writer always wants a unit of its table; every unit of that table was
// started before any later one, so the unit it wants is spooled, being read (then it goes straight
// to the writer, its spooled start first) or next for a free reader: a full spool never blocks it.
import type { PassThrough } from 'node:stream';
import type { ContentDigest } from '../verify/digest.js';
import type { TablePlan } from '../plan/plan.js';
import type { PageRange } from './ranges.js';
import { Changes } from './spool.js';

export type UnitState = 'queued' | 'reading' | 'spooled' | 'loaded' | 'dropped';

export interface Unit {
  id: number;
  table: TablePlan;
  range: PageRange | null;
  /** Bytes the catalog expects (the table's size, shared among its ranges): the order of the reads. */
  estimate: number;
  state: UnitState;
  /** The writer waits for it: the reader sends the rest of its bytes straight to the writer. */
  wanted: boolean;
  /** Set while a reader streams it to the writer: the spooled start (bytes) comes first, then `live`. */
  direct: { spooledBytes: number; live: PassThrough; attempt: number } | null;
  /** Reads begun: more than one means it was read again after a dropped connection. */
  attempt: number;
  retries: number;
  /** Bytes on disk for it (its file and sidecar), as the spool counts them. */
  spooled: number;
  sent: number;
  bytes: number;
  /** Bytes its reads took from the source's sockets, every read of it counted: the table's traffic. */
  sourceRead: number;
  digest: ContentDigest | null;
  /** Loaded from a failed run's spool (a resume): its count and digest matched the source's server. */
  reused: boolean;
}

/** A table's units in the order readers take them: its ranges biggest first (equal estimates: page order). */
export function unitsOf(t: TablePlan, ranges: PageRange[] | null, nextId: () => number): Unit[] {
  const share = ranges ? t.bytes / ranges.length : t.bytes;
  const blank = { table: t, estimate: share, state: 'queued' as const, wanted: false, direct: null, reused: false };
  const counts = { attempt: 0, retries: 0, spooled: 0, sent: 0, bytes: 0, sourceRead: 0, digest: null };
  return (ranges ?? [null]).map((range) => ({ id: nextId(), range, ...blank, ...counts }));
}

/** The units of a run, their states, and the one place readers and the writer wait on each other. */
export class Board {
  readonly changes = new Changes();
  error: unknown = null;
  private readonly queue: Unit[];

  constructor(readonly units: Unit[]) {
    this.queue = [...units];
  }

  /** The next unit for a free reader: one the writer waits for, else the next in the global order. */
  take(): Unit | null {
    for (;;) {
      if (!this.queue.length) return null;
      const wanted = this.queue.findIndex((u) => u.wanted);
      const [u] = this.queue.splice(Math.max(0, wanted), 1);
      // Dropped (its table failed) or already spooled (reused from a failed run's spool): not to read.
      if (u.state !== 'queued') continue;
      u.state = 'reading';
      return u;
    }
  }

  /** The run ends: every wait wakes and sees the error. */
  fail(e: unknown): void {
    this.error ??= e;
    this.changes.notify();
  }

  /** Waits until `ready` holds; throws the run's error if it fails meanwhile. */
  async until(ready: () => boolean): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (ready()) return;
      await this.changes.next();
    }
  }

  get done(): number {
    return this.units.filter((u) => u.state === 'loaded').length;
  }
}

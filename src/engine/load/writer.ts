// The one writer of a parallel load: the run's target session, in its one transaction. A table's
// units go in one after another inside the table's savepoint (the caller's step), each its own
// COPY FROM STDIN, in whatever order they become ready: the digest is a sum, so the order does not
// matter. A unit loaded while its reader still streams it is in a savepoint of its own: if that
// reader drops, the unit's rows are rolled back and it is loaded again when it was read again.
import { createReadStream } from 'node:fs';
import { type PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ContentDigest } from '../verify/digest.js';
import { CancelledError, StallError } from '../errors.js';
import { dropLastField } from '../verify/generated.js';
import { ident, qualified } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';
import { ReaderDropped } from './readers.js';
import type { Spool } from './spool.js';
import { Stall } from './stall.js';
import type { Board, Unit } from './units.js';

export interface WriteContext {
  target: pg.Client;
  board: Board;
  spool: Spool;
  stallTimeoutMs: number;
  signal?: AbortSignal;
}

export interface TableLoad {
  /** The rows as they left the source: the sum of its units' digests. */
  digest: ContentDigest;
  sent: number;
  received: number;
  bytes: number;
}

const UNIT_SAVEPOINT = 'archon_unit';

/** Every unit of one table into the target; `onBytes` sees the bytes loaded so far. */
export async function writeTable(
  units: Unit[],
  ctx: WriteContext,
  onBytes: (bytes: number, rows: number) => void,
): Promise<TableLoad> {
  const out: TableLoad = { digest: new ContentDigest(), sent: 0, received: 0, bytes: 0 };
  for (let u = await nextUnit(units, ctx.board); u; u = await nextUnit(units, ctx.board)) {
    const received = await loadUnit(u, ctx, (n) => onBytes(out.bytes + n, out.received));
    if (received === null) continue;
    out.received += received;
    out.sent += u.sent;
    out.bytes += u.bytes;
    out.digest = out.digest.plus(u.digest!);
  }
  return out;
}

/**
 * The next unit to load: one whose bytes are all spooled, else the one the writer waits for once its
 * reader streams it. Only one is wanted at a time: the one furthest along (being read), else the next.
 */
async function nextUnit(units: Unit[], board: Board): Promise<Unit | null> {
  let chosen: Unit | null = null;
  await board.until(() => {
    const pending = units.filter((u) => u.state !== 'loaded');
    if (!pending.length) return true;
    chosen = pending.find((u) => u.state === 'spooled') ?? pending.find((u) => u.wanted && u.direct) ?? null;
    if (!chosen && !pending.some((u) => u.wanted)) {
      const next = pending.find((u) => u.state === 'reading') ?? pending[0];
      next.wanted = true;
      board.changes.notify();
    }
    return chosen !== null;
  });
  return chosen;
}

/** One unit in; null when its reader dropped mid-way (rolled back, to be loaded again). */
async function loadUnit(u: Unit, ctx: WriteContext, onBytes: (n: number) => void): Promise<number | null> {
  const direct = u.direct;
  if (direct) await ctx.target.query(`SAVEPOINT ${UNIT_SAVEPOINT}`);
  try {
    const received = await copyInto(u, ctx, onBytes);
    if (direct) await ctx.target.query(`RELEASE SAVEPOINT ${UNIT_SAVEPOINT}`);
    u.state = 'loaded';
    u.wanted = false;
    u.direct = null;
    ctx.spool.keep(u.id, u.spooled);
    return received;
  } catch (e) {
    if (ctx.board.error) throw ctx.board.error;
    // The reader threw its bytes away (ReaderDropped, or a prefix file gone under the load): not the target's doing.
    if (!direct || !(e instanceof ReaderDropped || u.direct !== direct)) throw e;
    await ctx.target.query(`ROLLBACK TO SAVEPOINT ${UNIT_SAVEPOINT}`);
    await ctx.target.query(`RELEASE SAVEPOINT ${UNIT_SAVEPOINT}`);
    return null;
  }
}

/**
 * Waits for an aborted COPY FROM to end on the server (it answers the CopyFail with an error) before the
 * session is used again; a server that does not answer within the stall timeout ends the run.
 */
async function copyEnded(into: Writable, ms: number): Promise<void> {
  if (into.closed) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const ended = finished(into).then(
    () => true,
    () => true,
  );
  const inTime = await Promise.race([ended, late]).finally(() => clearTimeout(timer));
  if (!inTime) throw new StallError(ms);
}

/** The unit's bytes: its spooled file, or what was spooled of it and then its reader's live stream. */
function unitInput(u: Unit, spool: Spool): Readable {
  const file = spool.path(u.id, 'copy');
  const direct = u.direct;
  if (!direct) return u.spooled ? createReadStream(file) : Readable.from([]);
  return Readable.from(
    (async function* () {
      if (direct.spooledBytes > 0) yield* createReadStream(file, { end: direct.spooledBytes - 1 });
      yield* direct.live;
    })(),
    { objectMode: false },
  );
}

/**
 * COPY FROM STDIN of one unit, the generated values' hash dropped on the way. A stall counts only while
 * the target holds the bytes back, not while a live unit waits for its reader.
 */
async function copyInto(u: Unit, ctx: WriteContext, onBytes: (n: number) => void): Promise<number> {
  const t = u.table;
  const into = ctx.target.query(copyFrom(copyInSql(t)));
  // The pipeline hears its errors; one after it settled (the connection lost later) must not crash.
  into.on('error', () => {});
  const live: PassThrough | undefined = u.direct?.live;
  const abort = new AbortController();
  const stall = new Stall(
    ctx.stallTimeoutMs,
    () => live !== undefined && live.readableLength === 0 && !live.readableEnded,
    () => abort.abort(),
  );
  const cancel = () => abort.abort();
  ctx.signal?.addEventListener('abort', cancel);
  let moved = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      stall.moved();
      moved += chunk.length;
      onBytes(moved);
      done(null, chunk);
    },
  });
  const drop = t.generated.length ? [dropLastField(t.format, t.columns.length)] : [];
  const stopped = new Promise<never>((_, reject) =>
    abort.signal.addEventListener('abort', () => reject(new Error('the load was stopped')), { once: true }),
  );
  try {
    // A stall or a cancel ends the load at once: a stalled target would never acknowledge the abort.
    await Promise.race([pipeline([unitInput(u, ctx.spool), tap, ...drop, into], { signal: abort.signal }), stopped]);
  } catch (e) {
    if (stall.stalled) throw new StallError(ctx.stallTimeoutMs);
    if (ctx.signal?.aborted) throw new CancelledError();
    // A reader's drop: the unit is rolled back, and the session used again once the server ended this COPY.
    if (live && (e instanceof ReaderDropped || u.direct?.live !== live)) await copyEnded(into, ctx.stallTimeoutMs);
    throw e;
  } finally {
    stall.stop();
    ctx.signal?.removeEventListener('abort', cancel);
  }
  return into.rowCount;
}

const copyInSql = (t: TablePlan): string => {
  // Rows of no columns: COPY takes no empty column list, and without one it fills no column here.
  const columns = t.columns.length ? ` (${t.columns.map(ident).join(', ')})` : '';
  return `COPY ${qualified(t.schema, t.table)}${columns} FROM STDIN${t.format === 'binary' ? ' (FORMAT binary)' : ''}`;
};

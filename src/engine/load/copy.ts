import type pg from 'pg';
import { Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ContentDigest, copyOutSql, rowHasher } from '../verify/digest.js';
import type { Role } from '../../shared/report.js';
import { CopyStreamError, StallError, endsTheRun } from '../errors.js';
import { dropLastField, generatedSelect } from '../verify/generated.js';
import { ident, qualified } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';
import { relationSql } from '../catalog/relation.js';

interface CopyResult {
  /** Rows the source sent, from its COPY command tag. */
  sent: number;
  /** Rows the target accepted, from its COPY command tag. */
  received: number;
  bytes: number;
  /**
   * The digest of the rows as they left the source, with their generated values' hash when the target
   * generates columns: the content the target must now hold.
   */
  digest: ContentDigest;
}

/** Where the source's COPY runs: a refusal on the target rolls the source back to it, snapshot intact. */
const SOURCE_SAVEPOINT = 'archon_copy';

/**
 * Streams one table from source to target: COPY TO STDOUT piped into COPY FROM STDIN. Bytes go
 * socket to socket with stream back-pressure; on the way each row is hashed into the table's
 * content digest (no second read of the source), so memory stays flat whatever the table's size.
 * Where the target generates columns, the source also sends each row's hash of their values, which
 * the digest takes in and the target never sees (generated.ts).
 * When the target refuses the rows, the source's COPY is stopped (`stopSource` cancels it on the
 * server) and rolled back to a savepoint, so the snapshot stays open for the other tables; the
 * target's error is then thrown.
 */
export async function copyTable(
  source: pg.Client,
  target: pg.Client,
  plan: TablePlan,
  onBytes: (bytes: number, rows: number) => void,
  o: { signal?: AbortSignal; stallTimeoutMs: number; stopSource: () => Promise<void> },
): Promise<CopyResult> {
  const select = [...plan.sourceSelect, ...generatedSelect(plan)];
  const read = { from: relationSql(plan.source), select, format: plan.format };
  await source.query(`SAVEPOINT ${SOURCE_SAVEPOINT}`);
  // A partitioned target routes the rows into its partitions.
  const out = source.query(copyTo(copyOutSql(read)));
  const options = plan.format === 'binary' ? ' (FORMAT binary)' : '';
  // Rows of no columns: COPY takes no empty column list, and without one it fills no column here.
  const columns = plan.columns.length ? ` (${plan.columns.map(ident).join(', ')})` : '';
  const into = target.query(copyFrom(`COPY ${qualified(plan.schema, plan.table)}${columns} FROM STDIN${options}`));
  // Which side failed travels with the error (a CopyStreamError): a lost connection can then be named.
  const sides = new WeakMap<object, Role>();
  out.on('error', (e) => sides.set(e, sides.get(e) ?? 'source'));
  into.on('error', (e) => sides.set(e, sides.get(e) ?? 'target'));
  const sourceDone = finished(out);
  sourceDone.catch(() => {}); // awaited only when the target refuses; the error itself reaches the tap
  let bytes = 0;
  const digest = new ContentDigest();
  const hasher = rowHasher(plan.format, (h) => digest.addRowHash(h));
  const watchdog = new StallWatchdog(o.stallTimeoutMs, o.signal);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      watchdog.moved();
      hasher.write(chunk);
      onBytes(bytes, digest.rows);
      done(null, chunk);
    },
  });
  // Not one pipeline from the source: it would destroy the source's stream when the target refuses,
  // leaving that connection mid-COPY for good. The source's errors are passed on by hand instead.
  out.on('error', (e) => tap.destroy(e));
  out.pipe(tap);
  try {
    // A stall or a cancel ends the copy at once: the target's stream would wait for its server to
    // acknowledge the abort, which a stalled network never does (the run then abandons the session).
    const piped = plan.generated.length
      ? pipeline(tap, dropLastField(plan.format, plan.columns.length), into, { signal: watchdog.signal })
      : pipeline(tap, into, { signal: watchdog.signal });
    await Promise.race([piped, watchdog.aborted]);
  } catch (e) {
    if (watchdog.stalled) throw new StallError(o.stallTimeoutMs);
    const side = e instanceof Object ? sides.get(e) : undefined;
    const failed = side ? new CopyStreamError(side, e) : e;
    // Only a refusal the run outlives needs the source back; anything else ends the run (and the source).
    const refused = side === 'target' && !o.signal?.aborted && !endsTheRun(failed);
    if (refused) await stopSourceCopy(source, out, sourceDone, o);
    throw failed;
  } finally {
    watchdog.stop();
  }
  await source.query(`RELEASE SAVEPOINT ${SOURCE_SAVEPOINT}`);
  return { sent: out.rowCount, received: into.rowCount, bytes, digest };
}

/**
 * The target refused the rows: the source's statement is cancelled on the server (reading the rest of a
 * large table would only waste time), then what it still sends is dropped, and once it has ended its
 * transaction is rolled back to the savepoint the COPY began at, the snapshot unchanged. The cancel goes
 * first: a server blocked on a full socket acts on it as soon as it may send again, so little more is
 * read. A source that does not end within the stall timeout ends the run (the error is the source's).
 */
async function stopSourceCopy(
  source: pg.Client,
  out: NodeJS.ReadableStream & { readableEnded: boolean },
  done: Promise<void>,
  o: { stallTimeoutMs: number; stopSource: () => Promise<void> },
): Promise<void> {
  if (!out.readableEnded) {
    out.unpipe();
    await o.stopSource();
    out.resume();
    if (!(await endsWithin(done, o.stallTimeoutMs))) {
      const late = new Error(`the source did not stop its COPY within ${o.stallTimeoutMs / 1000} s of a cancel`);
      throw new CopyStreamError('source', late);
    }
  }
  await source.query(`ROLLBACK TO SAVEPOINT ${SOURCE_SAVEPOINT}`);
  await source.query(`RELEASE SAVEPOINT ${SOURCE_SAVEPOINT}`);
}

/** Whether a stream ends (or fails) within `ms`. */
async function endsWithin(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      done.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Aborts a copy through which no byte has moved for `timeoutMs` (a network that stopped carrying
 * data keeps a socket open for hours), and passes the caller's cancel on.
 */
/** How often the stall watchdog looks (a short stall timeout is looked at four times as often). */
const STALL_CHECK_MS = 1000;

class StallWatchdog {
  private readonly controller = new AbortController();
  private last = Date.now();
  private readonly timer: NodeJS.Timeout;
  stalled = false;

  constructor(
    timeoutMs: number,
    private readonly outer?: AbortSignal,
  ) {
    this.timer = setInterval(
      () => {
        if (Date.now() - this.last < timeoutMs) return;
        this.stalled = true;
        this.controller.abort();
      },
      Math.min(STALL_CHECK_MS, timeoutMs / 4),
    );
    outer?.addEventListener('abort', this.forward);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Rejects when the copy is aborted (stalled or cancelled); never settles otherwise. */
  readonly aborted = new Promise<never>((_, reject) => {
    this.controller.signal.addEventListener('abort', () => reject(new Error('the copy was stopped')), { once: true });
  });

  moved(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.outer?.removeEventListener('abort', this.forward);
  }

  private readonly forward = () => this.controller.abort(this.outer?.reason);
}

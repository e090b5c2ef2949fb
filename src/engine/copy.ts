import type pg from 'pg';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ContentDigest, copyOutSql, rowHasher } from './digest.js';
import { StallError } from './errors.js';
import { ident, qualified } from './ident.js';
import type { TablePlan } from './plan.js';
import { relationSql } from './relation.js';

interface CopyResult {
  /** Rows the source sent, from its COPY command tag. */
  sent: number;
  /** Rows the target accepted, from its COPY command tag. */
  received: number;
  bytes: number;
  /** The digest of the rows as they left the source: the content the target must now hold. */
  digest: ContentDigest;
}

/**
 * Streams one table from source to target: COPY TO STDOUT piped into COPY FROM STDIN. Bytes go
 * socket to socket with stream back-pressure; on the way each row is hashed into the table's
 * content digest (no second read of the source), so memory stays flat whatever the table's size.
 */
export async function copyTable(
  source: pg.Client,
  target: pg.Client,
  plan: TablePlan,
  onBytes: (bytes: number, rows: number) => void,
  o: { signal?: AbortSignal; stallTimeoutMs: number },
): Promise<CopyResult> {
  const read = { from: relationSql(plan.source), select: plan.sourceSelect, format: plan.format };
  // A partitioned target routes the rows into its partitions.
  const out = source.query(copyTo(copyOutSql(read)));
  const options = plan.format === 'binary' ? ' (FORMAT binary)' : '';
  // Rows of no columns: COPY takes no empty column list, and without one it fills no column here.
  const columns = plan.columns.length ? ` (${plan.columns.map(ident).join(', ')})` : '';
  const into = target.query(copyFrom(`COPY ${qualified(plan.schema, plan.table)}${columns} FROM STDIN${options}`));
  // Which side failed travels with the error: a lost connection can then be named.
  out.on('error', (e) => Object.assign(e, { side: (e as { side?: string }).side ?? 'source' }));
  into.on('error', (e) => Object.assign(e, { side: (e as { side?: string }).side ?? 'target' }));
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
  try {
    await pipeline(out, tap, into, { signal: watchdog.signal });
  } catch (e) {
    throw watchdog.stalled ? new StallError(o.stallTimeoutMs) : e;
  } finally {
    watchdog.stop();
  }
  return { sent: out.rowCount, received: into.rowCount, bytes, digest };
}

/**
 * Aborts a copy through which no byte has moved for `timeoutMs` (a network that stopped carrying
 * data keeps a socket open for hours), and passes the caller's cancel on.
 */
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
      Math.min(1000, timeoutMs / 4),
    );
    outer?.addEventListener('abort', this.forward);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  moved(): void {
    this.last = Date.now();
  }

  stop(): void {
    clearInterval(this.timer);
    this.outer?.removeEventListener('abort', this.forward);
  }

  private readonly forward = () => this.controller.abort(this.outer?.reason);
}

// The source readers of a parallel load: sessions that import the run's snapshot, so every byte they
// read comes from the moment the run's first session saw, and read units (tables, ranges of pages)
// into the spool, or straight to the writer when it waits for them. A reader whose connection drops
// (reset, terminated, stalled) while the run's snapshot lives is opened again on that snapshot and
// reads its unit again from the start; its partial bytes are thrown away, never loaded.
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { displayName } from '../../shared/names.js';
import { type Endpoint, connect, connectionLost, endQuietly } from '../connect/connection.js';
import { unboundedSourceTransaction } from '../connect/session.js';
import { ContentDigest, type DigestRead, copyOutSql, rowHasher } from '../verify/digest.js';
import { CancelledError, CopyStreamError, StallError } from '../errors.js';
import { generatedSelect } from '../verify/generated.js';
import { literal } from '../ident.js';
import { relationSql } from '../catalog/relation.js';
import { SQLSTATE, connectionFailed, sqlStateOf } from '../sqlState.js';
import { rangeWhere } from './ranges.js';
import type { Sidecar, Spool } from './spool.js';
import { Stall } from './stall.js';
import type { Board, Unit } from './units.js';

/** Reads of one unit after the first, before the run gives up on it. */
export const MAX_REREADS = 3;

export interface Reader {
  /** 1-based, as its application_name says: `archon (source reader 2)`. */
  index: number;
  client: pg.Client;
  pid: number;
}

/** What every reader shares: the units, the spool, the bounds, the run's first session (the snapshot's keeper). */
export interface ReadContext {
  board: Board;
  spool: Spool;
  stallTimeoutMs: number;
  coordinator: pg.Client;
  signal?: AbortSignal;
  /** Opens the reader of that index again on the run's snapshot. */
  reopen: (index: number) => Promise<Reader>;
  onBytes: (n: number) => void;
  /** What a spooled unit's sidecar says about it. */
  sidecar: (u: Unit) => Sidecar;
}

/** One reader: connected like the run's sessions (counted in its traffic), inside the run's snapshot. */
export async function openReader(
  ep: Endpoint,
  snapshot: string,
  index: number,
  o: { lockTimeoutMs: number; serverVersionNum: number },
): Promise<Reader> {
  const client = await connect(ep, { lockTimeoutMs: o.lockTimeoutMs });
  try {
    // Named, so that it can be found in pg_stat_activity; its pid is what a cancel reaches.
    const named = `SET application_name = ${literal(`archon (source reader ${index})`)}; SELECT pg_catalog.pg_backend_pid() AS pid`;
    const results = (await client.query(named)) as unknown as pg.QueryResult[];
    // The same source transaction as the run's own session, on its snapshot: the server's limits off.
    await unboundedSourceTransaction(client, o.serverVersionNum, snapshot);
    return { index, client, pid: Number(results[1].rows[0].pid) };
  } catch (e) {
    await endQuietly(client);
    throw e;
  }
}

/** A reader's failure that ends the run: which reader, which unit, after how many reads. */
export class ReaderFailure extends CopyStreamError {
  constructor(
    readonly unit: Unit,
    reader: Reader,
    cause: unknown,
  ) {
    super('source', cause);
    const again = unit.retries ? ` (read ${unit.retries + 1} times)` : '';
    this.message = `source reader ${reader.index} (pid ${reader.pid}) failed reading ${unitName(unit)}${again}: ${this.message}`;
  }
}

/** The unit's table failed on the target: its read stops (the rest of its rows would only be thrown away). */
class UnitDropped extends Error {}

/** The reader's bytes of a unit the writer was loading stopped coming: that load is rolled back, the unit read again. */
export class ReaderDropped extends Error {
  constructor() {
    super('the source reader of this unit dropped; it is read again');
  }
}

export const unitName = (u: Unit): string =>
  `${displayName(u.table.schema, u.table.table)}${u.range ? ` pages ${u.range.fromPage}–${u.range.toPage ?? 'end'}` : ''}`;

/** A reader slot: its session (replaced when it drops) and whether it is reading now. */
export interface ReaderSlot {
  reader: Reader;
  busy: boolean;
}

/** Takes units until none is left; each read again after a dropped connection, within MAX_REREADS. */
export async function runReader(slot: ReaderSlot, ctx: ReadContext): Promise<void> {
  for (let u = ctx.board.take(); u; u = ctx.board.take()) {
    slot.busy = true;
    try {
      await readWithRetries(slot, u, ctx);
    } finally {
      slot.busy = false;
      ctx.board.changes.notify();
    }
  }
}

async function readWithRetries(slot: ReaderSlot, u: Unit, ctx: ReadContext): Promise<void> {
  for (;;) {
    try {
      await readUnit(slot.reader, u, ctx);
      return;
    } catch (e) {
      if (ctx.board.error || ctx.signal?.aborted) throw ctx.board.error ?? new CancelledError();
      // Its COPY still runs on the server: the connection goes (the server stops there), a new one comes.
      if (e instanceof UnitDropped) {
        slot.reader = await replaced(slot.reader, ctx);
        return;
      }
      if (!retryable(e, slot.reader, ctx) || u.retries >= MAX_REREADS) throw new ReaderFailure(u, slot.reader, e);
      u.retries++;
      slot.reader = await replaced(slot.reader, ctx);
    }
  }
}

/** The reader's connection cut (whatever it was doing) and a new one opened on the run's snapshot. */
async function replaced(r: Reader, ctx: ReadContext): Promise<Reader> {
  r.client.connection?.stream?.destroy();
  await endQuietly(r.client);
  return ctx.reopen(r.index);
}

/** A dropped connection, a terminated backend or a stall, while the run's own snapshot still lives. */
function retryable(e: unknown, r: Reader, ctx: ReadContext): boolean {
  if (connectionLost(ctx.coordinator)) return false;
  if (e instanceof StallError || connectionLost(r.client)) return true;
  return connectionFailed(e) && sqlStateOf(e) !== SQLSTATE.queryCanceled;
}

/** One read of a unit, start to end; a failure leaves nothing of it in the spool or with the writer. */
async function readUnit(r: Reader, u: Unit, ctx: ReadContext): Promise<void> {
  u.attempt++;
  const t = u.table;
  const read: DigestRead = {
    from: relationSql(t.source),
    select: [...t.sourceSelect, ...generatedSelect(t)],
    format: t.format,
    ...(u.range ? { where: rangeWhere(u.range) } : {}),
  };
  const sink = new UnitSink(u, ctx);
  const socket = r.client.connection?.stream as { bytesRead?: number } | undefined;
  const readBefore = socket?.bytesRead ?? 0;
  const stall = new Stall(
    ctx.stallTimeoutMs,
    () => sink.waiting,
    () => r.client.connection?.stream?.destroy(),
  );
  try {
    // Pinned by hand, not withNamesPinned: after a failure the connection is cut, never asked to unpin.
    const was = t.namesObjects ? await pinNames(r.client) : null;
    await streamUnit(r.client, read, u, sink, stall, ctx);
    if (was !== null) await r.client.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [was]);
  } catch (e) {
    await sink.discard();
    throw stall.stalled ? new StallError(ctx.stallTimeoutMs) : e;
  } finally {
    stall.stop();
    u.sourceRead += (socket?.bytesRead ?? 0) - readBefore;
  }
}

/**
 * Settles when the server has said the COPY is over (ReadyForQuery, after the command tag with the row
 * count): pg-copy-streams ends the stream at CopyDone, and the count may come in a later packet.
 */
function commandDone(out: ReturnType<typeof copyTo>): Promise<void> {
  // The query's hook node-postgres calls at ReadyForQuery (a no-op in pg-copy-streams), untyped there.
  const hooks = out as unknown as { handleReadyForQuery: () => void };
  return new Promise<void>((resolve, reject) => {
    const own = hooks.handleReadyForQuery.bind(out);
    hooks.handleReadyForQuery = () => {
      own();
      resolve();
    };
    out.once('error', reject);
  });
}

/** The search_path pinned to pg_catalog (names read schema-qualified, as withNamesPinned does); the old one returned. */
async function pinNames(client: pg.Client): Promise<string> {
  const was = (await client.query(`SELECT pg_catalog.current_setting('search_path') AS p`)).rows[0].p as string;
  await client.query(`SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)`);
  return was;
}

async function streamUnit(
  client: pg.Client,
  read: DigestRead,
  u: Unit,
  sink: UnitSink,
  stall: Stall,
  ctx: ReadContext,
): Promise<void> {
  const out = client.query(copyTo(copyOutSql(read)));
  // The loop below hears its errors; one that comes after the loop left (its connection cut then) must not crash.
  out.on('error', () => {});
  const counted = commandDone(out);
  counted.catch(() => {}); // an error is the loop's to throw; awaited only once the loop is done
  const digest = new ContentDigest();
  const hasher = rowHasher(read.format, (h) => digest.addRowHash(h));
  let bytes = 0;
  for await (const chunk of out as AsyncIterable<Buffer>) {
    stall.moved();
    bytes += chunk.length;
    hasher.write(chunk);
    ctx.onBytes(chunk.length);
    await sink.write(chunk);
  }
  await counted;
  Object.assign(u, { sent: out.rowCount, bytes, digest });
  await sink.end();
}

/**
 * Where a unit's bytes go: the spool while the writer does not need them, straight to the writer once
 * it waits for this unit (the bytes spooled so far stay and go first), nowhere once its table failed.
 */
class UnitSink {
  /** Held back on purpose (the full spool, the writer): not a stall. */
  waiting = false;
  private file: WriteStream | null = null;
  private fileBytes = 0;
  private mode: 'spool' | 'direct' | 'drop' = 'spool';

  constructor(
    private readonly u: Unit,
    private readonly ctx: ReadContext,
  ) {}

  async write(chunk: Buffer): Promise<void> {
    if (this.u.state === 'dropped') this.mode = 'drop';
    if (this.mode === 'spool' && !(await this.toSpool(chunk))) await this.goDirect();
    if (this.mode === 'direct') await this.toWriter(chunk);
    if (this.mode === 'drop') throw new UnitDropped();
  }

  async end(): Promise<void> {
    if (this.mode === 'direct') {
      // A whole copy gets its sidecar before the writer can finish the load: a resume finds it whole.
      await this.closeFile();
      if (this.copying && !this.fileError)
        this.u.spooled += await this.ctx.spool.writeSidecar(this.u.id, this.ctx.sidecar(this.u));
      this.u.direct?.live.end();
      return;
    }
    const dropped = this.mode === 'drop' || this.u.state === 'dropped';
    // A text COPY of a range without rows sends no byte: its file is still made, empty, so the writer
    // and a resume find every spooled unit's file.
    if (!dropped) this.file ??= this.openFile();
    await this.closeFile();
    if (this.fileError) throw this.fileError;
    if (dropped) return this.discard();
    this.u.spooled += await this.ctx.spool.writeSidecar(this.u.id, this.ctx.sidecar(this.u));
    this.u.state = 'spooled';
  }

  /** Throws away what this read left: its spooled bytes, and the writer's load of it if one was going. */
  async discard(): Promise<void> {
    await this.closeFile();
    await this.ctx.spool.discard(this.u.id, this.u.spooled);
    this.u.spooled = 0;
    this.u.direct?.live.destroy(new ReaderDropped());
    this.u.direct = null;
  }

  /** False when the unit is wanted (or dropped) instead: its bytes go elsewhere from now on. */
  private async toSpool(chunk: Buffer): Promise<boolean> {
    if (this.u.wanted) return false;
    this.waiting = true;
    const granted = await this.ctx.spool
      .reserve(
        chunk.length,
        () => this.u.wanted || this.u.state === 'dropped',
        () => this.ctx.board.error,
      )
      .finally(() => {
        this.waiting = false;
      });
    if (!granted) return this.u.state === 'dropped' && this.dropped();
    this.u.spooled += chunk.length;
    this.fileBytes += chunk.length;
    this.file ??= this.openFile();
    if (this.fileError) throw this.fileError;
    if (!this.file.write(chunk)) await once(this.file, 'drain');
    return true;
  }

  /** A full disk (or a folder gone) fails the read with the file's own error, never an unheard event. */
  private fileError: unknown = null;

  private openFile(append = false): WriteStream {
    const f = this.ctx.spool.create(this.u.id, append);
    f.on('error', (e) => {
      this.fileError ??= e;
    });
    return f;
  }

  private dropped(): true {
    this.mode = 'drop';
    return true;
  }

  private async goDirect(): Promise<void> {
    if (this.mode === 'drop') return;
    // The spooled start is on disk before the writer reads it; its file then goes on as a copy.
    await this.closeFile();
    if (this.fileError) throw this.fileError;
    this.copying = true;
    this.file = this.openFile(this.fileBytes > 0);
    const live = new PassThrough();
    // Its errors are the writer's to see (its pipeline listens); one the writer no longer reads must not crash.
    live.on('error', () => {});
    this.u.direct = { spooledBytes: this.fileBytes, live, attempt: this.u.attempt };
    this.mode = 'direct';
    this.ctx.board.changes.notify();
  }

  /**
   * Whether the unit's bytes loaded straight into the target are also kept in the spool: then, if the
   * run is lost before its commit, a resume loads them from there instead of reading them again. Only
   * while there is room now (loaded units make way; a reader never waits for it): past that, the copy
   * is given up and the unit would be read again.
   */
  private copying = false;

  private async toCopy(chunk: Buffer): Promise<void> {
    if (!this.copying || !this.file) return;
    if (this.fileError || !(await this.ctx.spool.tryReserve(chunk.length))) {
      this.copying = false;
      return;
    }
    this.u.spooled += chunk.length;
    // A copy that cannot be written (a full disk) is given up: the load goes on without it.
    if (!this.file.write(chunk))
      await once(this.file, 'drain').catch(() => {
        this.copying = false;
      });
  }

  private async toWriter(chunk: Buffer): Promise<void> {
    // A run that failed (or was cancelled) while this unit went direct: its stream has no reader now.
    if (this.ctx.board.error) throw this.ctx.board.error;
    const live = this.u.direct?.live;
    if (!live || live.destroyed) {
      this.mode = 'drop';
      return;
    }
    await this.toCopy(chunk);
    if (live.write(chunk)) return;
    this.waiting = true;
    await new Promise<void>((resolve) => {
      let over = false;
      // Both listeners go once either fires: a unit waits thousands of times on the same stream.
      const done = () => {
        if (over) return;
        over = true;
        live.off('drain', done);
        live.off('close', done);
        resolve();
      };
      live.on('drain', done);
      live.on('close', done);
      // Until the board fails: a change of another kind is no reason to stop listening for that.
      void (async () => {
        while (!over && !this.ctx.board.error) await this.ctx.board.changes.next();
        done();
      })();
    });
    this.waiting = false;
  }

  private async closeFile(): Promise<void> {
    const f = this.file;
    if (!f) return;
    this.file = null;
    f.end();
    await once(f, 'close').catch(() => {});
  }
}

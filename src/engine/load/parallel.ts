// A parallel load: the run's source session exports its snapshot, N reader sessions import it and read
// the tables (big ones in ranges of pages) into a bounded spool, and the run's one target session loads
// them table by table in its one transaction, as the single stream does. Every table still passes
// through its savepoint (the caller's step) and is read back and compared afterwards, against the sum
// of its units' digests; nothing here decides what is verified.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { RangeReport, Resumed, SpoolKept, TableReport } from '../../shared/report.js';
import { endQuietly } from '../connect/connection.js';
import { CancelledError, ConnectionError, UsageError } from '../errors.js';
import type { ProgressListener } from '../events.js';
import { digestsBefore } from './existingRows.js';
import type { TablePlan, TableStep } from '../plan/plan.js';
import type { Session } from '../connect/session.js';
import type { LoadDigests } from '../verify/verify.js';
import { DEFAULT_RANGE_BYTES, splitTable } from './ranges.js';
import { type ReadContext, ReaderFailure, type ReaderSlot, openReader, runReader, unitName } from './readers.js';
import {
  type EndpointIdentity,
  type Resumable,
  type RunManifest,
  adoptFile,
  digestFromHex,
  fileMatches,
  findResumable,
  identityOf,
  removeOld,
  runOptionsOf,
  serverUnitDigest,
} from './resume.js';
import { DEFAULT_SPOOL_LIMIT, type Sidecar, Spool, dropLock } from './spool.js';
import { Board, type Unit, unitsOf } from './units.js';
import { type TableLoad, type WriteContext, writeTable } from './writer.js';

export interface ParallelOptions {
  /** Source sessions that read at once (default 4); 1 streams each table from source to target, no spool. */
  jobs?: number;
  /** The folder the run's spool folder goes in (default: the OS temp folder). */
  spoolDir?: string;
  /** The most bytes the spool holds at once (default 2 GB); readers wait when it is full. */
  spoolLimit?: number;
  /** About how many bytes (TOAST counted) each range of a big table holds (default 64 MB). */
  rangeBytes?: number;
  /**
   * Continue a failed parallel run from its spool (under spoolDir): that run's id, or true for the latest
   * one between the same source and target. Its options must be this run's.
   */
  resume?: string | true;
}

export const DEFAULT_JOBS = 4;

/** What a parallel load tells the report. */
export interface ParallelFacts {
  jobs: number;
  spoolPeakBytes: number;
  rereadUnits: number;
  spoolLeftAt: string | null;
  spoolKept: SpoolKept | null;
  /** Lost to a connection or a stall before any range was read whole: nothing to resume from. */
  keptNothing?: boolean;
  resumed: Resumed | null;
}

/** Where the load is, as run.ts keeps it: the table at work, those begun, those that did not load. */
export interface CopyAllContext {
  at: { current: TablePlan | null; started: Set<TablePlan>; notLoaded: Set<TablePlan> };
  step: TableStep;
  emit: ProgressListener;
  signal?: AbortSignal;
  checkCancel: () => void;
  /** Foreign keys are not checked while rows load (replica mode): the tables may load in any order. */
  replica: boolean;
}

/** The smallest range a table is split into unless a size is asked for. */
const MIN_RANGE_BYTES = 4 * 1024 * 1024;

/** How often a parallel load says where its readers are. */
const PIPELINE_EVENT_MS = 250;
const PROGRESS_INTERVAL_MS = 200;

export class ParallelLoad {
  readonly runId = randomUUID();
  private board: Board | null = null;
  private spool: Spool | null = null;
  private slots: ReaderSlot[] = [];
  private tasks: Promise<void>[] = [];
  private facts: ParallelFacts | null = null;
  private snapshot = '';
  private ends: { source: EndpointIdentity; target: EndpointIdentity } | null = null;
  private resumable: Resumable | null = null;
  private resumed: Omit<Resumed, 'read'> | null = null;
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly o: ParallelOptions & Parameters<typeof runOptionsOf>[0]) {}

  /**
   * Before the review: both sides' identity for the run's manifest and, with `resume`, the failed run's
   * spool found and checked (another source or target, other options: refused before anything is written).
   */
  async prepare(s: Session): Promise<void> {
    if (this.jobs < 2 && !this.o.resume) return;
    if (this.jobs < 2) throw new UsageError('--resume continues a parallel load: it needs --jobs 2 or more');
    const { source, target } = s.summaries;
    this.ends = { source: await identityOf(s.source, source.label), target: await identityOf(s.target, target.label) };
    if (!this.o.resume) return;
    this.resumable = await findResumable(this.o.spoolDir, this.o.resume, {
      ...this.ends,
      options: runOptionsOf(this.o),
    });
  }

  /** At least 1, a whole number: what the report says ran. */
  get jobs(): number {
    return Math.max(1, Math.floor(this.o.jobs ?? DEFAULT_JOBS));
  }

  /** What the run's report says of the source reads: the jobs, and the figures of a load that ran in parallel. */
  reportFields(): { jobs: number } & Partial<Omit<ParallelFacts, 'jobs'>> {
    return { jobs: this.jobs, ...this.facts };
  }

  /**
   * Every table's rows, as run.ts's copyAll, read in parallel; null when there is nothing to share
   * among readers (a single unit): the caller then streams it directly.
   */
  async copyAll(
    s: Session,
    loading: TablePlan[],
    reports: Map<TablePlan, TableReport>,
    c: CopyAllContext,
  ): Promise<Map<TablePlan, LoadDigests> | null> {
    // Where foreign keys are checked as rows arrive, the plan's order (referenced tables first) stays.
    if (this.jobs < 2) return null;
    const order = c.replica ? [...loading].sort((a, b) => b.bytes - a.bytes) : loading;
    const units = await this.unitsOf(s, order, reports, c.at);
    if (units.length < 2) return null;
    const before = await digestsBefore(s.target, loading, reports);
    c.emit({ type: 'copy-start', total: loading.length, estimatedBytes: loading.reduce((n, t) => n + t.bytes, 0) });
    const board = new Board(units);
    this.board = board;
    const stopEvents = this.pipelineEvents(c.emit);
    const cancel = () => void this.abortReaders(new CancelledError());
    c.signal?.addEventListener('abort', cancel);
    const unwatch = this.watchCoordinator(s);
    try {
      await this.startReaders(s, board, c.signal);
      return await this.writeAll(s, order, reports, { ...c, before });
    } catch (e) {
      board.fail(e);
      if (e instanceof ReaderFailure) {
        c.at.current = e.unit.table;
        c.at.started.add(e.unit.table);
      }
      throw e;
    } finally {
      c.signal?.removeEventListener('abort', cancel);
      unwatch();
      stopEvents();
      await this.stopReaders(board.error ?? null);
    }
  }

  /** The units in the order readers take them: the tables in load order, a big one as ranges of pages. */
  private async unitsOf(
    s: Session,
    order: TablePlan[],
    reports: Map<TablePlan, TableReport>,
    at: CopyAllContext['at'],
  ): Promise<Unit[]> {
    let id = 0;
    const units: Unit[] = [];
    const serverVersionNum = s.sourceCatalog.serverVersionNum;
    for (const t of order) {
      // A resume cuts a table as the failed run did, so that its spooled ranges are this run's units.
      const before = this.resumable?.manifest.tables.find(
        (x) => x.schema === t.source.schema && x.name === t.source.name,
      );
      if (before) {
        units.push(...unitsOf(t, before.ranges, () => ++id));
        continue;
      }
      const rangeBytes = this.rangeBytesFor(t);
      // The catalog's size (indexes counted) bounds the table's: a small one needs no look, and no lock.
      if (t.bytes <= rangeBytes) {
        units.push(...unitsOf(t, null, () => ++id));
        continue;
      }
      at.current = t;
      const split = await splitTable(s.source, t, { rangeBytes, serverVersionNum });
      at.current = null;
      if (split.note) reports.get(t)!.notes.push(split.note);
      units.push(...unitsOf(t, split.ranges, () => ++id));
    }
    return units;
  }

  /**
   * The size of a table's ranges: the one asked for, else small enough that every reader gets four (a
   * table read by fewer readers than there are is what limits a run over a slow link, and a connection
   * lost mid-range costs that range: smaller ones cost a resume less), but never below MIN_RANGE_BYTES
   * (each range costs a statement, a round trip and a file) nor above the default.
   */
  private rangeBytesFor(t: TablePlan): number {
    if (this.o.rangeBytes) return this.o.rangeBytes;
    const wanted = Math.min(DEFAULT_RANGE_BYTES, Math.max(MIN_RANGE_BYTES, Math.ceil(t.bytes / (4 * this.jobs))));
    // A whole number of rounds of the readers: one left alone with the last range doubles its time.
    // Fewer ranges, so never below the floor; the cap stays, where many rounds make one uneven matter little.
    const ranges = Math.ceil(t.bytes / wanted);
    const rounds = ranges > this.jobs ? ranges - (ranges % this.jobs) : ranges;
    return Math.min(DEFAULT_RANGE_BYTES, Math.ceil(t.bytes / Math.max(1, rounds)));
  }

  /**
   * The run's first session holds the snapshot every reader imports: once it is gone no reader can be
   * opened again on it, and the run cannot end consistent. The load stops at once (the readers' COPYs
   * cancelled) instead of reading on for a run that will fail; its spool is kept for a resume.
   */
  private watchCoordinator(s: Session): () => void {
    const gone = (e?: Error) => {
      const words = e?.message ?? 'the connection ended';
      const err = new ConnectionError(
        `the source session that holds the run's snapshot was lost mid-load: ${words}`,
        'source',
        'unreachable',
        words,
      );
      void this.abortReaders(err);
    };
    s.source.on('error', gone);
    s.source.on('end', gone);
    return () => {
      s.source.off('error', gone);
      s.source.off('end', gone);
    };
  }

  /** The snapshot exported, the spool opened, and min(jobs, units) readers reading. */
  private async startReaders(s: Session, board: Board, signal?: AbortSignal): Promise<void> {
    this.snapshot = (await s.source.query('SELECT pg_catalog.pg_export_snapshot() AS id')).rows[0].id;
    this.spool = await Spool.open(this.o.spoolDir, this.o.spoolLimit ?? DEFAULT_SPOOL_LIMIT, board.changes, this.runId);
    await this.spool.writeManifest(this.manifest(board));
    if (this.resumable) await this.reuse(s, this.resumable, board, signal);
    const bounds = { lockTimeoutMs: s.lockTimeoutMs, serverVersionNum: s.sourceCatalog.serverVersionNum };
    const pids = new Map<number, number>();
    const reopen = async (index: number) => {
      const reader = await openReader(s.endpoints.source, this.snapshot, index, bounds);
      s.clock.also('source', reader.client);
      // A reader waiting for a lock is named with its holder, as the run's own sessions are.
      s.watch.watchAlso('source', reader.pid, pids.get(index));
      pids.set(index, reader.pid);
      return reader;
    };
    const n = Math.min(this.jobs, board.units.length);
    const opened = await Promise.allSettled(Array.from({ length: n }, (_, i) => reopen(i + 1)));
    this.slots = opened.flatMap((r) => (r.status === 'fulfilled' ? [{ reader: r.value, busy: false }] : []));
    // A server short of connection slots (hosted plans have few) gets fewer readers, not a failed run.
    const failed = opened.find((r) => r.status === 'rejected');
    if (failed && !this.slots.length) throw (failed as PromiseRejectedResult).reason;
    const ctx: ReadContext = {
      board,
      spool: this.spool,
      stallTimeoutMs: s.stallTimeoutMs,
      coordinator: s.source,
      signal,
      reopen,
      onBytes: () => {},
      sidecar: (u) => this.sidecar(u),
    };
    this.watch = s.watch;
    this.tasks = this.slots.map((slot) => runReader(slot, ctx).catch((e) => board.fail(e)));
  }

  private watch: Session['watch'] | null = null;

  /** What a resume of this run needs: who the sides are, the options, how the tables were cut. */
  private manifest(board: Board): RunManifest {
    const tables = new Map<TablePlan, RunManifest['tables'][number]>();
    for (const u of board.units) {
      const t = tables.get(u.table) ?? { schema: u.table.source.schema, name: u.table.source.name, ranges: null };
      if (u.range) t.ranges = [...(t.ranges ?? []), u.range];
      tables.set(u.table, t);
    }
    const ends = this.ends ?? { source: unknownEnd, target: unknownEnd };
    return {
      format: 1,
      runId: this.runId,
      startedAt: this.startedAt,
      ...ends,
      options: runOptionsOf(this.o),
      tables: [...tables.values()],
    };
  }

  /**
   * The failed run's whole units checked at this run's snapshot, before any reader starts: those whose
   * file hashes to its sidecar and whose count and digest the source's server still gives are this
   * run's, spooled; the rest are read like any other. The failed run's folder goes afterwards.
   */
  private async reuse(s: Session, r: Resumable, board: Board, signal?: AbortSignal): Promise<void> {
    let reused = 0;
    let bytesSaved = 0;
    for (const { file, sidecar } of r.units) {
      if (signal?.aborted) throw new CancelledError();
      const u = board.units.find((x) => x.state === 'queued' && sameUnit(x, sidecar));
      if (!u || !(await unitStillSo(s, u, file, sidecar))) continue;
      await adoptFile(file, this.spool!.path(u.id, 'copy'));
      const size = (await stat(this.spool!.path(u.id, 'copy'))).size;
      this.spool!.adopt(size);
      Object.assign(u, { sent: sidecar.rows, bytes: sidecar.bytes, spooled: size, reused: true });
      u.digest = digestFromHex(sidecar.rows, sidecar.digest);
      u.spooled += await this.spool!.writeSidecar(u.id, this.sidecar(u));
      u.state = 'spooled';
      reused++;
      bytesSaved += sidecar.bytes;
    }
    await removeOld(r.dir);
    this.resumed = { fromRun: r.manifest.runId, reused, reread: r.units.length - reused, bytesSaved };
    board.changes.notify();
  }

  /** The writer: table by table in `order`, each in its step; a table that fails drops its other units. */
  private async writeAll(
    s: Session,
    order: TablePlan[],
    reports: Map<TablePlan, TableReport>,
    c: CopyAllContext & { before: Map<TablePlan, unknown> },
  ): Promise<Map<TablePlan, LoadDigests>> {
    const digests = new Map<TablePlan, LoadDigests>();
    const board = this.board!;
    const ctx: WriteContext = {
      target: s.target,
      board,
      spool: this.spool!,
      stallTimeoutMs: s.stallTimeoutMs,
      signal: c.signal,
    };
    for (const [index, t] of order.entries()) {
      c.checkCancel();
      c.at.started.add(t);
      const units = board.units.filter((u) => u.table === t);
      const where = { schema: t.schema, table: t.table, index, total: order.length };
      const loaded = await c.step(t, async () => {
        const load = await this.writeOne(units, ctx, reports.get(t)!, { ...where, emit: c.emit, t });
        digests.set(t, { source: load.digest, before: (c.before.get(t) as LoadDigests['before']) ?? null });
      });
      ownTraffic(reports.get(t)!, units);
      if (!loaded) {
        c.at.notLoaded.add(t);
        this.drop(units);
      }
    }
    return digests;
  }

  /** One table's units into the target, with its progress events and what its report says of the rows. */
  private async writeOne(
    units: Unit[],
    ctx: WriteContext,
    r: TableReport,
    w: { schema: string; table: string; index: number; total: number; emit: ProgressListener; t: TablePlan },
  ): Promise<TableLoad> {
    const { emit, t, ...where } = w;
    const began = Date.now();
    emit({ type: 'table-start', ...where, estimatedRows: t.estimatedRows, estimatedBytes: t.bytes });
    let last = 0;
    let moved = 0;
    const onBytes = (bytes: number, rows: number) => {
      moved = bytes;
      if (Date.now() - last < PROGRESS_INTERVAL_MS) return;
      last = Date.now();
      emit({ type: 'table-progress', ...where, bytes, rows });
    };
    const load = await writeTable(units, ctx, onBytes).catch((e) => {
      emit({ type: 'table-done', ...where, rows: null, bytes: moved, durationMs: Date.now() - began });
      throw e;
    });
    Object.assign(r, { sourceRows: load.sent, bytes: load.bytes, durationMs: Date.now() - began });
    noteRows(r, load);
    noteRanges(r, units);
    emit({ type: 'table-done', ...where, rows: load.received, bytes: load.bytes, durationMs: r.durationMs! });
    return load;
  }

  /** A table that failed: its units are read no more, and what is spooled of them goes. */
  private drop(units: Unit[]): void {
    for (const u of units) {
      if (u.state === 'loaded') continue;
      if (u.state === 'spooled') void this.spool?.discard(u.id, u.spooled);
      u.state = 'dropped';
      u.direct?.live.destroy();
    }
    this.board?.changes.notify();
  }

  private sidecar(u: Unit) {
    const t = u.table;
    return {
      runId: this.runId,
      snapshot: this.snapshot,
      table: { schema: t.source.schema, name: t.source.name },
      range: u.range,
      format: t.format,
      generatedHash: t.generated.length > 0,
      rows: u.sent,
      bytes: u.bytes,
      digest: u.digest!.hex(),
    };
  }

  /** A pipeline event now and then while the rows move; returns the function that stops them. */
  private pipelineEvents(emit: ProgressListener): () => void {
    const tell = () => {
      const b = this.board;
      if (!b || this.slots.length === 0) return;
      const busy = this.slots.filter((x) => x.busy).length;
      const spoolBytes = this.spool?.used ?? 0;
      emit({
        type: 'pipeline',
        readers: this.slots.length,
        busy,
        unitsDone: b.done,
        unitsTotal: b.units.length,
        spoolBytes,
      });
    };
    // Told at the end too, so a load shorter than the interval still shows its readers.
    const timer = setInterval(tell, PIPELINE_EVENT_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
      tell();
    };
  }

  /**
   * The readers end: after their last unit, or at once when the run failed or was cancelled (their
   * statements cancelled on the server, their connections closed, so no backend stays behind).
   */
  private async stopReaders(e: unknown | null): Promise<void> {
    if (e !== null) await this.abortReaders(e);
    await Promise.all(this.tasks);
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.slots.map((x) => endQuietly(x.reader.client)));
  }

  private stopped = false;

  /** The run failed or was cancelled: every reader's statement cancelled on the server, its connection cut. */
  private async abortReaders(e: unknown): Promise<void> {
    this.board?.fail(e);
    for (const u of this.board?.units ?? []) u.direct?.live.destroy();
    await this.watch?.signalBackends(
      'source',
      this.slots.map((x) => x.reader.pid),
      'cancel',
    );
    for (const x of this.slots) x.reader.client.connection?.stream?.destroy();
  }

  /**
   * After the commit or the rollback: the readers gone, the spool removed, or kept when `keep` (a run
   * lost to a connection or a stall) and it holds a whole unit; what the report says.
   */
  async close(keep = false): Promise<ParallelFacts | null> {
    if (this.facts || !this.board) return this.facts;
    await this.stopReaders(this.board.error ?? null);
    const spoolKept = keep ? await this.keptSpool() : null;
    if (spoolKept) await dropLock(spoolKept.dir);
    const spoolLeftAt = this.spool && !spoolKept ? await this.spool.remove() : null;
    const rereadUnits = this.board.units.filter((u) => u.retries > 0).length;
    // The sessions that read: fewer than asked when there were fewer units, or the server refused some.
    const jobs = this.slots.length;
    const read = this.board.units.filter((u) => u.attempt > 0).length;
    const resumed = this.resumed ? { ...this.resumed, read } : null;
    const keptNothing = keep && !spoolKept ? { keptNothing: true } : {};
    this.facts = {
      jobs,
      spoolPeakBytes: this.spool?.peak ?? 0,
      rereadUnits,
      spoolLeftAt,
      spoolKept,
      ...keptNothing,
      resumed,
    };
    return this.facts;
  }

  /** The spool as a resume will find it; null when it holds no whole unit (nothing to resume from). */
  private async keptSpool(): Promise<SpoolKept | null> {
    if (!this.spool) return null;
    const { units, bytes } = await this.spool.contents();
    return units ? { dir: this.spool.dir, runId: this.runId, units, bytes } : null;
  }
}

/** Before the sides were identified (a run not prepared): a manifest no resume matches. */
const unknownEnd: EndpointIdentity = { system: null, database: '', label: '' };

/** The sidecar's table and range are this unit's. */
function sameUnit(u: Unit, s: Sidecar): boolean {
  const t = u.table.source;
  if (t.schema !== s.table.schema || t.name !== s.table.name) return false;
  const a = u.range;
  const b = s.range;
  if (!a || !b) return a === b;
  return a.index === b.index && a.count === b.count && a.fromPage === b.fromPage && a.toPage === b.toPage;
}

/** The unit's spooled bytes are still the source's at this run's snapshot: the file whole, the server's numbers equal. */
async function unitStillSo(s: Session, u: Unit, file: string, sidecar: Sidecar): Promise<boolean> {
  if (sidecar.format !== u.table.format || sidecar.generatedHash !== u.table.generated.length > 0) return false;
  if (!(await fileMatches(file, sidecar))) return false;
  const now = await serverUnitDigest(s.source, u.table, u.range);
  return now?.equals(digestFromHex(sidecar.rows, sidecar.digest)) === true;
}

/**
 * A table's bytes from the source are its units' reads: its step saw every reader's bytes while it ran,
 * other tables' included.
 */
function ownTraffic(r: TableReport, units: Unit[]): void {
  if (!r.traffic) return;
  r.traffic = { ...r.traffic, sourceRead: units.reduce((n, u) => n + u.sourceRead, 0) };
}

/** The counts COPY reported, where they disagree with each other or with the rows hashed. */
function noteRows(r: TableReport, load: TableLoad): void {
  if (load.digest.rows === load.sent && load.received === load.sent) return;
  const streamed = load.digest.rows === load.sent ? '' : ` (the streams carried ${load.digest.rows})`;
  r.notes.push(`COPY moved ${load.sent} row(s) out of the source${streamed} and ${load.received} into the target`);
}

/** A table read in ranges: each range's figures, and a note that says how it was read. */
function noteRanges(r: TableReport, units: Unit[]): void {
  const reread = units.filter((u) => u.retries > 0);
  if (reread.length)
    r.notes.push(`read again after a source reader's connection dropped: ${reread.map(unitName).join(', ')}`);
  if (!units[0]?.range) return;
  r.ranges = units
    .map(
      (u): RangeReport => ({
        index: u.range!.index,
        fromPage: u.range!.fromPage,
        toPage: u.range!.toPage,
        rows: u.sent,
        bytes: u.bytes,
        retries: u.retries,
        ...(u.reused ? { reused: true } : {}),
      }),
    )
    .sort((a, b) => a.index - b.index);
  r.notes.push(`read in ${units.length} ranges of its pages by parallel source sessions on one snapshot`);
}

// The spool between the source readers and the one writer: a folder per run, owner-only (the rows are
// the user's data), one file per unit holding its COPY bytes exactly as the source sent them and a
// JSON sidecar saying what they are. Bounded: a reader that would go past the limit waits, and the
// bytes stay in the source's socket (backpressure). Units already loaded stay while there is room
// (a later resume may reuse them) and are the first to go when a reader needs the space.
import { accessSync, constants, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, UsageError } from '../errors.js';

/** 2 GB: room for a few ranges per reader ahead of the writer, on any laptop's disk. */
export const DEFAULT_SPOOL_LIMIT = 2 * 1024 ** 3;

/**
 * The folder a run's spool goes under, checked (and made, when only its last part is missing) before
 * anything is written: a folder that cannot hold the spool must be known before the target is touched.
 * Never a recursive mkdir: Node's does not return on some paths (under /proc it loops for ever).
 * `what` names it in the message (the CLI's flag, or "the spool folder").
 */
export function checkSpoolDir(dir: string, what = 'the spool folder'): void {
  if (!dir.trim()) throw new UsageError(`${what} needs a folder`);
  let found: ReturnType<typeof statSync>;
  try {
    found = statSync(dir, { throwIfNoEntry: false });
  } catch (e) {
    // ENOTDIR: a part of the path is a file.
    throw new UsageError(`${what} ${dir}: it cannot be made (${(e as NodeJS.ErrnoException).code})`);
  }
  if (!found) {
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'its parent folder does not exist' : `it cannot be made (${code})`;
      throw new UsageError(`${what} ${dir}: ${why}`);
    }
    return;
  }
  if (!found.isDirectory()) throw new UsageError(`${what} ${dir}: not a folder`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${what} ${dir}: the folder is not writable`);
  }
}

/** Wakes whoever waits when something changed (space freed, a unit wanted or done, the run failed). */
export class Changes {
  private waiters: (() => void)[] = [];

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves at the next change; never rejects (the caller looks at what changed). */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

/** What a unit's sidecar says: enough for a later run to know the bytes and check them against the source. */
export interface Sidecar {
  runId: string;
  snapshot: string;
  table: { schema: string; name: string };
  range: { index: number; count: number; fromPage: number; toPage: number | null } | null;
  format: 'binary' | 'text';
  /** The bytes carry the generated values' hash as each row's last field (dropped when loaded). */
  generatedHash: boolean;
  rows: number;
  bytes: number;
  digest: string;
}

/** A run's spool folder is this followed by the run's id. */
export const SPOOL_PREFIX = 'archon-spool-';
export const MANIFEST = 'run.json';
/** The pid of the process using the folder: a resume leaves a live run's (or another resume's) spool alone. */
export const LOCK = 'run.lock';

/** The whole units in a spool folder: those with a sidecar, and the bytes of their files. */
export async function spoolContents(dir: string): Promise<{ units: number; bytes: number }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let units = 0;
  let bytes = 0;
  for (const n of names.filter((f) => /^unit-\d+\.json$/.test(f))) {
    const sizes = await Promise.all(
      [n, n.replace(/json$/, 'copy')].map((f) =>
        stat(join(dir, f)).then(
          (x) => x.size,
          () => 0, // a unit of no bytes has no file
        ),
      ),
    );
    units++;
    bytes += sizes[0] + sizes[1];
  }
  return { units, bytes };
}

interface Kept {
  bytes: number;
  files: string[];
}

export class Spool {
  used = 0;
  peak = 0;
  /** Loaded units still on disk, oldest first: evicted when a reader needs the room. */
  private readonly evictable: Kept[] = [];

  private constructor(
    readonly dir: string,
    readonly limit: number,
    private readonly changes: Changes,
  ) {}

  /**
   * A new folder for the run under `base` (the OS temp folder by default), readable by its owner only,
   * named by the run's id so that `--resume RUN` finds it (mkdir refuses a name that exists, a link too).
   */
  static async open(base: string | undefined, limit: number, changes: Changes, runId: string): Promise<Spool> {
    if (base) checkSpoolDir(base);
    const dir = join(base ?? tmpdir(), `${SPOOL_PREFIX}${runId}`);
    await mkdir(dir, { mode: 0o700 });
    await chmod(dir, 0o700);
    await takeLock(dir);
    return new Spool(dir, limit, changes);
  }

  /** The run's manifest: what a resume checks before it trusts any unit (never a password). */
  async writeManifest(m: object): Promise<void> {
    const text = `${JSON.stringify(m, null, 2)}\n`;
    // Counted like a unit's bytes (never released: it stays as long as the folder), so the limit holds.
    this.adopt(Buffer.byteLength(text));
    await writeFile(join(this.dir, MANIFEST), text, { mode: 0o600 });
  }

  /** The whole units on disk now (a sidecar is written only after its unit's last byte) and their bytes. */
  async contents(): Promise<{ units: number; bytes: number }> {
    return spoolContents(this.dir);
  }

  path(unitId: number, ext: 'copy' | 'json'): string {
    return join(this.dir, `unit-${String(unitId).padStart(5, '0')}.${ext}`);
  }

  /** A unit's bytes file, owner-only from its creation; `append` goes on after what it holds. */
  create(unitId: number, append = false): WriteStream {
    return createWriteStream(this.path(unitId, 'copy'), { mode: 0o600, flags: append ? 'a' : 'w' });
  }

  /**
   * Room for `n` more bytes: loaded units are evicted first, then the caller waits until the writer frees
   * some, or `interrupted()` says to stop waiting (its unit is wanted: it goes to the writer, not here).
   */
  async reserve(n: number, interrupted: () => boolean, failed: () => unknown): Promise<boolean> {
    while (this.used + n > this.limit) {
      if (failed()) throw failed() ?? new CancelledError();
      if (interrupted()) return false;
      if (await this.evictOne()) continue;
      await this.changes.next();
    }
    this.used += n;
    this.peak = Math.max(this.peak, this.used);
    return true;
  }

  /** Room for `n` more bytes now, loaded units evicted for it, never waiting: false when there is none. */
  async tryReserve(n: number): Promise<boolean> {
    while (this.used + n > this.limit) if (!(await this.evictOne())) return false;
    this.used += n;
    this.peak = Math.max(this.peak, this.used);
    return true;
  }

  /** A unit's file moved in from a failed run's spool: counted like one written here. */
  adopt(n: number): void {
    this.used += n;
    this.peak = Math.max(this.peak, this.used);
  }

  release(n: number): void {
    this.used -= n;
    this.changes.notify();
  }

  /** Writes a unit's sidecar (its size counted like its bytes); false when there is no room now. */
  async writeSidecar(unitId: number, s: Sidecar): Promise<number> {
    const text = `${JSON.stringify(s, null, 2)}\n`;
    const size = Buffer.byteLength(text);
    if (!(await this.tryReserve(size))) return 0;
    await writeFile(this.path(unitId, 'json'), text, { mode: 0o600 });
    return size;
  }

  /** A loaded unit: kept while there is room. */
  keep(unitId: number, bytes: number): void {
    this.evictable.push({ bytes, files: [this.path(unitId, 'copy'), this.path(unitId, 'json')] });
    this.changes.notify();
  }

  /** A unit's files gone now (a partial read discarded, a table that failed). */
  async discard(unitId: number, bytes: number): Promise<void> {
    await Promise.all([this.path(unitId, 'copy'), this.path(unitId, 'json')].map((f) => unlink(f).catch(() => {})));
    this.release(bytes);
  }

  private async evictOne(): Promise<boolean> {
    const k = this.evictable.shift();
    if (!k) return false;
    await Promise.all(k.files.map((f) => unlink(f).catch(() => {})));
    this.release(k.bytes);
    return true;
  }

  /** Removes the folder and all it holds; the folder's path when that failed (the report says where). */
  async remove(): Promise<string | null> {
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
    return (await stat(this.dir).then(
      () => true,
      () => false,
    ))
      ? this.dir
      : null;
  }
}

/**
 * Marks a spool folder as this process's (its pid in `run.lock`, made only if none is there): false
 * when another process made it first. A lock whose process has ended is the caller's to clear.
 */
export async function takeLock(dir: string): Promise<boolean> {
  return writeFile(join(dir, LOCK), `${process.pid}\n`, { mode: 0o600, flag: 'wx' }).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST') return false;
      throw e;
    },
  );
}

/** The folder is free again: a kept spool waits for a resume. */
export async function dropLock(dir: string): Promise<void> {
  await unlink(join(dir, LOCK)).catch(() => {});
}

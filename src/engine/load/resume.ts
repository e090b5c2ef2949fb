// Resume that stays consistent. A parallel run lost to a connection or a stall keeps its spool: whole
// units (a file of COPY bytes and a sidecar with its rows and digest) and a manifest of the run (the
// endpoints' identity, the options that decide the result, the units' layout; never a password). A
// later run with `resume` takes its own snapshot and asks the source's server for the count and digest
// of every spooled unit at that snapshot (only numbers cross the network): a unit that still matches,
// and whose file still hashes to its sidecar's digest, is loaded from the spool; the rest are read
// again. The result is the source at the new moment, proven by the usual read-back.
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { UsageError } from '../errors.js';
import type { TablePlan } from '../plan/plan.js';
import { ContentDigest, type DigestRead, rowHasher, withNamesPinned } from '../verify/digest.js';
import { generatedSelect } from '../verify/generated.js';
import { serverDigest } from '../verify/serverDigest.js';
import { relationSql } from '../catalog/relation.js';
import { type PageRange, rangeWhere } from './ranges.js';
import { LOCK, MANIFEST, SPOOL_PREFIX, type Sidecar, takeLock } from './spool.js';

/** Which server and database a side is: the cluster's system identifier where the role may read it. */
export interface EndpointIdentity {
  system: string | null;
  database: string;
  /** user@host:port/db, never a password: what a refusal names. */
  label: string;
}

/** The options that decide what a run copies and how, as a resume compares them (by their CLI names). */
export type RunOptions = Record<string, string>;

export interface RunManifest {
  format: 1;
  runId: string;
  startedAt: string;
  source: EndpointIdentity;
  target: EndpointIdentity;
  options: RunOptions;
  /** Every table of the load and its ranges (null: read whole), so a resume cuts them the same way. */
  tables: { schema: string; name: string; ranges: PageRange[] | null }[];
}

/** What a migrate's options say about the result, each under the name a user typed it with. */
export function runOptionsOf(o: {
  selection?: { schemas?: string[]; tables?: string[]; exclude?: string[]; only?: [string, string][] };
  existing?: string;
  createMissing?: boolean;
  addColumns?: boolean;
  createObjects?: boolean;
  backup?: boolean;
}): RunOptions {
  const list = (x: unknown[] | undefined) => JSON.stringify([...(x ?? [])].map((v) => JSON.stringify(v)).sort());
  const sel = o.selection ?? {};
  return {
    '--schema': list(sel.schemas),
    '--table': list(sel.tables),
    '--exclude': list(sel.exclude),
    tables: list(sel.only),
    '--include-platform-schema': String(!!(sel as { includePlatform?: boolean }).includePlatform),
    '--existing': o.existing ?? 'replace',
    '--create-missing': String(!!o.createMissing),
    '--add-columns': String(!!o.addColumns),
    '--create-objects': String(!!o.createObjects),
    '--no-backup': String(o.backup === false),
  };
}

/** The side's identity, read in its session (a role that may not read pg_control_system gets null). */
export async function identityOf(client: pg.Client, label: string): Promise<EndpointIdentity> {
  const r = await client.query<{ system: string | null; database: string }>(
    `SELECT pg_catalog.current_database()::text AS database,
            CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                 THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END AS system`,
  );
  return { system: r.rows[0].system, database: r.rows[0].database, label };
}

const sameEndpoint = (a: EndpointIdentity, b: EndpointIdentity): boolean =>
  a.database === b.database && (a.system && b.system ? a.system === b.system : a.label === b.label);

/** A failed run's spool, found and checked against this run: its folder, manifest and whole units. */
export interface Resumable {
  dir: string;
  manifest: RunManifest;
  units: { file: string; sidecar: Sidecar }[];
}

/**
 * The spool to resume: the run named, or the latest one under `base` for these endpoints. Refused (a
 * UsageError that names what differs) when it is another source or target, or other options.
 */
export async function findResumable(
  base: string | undefined,
  run: string | true,
  here: { source: EndpointIdentity; target: EndpointIdentity; options: RunOptions },
): Promise<Resumable> {
  const root = base ?? tmpdir();
  const manifests = await manifestsUnder(root, run === true ? null : run);
  const ours = manifests.filter(
    (m) => run !== true || (sameEndpoint(m.source, here.source) && sameEndpoint(m.target, here.target)),
  );
  const m = ours.sort((a, b) => b.startedAt.localeCompare(a.startedAt))[0];
  if (!m) {
    const which = run === true ? 'of a failed run between this source and target' : `of run ${run}`;
    throw new UsageError(`no spool ${which} to resume in ${root} (--spool-dir names where it was kept)`);
  }
  refuseOther(m, here);
  refuseGaps(m);
  const dir = join(root, `${SPOOL_PREFIX}${m.runId}`);
  await refuseForeign(dir);
  await refuseLive(dir, m.runId);
  // Taken for this resume: a second one at once is refused, and one killed leaves a lock that has ended.
  await unlink(join(dir, LOCK)).catch(() => {});
  if (!(await takeLock(dir))) await refuseLive(dir, m.runId);
  return { dir, manifest: m, units: await sidecarsIn(dir) };
}

/**
 * A table's ranges, as the manifest lists them, cover its pages from the first to the open end, each
 * once: a resume sums its count and digest from them, so a gap (an edited manifest) would lose rows
 * and still verify.
 */
function refuseGaps(m: RunManifest): void {
  for (const t of m.tables) {
    const r = t.ranges;
    if (r === null) continue;
    const whole =
      r.length > 0 &&
      r.every((x, i) => x.index === i && x.count === r.length && Number.isInteger(x.fromPage)) &&
      r[0].fromPage === 0 &&
      r.every((x, i) =>
        i === r.length - 1 ? x.toPage === null : x.toPage === r[i + 1].fromPage && x.toPage > x.fromPage,
      );
    if (!whole)
      throw new UsageError(
        `--resume: the manifest of run ${m.runId} does not cover ${t.schema}.${t.name} from its first page to its last, ` +
          'each page once (was it edited?); its spool is not used: delete the folder and run again without --resume',
      );
  }
}

/** A spool whose run is still going (its lock names a live process here), or that another resume took: not used. */
async function refuseLive(dir: string, runId: string): Promise<void> {
  const holder = await lockHolder(dir);
  if (holder !== null)
    throw new UsageError(
      `--resume: run ${runId} is still in use by another Archon (process ${holder}); its spool is not used: wait for it to end`,
    );
}

/** The live process that holds a spool folder's lock, or null (none, or one that has ended). */
export async function lockHolder(dir: string): Promise<number | null> {
  const text = await readPlainFile(join(dir, LOCK)).catch(() => null);
  const pid = Number(text?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    // EPERM: a process of another user has that pid: alive, and not ours to question.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** A regular file's text; a link, a pipe or a device is refused (it could point anywhere, or never end). */
async function readPlainFile(path: string): Promise<string> {
  if (!(await isPlainFile(path))) throw new Error(`${path} is not a regular file`);
  return readFile(path, 'utf8');
}

const isPlainFile = (path: string): Promise<boolean> =>
  lstat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * A spool folder someone else could have written (another user's, or open to others: the temp folder
 * is shared) is not trusted: its units would be loaded if their digests matched the source's.
 */
async function refuseForeign(dir: string): Promise<void> {
  const s = await stat(dir);
  const uid = process.getuid?.();
  if ((uid !== undefined && s.uid !== uid) || (s.mode & 0o077) !== 0)
    throw new UsageError(`--resume: ${dir} is not this user's own (owner-only) spool folder; it is not used`);
}

async function manifestsUnder(root: string, runId: string | null): Promise<RunManifest[]> {
  // A run id is a folder's name: only a UUID's characters, so it cannot point outside `root`.
  if (runId !== null && !/^[0-9a-f-]{36}$/i.test(runId)) throw new UsageError(`--resume: not a run id: ${runId}`);
  const names = runId
    ? [`${SPOOL_PREFIX}${runId}`]
    : (await readdir(root).catch(() => [] as string[])).filter((n) => n.startsWith(SPOOL_PREFIX));
  const read = await Promise.all(
    names.map((n) =>
      readPlainFile(join(root, n, MANIFEST)).then(
        (t) => JSON.parse(t) as RunManifest,
        () => null,
      ),
    ),
  );
  return read.filter((m): m is RunManifest => m !== null && m.format === 1);
}

/** Another source or target, or other options: the resume would not continue that run. */
function refuseOther(
  m: RunManifest,
  here: { source: EndpointIdentity; target: EndpointIdentity; options: RunOptions },
): void {
  for (const side of ['source', 'target'] as const) {
    if (!sameEndpoint(m[side], here[side]))
      throw new UsageError(
        `--resume: run ${m.runId} read from another ${side} (${m[side].label}, not ${here[side].label}); ` +
          'its spool is not used',
      );
  }
  const differ = Object.keys({ ...m.options, ...here.options }).filter((k) => m.options[k] !== here.options[k]);
  if (differ.length)
    throw new UsageError(
      `--resume: run ${m.runId} had other options: ${differ.map((k) => `${k} ${shown(m.options[k])} then, ${shown(here.options[k])} now`).join('; ')}; ` +
        'run it again with the same options',
    );
}

const shown = (v: string | undefined): string => (v === undefined ? '(none)' : v);

async function sidecarsIn(dir: string): Promise<{ file: string; sidecar: Sidecar }[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => /^unit-\d+\.json$/.test(f));
  const out: { file: string; sidecar: Sidecar }[] = [];
  for (const n of names) {
    const sidecar = await readPlainFile(join(dir, n)).then(
      (t) => JSON.parse(t) as Sidecar,
      () => null,
    );
    if (sidecar) out.push({ file: join(dir, n.replace(/json$/, 'copy')), sidecar });
  }
  return out;
}

/** A digest from its hex form (most significant word first), as a sidecar keeps it. */
export function digestFromHex(rows: number, hex: string): ContentDigest {
  const words = [0, 1, 2, 3].map((i) => BigInt(`0x${hex.slice(24 - 8 * i, 32 - 8 * i)}`));
  return ContentDigest.fromSums(rows, words);
}

/** The spooled file hashed here: a byte changed on disk since it was written is a unit read again. */
export async function fileMatches(file: string, s: Sidecar): Promise<boolean> {
  // A regular file of the size the sidecar says, first: a pipe or /dev/zero would never end the hash.
  const size = await lstat(file).then(
    (x) => (x.isFile() ? x.size : -1),
    () => -1,
  );
  if (size !== s.bytes) return false;
  const digest = new ContentDigest();
  const hasher = rowHasher(s.format, (h) => digest.addRowHash(h));
  try {
    for await (const chunk of createReadStream(file)) hasher.write(chunk as Buffer);
  } catch {
    return false;
  }
  return digest.rows === s.rows && digest.hex() === s.digest;
}

/**
 * The unit's count and digest at this run's snapshot, computed by the source's server; null when the
 * server cannot compute it (text format, a type without a send function): the unit is then read again.
 */
export async function serverUnitDigest(
  source: pg.Client,
  t: TablePlan,
  range: PageRange | null,
): Promise<ContentDigest | null> {
  const read: DigestRead = {
    from: relationSql(t.source),
    select: [...t.sourceSelect, ...generatedSelect(t)],
    format: t.format,
    ...(range ? { where: rangeWhere(range) } : {}),
  };
  return withNamesPinned(source, t.namesObjects, () => serverDigest(source, read));
}

/** The failed run's folder gone once its units were taken over (or found changed). */
export async function removeOld(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}

/** A reused unit's bytes moved into this run's spool (same disk: a rename, no copy). */
export async function adoptFile(from: string, to: string): Promise<void> {
  await rename(from, to);
}

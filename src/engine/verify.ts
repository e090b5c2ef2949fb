// Verification: what makes a table "verified". Counts on both sides (the source in its snapshot,
// the target inside the load transaction or its own snapshot), the content digests of both sides
// (the rows are the same, not only as many), and after a load in replica mode the foreign keys
// PostgreSQL did not check. migrate and compare both decide here.
import type { ContentCheck, TableReport, TableStatus } from '../shared/report.js';
import { uncheckedConstraints } from './constraints.js';
import { type Differences, type KeyedRead, findDifferences } from './diff.js';
import { type ContentDigest, type DigestRead, readDigest } from './digest.js';
import type { ProgressListener } from './events.js';
import { ident } from './ident.js';
import type { TablePlan } from './plan.js';
import { countRows, relationSql } from './relation.js';
import type { Session } from './session.js';

export interface Verdict {
  status: Extract<TableStatus, 'verified' | 'mismatch'>;
  /** Null exactly when verified. */
  reason: string | null;
}

/**
 * Counts, then content. `targetRowsBefore` is what the target held before a load (null when
 * nothing was loaded, as in compare): then the rows it gained must equal the source's. Content
 * that was not checked (compare --counts-only) leaves the verdict to the counts.
 */
export function verdict(
  sourceRows: number,
  targetRows: number,
  targetRowsBefore: number | null,
  content: ContentCheck,
): Verdict {
  const arrived = targetRows - (targetRowsBefore ?? 0);
  if (arrived !== sourceRows) {
    const reason =
      targetRowsBefore === null
        ? `the target has ${targetRows} row(s), the source ${sourceRows}`
        : `the target gained ${arrived} row(s) but the source has ${sourceRows} in the snapshot`;
    return { status: 'mismatch', reason };
  }
  if (content.status === 'differs') return { status: 'mismatch', reason: `same row count, but ${content.reason}` };
  return { status: 'verified', reason: null };
}

/** Two digests compared; `found` names the differing rows when the table has a key. */
export function contentCheck(source: ContentDigest, target: ContentDigest, found?: Differences | string): ContentCheck {
  const same = source.equals(target);
  const check: ContentCheck = {
    status: same ? 'match' : 'differs',
    reason: null,
    sourceDigest: source.hex(),
    targetDigest: target.hex(),
    differences: [],
    differingRows: same ? 0 : null,
  };
  if (same) return check;
  if (typeof found === 'object') {
    const kinds = (['changed', 'missing on the target', 'extra on the target'] as const)
      .filter((k) => found.kinds[k] > 0)
      .map((k) => `${found.kinds[k]} ${k}`);
    if (found.differingRows === 0) {
      return { ...check, reason: 'the content differs, but no row differs by key (the same rows, rendered otherwise)' };
    }
    const listed =
      found.differingRows > found.differences.length ? ` (the first ${found.differences.length} listed)` : '';
    const rows = `${found.differingRows} row${found.differingRows === 1 ? '' : 's'}`;
    const differ = found.differingRows === 1 ? 'differs' : 'differ';
    const { differences, differingRows } = found;
    return {
      ...check,
      differences,
      differingRows,
      reason: `${rows} ${differ} in content${listed}: ${kinds.join(', ')}`,
    };
  }
  return { ...check, reason: `the content differs (${found ?? 'the table has no key to name the rows that differ'})` };
}

/**
 * What is compared on each side: the copied columns, and the columns the target generates (those
 * are read on both sides as text, since the copy stream does not carry them).
 */
export const sourceRead = (t: TablePlan): DigestRead => ({
  from: relationSql(t.source),
  select: [...t.sourceSelect, ...t.generated.map(ident)],
  format: t.generated.length ? 'text' : t.format,
});

/**
 * Binary COPY is not canonical for every value: an array keeps its "has nulls" flag after its NULL
 * was replaced, and NaN has more than one bit pattern. When binary digests differ, both sides are
 * read again as text, which renders equal values equally: only a difference there is one.
 */
export async function digestAsText(
  s: Pick<Session, 'source' | 'target'>,
  reads: { source: DigestRead; target: DigestRead },
  notes: string[],
  signal?: AbortSignal,
): Promise<[ContentDigest, ContentDigest]> {
  const both = await Promise.all([
    readDigest(s.source, reads.source, signal),
    readDigest(s.target, reads.target, signal),
  ]);
  if (both[0].equals(both[1])) {
    notes.push(
      "content compared as text: some equal values differ in COPY's binary form (an array's null flag, a NaN)",
    );
  }
  return both;
}

/** Reads the loaded table back inside the transaction: the rows it holds now, in the copy's format. */
export const targetRead = (t: TablePlan): DigestRead => ({
  from: relationSql(t.target!),
  select: [...t.columns, ...t.generated].map(ident),
  format: t.generated.length ? 'text' : t.format,
});

export interface LoadDigests {
  /** Hashed as the rows left the source. */
  source: ContentDigest;
  /** What the target table held before the load (append keeps it); null when it was empty. */
  before: ContentDigest | null;
}

/**
 * After the load, inside the transaction: foreign keys first (in replica mode), then counts and
 * content. Sets each table's status; a table whose rows point at missing rows fails whatever its
 * counts. The source's snapshot is still open, so differing rows can be named.
 */
export async function verifyLoaded(
  s: Session,
  loaded: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  opts: { replica: boolean; emit: ProgressListener; digests: Map<TablePlan, LoadDigests>; signal?: AbortSignal },
): Promise<void> {
  const orphans = new Map<TablePlan, string>();
  if (opts.replica) {
    opts.emit({
      type: 'phase',
      message: 'checking foreign keys and deferrable unique constraints of the loaded tables',
    });
    for (const t of loaded) {
      const problem = await uncheckedConstraints(s.target, t, s.targetCatalog.tables);
      if (problem) orphans.set(t, problem);
    }
  }
  opts.emit({ type: 'phase', message: 'counting rows and reading back the loaded tables to compare their content' });
  for (const t of loaded) {
    const r = reports.get(t)!;
    const digests = opts.digests.get(t)!;
    r.targetRows = await countRows(s.target, t.target!);
    const after = await readDigest(s.target, targetRead(t), opts.signal);
    // The stream carried the copied columns only; generated ones need the source read once more.
    let source = t.generated.length ? await readDigest(s.source, sourceRead(t), opts.signal) : digests.source;
    let gained = digests.before ? after.minus(digests.before) : after;
    if (!source.equals(gained) && targetRead(t).format === 'binary' && !digests.before) {
      const reads = {
        source: { ...sourceRead(t), format: 'text' as const },
        target: { ...targetRead(t), format: 'text' as const },
      };
      [source, gained] = await digestAsText(s, reads, r.notes, opts.signal);
    }
    r.content = contentCheck(source, gained, await nameDifferences(s, t, { ...digests, source }, gained));
    const orphan = orphans.get(t);
    Object.assign(
      r,
      orphan
        ? { status: 'failed', reason: orphan }
        : verdict(r.sourceRows!, r.targetRows, r.targetRowsBefore ?? 0, r.content),
    );
  }
}

async function nameDifferences(s: Session, t: TablePlan, d: LoadDigests, gained: ContentDigest) {
  if (d.source.equals(gained)) return undefined;
  if (d.before && d.before.rows > 0)
    return "under append the target's earlier rows are mixed in, so rows are not named";
  if (!t.key) return undefined;
  return findDifferences(s.source, s.target, keyedReads(t), t.key);
}

/** Both sides of one table, keyed, for naming the rows that differ. */
export function keyedReads(t: TablePlan): { source: KeyedRead; target: KeyedRead } {
  const sourceExpr = new Map(t.columns.map((c, i) => [c, t.sourceSelect[i]]));
  return {
    source: { ...sourceRead(t), key: t.key!.map((k) => sourceExpr.get(k)!) },
    target: { ...targetRead(t), key: t.key!.map(ident) },
  };
}

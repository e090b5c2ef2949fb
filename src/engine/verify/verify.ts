// Verification: what makes a table "verified". Counts on both sides (the source in its snapshot,
// the target inside the load transaction or its own snapshot), the content digests of both sides
// (the rows are the same, not only as many), and after a load in replica mode the foreign keys
// PostgreSQL did not check. migrate and compare both decide here.
import type { ContentCheck, TableReport, TableStatus } from '../../shared/report.js';
import { uncheckedConstraints } from './constraints.js';
import { type Differences, countUnmatchedRows, findDifferences } from './diff.js';
import { type ContentDigest, type DigestRead, type ReadBack, readDigest } from './digest.js';
import { generatedSelect } from './generated.js';
import type { ProgressListener } from '../events.js';
import { ident } from '../ident.js';
import type { TablePlan, TableStep } from '../plan/plan.js';
import { relationSql } from '../catalog/relation.js';
import { CancelledError } from '../errors.js';
import { digestOf } from './serverDigest.js';
import type { Session } from '../connect/session.js';

interface Verdict {
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

/**
 * Two digests compared. `found`: the differing rows, named by key (or only counted, `keyless`, when
 * the table has none); a string says why rows were not looked for.
 */
function contentCheck(
  source: ContentDigest,
  target: ContentDigest,
  found?: Differences | string,
  keyless = false,
): ContentCheck {
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
  if (typeof found !== 'object') return { ...check, reason: `the content differs (${found})` };
  if (found.differingRows === 0) {
    const how = keyless ? 'no row is missing on either side' : 'no row differs by key';
    return { ...check, reason: `the content differs, but ${how} (the same rows, rendered otherwise)` };
  }
  const kinds = (['changed', 'missing on the target', 'extra on the target'] as const)
    .filter((k) => found.kinds[k] > 0)
    .map((k) => `${found.kinds[k]} ${k}`)
    .join(', ');
  const { differences, differingRows } = found;
  const rows = `${differingRows} row${differingRows === 1 ? '' : 's'} ${differingRows === 1 ? 'differs' : 'differ'}`;
  const listed = differingRows > differences.length ? ` (the first ${differences.length} listed)` : '';
  const reason = keyless
    ? `${rows} in content: ${kinds} (the table has no key to name them; a changed row counts once on each side)`
    : `${rows} in content${listed}: ${kinds}`;
  return { ...check, differences, differingRows, reason };
}

/**
 * What is compared on each side: the copied columns, and the hash of the values of the columns the
 * target generates (each server computes it; the copy carried the source's, generated.ts).
 */
const sourceRead = (t: TablePlan): DigestRead => ({
  from: relationSql(t.source),
  select: [...t.sourceSelect, ...generatedSelect(t)],
  format: t.format,
  pinNames: t.namesObjects,
});

/** Both sides of one table as a content check reads them, and the key that names rows (null: none). */
interface ContentReads {
  source: DigestRead;
  target: DigestRead;
  key: { names: string[]; source: string[] } | null;
}

/**
 * Two digests taken: equal is a match. Otherwise, binary COPY is not canonical for every value (an
 * array keeps its "has nulls" flag after its NULL was replaced, NaN has more than one bit
 * pattern), so both sides are read again as text, which renders equal values equally; only a
 * difference there is one, and the differing rows are then named by key.
 */
export async function settleContent(
  s: Pick<Session, 'source' | 'target'>,
  reads: ContentReads,
  digests: [ContentDigest, ContentDigest],
  notes: string[],
  signal?: AbortSignal,
): Promise<ContentCheck> {
  let [a, b] = digests;
  if (!a.equals(b) && reads.source.format === 'binary') {
    [a, b] = await Promise.all([
      readDigest(s.source, { ...reads.source, format: 'text' }, signal),
      readDigest(s.target, { ...reads.target, format: 'text' }, signal),
    ]);
    if (a.equals(b)) {
      notes.push(
        "content compared as text: some equal values differ in COPY's binary form (an array's null flag, a NaN)",
      );
    }
  }
  if (a.equals(b)) return contentCheck(a, b);
  if (!reads.key) return contentCheck(a, b, await countUnmatchedRows(s.source, s.target, reads), true);
  const keyed = {
    source: { ...reads.source, key: reads.key.source },
    target: { ...reads.target, key: reads.key.names.map(ident) },
  };
  return contentCheck(a, b, await findDifferences(s.source, s.target, keyed, reads.key.names));
}

/** Reads the loaded table back inside the transaction: the rows it holds now, in the copy's format. */
export const targetRead = (t: TablePlan): DigestRead => ({
  from: relationSql(t.target!),
  select: [...t.columns.map(ident), ...generatedSelect(t)],
  format: t.format,
  pinNames: t.namesObjects,
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
 * counts. A foreign key into a table whose rows did not load (`notLoaded`, by table key) is not
 * checked (those rows are missing for that table's failure) and a note says so. Each table's checks go
 * through `step` (its savepoint: an error there fails that table only). The source's snapshot is still
 * open, so differing rows can be named. Returns each table's read-back, which the journal keeps as the
 * digest undo compares against (a table with generated columns has none: the journal takes its own).
 */
export async function verifyLoaded(
  s: Session,
  loaded: TablePlan[],
  reports: Map<TablePlan, TableReport>,
  opts: {
    replica: boolean;
    emit: ProgressListener;
    digests: Map<TablePlan, LoadDigests>;
    signal?: AbortSignal;
    step: TableStep;
    notLoaded: ReadonlySet<string>;
  },
): Promise<Map<TablePlan, ReadBack>> {
  const orphans = new Map<TablePlan, string>();
  let checking = loaded;
  if (opts.replica) {
    opts.emit({
      type: 'phase',
      phase: 'verify',
      message: 'checking foreign keys and deferrable unique constraints of the loaded tables',
    });
    checking = [];
    for (const t of loaded) {
      const checked = await opts.step(t, async () => {
        const found = await uncheckedConstraints(s.target, t, s.targetCatalog.tables, opts.notLoaded);
        if (found.problem) orphans.set(t, found.problem);
        reports.get(t)!.notes.push(...found.notChecked);
      });
      if (checked) checking.push(t);
    }
  }
  const message = 'counting rows and reading back the loaded tables to compare their content';
  opts.emit({ type: 'phase', phase: 'verify', message });
  const readBacks = new Map<TablePlan, ReadBack>();
  for (const [index, t] of checking.entries()) {
    if (opts.signal?.aborted) throw new CancelledError();
    const at = { schema: t.schema, table: t.table, index, total: checking.length };
    opts.emit({ type: 'phase', phase: 'verify', at, message: 'reading it back and comparing its content' });
    await opts.step(t, async () => {
      const read = await readBack(s, t, reports.get(t)!, opts, orphans.get(t));
      if (read) readBacks.set(t, read);
    });
  }
  return readBacks;
}

/** One loaded table counted and compared (its read-back), its verdict set; a broken constraint fails it. */
async function readBack(
  s: Session,
  t: TablePlan,
  r: TableReport,
  opts: { digests: Map<TablePlan, LoadDigests>; signal?: AbortSignal },
  orphan: string | undefined,
): Promise<ReadBack | null> {
  const digests = opts.digests.get(t)!;
  const read = targetRead(t);
  const after = await digestOf(s.target, read, opts.signal);
  r.targetRows = after.rows; // the read-back counts the rows the target holds: no second scan
  r.content = digests.before
    ? contentCheck(digests.source, after.minus(digests.before), APPENDED)
    : await settleContent(s, contentReads(t), [digests.source, after], r.notes, opts.signal);
  Object.assign(
    r,
    orphan
      ? { status: 'failed', reason: orphan }
      : verdict(r.sourceRows!, r.targetRows, r.targetRowsBefore ?? 0, r.content),
  );
  // A read with the generated values' hash is not one the journal can take again later: it takes its own.
  return t.generated.length ? null : { read, columns: t.columns, digest: after };
}

const APPENDED = "under append the target's earlier rows are mixed in, so rows are not named";

/** What a loaded table's content check reads on each side, keyed when the table has a key. */
function contentReads(t: TablePlan): ContentReads {
  const sourceExpr = new Map(t.columns.map((c, i) => [c, t.sourceSelect[i]]));
  const key = t.key ? { names: t.key, source: t.key.map((k) => sourceExpr.get(k)!) } : null;
  return { source: sourceRead(t), target: targetRead(t), key };
}

// Ranges of heap pages, so that one big table can be read by several sessions on one snapshot. A
// range is named by pages, not by a key: every table has pages, and `ctid >= '(a,0)' AND ctid <
// '(b,0)'` is a TID range scan since PostgreSQL 14, reading those pages only. Ranges are sized in
// bytes counting TOAST (a table that is mostly TOAST has few heap pages and much to read: pgcopydb
// learned to count it after a 99 % TOAST table became one serial COPY).
import type pg from 'pg';
import type { TablePlan } from '../plan/plan.js';

export interface PageRange {
  index: number;
  count: number;
  fromPage: number;
  /** null: to the end, pages added after the split included. */
  toPage: number | null;
}

/** About what one session streams in a few seconds over a good link; big enough that a range's setup is noise. */
export const DEFAULT_RANGE_BYTES = 64 * 1024 * 1024;

/** The first version with a TID range scan; before it a ctid range is a filter over the whole table. */
const TID_RANGE_SCAN_VERSION = 140000;
/** A block number is 32 bits: the largest page a tid can name. */
const MAX_PAGE = 2 ** 32 - 1;

/** Why a table is read whole whatever its size, or null when its pages may be split. */
export function readWholeBecause(t: Pick<TablePlan['source'], 'kind'>, serverVersionNum: number): string | null {
  if (t.kind === 'partitioned table') {
    // The plan copies a partitioned table through its root (its partitions are skipped, "copied with
    // that table"), and a ctid names a page of one partition: a range of the root would cut the same
    // pages out of every partition at once, sized on none of them.
    return 'read whole: a partitioned table is read through its root, and a ctid names a page of one partition';
  }
  if (t.kind !== 'table') return `read whole: only a plain table's heap pages are split, not a ${t.kind}'s`;
  if (serverVersionNum < TID_RANGE_SCAN_VERSION) {
    return (
      `read whole: PostgreSQL ${majorOf(serverVersionNum)} has no TID range scan ` +
      '(each range would scan the whole table)'
    );
  }
  return null;
}

const majorOf = (v: number): string =>
  v >= 100000 ? String(Math.floor(v / 10000)) : `${Math.floor(v / 10000)}.${Math.floor(v / 100) % 100}`;

/**
 * The table's ranges at the caller's snapshot, or null ranges (read whole) with the reason worth telling;
 * a table within one range is read whole with no note. Sizes are the files' (not MVCC, and never the
 * planner's relpages, which is only as fresh as the last VACUUM or ANALYZE); the open last range covers
 * whatever pages were added since.
 */
export async function splitTable(
  source: pg.Client,
  t: TablePlan,
  o: { rangeBytes: number; serverVersionNum: number },
): Promise<{ ranges: PageRange[] | null; note: string | null }> {
  const whole = readWholeBecause(t.source, o.serverVersionNum);
  if (whole) return { ranges: null, note: whole };
  const size = await tableSize(source, t.source.schema, t.source.name);
  if (size.method !== 'heap') {
    return { ranges: null, note: `read whole: stored by access method ${size.method}, whose ctids are not heap pages` };
  }
  return { ranges: splitPages(size.pages, size.bytes, o.rangeBytes), note: null };
}

interface TableSize {
  /** Heap, TOAST (its index included), free space and visibility maps: what a read of the rows touches. */
  bytes: number;
  /** Heap pages, from the main fork's size. */
  pages: number;
  method: string;
}

/**
 * pg_table_size rather than pg_total_relation_size: the same minus the table's indexes, which a COPY
 * never reads. It counts TOAST, which is where a table of large values keeps most of its bytes. It
 * takes the share lock a read takes anyway; a wait for it is bounded by the session's lock_timeout.
 */
async function tableSize(source: pg.Client, schema: string, name: string): Promise<TableSize> {
  const r = await source.query<{ bytes: string; pages: string; method: string | null }>(
    `SELECT pg_catalog.pg_table_size(c.oid)::text AS bytes,
            (pg_catalog.pg_relation_size(c.oid, 'main') / pg_catalog.current_setting('block_size')::int8)::text AS pages,
            a.amname AS method
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_catalog.pg_am a ON a.oid = c.relam
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'`,
    [schema, name],
  );
  if (!r.rows.length) throw new Error(`table ${schema}.${name} is not on the source any more`);
  const row = r.rows[0];
  return { bytes: Number(row.bytes), pages: Number(row.pages), method: row.method ?? 'heap' };
}

/**
 * Splits `pages` into ranges of about `rangeBytes` each, taking TOAST to be spread over the heap like the
 * rows that own it (bytes per page is the table's average). No range is smaller than a page; null when
 * one range would hold it all. Split points are spread evenly, so ranges differ by one page at most.
 */
export function splitPages(pages: number, bytes: number, rangeBytes: number): PageRange[] | null {
  if (!(rangeBytes > 0) || !Number.isFinite(rangeBytes))
    throw new RangeError(`range size must be positive: ${rangeBytes}`);
  const count = Math.min(pages, Math.ceil(bytes / rangeBytes));
  if (count <= 1) return null;
  const at = (i: number) => Math.floor((i * pages) / count);
  return Array.from({ length: count }, (_, i) => ({
    index: i,
    count,
    fromPage: at(i),
    toPage: i === count - 1 ? null : at(i + 1),
  }));
}

/**
 * The predicate that selects one range's rows. The first range has no lower bound and the last no
 * upper one, so the ranges together are the whole table whatever pages it has gained since the split.
 */
export function rangeWhere(r: PageRange): string {
  const bounds: string[] = [];
  if (r.index > 0) bounds.push(`ctid >= '(${page(r.fromPage)},0)'::tid`);
  if (r.toPage !== null) bounds.push(`ctid < '(${page(r.toPage)},0)'::tid`);
  return bounds.length ? bounds.join(' AND ') : 'true';
}

/** A page number as it goes into the SQL text: checked, since it cannot be a parameter of a tid literal. */
function page(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE) throw new RangeError(`not a page number: ${n}`);
  return n;
}

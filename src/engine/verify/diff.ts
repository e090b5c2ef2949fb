// Which rows differ, when two digests do: both sides stream (key hash, key, row) ordered by the key's
// hash, and a merge walks them side by side. The servers sort (on disk if need be); Archon holds one
// row per side at a time, whatever the table's size. The order is the md5 of the key's text,
// compared byte by byte (COLLATE "C"), which both servers and JavaScript agree on.
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { MAX_LISTED_DIFFERENCES, type RowDifference } from '../../shared/report.js';
import { rowHash } from './digest.js';

interface KeyedRead {
  /** `ONLY "s"."t"` or `"s"."t"`. */
  from: string;
  /** The key's columns as this side selects them (the source casts where the target's type differs). */
  key: string[];
  /** The compared columns as this side selects them, in the shared order. */
  select: string[];
}

export interface Differences {
  differences: RowDifference[];
  /** Every differing row, counted to the end. */
  differingRows: number;
  /** Every differing row by kind, counted to the end (the list stops at 20). */
  kinds: Record<RowDifference['kind'], number>;
}

interface KeyedRow {
  keyHash: string;
  key: string[];
  hash: string;
}

/** Compares two sides row by row by key; `keyNames` label the keys in the report (`id=42`). */
export async function findDifferences(
  source: pg.Client,
  target: pg.Client,
  reads: { source: KeyedRead; target: KeyedRead },
  keyNames: string[],
): Promise<Differences> {
  const a = keyedRows(source, reads.source);
  const b = keyedRows(target, reads.target);
  const kinds = { changed: 0, 'missing on the target': 0, 'extra on the target': 0 };
  const out: Differences = { differences: [], differingRows: 0, kinds };
  const note = (row: KeyedRow, kind: RowDifference['kind']) => {
    out.differingRows++;
    kinds[kind]++;
    if (out.differences.length < MAX_LISTED_DIFFERENCES) out.differences.push({ key: label(keyNames, row.key), kind });
  };
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.keyHash < y.value.keyHash)) {
      note(x.value as KeyedRow, 'missing on the target');
      x = await a.next();
    } else if (x.done || y.value.keyHash < x.value.keyHash) {
      note(y.value, 'extra on the target');
      y = await b.next();
    } else {
      if (x.value.hash !== y.value.hash) note(x.value, 'changed');
      [x, y] = await Promise.all([a.next(), b.next()]);
    }
  }
  return out;
}

/**
 * Without a key, rows cannot be paired, but they can be counted: both sides stream the md5 of each
 * whole row's text (a row value renders NULL and '' apart, unlike a join of its fields), ordered,
 * and a merge counts the rows each side has that the other lacks, duplicates included. A changed row
 * counts once on each side. No row is listed: without a key there is nothing short to name it by.
 */
export async function countUnmatchedRows(
  source: pg.Client,
  target: pg.Client,
  reads: { source: Omit<KeyedRead, 'key'>; target: Omit<KeyedRead, 'key'> },
): Promise<Differences> {
  const a = rowHashes(source, reads.source);
  const b = rowHashes(target, reads.target);
  const kinds = { changed: 0, 'missing on the target': 0, 'extra on the target': 0 };
  let [x, y] = await Promise.all([a.next(), b.next()]);
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value < y.value)) {
      kinds['missing on the target']++;
      x = await a.next();
    } else if (x.done || y.value < x.value) {
      kinds['extra on the target']++;
      y = await b.next();
    } else [x, y] = await Promise.all([a.next(), b.next()]);
  }
  return { differences: [], differingRows: kinds['missing on the target'] + kinds['extra on the target'], kinds };
}

async function* rowHashes(client: pg.Client, r: Omit<KeyedRead, 'key'>): AsyncGenerator<string> {
  const sql = `COPY (SELECT md5(ROW(${r.select.join(', ')})::text) COLLATE "C" AS h FROM ${r.from} ORDER BY h) TO STDOUT`;
  for await (const line of lines(client.query(copyTo(sql)))) yield line.toString('latin1');
}

/** `id=42`, `(a=1, b="x y")`: a value that is not a plain word is quoted, with its escapes visible. */
const label = (names: string[], values: string[]) => {
  const show = (v: string) => (/^[\w.:@+-]+$/.test(v) ? v : JSON.stringify(v));
  const pairs = names.map((n, i) => `${n}=${show(values[i])}`);
  return pairs.length === 1 ? pairs[0] : `(${pairs.join(', ')})`;
};

async function* keyedRows(client: pg.Client, r: KeyedRead): AsyncGenerator<KeyedRow> {
  const keyText = r.key.map((k) => `(${k})::text`);
  const sql =
    `COPY (SELECT md5(concat_ws(E'\\x1f', ${keyText.join(', ')})) COLLATE "C" AS archon_key_hash, ` +
    `${keyText.join(', ')}, ${r.select.join(', ')} FROM ${r.from} ORDER BY archon_key_hash) TO STDOUT`;
  for await (const line of lines(client.query(copyTo(sql)))) {
    const fields: string[] = [];
    let pos = 0;
    for (let i = 0; i <= r.key.length; i++) {
      const tab = line.indexOf(0x09, pos);
      fields.push(line.subarray(pos, tab).toString('utf8'));
      pos = tab + 1;
    }
    yield {
      keyHash: fields[0],
      key: fields.slice(1).map(unescapeCopyText),
      hash: rowHash(line.subarray(pos)).toString('hex'),
    };
  }
}

/** The lines of a COPY text stream, each whole, one at a time. */
async function* lines(stream: Readable): AsyncGenerator<Buffer> {
  let carry: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let pos = 0;
    for (let nl = chunk.indexOf(0x0a, pos); nl !== -1; nl = chunk.indexOf(0x0a, pos)) {
      const piece = chunk.subarray(pos, nl);
      yield carry.length ? Buffer.concat([...carry, piece]) : piece;
      carry = [];
      pos = nl + 1;
    }
    if (pos < chunk.length) carry.push(chunk.subarray(pos));
  }
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** COPY's text escapes undone, for showing a key as it is. */
const unescapeCopyText = (s: string): string => s.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);

// Content digests: an order-independent fingerprint of a table's rows as COPY renders them. Each row
// is hashed (SHA-256, cut to 128 bits; the server computes the same, see serverDigest.ts) and the hashes are added modulo 2^128: row order does not
// matter (servers return rows in any order), and a duplicated row counts twice (XOR would cancel it).
// Equal digests on both sides, over the same columns in the same format, mean the same rows.
import { type Hash, createHash, hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** SHA-256 since the server can compute it too; SHA-1 only for digests journals kept before that. */
export type RowHashName = 'sha256' | 'sha1';
const ROW_HASH: RowHashName = 'sha256';
const WORD = 2 ** 32;

export class ContentDigest {
  /** The sum as four 32-bit words, least significant first. */
  private readonly words = [0, 0, 0, 0];
  rows = 0;

  /** Adds one row's hash (its first 16 bytes, read as a little-endian number). */
  addRowHash(h: Uint8Array): void {
    const view = Buffer.from(h.buffer, h.byteOffset, 16);
    this.addWords([view.readUInt32LE(0), view.readUInt32LE(4), view.readUInt32LE(8), view.readUInt32LE(12)]);
    this.rows++;
  }

  /** This digest plus another: a table's from its parts (page ranges read apart), in any order. */
  plus(other: ContentDigest): ContentDigest {
    const out = new ContentDigest();
    out.addWords(this.words);
    out.addWords(other.words);
    out.rows = this.rows + other.rows;
    return out;
  }

  /** This digest minus another: what a table gained (append keeps the rows it had before). */
  minus(other: ContentDigest): ContentDigest {
    const out = new ContentDigest();
    out.addWords(this.words);
    // Two's complement of the other: invert every word, then add one.
    out.addWords(other.words.map((w) => WORD - 1 - w));
    out.addWords([1, 0, 0, 0]);
    out.rows = this.rows - other.rows;
    return out;
  }

  /** A digest from sums of the four words over all rows (any size: they are taken modulo 2^128 here). */
  static fromSums(rows: number, sums: bigint[]): ContentDigest {
    let total = 0n;
    for (let i = 3; i >= 0; i--) total = (total << 32n) + sums[i];
    total = BigInt.asUintN(128, total);
    const out = new ContentDigest();
    for (let i = 0; i < 4; i++) out.words[i] = Number((total >> BigInt(32 * i)) & 0xffffffffn);
    out.rows = rows;
    return out;
  }

  equals(other: ContentDigest): boolean {
    return this.rows === other.rows && this.words.every((w, i) => w === other.words[i]);
  }

  /** The 128-bit sum in hex, most significant first. */
  hex(): string {
    return [...this.words]
      .reverse()
      .map((w) => w.toString(16).padStart(8, '0'))
      .join('');
  }

  private addWords(x: readonly number[]): void {
    let carry = 0;
    for (let i = 0; i < 4; i++) {
      const s = this.words[i] + x[i] + carry;
      carry = s >= WORD ? 1 : 0;
      this.words[i] = s - carry * WORD;
    }
  }
}

export const rowHash = (row: Uint8Array, name: RowHashName = ROW_HASH): Buffer => hash(name, row, 'buffer');

/** Splits a COPY stream into rows, whatever the chunk boundaries, and hands each row's hash on. */
interface RowHasher {
  write(chunk: Buffer): void;
}

/** Text format: one row per line (newlines inside values are escaped as \n by COPY). */
function textRowHasher(onRow: (h: Buffer) => void, name: RowHashName = ROW_HASH): RowHasher {
  let pending: Hash | null = null;
  return {
    write(chunk) {
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, pos);
        if (nl === -1) {
          if (pos < chunk.length) {
            pending ??= createHash(name);
            pending.update(chunk.subarray(pos));
          }
          return;
        }
        const line = chunk.subarray(pos, nl + 1);
        if (pending) {
          onRow(pending.update(line).digest());
          pending = null;
        } else onRow(rowHash(line, name));
        pos = nl + 1;
      }
    },
  };
}

const SIGNATURE_AND_FLAGS = 11 + 4;

/**
 * Binary format: a header, then tuples (a field count, then each field's length and bytes), then a
 * -1 trailer. A tuple inside one chunk is hashed in one call; one that spans chunks is hashed piece
 * by piece, so memory stays flat whatever the row size.
 */
function binaryRowHasher(onRow: (h: Buffer) => void, name: RowHashName = ROW_HASH): RowHasher {
  const p = new BinaryTupleReader(onRow, name);
  return { write: (chunk) => p.write(chunk) };
}

class BinaryTupleReader {
  /** The header read so far, until it is whole; null once the tuples begin. */
  private header: Buffer | null = Buffer.alloc(0);
  private done = false;
  /** A tuple that spans chunks: its hash so far and where the reader is inside it. */
  private open: {
    hash: Hash;
    fieldsLeft: number;
    stage: 'count' | 'length' | 'data';
    need: number;
    bytes: Buffer;
  } | null = null;

  constructor(
    private readonly onRow: (h: Buffer) => void,
    private readonly name: RowHashName,
  ) {}

  write(chunk: Buffer): void {
    let pos = 0;
    if (this.header) {
      pos = this.readHeader(chunk);
      if (this.header) return;
    }
    if (this.open) pos = this.continueOpen(chunk, pos);
    while (!this.open && !this.done && pos < chunk.length) {
      const end = tupleEnd(chunk, pos);
      if (end === TRAILER) {
        this.done = true;
        return;
      }
      if (end === INCOMPLETE) {
        this.open = { hash: createHash(this.name), fieldsLeft: 0, stage: 'count', need: 2, bytes: Buffer.alloc(0) };
        pos = this.continueOpen(chunk, pos);
      } else {
        this.onRow(rowHash(chunk.subarray(pos, end), this.name));
        pos = end;
      }
    }
  }

  /** Collects the header (signature, flags, extension) across chunks; returns where data starts. */
  private readHeader(chunk: Buffer): number {
    const have = Buffer.concat([this.header!, chunk]);
    if (have.length < SIGNATURE_AND_FLAGS + 4) {
      this.header = have;
      return chunk.length;
    }
    const total = SIGNATURE_AND_FLAGS + 4 + have.readUInt32BE(SIGNATURE_AND_FLAGS);
    if (have.length < total) {
      this.header = have;
      return chunk.length;
    }
    const consumedBefore = this.header!.length;
    this.header = null;
    return total - consumedBefore;
  }

  /** Feeds the spanning tuple; returns the position after it, or the chunk's end if it goes on. */
  private continueOpen(chunk: Buffer, start: number): number {
    const t = this.open!;
    let pos = start;
    while (pos < chunk.length) {
      const take = Math.min(t.need, chunk.length - pos);
      const piece = chunk.subarray(pos, pos + take);
      t.hash.update(piece);
      pos += take;
      t.need -= take;
      if (t.stage !== 'data') t.bytes = Buffer.concat([t.bytes, piece]);
      if (t.need > 0) continue;
      if (t.stage === 'count') {
        t.fieldsLeft = t.bytes.readInt16BE(0);
        if (t.fieldsLeft === -1) {
          this.open = null;
          this.done = true;
          return chunk.length;
        }
      } else if (t.stage === 'length') {
        const len = t.bytes.readInt32BE(0);
        t.fieldsLeft--;
        if (len > 0) {
          Object.assign(t, { stage: 'data', need: len, bytes: Buffer.alloc(0) });
          continue;
        }
      }
      if (t.fieldsLeft === 0) {
        this.onRow(t.hash.digest());
        this.open = null;
        return pos;
      }
      Object.assign(t, { stage: 'length', need: 4, bytes: Buffer.alloc(0) });
    }
    return pos;
  }
}

const TRAILER = -2;
const INCOMPLETE = -1;

/** Where the tuple that starts at `pos` ends, if all of it is in this chunk. */
function tupleEnd(chunk: Buffer, pos: number): number {
  if (pos + 2 > chunk.length) return INCOMPLETE;
  const fields = chunk.readInt16BE(pos);
  if (fields === -1) return TRAILER;
  let p = pos + 2;
  for (let i = 0; i < fields; i++) {
    if (p + 4 > chunk.length) return INCOMPLETE;
    const len = chunk.readInt32BE(p);
    p += 4 + Math.max(len, 0);
    if (p > chunk.length) return INCOMPLETE;
  }
  return p;
}

export function rowHasher(
  format: 'binary' | 'text',
  onRow: (h: Buffer) => void,
  name: RowHashName = ROW_HASH,
): RowHasher {
  return format === 'binary' ? binaryRowHasher(onRow, name) : textRowHasher(onRow, name);
}

/** What one side reads for a digest: the relation, the select list (in the shared column order), the format. */
export interface DigestRead {
  /** `ONLY "s"."t"` or `"s"."t"`, from relationSql. */
  from: string;
  select: string[];
  format: 'binary' | 'text';
  /** The row hash; SHA-256 unless a digest kept by an older journal is being recomputed. */
  hash?: RowHashName;
  /** Columns hold names (regclass, …): read with the search_path pinned (withNamesPinned). */
  pinNames?: boolean;
  /** Only the rows this predicate selects (a page range, from rangeWhere): that part's count and digest. */
  where?: string;
}

/** ` WHERE …` for a read of part of a relation, '' for all of it. */
export const whereSql = (r: Pick<DigestRead, 'where'>): string => (r.where ? ` WHERE ${r.where}` : '');

export const copyOutSql = (r: DigestRead): string =>
  `COPY (SELECT ${r.select.join(', ')} FROM ${r.from}${whereSql(r)}) TO STDOUT${r.format === 'binary' ? ' (FORMAT binary)' : ''}`;

/** Reads one side with COPY and digests it as it streams: memory stays flat whatever the size. */
export async function readDigest(client: pg.Client, r: DigestRead, signal?: AbortSignal): Promise<ContentDigest> {
  return withNamesPinned(client, r.pinNames === true, () => streamDigest(client, r, signal));
}

/**
 * Runs `fn` with the search_path pinned to pg_catalog when `pin`, then puts the session's back (a failed
 * transaction drops both). regclass and its kin render by name, qualified only where the search_path
 * does not find the object: pinned, both sides write every name schema-qualified, the same names for
 * the same objects. Only where such columns are read: a pinned path also changes what SQL functions
 * that name objects unqualified find (an expression index's, inlined while the read is planned).
 */
export async function withNamesPinned<T>(client: pg.Client, pin: boolean, fn: () => Promise<T>): Promise<T> {
  if (!pin) return fn();
  const was = (await client.query(`SELECT pg_catalog.current_setting('search_path') AS p`)).rows[0].p as string;
  await client.query(`SELECT pg_catalog.set_config('search_path', 'pg_catalog', false)`);
  let ok = false;
  try {
    const out = await fn();
    ok = true;
    return out;
  } finally {
    await client.query(`SELECT pg_catalog.set_config('search_path', $1, false)`, [was]).catch((e) => {
      if (ok) throw e;
    });
  }
}

async function streamDigest(client: pg.Client, r: DigestRead, signal?: AbortSignal): Promise<ContentDigest> {
  const digest = new ContentDigest();
  const hasher = rowHasher(r.format, (h) => digest.addRowHash(h), r.hash);
  const stream = client.query(copyTo(copyOutSql(r)));
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, done) {
        hasher.write(chunk);
        done();
      },
    }),
    signal ? { signal } : {},
  );
  return digest;
}

/** A loaded table as verification read it back inside the transaction: the journal keeps that digest. */
export interface ReadBack {
  read: DigestRead;
  columns: string[];
  digest: ContentDigest;
}

// Columns the target generates: not copied (the target computes them), but compared with the values
// the source holds, without reading the source a second time. Each server hashes a row's generated
// values in SQL, the same expression on both sides; the source's hash rides in the one COPY that
// carries the row, as its last field, and the copy drops that field before the target sees the row.
// Only 32 bytes a row more cross the network, whatever the size of the generated values (a tsvector
// over a long page can be as large as the page).
import { Transform } from 'node:stream';
import { ident } from '../ident.js';
import type { TablePlan } from '../plan/plan.js';

// Bytes spelled as hex: a '\x01' literal would depend on standard_conforming_strings.
const NULL_MARK = `pg_catalog.decode('00', 'hex')`;
const VALUE_MARK = `pg_catalog.decode('01', 'hex')`;

/**
 * The SHA-256 of a row's generated values, as text (what every Archon session renders alike: time zone,
 * float digits and styles are pinned; a type's binary form may differ between the sides' types) in the
 * session's client encoding, as COPY would send it (textsend), each marked so that NULL, '' and the
 * boundaries between values cannot be confused: text holds no zero byte, so a value is 01, its bytes,
 * 00, and NULL is a lone 00.
 */
export function generatedHashSql(columns: string[]): string {
  const parts = columns.map(
    (c) => `coalesce(${VALUE_MARK} || pg_catalog.textsend(${ident(c)}::pg_catalog.text) || ${NULL_MARK}, ${NULL_MARK})`,
  );
  return `pg_catalog.sha256(${parts.join(' || ')})`;
}

/** What a table's read selects besides its copied columns: the generated values' hash, when it has any. */
export const generatedSelect = (t: Pick<TablePlan, 'generated'>): string[] =>
  t.generated.length ? [generatedHashSql(t.generated)] : [];

/**
 * Drops every row's last field from a COPY stream as it passes (the generated values' hash), so the
 * target receives the copied columns only. Rows are never gathered: memory stays flat whatever their size.
 */
export function dropLastField(format: 'binary' | 'text', kept: number): Transform {
  const dropper = format === 'binary' ? new BinaryDropper() : new TextDropper(kept);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const out: Buffer[] = [];
      dropper.write(chunk, out);
      done(null, out.length === 1 ? out[0] : Buffer.concat(out));
    },
  });
}

const TAB = 0x09;
const NEWLINE = 0x0a;

/**
 * Text format: a row is a line of fields split by tabs (a tab inside a value is escaped, and UTF-8 puts
 * no tab inside a character), so the `kept`-th tab starts the dropped field.
 */
class TextDropper {
  private tabs = 0;

  constructor(private readonly kept: number) {}

  write(chunk: Buffer, out: Buffer[]): void {
    let from = this.dropping() ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === NEWLINE) {
        if (from < 0) from = i; // the line's end is kept
        this.tabs = 0;
        if (this.dropping()) {
          out.push(chunk.subarray(from, i + 1));
          from = -1;
        }
      } else if (b === TAB && from >= 0 && ++this.tabs === this.kept) {
        out.push(chunk.subarray(from, i));
        from = -1;
      }
    }
    if (from >= 0) out.push(chunk.subarray(from));
  }

  /** At a line's start with no field kept, or past the kept fields. */
  private dropping(): boolean {
    return this.tabs >= this.kept;
  }
}

const SIGNATURE_FLAGS_LENGTH = 11 + 4 + 4;

/**
 * Binary format: the header as it is, then each tuple with its field count one less and its last field
 * (length and bytes) left out, then the trailer. Counts and lengths that span chunks are gathered.
 */
class BinaryDropper {
  /** The header gathered so far; null once it has passed. */
  private header: Buffer | null = Buffer.alloc(0);
  /** A field count (2 bytes) or length (4 bytes) not yet whole. */
  private partial = Buffer.alloc(0);
  private stage: 'count' | 'length' | 'data' | 'trailer' = 'count';
  /** Fields of the current tuple not yet read, the one being read included. */
  private fieldsLeft = 0;
  /** Bytes of the current field's data not yet read. */
  private need = 0;

  write(chunk: Buffer, out: Buffer[]): void {
    let pos = this.header ? this.readHeader(chunk, out) : 0;
    while (pos < chunk.length) {
      if (this.stage === 'trailer') {
        out.push(chunk.subarray(pos));
        return;
      }
      if (this.stage === 'data') {
        const take = Math.min(this.need, chunk.length - pos);
        if (this.fieldsLeft > 1) out.push(chunk.subarray(pos, pos + take));
        pos += take;
        this.need -= take;
        if (this.need === 0) this.fieldDone();
        continue;
      }
      const size = this.stage === 'count' ? 2 : 4;
      const take = Math.min(size - this.partial.length, chunk.length - pos);
      this.partial = Buffer.concat([this.partial, chunk.subarray(pos, pos + take)]);
      pos += take;
      if (this.partial.length < size) return;
      const whole = this.partial;
      this.partial = Buffer.alloc(0);
      if (this.stage === 'count') this.tupleStart(whole, out);
      else this.fieldStart(whole, out);
    }
  }

  /** Gathers the header across chunks and passes it on whole; returns where the tuples start in this chunk. */
  private readHeader(chunk: Buffer, out: Buffer[]): number {
    const before = this.header!.length;
    const have = Buffer.concat([this.header!, chunk]);
    const total =
      have.length < SIGNATURE_FLAGS_LENGTH ? Number.POSITIVE_INFINITY : SIGNATURE_FLAGS_LENGTH + have.readUInt32BE(15);
    if (have.length < total) {
      this.header = have;
      return chunk.length;
    }
    out.push(have.subarray(0, total));
    this.header = null;
    return total - before;
  }

  private tupleStart(count: Buffer, out: Buffer[]): void {
    const fields = count.readInt16BE(0);
    if (fields <= 0) {
      // The trailer (-1); a tuple of no fields has nothing to drop.
      out.push(count);
      if (fields === -1) this.stage = 'trailer';
      return;
    }
    const fewer = Buffer.alloc(2);
    fewer.writeInt16BE(fields - 1);
    out.push(fewer);
    this.fieldsLeft = fields;
    this.stage = 'length';
  }

  private fieldStart(length: Buffer, out: Buffer[]): void {
    if (this.fieldsLeft > 1) out.push(length);
    this.need = Math.max(0, length.readInt32BE(0));
    if (this.need > 0) this.stage = 'data';
    else this.fieldDone();
  }

  private fieldDone(): void {
    this.fieldsLeft--;
    this.stage = this.fieldsLeft > 0 ? 'length' : 'count';
  }
}

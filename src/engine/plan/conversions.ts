// When a column's type differs between the sides: can the target hold every source value, and does
// it render it the same? Decided from the two types alone, before anything is copied.
//   as-is  the target holds the value and renders it as the source does (int → bigint, varchar → text):
//          copied as text, and the content digest compares like with like;
//   cast   the target holds every value but renders it differently (real → double precision,
//          numeric(8,2) → numeric(10,4), timestamp → timestamptz): the source query reads each value
//          as the target will, through its text (`col::text::type`, exactly what COPY's text format
//          does; a direct cast can differ, e.g. real → double precision), so both sides hash the same;
//   lossy  values would be rounded, cut or lose their time of day: the table is skipped, naming the loss.
// A pair not named here is copied as-is; the content digest then proves it or fails the run.

/** `note`: what a cast changes although no value is lost, said in the plan and the report. */
type Conversion = { how: 'as-is' } | { how: 'cast'; note?: string } | { how: 'lossy'; loss: string };

interface ParsedType {
  base: string;
  /** Type modifiers: (precision, scale), (length), timestamp precision. */
  mods: number[];
}

/** format_type() output: `numeric(6,2)`, `character varying(20)`, `timestamp(3) with time zone`, … */
function parse(type: string): ParsedType {
  const m = /^([^(]+)(?:\(([\d,\s]+)\))?(.*)$/.exec(type)!;
  return { base: `${m[1]}${m[3]}`.trim(), mods: m[2] ? m[2].split(',').map(Number) : [] };
}

const INTEGER_BITS: Record<string, number> = { smallint: 16, integer: 32, bigint: 64 };
/** Bits of mantissa: the integers a float type holds exactly. */
const FLOAT_BITS: Record<string, number> = { real: 24, 'double precision': 53 };
const TIMESTAMPS = new Set(['timestamp without time zone', 'timestamp with time zone']);
const TIMES = new Set(['time without time zone', 'time with time zone', ...TIMESTAMPS]);
const STRINGS = new Set(['text', 'character varying', 'character']);

const ok: Conversion = { how: 'as-is' };
const cast: Conversion = { how: 'cast' };
const lossy = (loss: string): Conversion => ({ how: 'lossy', loss });
const NEGATIVE_ZERO: Conversion = {
  how: 'cast',
  note: 'numeric has no negative zero, so a -0 arrives as 0 (equal in value, not in sign)',
};

export function conversion(sourceType: string, targetType: string): Conversion {
  const s = parse(sourceType);
  const t = parse(targetType);
  return numeric(s, t) ?? strings(s, t) ?? datetimes(s, t) ?? intervals(s, t) ?? networks(s, t) ?? ok;
}

function numeric(s: ParsedType, t: ParsedType): Conversion | null {
  const sInt = INTEGER_BITS[s.base];
  const tFloat = FLOAT_BITS[t.base];
  if (sInt !== undefined) {
    if (INTEGER_BITS[t.base] !== undefined) return ok; // narrower: a value that does not fit fails the load
    if (t.base === 'numeric') return t.mods.length ? cast : ok;
    if (tFloat !== undefined) return sInt <= tFloat ? cast : lossy(`integers beyond 2^${tFloat} would be rounded`);
    return null;
  }
  const sFloat = FLOAT_BITS[s.base];
  if (sFloat !== undefined || s.base === 'numeric') {
    if (INTEGER_BITS[t.base] !== undefined) {
      return s.base === 'numeric' && s.mods.length === 2 && s.mods[1] === 0 ? ok : lossy('fractions would be rounded');
    }
    if (tFloat !== undefined) {
      if (sFloat !== undefined && sFloat <= tFloat) return cast;
      return lossy(`values would be rounded to ${t.base === 'real' ? 6 : 15} significant digits`);
    }
    // A float's text (1e-05) reads as a numeric that renders otherwise (0.00001), and numeric has no -0.
    if (t.base === 'numeric') return sFloat !== undefined && !t.mods.length ? NEGATIVE_ZERO : numericScale(s, t);
  }
  return null;
}

/** numeric(p,s) → numeric(p2,s2): fewer decimals round; more decimals render with trailing zeros. */
function numericScale(s: ParsedType, t: ParsedType): Conversion {
  if (!t.mods.length) return ok;
  const targetScale = t.mods[1] ?? 0;
  const sourceScale = s.base === 'numeric' && s.mods.length ? (s.mods[1] ?? 0) : Number.POSITIVE_INFINITY;
  if (targetScale < sourceScale) return lossy(`values would be rounded to ${targetScale} decimal places`);
  return targetScale > sourceScale ? cast : ok;
}

function strings(s: ParsedType, t: ParsedType): Conversion | null {
  if (t.base === 'name' && s.base !== 'name' && STRINGS.has(s.base)) return lossy('values would be cut to 63 bytes');
  if (!STRINGS.has(s.base) || !STRINGS.has(t.base)) return null;
  if (s.base === 'character' && t.base !== 'character') {
    // The cast that drops the padding would also cut a value longer than the target allows, silently.
    const [from, to] = [s.mods[0] ?? 1, t.mods[0]];
    return to !== undefined && to < from ? lossy(`values would be cut to ${to} characters`) : PADDING_DROPPED;
  }
  if (t.base !== 'character') return ok; // longer values fail the load; nothing is cut silently
  if (s.base !== 'character')
    return lossy(`values would be padded to ${t.mods[0] ?? 1} characters, trailing spaces not kept`);
  const [from, to] = [s.mods[0] ?? 1, t.mods[0] ?? 1];
  if (to < from) return lossy(`values would be cut to ${to} characters`);
  return to > from ? cast : ok;
}

/** char(n) renders its padding; PostgreSQL's own cast to text drops it, as it is not part of the value. */
const PADDING_DROPPED: Conversion = {
  how: 'cast',
  note: "the spaces that pad a character(n) value are not part of it: they are dropped, as PostgreSQL's cast does",
};

/** cidr → inet holds every value (10.1.2.3/32 then reads 10.1.2.3); inet → cidr refuses host bits. */
function networks(s: ParsedType, t: ParsedType): Conversion | null {
  if (s.base === 'cidr' && t.base === 'inet') return cast;
  if (s.base === 'inet' && t.base === 'cidr') return lossy('an address with host bits set (10.1.2.3/24) is no cidr');
  return null;
}

/** `interval day`, `interval(0)`: a target that keeps fewer fields or digits cuts the rest silently. */
function intervals(s: ParsedType, t: ParsedType): Conversion | null {
  if (!s.base.startsWith('interval') || !t.base.startsWith('interval')) return null;
  if (t.base !== 'interval' && t.base !== s.base)
    return lossy(`values would keep only ${t.base.slice('interval '.length)}`);
  if ((t.mods[0] ?? 6) < (s.mods[0] ?? 6)) return lossy(`fractional seconds would be rounded to ${t.mods[0]} digits`);
  return ok;
}

function datetimes(s: ParsedType, t: ParsedType): Conversion | null {
  if (TIMESTAMPS.has(s.base) && t.base === 'date') return lossy('the time of day would be dropped');
  if (s.base === 'date' && TIMESTAMPS.has(t.base)) return cast;
  if (!TIMES.has(s.base) || !TIMES.has(t.base)) return null;
  if (TIMESTAMPS.has(s.base) !== TIMESTAMPS.has(t.base))
    return lossy(
      TIMESTAMPS.has(s.base) ? 'the date would be dropped' : 'a time of day has no date to make a timestamp',
    );
  if (s.base === 'time with time zone' && t.base === 'time without time zone')
    return lossy('the UTC offset would be dropped');
  const precision = (x: ParsedType) => x.mods[0] ?? 6;
  if (precision(t) < precision(s)) return lossy(`fractional seconds would be rounded to ${precision(t)} digits`);
  if (s.base !== t.base) return cast; // timestamps read in UTC; a time of day gets the offset +00
  return ok;
}

/**
 * Table names as people read them in reports and messages (quoted only where SQL would need it).
 * Free of any dependency so the report page can use it in the browser; SQL itself is quoted by
 * ident.ts.
 */
export function displayName(schema: string, name: string): string {
  return `${shownName(schema)}.${shownName(name)}`;
}

/** One name as people read it: quoted only where SQL would need it (a keyword like select too). */
export const shownName = (s: string): string =>
  /^[a-z_][a-z0-9_$]*$/.test(s) && !KEYWORDS.has(s) ? s : `"${visible(s).replace(/"/g, '""')}"`;

/**
 * PostgreSQL's reserved keywords and those it reserves for types and functions (its docs' appendix C):
 * a function, role or table so named is written in double quotes in SQL, and so here.
 */
const KEYWORDS = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign from grant group having in initially intersect into ' +
    'lateral leading limit localtime localtimestamp not null offset on only or order placing primary references ' +
    'returning select session_user some symmetric system_user table then to trailing true union unique user using ' +
    'variadic when where window with authorization binary collation concurrently cross current_schema freeze full ' +
    'ilike inner is isnull join left like natural notnull outer overlaps right similar tablesample verbose'
  ).split(' '),
);

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Control characters shown as escapes (`\n`, `\x1b`): text from a database (a table name, a
 * server's message) can then never move a terminal's cursor, repaint a line or break a table.
 */
export const visible = (s: string): string =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return NAMED[c] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });

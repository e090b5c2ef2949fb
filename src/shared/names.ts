/**
 * Table names as people read them in reports and messages (quoted only where SQL would need it).
 * Free of any dependency so the report page can use it in the browser; SQL itself is quoted by
 * ident.ts.
 */
export function displayName(schema: string, name: string): string {
  return `${shownName(schema)}.${shownName(name)}`;
}

/** One name as people read it: quoted only where SQL would need it. */
export const shownName = (s: string): string =>
  /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${visible(s).replace(/"/g, '""')}"`;

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

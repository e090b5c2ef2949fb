/**
 * Table names as people read them in reports and messages (quoted only where SQL would need it).
 * Free of any dependency so the report page can use it in the browser; SQL itself is quoted by
 * ident.ts.
 */
export function displayName(schema: string, name: string): string {
  const show = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`);
  return `${show(schema)}.${show(name)}`;
}

import { escapeIdentifier } from 'pg';

/** The one quoting helper: every SQL identifier Archon writes goes through here. */
export function ident(name: string): string {
  return escapeIdentifier(name);
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** Human form for messages and reports: quotes only where SQL would need them. */
export function displayName(schema: string, name: string): string {
  const show = (s: string) => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : ident(s));
  return `${show(schema)}.${show(name)}`;
}

export function tableKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

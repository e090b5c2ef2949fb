import { escapeIdentifier, escapeLiteral } from 'pg';

/** The one quoting helper: every SQL identifier Archon writes goes through here. */
export function ident(name: string): string {
  return escapeIdentifier(name);
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A map key for a table: exact names, no quoting ambiguity. */
export function tableKey(schema: string, name: string): string {
  return JSON.stringify([schema, name]);
}

/** A string constant in DDL (COMMENT, CREATE TYPE … AS ENUM), where no parameter can go. */
export function literal(value: string): string {
  return escapeLiteral(value);
}

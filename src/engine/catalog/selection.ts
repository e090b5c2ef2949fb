import { UsageError } from '../errors.js';
import type { Table } from './catalog.js';

/** Which source tables a run covers. Empty lists mean "everything copyable". */
export interface Selection {
  schemas?: string[];
  tables?: string[];
  exclude?: string[];
  /** Exact [schema, table] pairs, as picked in a UI: no pattern parsing, no wildcards. */
  only?: [string, string][];
  /**
   * A hosted platform's internal schemas and tables are copied too (with a warning); without it only
   * a table named exactly (`--table auth.schema_migrations`, a UI's pick) brings one in.
   */
  includePlatform?: boolean;
}

interface NamePattern {
  test(name: string): boolean;
}

interface Pattern {
  text: string;
  schema: NamePattern | null;
  table: NamePattern;
  /** The schema is written out, without wildcards (`auth.*` names the schema auth). */
  namesSchema: boolean;
  /** Schema and table are written out, without wildcards: one table, named on purpose. */
  namesTable: boolean;
}

/**
 * Parses `table`, `schema.table`, `"Odd.Schema"."Odd ""name"""` and `*` wildcards. Unquoted parts
 * match a name as written or as PostgreSQL folds it, so `Users` finds a table created as "Users"
 * and one created as users, while `users` finds only users.
 */
export function parseTablePattern(text: string): Pattern {
  const parts: { value: string; quoted: boolean }[] = [];
  let i = 0;
  while (i <= text.length) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new UsageError(`unterminated quote in table name ${text}`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
      parts.push({ value, quoted: true });
    } else {
      const end = text.indexOf('.', i);
      const stop = end === -1 ? text.length : end;
      parts.push({ value: text.slice(i, stop).trim(), quoted: false });
      i = stop;
    }
    if (i >= text.length) break;
    if (text[i] !== '.') throw new UsageError(`unexpected "${text[i]}" in table name ${text}`);
    i++;
  }
  if (parts.length > 2 || parts.some((p) => p.value === '')) {
    throw new UsageError(
      `"${text}" is not a table name; use table or schema.table (quote names with dots: "my.schema"."my table")`,
    );
  }
  const regex = (v: string) => new RegExp(`^${v.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  // Unquoted: the name as written or as PostgreSQL folds it (lower case) — never any other casing.
  const toRegex = (p: { value: string; quoted: boolean }): NamePattern => {
    const asWritten = regex(p.value);
    const folded = regex(p.value.toLowerCase());
    return { test: (name) => asWritten.test(name) || (!p.quoted && folded.test(name)) };
  };
  const exact = (p: { value: string }) => !p.value.includes('*');
  return parts.length === 2
    ? {
        text,
        schema: toRegex(parts[0]),
        table: toRegex(parts[1]),
        namesSchema: exact(parts[0]),
        namesTable: exact(parts[0]) && exact(parts[1]),
      }
    : { text, schema: null, table: toRegex(parts[0]), namesSchema: false, namesTable: false };
}

/** A schema as `--schema` names it: "Quoted" exactly, otherwise as written or as PostgreSQL folds it. */
function schemaMatcher(text: string): (schema: string) => boolean {
  const quoted = /^"((?:[^"]|"")*)"$/.exec(text.trim());
  if (quoted) {
    const name = quoted[1].replace(/""/g, '"');
    return (schema) => schema === name;
  }
  return (schema) => schema === text || schema === text.toLowerCase();
}

/** Whether a schema is one the selection names (`--schema`). */
export const schemaSelected = (sel: Selection, schema: string): boolean =>
  (sel.schemas ?? []).some((s) => schemaMatcher(s)(schema));

export function matches(p: Pattern, t: Pick<Table, 'schema' | 'name'>): boolean {
  return (p.schema === null || p.schema.test(t.schema)) && p.table.test(t.name);
}

interface SelectionResult {
  selected: Table[];
  /** Patterns that matched nothing on the source: the run must say so rather than ignore them. */
  unmatched: string[];
}

export function selectTables(tables: Table[], sel: Selection, copyable: (t: Table) => boolean): SelectionResult {
  const inSchemas = (t: Table) => !sel.schemas?.length || schemaSelected(sel, t.schema);
  const includes = (sel.tables ?? []).map(parseTablePattern);
  const excludes = (sel.exclude ?? []).map(parseTablePattern);
  const unmatched: string[] = [];
  for (const s of sel.schemas ?? []) {
    const named = schemaMatcher(s);
    if (!tables.some((t) => named(t.schema))) unmatched.push(`schema ${s}`);
  }
  // An --exclude that matches nothing is as likely a typo as an --table: a mistyped exclude copies
  // (and with replace, empties) the very table meant to be left alone, so it is reported too.
  for (const p of [...includes, ...excludes])
    if (!tables.some((t) => inSchemas(t) && matches(p, t))) unmatched.push(p.text);
  if (sel.only) {
    const wanted = new Set(sel.only.map(([s, t]) => JSON.stringify([s, t])));
    for (const [s, t] of sel.only) if (!tables.some((x) => x.schema === s && x.name === t)) unmatched.push(`${s}.${t}`);
    return { selected: tables.filter((t) => wanted.has(JSON.stringify([t.schema, t.name]))), unmatched };
  }
  const selected = tables.filter((t) => {
    if (!inSchemas(t)) return false;
    if (excludes.some((p) => matches(p, t))) return false;
    // Named explicitly: kept even when not copyable, so the plan can say why it is skipped.
    if (includes.length)
      return (
        includes.some((p) => matches(p, t)) &&
        (copyable(t) || includes.some((p) => !p.text.includes('*') && matches(p, t)))
      );
    return copyable(t);
  });
  return { selected, unmatched };
}

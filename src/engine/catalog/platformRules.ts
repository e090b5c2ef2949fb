// Which of a hosted platform's tables a run takes: the user's own always, the platform's data only
// when asked for, its machinery only when named exactly or with --include-platform-schema.
import { displayName } from '../../shared/names.js';
import type { PlatformTable } from '../../shared/report.js';
import type { Catalog, Table } from './catalog.js';
import { type PlatformKind, stricterKind, tableKind } from './platform.js';
import { type Selection, matches, parseTablePattern, schemaSelected } from './selection.js';

interface PlatformDecision {
  /** Tables the run takes, each with a note when it is a platform's (what copying it means). */
  kept: { table: Table; note: { text: string; warning: boolean } | null }[];
  /** Tables left out by the rules, with the reason. */
  leftOut: PlatformTable[];
}

/** A table's kind by both sides' platforms: the stricter wins, so a target's machinery is never overwritten. */
function kindOn(source: Catalog, target: Catalog, t: Pick<Table, 'schema' | 'name'>): PlatformKind {
  const onSource = tableKind(source.platform?.id, t.schema, t.name);
  return stricterKind(onSource, tableKind(target.platform?.id, t.schema, t.name));
}

export function applyPlatformRules(
  selected: Table[],
  sel: Selection,
  source: Catalog,
  target: Catalog,
): PlatformDecision {
  const patterns = (sel.tables ?? []).map(parseTablePattern);
  const picked = (t: Table) => sel.only?.some(([s, n]) => s === t.schema && n === t.name) ?? false;
  const namesTable = (t: Table) => picked(t) || patterns.some((p) => p.namesTable && matches(p, t));
  const namesSchema = (t: Table) =>
    namesTable(t) || schemaSelected(sel, t.schema) || patterns.some((p) => p.namesSchema && matches(p, t));
  const decision: PlatformDecision = { kept: [], leftOut: [] };
  for (const t of selected) {
    const k = kindOn(source, target, t);
    const leave = (reason: string) =>
      decision.leftOut.push({ schema: t.schema, table: t.name, kind: k.kind as PlatformTable['kind'], reason });
    if (k.kind === 'user') decision.kept.push({ table: t, note: null });
    else if (k.kind === 'platform data') {
      if (namesSchema(t) || sel.includePlatform)
        decision.kept.push({ table: t, note: { text: `${k.platform} data: ${k.note}`, warning: false } });
      else
        leave(
          `${k.platform} platform data, not selected by default (select its schema or the table to copy it): ${k.note}`,
        );
    } else if (namesTable(t) || sel.includePlatform) {
      const why = sel.includePlatform ? 'platform schemas were included' : 'it was named';
      decision.kept.push({
        table: t,
        note: {
          text: `warning: copied because ${why}, although it ${k.note}; overwriting it can break the ${k.platform} services of the target`,
          warning: true,
        },
      });
    } else {
      leave(
        `${k.platform} platform internal, never copied by default: it ${k.note} (name the table, or include platform schemas, to copy it anyway)`,
      );
    }
  }
  return decision;
}

/**
 * A note for each copied table whose foreign keys point into a platform table the rules left out
 * (`public.profiles` → `auth.users` is the usual Supabase case): the target must already hold the
 * rows pointed at, or the load fails its foreign-key check. Says so before anything is written.
 */
export function referenceNotes(t: Pick<Table, 'foreignKeys'>, leftOut: PlatformTable[]): string[] {
  const out = new Map(leftOut.map((l) => [`${l.schema}.${l.table}`, l]));
  const refs = [...new Set(t.foreignKeys.map((fk) => `${fk.refSchema}.${fk.refTable}`))];
  return refs.flatMap((ref) => {
    const l = out.get(ref);
    if (!l) return [];
    const how = l.kind === 'platform data' ? `select ${l.schema} too` : 'name it, or include platform schemas';
    return [
      `references ${displayName(l.schema, l.table)}, which is not copied (${l.kind}): the rows it points at must ` +
        `already be on the target, or the load fails its foreign-key check (${how})`,
    ];
  });
}

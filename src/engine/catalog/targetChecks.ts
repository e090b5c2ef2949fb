// CHECK constraints a target table has that the source's lacks: the source's rows were never held to
// them, so the target may refuse some. Said in the plan before anything is written.
import { displayName } from '../../shared/names.js';
import type { Table } from './catalog.js';

// A NOT VALID check still refuses every row inserted under it: the same rule either way.
const rule = (definition: string) => definition.replace(/\s+NOT VALID$/, '');

/** One warning per CHECK of the target table that no CHECK of the source's has, by definition. */
export function checksSourceLacks(source: Table, target: Table): string[] {
  const held = new Set(source.checks.map((c) => rule(c.definition)));
  return target.checks
    .filter((c) => !held.has(rule(c.definition)))
    .map(
      (c) =>
        `${displayName(target.schema, target.name)} has CHECK constraint ${c.name} (${c.definition}) on the target ` +
        'that the source lacks: rows may be refused',
    );
}

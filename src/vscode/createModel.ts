// The review's "Create N tables on the target" choice, without `vscode` so it can be unit-tested.
// The review plans with creation on (the DDL is tried on the target and rolled back, nothing is
// written), then shows the plan as it would run with the user's choice: nothing is created unless
// the user turns the choice on.
import type { PlanResult } from '../engine/index.js';
import { displayName } from '../shared/names.js';
import { reviewLines } from './review.js';
import type { Item } from './wizardModel.js';

type CreateChoice = 'create-missing' | 'show-sql';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The plan as it runs with the choice: without it, the tables it would create are skipped, saying so. */
function planWithChoice(planned: PlanResult, create: boolean): PlanResult {
  if (create) return planned;
  const n = planned.plan.tables.filter((t) => t.create?.kind === 'create').length;
  const tables = planned.plan.tables.map((t) =>
    t.create?.kind === 'create'
      ? {
          ...t,
          action: 'skip' as const,
          skip: 'missing-on-target' as const,
          create: undefined,
          notes: [],
          reason:
            `missing on the target: create ${displayName(t.schema, t.table)} there first, or choose ` +
            `"Create ${plural(n, 'table')} on the target" in this review`,
        }
      : t,
  );
  return { ...planned, plan: { ...planned.plan, tables } };
}

/** The choice's rows in the review: the toggle and, when on, "Show SQL". None when nothing can be created. */
function createItems(planned: PlanResult, create: boolean): Item<CreateChoice>[] {
  const created = planned.plan.tables.filter((t) => t.create?.kind === 'create');
  if (!created.length) return [];
  const names = created.map((t) => displayName(t.schema, t.table)).join(', ');
  const label = `Create ${plural(created.length, 'table')} on the target`;
  const items: Item<CreateChoice>[] = [
    {
      label: `${create ? '$(pass-filled)' : '$(circle-large-outline)'} ${label}`,
      description: create ? 'chosen: choose again to skip them' : 'not chosen: choose to create them',
      detail: `${names}: from the source's definition, in the run's transaction (undone if the run rolls back)`,
      value: 'create-missing',
    },
  ];
  if (create)
    items.push({
      label: '$(go-to-file) Show SQL',
      detail: 'The DDL the run executes, in an untitled SQL editor',
      value: 'show-sql',
    });
  return items;
}

/**
 * The review's rows with the choice: Start first, then the choice, then the plan in words (a group
 * row's value is `group:` and its key; `shown` holds the groups listed in full).
 */
export function reviewItems(
  planned: PlanResult,
  create: boolean,
  sourceName: string,
  targetName: string,
  shown: ReadonlySet<string> = new Set(),
): Item<string>[] {
  const lines = reviewLines(planWithChoice(planned, create), sourceName, targetName, shown).map(
    (l): Item<string> => ({ label: l.label, detail: l.detail, value: l.group ? `group:${l.group}` : l.kind }),
  );
  return [...lines.slice(0, 1), ...createItems(planned, create), ...lines.slice(1)];
}

/**
 * "Copy Table to Target…" for a table the target lacks and Archon can create: the plan in a line and
 * one choice that creates and copies it (there are no rows of the user's to keep or empty).
 */
export function copyCreateItems(planned: PlanResult, sourceName: string, targetName: string): Item<'replace'>[] {
  const t = planned.plan.tables[0];
  if (t?.create?.kind !== 'create') return [];
  const name = displayName(t.schema, t.table);
  return [
    {
      label:
        `${name} is missing on ${targetName}: create it there and copy it FROM ${sourceName} ` +
        `(PostgreSQL ${planned.source.serverVersion}, read-only) ` +
        `TO ${targetName} (PostgreSQL ${planned.target.serverVersion})`,
      separator: true,
    },
    {
      label: `$(add) Create ${name} on the target and copy it`,
      detail: "From the source's definition, in one transaction with its rows: undone if the copy does not verify",
      value: 'replace',
    },
  ];
}

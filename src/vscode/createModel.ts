// The review's schema-change choices, "Create N tables on the target" and "Add N columns to M tables
// on the target", without `vscode` so they can be unit-tested. The review plans with both on (the DDL
// is tried on the target and rolled back, nothing is written), then shows the plan as it would run
// with the user's choices: nothing is created or added unless the user turns it on (in the table
// picker or here).
import type { PlanResult, TablePlan } from '../engine/index.js';
import { formatBytes, plural } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import { OBJECT_KINDS, type SchemaObject } from '../shared/report.js';
import { isMade, kindCount } from '../shared/reportObjects.js';
import { reviewLines } from './review.js';
import type { SchemaOption } from './tablePicker.js';
import type { Item } from './wizardModel.js';

/**
/**
 * What the run may change on the target's schema, as chosen, and whether it keeps a backup of the rows
 * it replaces or appends to, for undo (on unless turned off in the review). createObjects (functions,
 * views, triggers) follows createMissing until chosen on its own (choicesOf in wizard.ts).
 */
export type SchemaChoices = Record<SchemaOption, boolean> & { createObjects?: boolean; backup?: boolean };

type ChoiceValue = 'create-missing' | 'add-columns' | 'create-objects' | 'show-sql' | 'backup';

/** What a run that keeps no backup says about undo, in the review and in the plan it runs. */
export const NO_BACKUP = 'Undo will not be possible for this run: it keeps no backup of the rows it changes, as chosen';

/** "Also create 5 functions, 2 views, 3 triggers": the objects choice's words, in its reasons too. */
export function objectsChoiceLabel(objects: SchemaObject[]): string | null {
  const made = objects.filter(isMade);
  if (!made.length) return null;
  const counts = OBJECT_KINDS.map((k) => [k, made.filter((o) => o.kind === k).length] as const)
    .filter(([, n]) => n)
    .map(([k, n]) => kindCount(k, n));
  return `Also create ${counts.join(', ')}`;
}

/** What the plan's --create-objects creates, in order. */
type Made = PlanResult['plan']['createObjects'];

/** A trigger or a rule: it goes with the relation it is on. */
const attached = (kind: string) => kind === 'trigger' || kind === 'rule';

/** Whether a trigger or rule (named `t on public.v`) is on a view the run creates: it goes with the view, not the tables. */
const onCreatedView = (trigger: string, planned: Made) =>
  (planned ?? []).some((v) => v.kind === 'view' && trigger.endsWith(` on ${v.name}`));

/**
 * The objects as a run with the choices treats them: all left out when not chosen (saying how to
 * choose them); a table's trigger or rule left out when its table is not created.
 */
function objectsWithChoices(objects: SchemaObject[], choices: SchemaChoices, planned: Made): SchemaObject[] {
  const label = objectsChoiceLabel(objects);
  return objects.map((o): SchemaObject => {
    if (!isMade(o)) return o;
    if (!choices.createObjects)
      return { ...o, status: 'not created', reason: `created only when asked: choose "${label}" in this review` };
    if (attached(o.kind) && !choices.createMissing && !onCreatedView(o.name, planned))
      return { ...o, status: 'not created', reason: 'its table is not created (the tables are not chosen)' };
    return o;
  });
}

const creates = (t: TablePlan) => t.create?.kind === 'create';
const widens = (t: TablePlan) => t.create?.kind === 'add-columns';

/** "Create 2 tables on the target", "Add 3 columns to 1 table on the target": a choice's words, in its reasons too. */
function choiceLabels(planned: PlanResult): Record<SchemaOption, string> {
  const created = planned.plan.tables.filter(creates).length;
  const widened = planned.plan.tables.filter(widens);
  const columns = widened.reduce((n, t) => n + (t.create?.added?.length ?? 0), 0);
  return {
    createMissing: `Create ${plural(created, 'table')} on the target`,
    addColumns: `Add ${plural(columns, 'column')} to ${plural(widened.length, 'table')} on the target`,
  };
}

/** The plan as it runs with the choices: the tables a choice left off are skipped, saying how to turn it on. */
export function planWithChoices(planned: PlanResult, choices: SchemaChoices): PlanResult {
  const labels = choiceLabels(planned);
  const tables = planned.plan.tables.map((t): TablePlan => {
    const name = displayName(t.schema, t.table);
    if (creates(t) && !choices.createMissing)
      return {
        ...t,
        action: 'skip',
        skip: 'missing-on-target',
        create: undefined,
        notes: [],
        reason: `missing on the target: create ${name} there first, or choose "${labels.createMissing}" in this review`,
      };
    if (widens(t) && !choices.addColumns) {
      const added = t.create?.added ?? [];
      const columns = `${added.length === 1 ? 'column' : 'columns'} ${added.join(', ')}`;
      return {
        ...t,
        action: 'skip',
        skip: 'missing-columns',
        create: undefined,
        notes: [],
        reason:
          `source ${columns} ${added.length === 1 ? 'does' : 'do'} not exist on the target (copying would lose ` +
          `${added.length === 1 ? 'its' : 'their'} data): add ${added.length === 1 ? 'it' : 'them'} there first, ` +
          `or choose "${labels.addColumns}" in this review`,
      };
    }
    return t;
  });
  const made = planned.plan.createObjects;
  const objects = objectsWithChoices(planned.plan.objects, choices, made);
  const createObjects = choices.createObjects
    ? made?.filter((o) => !attached(o.kind) || choices.createMissing || onCreatedView(o.name, made))
    : undefined;
  return {
    ...planned,
    plan: { ...planned.plan, tables, objects, createObjects },
    undo: undoWithChoices(planned, tables, choices),
  };
}

/**
 * What the run keeps for undo as it runs with the choices: the plan was made with every change on, so a
 * table a choice left off keeps nothing; with the backup off, nothing is kept and undo is not possible.
 */
function undoWithChoices(planned: PlanResult, tables: TablePlan[], choices: SchemaChoices): PlanResult['undo'] {
  const copied = new Set(tables.filter((t) => t.action === 'copy').map((t) => displayName(t.schema, t.table)));
  const kept = planned.undo.kept.filter((k) => copied.has(displayName(k.schema, k.table)));
  if (choices.backup === false && kept.length)
    return { ...planned.undo, possible: false, reason: NO_BACKUP, kept: [], bytes: 0 };
  return { ...planned.undo, kept, bytes: kept.reduce((sum, k) => sum + k.bytes, 0) };
}

/**
 * The backup's row: what is kept and where, for undo, and what turning it off costs. Offered only when
 * there is something to keep (rows the run replaces or appends to) and the journal can be written.
 */
function backupItem(planned: PlanResult, choices: SchemaChoices): Item<ChoiceValue>[] {
  const u = planWithChoices(planned, { ...choices, backup: true }).undo;
  if (!u.journal || !u.kept.length) return [];
  const on = choices.backup !== false;
  const what = `a backup of ${plural(u.kept.length, 'table')} (about ${formatBytes(u.bytes)}) in schema archon on the target, for undo`;
  return [
    {
      label: on ? `$(pass-filled) Keeps ${what}` : `$(circle-large-outline) Keep ${what}`,
      description: on ? 'chosen: choose again to keep no backup' : `not chosen: ${NO_BACKUP.split(':')[0]}`,
      detail: `${u.kept.map((k) => displayName(k.schema, k.table)).join(', ')}: kept until you drop them (Archon: Drop Backups…, or the Archon journal in the Archon view)`,
      value: 'backup',
    },
  ];
}

/** One choice's toggle row, naming the tables it concerns. */
function toggle(label: string, on: boolean, tables: TablePlan[], value: ChoiceValue): Item<ChoiceValue> {
  const names = tables.map((t) => displayName(t.schema, t.table)).join(', ');
  const verb = value === 'create-missing' ? 'create them' : 'add them';
  return {
    label: `${on ? '$(pass-filled)' : '$(circle-large-outline)'} ${label}`,
    description: on ? 'chosen: choose again to skip them' : `not chosen: choose to ${verb}`,
    detail: `${names}: from the source's definition, in the run's transaction (undone if the run rolls back)`,
    value,
  };
}

/** The choices' rows in the review: a toggle for each possible change and, when one is on, "Show SQL". */
function choiceItems(planned: PlanResult, choices: SchemaChoices): Item<ChoiceValue>[] {
  const labels = choiceLabels(planned);
  const created = planned.plan.tables.filter(creates);
  const widened = planned.plan.tables.filter(widens);
  const items: Item<ChoiceValue>[] = [];
  if (created.length) items.push(toggle(labels.createMissing, choices.createMissing, created, 'create-missing'));
  if (widened.length) items.push(toggle(labels.addColumns, choices.addColumns, widened, 'add-columns'));
  items.push(...backupItem(planned, choices));
  const objectsLabel = objectsChoiceLabel(planned.plan.objects);
  if (objectsLabel) {
    const on = !!choices.createObjects;
    items.push({
      label: `${on ? '$(pass-filled)' : '$(circle-large-outline)'} ${objectsLabel}`,
      description: on ? 'chosen: choose again to leave them out' : 'not chosen: choose to create them',
      detail:
        "The functions, views and triggers the target lacks, from the source's definitions, in the run's " +
        "transaction, then compared with the source's (undone if the run rolls back)",
      value: 'create-objects',
    });
  }
  if (
    (created.length && choices.createMissing) ||
    (widened.length && choices.addColumns) ||
    (objectsLabel && choices.createObjects)
  )
    items.push({
      label: '$(go-to-file) Show SQL',
      detail: 'The DDL the run executes, in an untitled SQL editor',
      value: 'show-sql',
    });
  return items;
}

/**
 * The review's rows with the choices: Start first, then the choices, then the plan in words (a group
 * row's value is `group:` and its key; `shown` holds the groups listed in full). With nothing to copy,
 * the first row points at the choice that would copy something, not at Back.
 */
export function reviewItems(
  planned: PlanResult,
  choices: SchemaChoices,
  sourceName: string,
  targetName: string,
  shown: ReadonlySet<string> = new Set(),
): Item<string>[] {
  const lines = reviewLines(planWithChoices(planned, choices), sourceName, targetName, shown).map(
    (l): Item<string> => ({ label: l.label, detail: l.detail, value: l.group ? `group:${l.group}` : l.kind }),
  );
  const offered = choiceItems(planned, choices);
  const [first, ...rest] = lines;
  const off = offered.filter((i) => i.label.startsWith('$(circle-large-outline)'));
  if (first.value === 'nothing' && off.length) {
    const which = off.map((i) => `"${i.label.replace(/^\$\([^)]*\) /, '')}"`).join(' or ');
    first.detail = `Every selected table is skipped: choose ${which} below to copy them.`;
  }
  return [first, ...offered, ...rest];
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

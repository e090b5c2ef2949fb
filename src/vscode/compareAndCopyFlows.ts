// The two short flows besides the wizard, as steps (multiStep.ts) like the wizard's:
//   Compare Databases:    compareSourceStep → compareTargetStep
//   Copy Table to Target: copyTargetStep (only when there is more than one target) → copyExistingRowsStep
//   (the existing rows: a labelled step that opens on the choice that changes nothing)
import * as vscode from 'vscode';
import { type Table, countTableRows, planMigration } from '../engine/index.js';
import { sameDatabase } from '../shared/endpoint.js';
import { formatCount } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import type { ExistingPolicy } from '../shared/report.js';
import { urlOf, type ConnectionProfile } from './connectionStore.js';
import { copyCreateItems } from './createModel.js';
import { MultiStepInput, type Step } from './multiStep.js';
import type { Runner } from './runner.js';
import { pickConnection, type WizardDeps } from './wizard.js';
import { confirmBeforeWriting, defaultExistingRows } from './settings.js';
import { NO_REPLACE, copyPolicyItems, planLine, replaceRefusal, type Item, type TableKey } from './wizardModel.js';
import { errorMessage } from './errorWords.js';

interface CompareState {
  readonly deps: WizardDeps;
  source?: ConnectionProfile;
  target?: ConnectionProfile;
}

type CompareInput = MultiStepInput<CompareState>;

const COMPARE_TITLE = 'Archon: Compare Databases';

/** Source → target, then the comparison runs and its report opens. */
export async function compareFlow(deps: WizardDeps, runner: Runner): Promise<void> {
  const state: CompareState = { deps };
  if (!(await MultiStepInput.run(compareSourceStep, state, deps.credentials))) return;
  if (state.source && state.target) await runner.compare(state.source, state.target);
}

async function compareSourceStep(input: CompareInput, state: CompareState): Promise<Step<CompareState>> {
  state.source = await pickConnection(input, state.deps, { title: COMPARE_TITLE, step: 1, totalSteps: 2 });
  return compareTargetStep;
}

async function compareTargetStep(input: CompareInput, state: CompareState): Promise<undefined> {
  const o = { title: COMPARE_TITLE, step: 2, totalSteps: 2, exclude: state.source };
  state.target = await pickConnection(input, state.deps, o);
  return undefined;
}

interface CopyState {
  readonly deps: WizardDeps;
  readonly source: ConnectionProfile;
  readonly table: TableKey;
  readonly title: string;
  /** 2 when the target is asked for (two steps), undefined when there is one target (no counter). */
  readonly totalSteps: 2 | undefined;
  target?: ConnectionProfile;
  existing?: ExistingPolicy;
  /** What the existing-rows step learnt (kept while the step is shown again after a declined Replace). */
  known?: CopyFacts;
  /** The table is missing on the target and the user chose to create it. */
  createMissing?: boolean;
}

type CopyInput = MultiStepInput<CopyState>;

/** Right-click a source table: the target (asked only when there are several), then the existing rows. */
export async function copyTableFlow(
  deps: WizardDeps,
  runner: Runner,
  source: ConnectionProfile,
  t: Table,
): Promise<void> {
  if (runner.refuseIfBusy()) return; // before any question, not after all of them
  const candidates = deps.store.list().filter((c) => c.id !== source.id && !sameDatabase(c, source));
  if (!candidates.length) {
    const add = 'Add Connection';
    if ((await vscode.window.showWarningMessage('Archon: add a target connection first.', add)) === add) {
      await deps.addConnection('target');
    }
    return;
  }
  const targets = candidates.filter((c) => c.role === 'target');
  const askTarget = targets.length !== 1;
  const state: CopyState = {
    deps,
    source,
    table: [t.schema, t.name],
    title: `Copy ${t.schema}.${t.name} to Target`,
    totalSteps: askTarget ? 2 : undefined,
    target: askTarget ? undefined : targets[0],
  };
  if (!(await MultiStepInput.run(askTarget ? copyTargetStep : copyExistingRowsStep, state, deps.credentials))) return;
  const { target, existing, createMissing } = state;
  if (target && existing) await runner.migrate({ source, target, existing, tables: [state.table], createMissing });
}

async function copyTargetStep(input: CopyInput, state: CopyState): Promise<Step<CopyState>> {
  const o = { title: state.title, step: 1, totalSteps: 2, exclude: state.source };
  state.target = await pickConnection(input, state.deps, o);
  state.known = undefined;
  return copyExistingRowsStep;
}

/**
 * A step of its own, labelled with the target table and its row count: what happens to the rows
 * already there. It opens on the choice that changes nothing; Replace of a table that has rows asks
 * once more, naming the table and its count; Replace that cannot be done (another table's foreign
 * key) says why where it is offered, and suggests Append. A table that cannot be copied ends the flow.
 */
async function copyExistingRowsStep(input: CopyInput, state: CopyState): Promise<undefined> {
  for (;;) {
    const [existing] = await input.pick<ExistingPolicy | typeof NO_REPLACE>({
      title: state.title,
      step: state.totalSteps && 2,
      totalSteps: state.totalSteps,
      placeholder: 'Reading both databases…',
      placeholderAfterLoad: 'Rows already in the target table: what should happen to them?',
      items: [],
      // The plan row only informs; a plan that copies nothing lets Enter end the flow.
      accept: ([value]) => {
        if (value === NO_REPLACE) void vscode.window.showWarningMessage(`Archon: ${noReplaceMessage(state)}`);
        return (value !== undefined && value !== NO_REPLACE) || !state.known?.line.ok;
      },
      load: async (setItems) => {
        state.known ??= await copyFacts(state);
        state.createMissing = !!state.known.create?.length;
        setItems(copyItems(state.known));
      },
    });
    if (existing === NO_REPLACE) continue; // accept() keeps the step open on it
    if (existing !== 'replace' || (await confirmReplace(state))) {
      state.existing = existing;
      return undefined;
    }
  }
}

const noReplaceMessage = (state: CopyState) =>
  `Replace cannot empty ${state.known?.targetName}: ${state.known?.noReplace}. Choose Append to keep its rows and add the source's.`;

/** What the existing-rows step shows: the plan in a line and the target table's exact row count. */
interface CopyFacts {
  line: { ok: boolean; text: string };
  /** Null when the target has no such table (the plan then says why nothing is copied). */
  targetRows: number | null;
  targetName: string;
  error?: string;
  /** The table is missing on the target and can be created: the one choice offered instead. */
  create?: Item<'replace'>[];
  /** Why Replace cannot be done (learnt from a plan made with it); null when it can. */
  noReplace?: string | null;
}

async function copyFacts(state: CopyState): Promise<CopyFacts> {
  const { source, target } = state as CopyState & { target: ConnectionProfile };
  const targetName = `${target.name}'s ${displayName(...state.table)}`;
  try {
    return await state.deps.credentials.both(source, target, async (passwords) => {
      // Planned with Append for the line, and with Replace to know before offering it whether it can be done.
      const plan = (existing: ExistingPolicy) =>
        planMigration({
          source: urlOf(source),
          target: urlOf(target),
          passwords,
          selection: { only: [state.table] },
          existing,
          createMissing: true, // offered in the step; created only when chosen
        });
      const [planned, replacing] = await Promise.all([plan('append'), plan('replace')]);
      const create = copyCreateItems(planned, source.name, target.name);
      if (create.length) return { line: { ok: true, text: '' }, targetRows: null, targetName, create };
      const line = planLine(planned, source.name, target.name);
      const there = planned.plan.tables[0]?.target;
      const c = { url: urlOf(target), password: passwords.target, role: 'target' as const };
      const targetRows = line.ok && there ? await countTableRows(c, there) : null;
      return { line, targetRows, targetName, noReplace: line.ok ? replaceRefusal(replacing) : null };
    });
  } catch (e) {
    return { line: { ok: false, text: '' }, targetRows: null, targetName, error: errorMessage(e) };
  }
}

function copyItems(f: CopyFacts): Item<ExistingPolicy | typeof NO_REPLACE>[] {
  if (f.error) return [{ label: `$(error) ${f.error}` }];
  if (f.create?.length) return f.create;
  if (!f.line.ok) return [{ label: `$(warning) ${f.line.text}`, detail: 'Nothing will be copied.' }];
  const rows = f.targetRows ?? 0;
  const now = rows ? `${f.targetName} has ${formatCount(rows)} rows` : `${f.targetName} is empty`;
  const plan: Item<ExistingPolicy> = { label: `$(arrow-right) ${f.line.text}`, detail: `Now: ${now}.` };
  // Copy Table has no review: whatever the setting, Enter alone never empties the table.
  const policies = copyPolicyItems(rows, defaultExistingRows(), f.noReplace ?? null);
  return [plan, { label: 'Rows already in the target table', separator: true }, ...policies];
}

/** Replace asks once more when the table has rows: a modal that names the table and its count. */
async function confirmReplace(state: CopyState): Promise<boolean> {
  const f = state.known;
  if (!f?.targetRows || !confirmBeforeWriting()) return true;
  const empty = 'Empty and Copy';
  const choice = await vscode.window.showWarningMessage(
    `Empty ${f.targetName} (${formatCount(f.targetRows)} rows) and copy?`,
    {
      modal: true,
      detail:
        'Its rows are deleted before the source rows are copied (all rolled back if the copy fails). ' +
        'Append or Skip keeps them.',
    },
    empty,
  );
  return choice === empty;
}

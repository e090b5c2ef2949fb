// The two short flows besides the wizard, as steps (multiStep.ts) like the wizard's:
//   Compare Databases:    compareSourceStep → compareTargetStep
//   Copy Table to Target: copyTargetStep (only when there is more than one target) → copyExistingRowsStep
import * as vscode from 'vscode';
import { type Table, planMigration } from '../engine/index.js';
import { sameDatabase } from '../shared/endpoint.js';
import type { ExistingPolicy } from '../shared/report.js';
import { urlOf, type ConnectionProfile } from './connectionStore.js';
import { copyCreateItems } from './createModel.js';
import { MultiStepInput, type Step } from './multiStep.js';
import type { Runner } from './runner.js';
import { pickConnection, type WizardDeps } from './wizard.js';
import { POLICY_ITEMS, planLine, type Item, type TableKey } from './wizardModel.js';

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
  /** The table is missing on the target and the user chose to create it. */
  createMissing?: boolean;
}

type CopyInput = MultiStepInput<CopyState>;

/** Right-click a source table: the target (asked only when there are several), the plan line, the existing rows. */
export async function copyTableFlow(
  deps: WizardDeps,
  runner: Runner,
  source: ConnectionProfile,
  t: Table,
): Promise<void> {
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
  return copyExistingRowsStep;
}

/** The table's plan in a line, above the existing-rows choice; a table that cannot be copied ends the flow. */
async function copyExistingRowsStep(input: CopyInput, state: CopyState): Promise<undefined> {
  const [existing] = await input.pick<ExistingPolicy>({
    title: state.title,
    step: state.totalSteps && 2,
    totalSteps: state.totalSteps,
    placeholder: 'Reading both databases…',
    placeholderAfterLoad: 'Rows already in the target table: what should happen to them?',
    items: [],
    load: async (setItems) => setItems(await copyPlanItems(state)),
  });
  state.existing = existing;
  return undefined;
}

async function copyPlanItems(state: CopyState): Promise<Item<ExistingPolicy>[]> {
  const { source, target } = state as CopyState & { target: ConnectionProfile };
  try {
    const planned = await state.deps.credentials.both(source, target, (passwords) =>
      planMigration({
        source: urlOf(source),
        target: urlOf(target),
        passwords,
        selection: { only: [state.table] },
        existing: 'append',
        createMissing: true, // offered below; created only when chosen
      }),
    );
    const create = copyCreateItems(planned, source.name, target.name);
    state.createMissing = create.length > 0;
    if (create.length) return create;
    const line = planLine(planned, source.name, target.name);
    if (!line.ok) return [{ label: `$(warning) ${line.text}`, detail: 'Nothing will be copied.' }];
    return [{ label: line.text, separator: true }, ...POLICY_ITEMS];
  } catch (e) {
    return [{ label: `$(error) ${(e as Error).message}` }];
  }
}

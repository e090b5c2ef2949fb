// "Archon: Migrate Database": the wizard's steps, one function each, in the order shown:
//   sourceStep → targetStep → tablesStep → existingRowsStep → reviewStep
// (existingRowsStep only when a selected table exists on the target: an empty target has no rows to
// ask about). Each step shows one pick (multiStep.ts), writes the answer into the wizard's state and
// returns the next step. The items and the review text come from wizardModel.ts.
import * as vscode from 'vscode';
import { type Catalog, type PlanResult, inspect, planMigration, testConnection } from '../engine/index.js';
import type { ExistingPolicy, Role } from '../shared/report.js';
import { urlOf, type ConnectionProfile, type ConnectionStore, type KeyValueStore } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { planWithChoices, reviewItems, type SchemaChoices } from './createModel.js';
import { showCreateSql } from './createSql.js';
import { MultiStepInput, type Step } from './multiStep.js';
import {
  type TablePick,
  allMissing,
  reselectTables,
  schemaChoices,
  selectedKeys,
  selectionSummary,
  tablePickItems,
} from './tablePicker.js';
import { defaultExistingRows, sourceJobs } from './settings.js';
import { connectionItems, policyItems, type Item, type TableKey } from './wizardModel.js';
import { errorMessage } from './errorWords.js';
import { WALKTHROUGH_KEYS } from './walkthroughKeys.js';

export interface MigrationRequest {
  source: ConnectionProfile;
  target: ConnectionProfile;
  existing: ExistingPolicy;
  tables: TableKey[];
  /** Create the selected tables the target lacks (chosen in the table picker or the review). */
  createMissing?: boolean;
  /** Add to the target's tables the source columns they lack (chosen in the table picker or the review). */
  addColumns?: boolean;
  /** Keep a backup of the rows the run replaces or appends to, for undo (on unless turned off in the review). */
  backup?: boolean;
  /** Create the functions, views and triggers the target lacks (chosen in the review). */
  createObjects?: boolean;
  /** Continue the failed run of this id from the spool it kept (the report's Resume button). */
  resume?: string;
}

export interface WizardDeps {
  store: ConnectionStore;
  credentials: Credentials;
  /** Server versions already learnt, by connection id. */
  versions: Map<string, string>;
  /** Runs "Add Connection" (in `role`'s group when given); offered when there is not enough to pick from. */
  addConnection: (role?: Role) => Promise<unknown>;
  /** The workspace's memory (workspaceState): the source and target picked last, preselected next time. */
  memory?: KeyValueStore;
}

/** Where the workspace keeps the connection picked last at each step (by id, never the connection itself). */
const LAST_PICKED = { source: 'archon.lastSource', target: 'archon.lastTarget' } as const;

/** What the wizard has been told so far; its steps fill it in. */
interface WizardState extends Partial<MigrationRequest> {
  readonly deps: WizardDeps;
  existing: ExistingPolicy;
  /** Set when the review is shown alone (Retry Failed Tables): its title, and no step counter. */
  reviewTitle?: string;
}

type WizardStep = Step<WizardState>;
type WizardInput = MultiStepInput<WizardState>;

const TITLE = 'Archon: Migrate Database';
const TOTAL_STEPS = 5;

/**
 * The migration wizard; with a `source` (Migrate from a connection node) it starts at the target
 * step, which then has no Back: the wizard never shows a step the user did not come through.
 */
export async function migrationWizard(
  deps: WizardDeps,
  source?: ConnectionProfile,
): Promise<MigrationRequest | undefined> {
  if (deps.store.list().length < 2) {
    const add = 'Add Connection';
    const needed = 'Archon needs two saved connections, a source and a target.';
    const choice = await vscode.window.showWarningMessage(needed, add);
    if (choice === add) await deps.addConnection();
    return undefined;
  }
  const state: WizardState = { deps, source, existing: defaultExistingRows() };
  if (!(await MultiStepInput.run(source ? targetStep : sourceStep, state, deps.credentials))) return undefined;
  const { target, tables, existing, createMissing, addColumns } = state;
  const { createObjects } = choicesOf(state);
  return state.source && target && tables
    ? { source: state.source, target, tables, existing, createMissing, addColumns, createObjects }
    : undefined;
}

/** Step 1: the database copied FROM. A new source forgets the tables picked for the old one. */
async function sourceStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const source = await pickConnection(input, state.deps, { title: TITLE, step: 1, totalSteps: TOTAL_STEPS });
  if (state.source?.id !== source.id)
    Object.assign(state, {
      tables: undefined,
      createMissing: undefined,
      addColumns: undefined,
      createObjects: undefined,
    });
  state.source = source;
  return targetStep;
}

/** Step 2: the database copied TO (never the source's database). */
async function targetStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const exclude = state.source;
  state.target = await pickConnection(input, state.deps, { title: TITLE, step: 2, totalSteps: TOTAL_STEPS, exclude });
  return tablesStep;
}

/**
 * Step 3: the source's tables, all preselected (or as picked before). Typing filters them; a
 * schema's row checks or clears all its tables; the title sums up what is selected. Each table says
 * whether the target lacks it or some of its columns, and check rows above offer to create or add
 * them. When no selected table exists on the target, the existing-rows step is not shown.
 */
async function tablesStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const source = state.source!;
  const target = state.target!;
  const { credentials } = state.deps;
  let all: TablePick[] = [];
  const picked = await input.pick<TablePick>({
    title: TITLE,
    step: 3,
    totalSteps: TOTAL_STEPS,
    placeholder: `Tables of ${source.name} to copy (your own tables preselected; type to filter, Space toggles, Enter continues)`,
    items: [],
    canSelectMany: true,
    reselect: (before, after) => reselectTables(all, before, after),
    summary: (selected) => selectionSummary(all, selected),
    accept: (values) => {
      if (selectedKeys(values).length) return true;
      void vscode.window.showWarningMessage('Pick at least one table.');
      return false;
    },
    load: async (setItems) => {
      try {
        const [catalog, onTarget] = await Promise.all([
          credentials.withPassword(source, 'source', (password) =>
            inspect({ url: urlOf(source), password, role: 'source' }),
          ),
          targetCatalog(state),
        ]);
        const chosen = { createMissing: state.createMissing, addColumns: state.addColumns };
        const view = onTarget ? { name: target.name, catalog: onTarget, chosen } : undefined;
        const items = tablePickItems(catalog, state.tables, view);
        all = items.flatMap((i) => (i.value ? [i.value] : []));
        setItems(items.length ? items : [{ label: '$(info) No tables in this database' }]);
      } catch (e) {
        setItems(errorItem(e));
      }
    },
  });
  state.tables = selectedKeys(picked);
  Object.assign(state, schemaChoices(picked));
  return allMissing(picked) ? reviewStep : existingRowsStep;
}

/**
 * The target's catalog for the picker's hints, read without asking for a password: when it cannot be
 * read now the picker shows the source alone, and the review (which plans) asks or says what is wrong.
 */
async function targetCatalog(state: WizardState): Promise<Catalog | undefined> {
  const target = state.target!;
  try {
    const password = await state.deps.credentials.password(target);
    return await inspect({ url: urlOf(target), password, role: 'target' });
  } catch {
    return undefined;
  }
}

/** Step 4: what happens to the rows already in the target tables. */
async function existingRowsStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const [existing] = await input.pick<ExistingPolicy>({
    title: TITLE,
    step: 4,
    totalSteps: TOTAL_STEPS,
    placeholder: `Rows already in ${state.target!.name}: what should happen to them?`,
    items: policyItems(state.existing),
  });
  state.existing = existing;
  return reviewStep;
}

/**
 * Step 5: the plan in words; only the "Start migration" row goes on, and the wizard is done. A
 * group row (many tables skipped for one reason) lists or hides its tables instead.
 */
async function reviewStep(input: WizardInput, state: WizardState): Promise<undefined> {
  const r = state as MigrationRequest;
  const shown = new Set<string>();
  let planned: PlanResult | undefined;
  let render = () => {};
  await input.pick<string>({
    title: `${state.reviewTitle ?? TITLE}: review`,
    step: state.reviewTitle ? undefined : 5,
    totalSteps: state.reviewTitle ? undefined : TOTAL_STEPS,
    placeholder: 'Reading both databases to make the plan…',
    placeholderAfterLoad: state.reviewTitle
      ? 'Choose "Start migration" to run it, or press Escape to leave the target as it is'
      : 'Choose "Start migration" to run it, or go Back to change something',
    items: [],
    accept: ([value]) => {
      // A group row lists or hides its tables, the creation choice toggles in place, Show SQL opens
      // the DDL beside the review; only "Start migration" goes on.
      if (value?.startsWith('group:')) {
        const key = value.slice('group:'.length);
        if (!shown.delete(key)) shown.add(key);
        render();
      } else if (value === 'create-missing') {
        state.createMissing = !state.createMissing;
        render();
      } else if (value === 'add-columns') {
        state.addColumns = !state.addColumns;
        render();
      } else if (value === 'backup') {
        state.backup = state.backup === false;
        render();
      } else if (value === 'create-objects') {
        state.createObjects = !choicesOf(state).createObjects;
        render();
      } else if (value === 'show-sql' && planned) void showCreateSql(planWithChoices(planned, choicesOf(state)));
      return value === 'start';
    },
    load: async (setItems) => {
      try {
        const p = await planFor(state);
        planned = p;
        render = () => setItems(reviewItems(p, choicesOf(state), r.source.name, r.target.name, shown));
        render();
        void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS.planReviewed, true);
      } catch (e) {
        setItems(errorItem(e));
      }
    },
  });
  return undefined;
}

/**
 * The objects choice is off until the run creates tables: a database being built on the target
 * (an empty one) needs its functions, views and triggers to work; objects added around tables that
 * are already someone's are a choice of their own.
 */
const choicesOf = (state: WizardState): SchemaChoices => ({
  createMissing: !!state.createMissing,
  addColumns: !!state.addColumns,
  backup: state.backup !== false,
  createObjects: state.createObjects ?? !!state.createMissing,
});

/** Plans the request (nothing is written), noting the servers' versions on the way. */
async function planFor(state: WizardState) {
  const r = state as MigrationRequest;
  const { credentials, versions } = state.deps;
  const planned = await credentials.both(r.source, r.target, (passwords) =>
    planMigration({
      source: urlOf(r.source),
      target: urlOf(r.target),
      passwords,
      selection: { only: r.tables },
      existing: r.existing,
      // Planned to offer the choices; created or added only when chosen.
      createMissing: true,
      addColumns: true,
      createObjects: true,
      jobs: sourceJobs(),
    }),
  );
  versions.set(r.source.id, `PostgreSQL ${planned.source.serverVersion}`);
  versions.set(r.target.id, `PostgreSQL ${planned.target.serverVersion}`);
  return planned;
}

/**
 * The review step alone, for a request made elsewhere (Retry Failed Tables): true only when the
 * user chose "Start migration" after reading the plan.
 */
export function reviewMigration(deps: WizardDeps, req: MigrationRequest, title: string): Promise<boolean> {
  const state: WizardState = { deps, ...req, reviewTitle: title };
  return MultiStepInput.run(reviewStep, state, deps.credentials);
}

const errorItem = <T>(e: unknown): Item<T>[] => [
  {
    label: `$(error) ${errorMessage(e)}`,
    detail: 'Go back to pick another connection, or fix the connection in the Archon view.',
  },
];

/**
 * A connection pick (a wizard step, or a step of the Compare and Copy Table flows): the source
 * when there is no `exclude`, else the target. Server versions fill in as they are learnt.
 */
export async function pickConnection<S>(
  input: MultiStepInput<S>,
  deps: WizardDeps,
  o: { title: string; step: number; totalSteps: number; exclude?: ConnectionProfile },
): Promise<ConnectionProfile> {
  const key = LAST_PICKED[o.exclude ? 'target' : 'source'];
  const last = deps.memory?.get<string>(key);
  const render = () => connectionItems(deps.store.list(), deps.versions, o.exclude, last);
  const [chosen] = await input.pick<ConnectionProfile>({
    title: o.title,
    step: o.step,
    totalSteps: o.totalSteps,
    placeholder: o.exclude
      ? `Copy TO which database? (not ${o.exclude.name}, the source)`
      : 'Copy FROM which database? (it is only read, never written)',
    items: render(),
    load: (setItems) => loadVersions(deps, () => setItems(render())),
  });
  await deps.memory?.update(key, chosen.id);
  return chosen;
}

/** Learns each connection's server version in the background, without asking for passwords. */
async function loadVersions(deps: WizardDeps, changed: () => void): Promise<void> {
  await Promise.all(
    deps.store.list().map(async (c) => {
      if (deps.versions.has(c.id)) return;
      try {
        const version = await testConnection({ url: urlOf(c), password: await deps.credentials.password(c) });
        deps.versions.set(c.id, `PostgreSQL ${version}`);
      } catch {
        deps.versions.set(c.id, 'not reachable now');
      }
      changed();
    }),
  );
}

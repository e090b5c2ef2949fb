// "Archon: Migrate Database": the wizard's steps, one function each, in the order shown:
//   sourceStep → targetStep → tablesStep → existingRowsStep → reviewStep
// Each step shows one pick (multiStep.ts), writes the answer into the wizard's state and returns
// the next step. The items and the review text come from wizardModel.ts.
import * as vscode from 'vscode';
import { inspect, planMigration, testConnection } from '../engine/index.js';
import type { ExistingPolicy, Role } from '../shared/report.js';
import { urlOf, type ConnectionProfile, type ConnectionStore } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { MultiStepInput, type Step } from './multiStep.js';
import { POLICY_ITEMS, connectionItems, reviewLines, tableItems, type Item, type TableKey } from './wizardModel.js';

export interface MigrationRequest {
  source: ConnectionProfile;
  target: ConnectionProfile;
  existing: ExistingPolicy;
  tables: TableKey[];
}

export interface WizardDeps {
  store: ConnectionStore;
  credentials: Credentials;
  /** Server versions already learnt, by connection id. */
  versions: Map<string, string>;
  /** Runs "Add Connection" (in `role`'s group when given); offered when there is not enough to pick from. */
  addConnection: (role?: Role) => Promise<unknown>;
}

/** What the wizard has been told so far; its steps fill it in. */
interface WizardState extends Partial<MigrationRequest> {
  readonly deps: WizardDeps;
  existing: ExistingPolicy;
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
  const state: WizardState = { deps, source, existing: 'replace' };
  if (!(await MultiStepInput.run(source ? targetStep : sourceStep, state, deps.credentials))) return undefined;
  const { target, tables, existing } = state;
  return state.source && target && tables ? { source: state.source, target, tables, existing } : undefined;
}

/** Step 1: the database copied FROM. A new source forgets the tables picked for the old one. */
async function sourceStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const source = await pickConnection(input, state.deps, { title: TITLE, step: 1, totalSteps: TOTAL_STEPS });
  if (state.source?.id !== source.id) state.tables = undefined;
  state.source = source;
  return targetStep;
}

/** Step 2: the database copied TO (never the source's database). */
async function targetStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const exclude = state.source;
  state.target = await pickConnection(input, state.deps, { title: TITLE, step: 2, totalSteps: TOTAL_STEPS, exclude });
  return tablesStep;
}

/** Step 3: the source's tables, all preselected (or as picked before). */
async function tablesStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const source = state.source!;
  const { credentials } = state.deps;
  state.tables = await input.pick<TableKey>({
    title: TITLE,
    step: 3,
    totalSteps: TOTAL_STEPS,
    placeholder: `Tables of ${source.name} to copy (your own tables preselected; Space toggles, Enter continues)`,
    items: [],
    canSelectMany: true,
    accept: (values) => {
      if (values.some((v) => v !== undefined)) return true;
      void vscode.window.showWarningMessage('Pick at least one table.');
      return false;
    },
    load: async (setItems) => {
      try {
        const catalog = await credentials.withPassword(source, 'source', (password) =>
          inspect({ url: urlOf(source), password, role: 'source' }),
        );
        const items = tableItems(catalog, state.tables);
        setItems(items.length ? items : [{ label: '$(info) No tables in this database' }]);
      } catch (e) {
        setItems(errorItem(e));
      }
    },
  });
  return existingRowsStep;
}

/** Step 4: what happens to the rows already in the target tables. */
async function existingRowsStep(input: WizardInput, state: WizardState): Promise<WizardStep> {
  const [existing] = await input.pick<ExistingPolicy>({
    title: TITLE,
    step: 4,
    totalSteps: TOTAL_STEPS,
    placeholder: `Rows already in ${state.target!.name}: what should happen to them?`,
    items: POLICY_ITEMS.map((i) => (i.value === state.existing ? { ...i, description: 'current choice' } : i)),
  });
  state.existing = existing;
  return reviewStep;
}

/** Step 5: the plan in words; only the "Start migration" row goes on, and the wizard is done. */
async function reviewStep(input: WizardInput, state: WizardState): Promise<undefined> {
  const r = state as MigrationRequest;
  const { credentials, versions } = state.deps;
  await input.pick<string>({
    title: `${TITLE}: review`,
    step: 5,
    totalSteps: TOTAL_STEPS,
    placeholder: 'Reading both databases to make the plan…',
    placeholderAfterLoad: 'Choose "Start migration" to run it, or go Back to change something',
    items: [],
    accept: (values) => values[0] === 'start',
    load: async (setItems) => {
      try {
        const planned = await credentials.both(r.source, r.target, (passwords) =>
          planMigration({
            source: urlOf(r.source),
            target: urlOf(r.target),
            passwords,
            selection: { only: r.tables },
            existing: r.existing,
          }),
        );
        versions.set(r.source.id, `PostgreSQL ${planned.source.serverVersion}`);
        versions.set(r.target.id, `PostgreSQL ${planned.target.serverVersion}`);
        const lines = reviewLines(planned, r.source.name, r.target.name);
        setItems(lines.map((l) => ({ label: l.label, detail: l.detail, value: l.kind })));
      } catch (e) {
        setItems(errorItem(e));
      }
    },
  });
  return undefined;
}

const errorItem = <T>(e: unknown): Item<T>[] => [
  {
    label: `$(error) ${(e as Error).message}`,
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
  const render = () => connectionItems(deps.store.list(), deps.versions, o.exclude);
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

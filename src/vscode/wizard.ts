import * as vscode from 'vscode';
import { inspect, planMigration, testConnection } from '../engine/index.js';
import type { ExistingPolicy } from '../shared/report.js';
import { urlOf, type ConnectionProfile, type ConnectionStore } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { BACK, pick } from './quickPick.js';
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
}

const TITLE = 'Archon: Migrate Database';
const errorItem = <T>(e: unknown): Item<T>[] => [{ label: `$(error) ${(e as Error).message}`, detail: 'Go back to pick another connection, or fix the connection in the Archon view.' }];

/** Learns each connection's server version in the background, without asking for passwords. */
export function versionLoader(deps: WizardDeps, render: () => Item<ConnectionProfile>[]) {
  return async (setItems: (items: Item<ConnectionProfile>[]) => void) => {
    await Promise.all(
      deps.store.list().map(async (c) => {
        if (deps.versions.has(c.id)) return;
        try {
          deps.versions.set(c.id, `PostgreSQL ${await testConnection({ url: urlOf(c), password: await deps.credentials.password(c) })}`);
        } catch {
          deps.versions.set(c.id, 'not reachable now');
        }
        setItems(render());
      }),
    );
  };
}

export function pickConnection(deps: WizardDeps, step: number, totalSteps: number, title: string, exclude?: ConnectionProfile) {
  const render = () => connectionItems(deps.store.list(), deps.versions, exclude);
  return pick<ConnectionProfile>({
    title,
    step,
    totalSteps,
    placeholder: exclude ? `Copy TO which database? (not ${exclude.name}, the source)` : 'Copy FROM which database? (it is only read, never written)',
    items: render(),
    load: versionLoader(deps, render),
  });
}

/** Source → target → tables → existing rows → review. Back works on every step after the first. */
export async function migrationWizard(deps: WizardDeps, preset?: Partial<MigrationRequest>): Promise<MigrationRequest | undefined> {
  if (deps.store.list().length < 2) {
    const add = 'Add Connection';
    const choice = await vscode.window.showWarningMessage('Archon needs two saved connections, a source and a target.', add);
    if (choice === add) await vscode.commands.executeCommand('archon.addConnection');
    return undefined;
  }
  const total = 5;
  const r: Partial<MigrationRequest> = { existing: 'replace', ...preset };
  let step = r.source ? 2 : 1;
  for (;;) {
    switch (step) {
      case 1: {
        const v = await pickConnection(deps, 1, total, TITLE);
        if (v === undefined) return undefined;
        if (v === BACK) break;
        if (r.source?.id !== v[0].id) r.tables = undefined;
        r.source = v[0];
        step = 2;
        break;
      }
      case 2: {
        const v = await pickConnection(deps, 2, total, TITLE, r.source);
        if (v === undefined) return undefined;
        if (v === BACK) step = 1;
        else {
          r.target = v[0];
          step = 3;
        }
        break;
      }
      case 3: {
        const source = r.source!;
        const v = await pick<TableKey>({
          title: TITLE,
          step: 3,
          totalSteps: total,
          placeholder: `Tables of ${source.name} to copy (all preselected; Space toggles, Enter continues)`,
          items: [],
          canSelectMany: true,
          load: async (setItems) => {
            try {
              const catalog = await deps.credentials.withPassword(source, 'source', (password) => inspect({ url: urlOf(source), password, role: 'source' }));
              const items = tableItems(catalog, r.tables);
              setItems(items.length ? items : [{ label: '$(info) No tables in this database' }]);
            } catch (e) {
              setItems(errorItem(e));
            }
          },
        });
        if (v === undefined) return undefined;
        if (v === BACK) step = 2;
        else if (v.length === 0) void vscode.window.showWarningMessage('Pick at least one table.');
        else {
          r.tables = v;
          step = 4;
        }
        break;
      }
      case 4: {
        const v = await pick<ExistingPolicy>({
          title: TITLE,
          step: 4,
          totalSteps: total,
          placeholder: `Rows already in ${r.target!.name}: what should happen to them?`,
          items: POLICY_ITEMS.map((i) => ({ ...i, description: i.value === r.existing ? 'current choice' : i.description })),
        });
        if (v === undefined) return undefined;
        if (v === BACK) step = 3;
        else {
          r.existing = v[0];
          step = 5;
        }
        break;
      }
      case 5: {
        const v = await reviewStep(deps, r as MigrationRequest, 5, total);
        if (v === undefined) return undefined;
        if (v === BACK) step = 4;
        else return r as MigrationRequest;
        break;
      }
    }
  }
}

/** Shows the plan in words; only the "Start migration" row goes on. */
export async function reviewStep(deps: WizardDeps, r: MigrationRequest, step: number, totalSteps: number, title = TITLE): Promise<true | typeof BACK | undefined> {
  const v = await pick<string>({
    title: `${title}: review`,
    step,
    totalSteps,
    placeholder: 'Reading both databases to make the plan…',
    placeholderAfterLoad: 'Choose "Start migration" to run it, or go Back to change something',
    items: [],
    accept: (values) => values[0] === 'start',
    load: async (setItems) => {
      try {
        const planned = await deps.credentials.both(r.source, r.target, (passwords) =>
          planMigration({ source: urlOf(r.source), target: urlOf(r.target), passwords, selection: { only: r.tables }, existing: r.existing }),
        );
        deps.versions.set(r.source.id, `PostgreSQL ${planned.source.serverVersion}`);
        deps.versions.set(r.target.id, `PostgreSQL ${planned.target.serverVersion}`);
        setItems(reviewLines(planned, r.source.name, r.target.name).map((l) => ({ label: l.label, detail: l.detail, value: l.kind })));
      } catch (e) {
        setItems(errorItem(e));
      }
    },
  });
  return v === undefined ? undefined : v === BACK ? BACK : true;
}

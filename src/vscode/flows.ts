// The two short flows besides the wizard: compare two databases, copy one table from the tree.
import * as vscode from 'vscode';
import { type Table, planMigration } from '../engine/index.js';
import type { ExistingPolicy } from '../shared/report.js';
import { sameDatabase, urlOf, type ConnectionProfile } from './connectionStore.js';
import { BACK, pick } from './quickPick.js';
import { runCompare, runMigration, type RunnerDeps } from './runner.js';
import { pickConnection, type WizardDeps } from './wizard.js';
import { POLICY_ITEMS, planLine } from './wizardModel.js';

export async function compareFlow(deps: WizardDeps, runner: RunnerDeps): Promise<void> {
  const title = 'Archon: Compare Databases';
  for (let step = 1, source: ConnectionProfile | undefined; ; ) {
    const v = await pickConnection(deps, step, 2, title, step === 2 ? source : undefined);
    if (v === undefined) return;
    if (v === BACK) step = 1;
    else if (step === 1) [source, step] = [v[0], 2];
    else return void (await runCompare(runner, source!, v[0]));
  }
}

/** Right-click a source table: the target (asked only when there are several), the plan line and the existing-rows choice. */
export async function copyTableFlow(deps: WizardDeps, runner: RunnerDeps, source: ConnectionProfile, t: Table): Promise<void> {
  const table: [string, string] = [t.schema, t.name];
  const candidates = deps.store.list().filter((c) => c.id !== source.id && !sameDatabase(c, source));
  if (!candidates.length) {
    const add = 'Add Connection';
    if ((await vscode.window.showWarningMessage('Archon: add a target connection first.', add)) === add) await vscode.commands.executeCommand('archon.addConnection', undefined, 'target');
    return;
  }
  const title = `Copy ${t.schema}.${t.name} to Target`;
  const targets = candidates.filter((c) => c.role === 'target');
  const askTarget = targets.length !== 1;
  let target = targets[0];
  if (askTarget) {
    const v = await pickConnection(deps, 1, 2, title, source);
    if (v === undefined || v === BACK) return;
    target = v[0];
  }
  const v = await pick<ExistingPolicy>({
    title,
    step: askTarget ? 2 : undefined,
    totalSteps: askTarget ? 2 : undefined,
    placeholder: 'Reading both databases…',
    placeholderAfterLoad: 'Rows already in the target table: what should happen to them?',
    items: [],
    load: async (setItems) => {
      try {
        const planned = await deps.credentials.both(source, target, (passwords) =>
          planMigration({ source: urlOf(source), target: urlOf(target), passwords, selection: { only: [table] }, existing: 'append' }),
        );
        const line = planLine(planned, source.name, target.name);
        setItems(line.ok ? [{ label: line.text, separator: true }, ...POLICY_ITEMS] : [{ label: `$(warning) ${line.text}`, detail: 'Nothing will be copied.' }]);
      } catch (e) {
        setItems([{ label: `$(error) ${(e as Error).message}` }]);
      }
    },
  });
  if (!v || v === BACK || !v[0]) return;
  await runMigration(runner, { source, target, existing: v[0], tables: [table] });
}

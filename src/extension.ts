// Wires the VS Code adapter: every piece lives in src/vscode/, the engine in src/engine/.
import * as vscode from 'vscode';
import { countTableRows, inspect, planMigration } from './engine/index.js';
import type { ExistingPolicy } from './engine/plan.js';
import { addConnection, editConnection, moveConnection, removeConnection, renameConnection, testWithFeedback } from './vscode/connectionCommands.js';
import { ConnectionStore, urlOf, type ConnectionProfile } from './vscode/connectionStore.js';
import { Credentials } from './vscode/credentials.js';
import { BACK, pick } from './vscode/quickPick.js';
import { ReportPanel } from './vscode/reportPanel.js';
import { runCompare, runMigration, type RunnerDeps } from './vscode/runner.js';
import { ConnectionsTree, type Node } from './vscode/tree.js';
import { migrationWizard, pickConnection, type WizardDeps } from './vscode/wizard.js';
import { POLICY_ITEMS, planLine } from './vscode/wizardModel.js';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Archon', { log: true });
  const store = new ConnectionStore(context.globalState, context.secrets);
  const credentials = new Credentials(store, log);
  const tree = new ConnectionsTree(store, (p) => credentials.withPassword(p, p.role, (password) => inspect({ url: urlOf(p), password, role: p.role })));
  const versions = new Map<string, string>();
  const wizardDeps: WizardDeps = { store, credentials, versions };
  const runner: RunnerDeps = { extensionUri: context.extensionUri, credentials, log, afterRun: () => tree.refresh() };
  const view = vscode.window.createTreeView('archon.connections', { treeDataProvider: tree, showCollapseAll: true });

  const connectionOf = (node?: Node): ConnectionProfile | undefined => (node && 'profile' in node ? store.get(node.profile.id) : undefined);
  const changed = () => {
    versions.clear();
    tree.refresh();
  };
  const command = (id: string, fn: (...args: any[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));

  command('archon.migrateDatabase', async (node?: Node) => {
    const source = connectionOf(node);
    const req = await migrationWizard(wizardDeps, source ? { source } : undefined);
    if (req) await runMigration(runner, req);
  });
  command('archon.compareDatabases', async () => {
    const title = 'Archon: Compare Databases';
    for (let step = 1, source: ConnectionProfile | undefined; ; ) {
      const v = await pickConnection(wizardDeps, step, 2, title, step === 2 ? source : undefined);
      if (v === undefined) return;
      if (v === BACK) step = 1;
      else if (step === 1) [source, step] = [v[0], 2];
      else return void (await runCompare(runner, source!, v[0]));
    }
  });
  command('archon.copyTableToTarget', async (node?: Node) => {
    if (node?.kind !== 'table') return void vscode.window.showInformationMessage('Right-click a table of a source connection in the Archon view.');
    const source = store.get(node.profile.id)!;
    const table: [string, string] = [node.table.schema, node.table.name];
    const candidates = store.list().filter((c) => c.id !== source.id && !(c.host === source.host && c.port === source.port && c.database === source.database));
    if (!candidates.length) {
      const add = 'Add Connection';
      if ((await vscode.window.showWarningMessage('Archon: add a target connection first.', add)) === add) await vscode.commands.executeCommand('archon.addConnection', undefined, 'target');
      return;
    }
    const title = `Copy ${node.table.schema}.${node.table.name} to Target`;
    const targets = candidates.filter((c) => c.role === 'target');
    let target: ConnectionProfile;
    if (targets.length === 1) target = targets[0];
    else {
      const v = await pickConnection(wizardDeps, 1, 2, title, source);
      if (v === undefined || v === BACK) return;
      target = v[0];
    }
    const v = await pick<ExistingPolicy>({
      title,
      step: targets.length === 1 ? undefined : 2,
      totalSteps: targets.length === 1 ? undefined : 2,
      placeholder: 'Reading both databases…',
      items: [],
      load: async (setItems) => {
        try {
          const planned = await credentials.both(source, target, (passwords) =>
            planMigration({ source: urlOf(source), target: urlOf(target), passwords, selection: { only: [table] }, existing: 'append' }),
          );
          const line = planLine(planned, source.name, target.name);
          setItems(
            line.ok
              ? [{ label: line.text, separator: true }, ...POLICY_ITEMS.map((i) => ({ ...i, detail: `${i.detail}` }))]
              : [{ label: `$(warning) ${line.text}`, detail: 'Nothing will be copied.' }],
          );
        } catch (e) {
          setItems([{ label: `$(error) ${(e as Error).message}` }]);
        }
      },
      placeholderAfterLoad: 'Rows already in the target table: what should happen to them?',
    });
    if (!v || v === BACK || !v[0]) return;
    await runMigration(runner, { source, target, existing: v[0], tables: [table] });
  });
  command('archon.addConnection', async (_node?: Node, role?: 'source' | 'target') => {
    const groupRole = _node?.kind === 'group' ? _node.role : role;
    if (await addConnection(store, log, groupRole)) changed();
  });
  // Commands on a connection node: they act on its current saved profile.
  const onConnection = (fn: (p: ConnectionProfile) => Promise<unknown>) => async (node?: Node) => {
    const p = connectionOf(node);
    if (p) await fn(p);
  };
  command('archon.editConnection', onConnection((p) => editConnection(store, log, p).then(changed)));
  command('archon.renameConnection', onConnection((p) => renameConnection(store, p).then(() => tree.refresh())));
  command('archon.removeConnection', onConnection((p) => removeConnection(store, log, p).then(changed)));
  command('archon.testConnection', onConnection(async (p) => testWithFeedback(p, await credentials.password(p), log)));
  command('archon.moveToSource', onConnection((p) => moveConnection(store, p, 'source').then(() => tree.refresh())));
  command('archon.moveToTarget', onConnection((p) => moveConnection(store, p, 'target').then(() => tree.refresh())));
  command('archon.refresh', () => changed());
  command('archon.refreshNode', (node?: Node) => tree.refresh(node));
  command('archon.countRows', async (node?: Node) => {
    if (node?.kind !== 'table') return;
    const p = store.get(node.profile.id)!;
    try {
      const n = await vscode.window.withProgress({ location: { viewId: 'archon.connections' }, title: 'Counting rows' }, () =>
        credentials.withPassword(p, p.role, (password) => countTableRows({ url: urlOf(p), password, role: p.role }, node.table.schema, node.table.name)),
      );
      tree.setExactCount(p, node.table, n);
      log.info(`${p.name}: ${node.table.schema}.${node.table.name} has ${n} rows`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Archon: ${(e as Error).message}`);
    }
  });
  command('archon.showLog', () => log.show());

  context.subscriptions.push(log, view, ReportPanel.registerSerializer(context.extensionUri, log));
}

export function deactivate(): void {}

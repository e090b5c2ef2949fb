// Wires the VS Code adapter: every piece lives in src/vscode/, the engine in src/engine/.
import * as vscode from 'vscode';
import { countTableRows, inspect } from './engine/index.js';
import { addConnection, editConnection, moveConnection, removeConnection, renameConnection, testWithFeedback } from './vscode/connectionCommands.js';
import { ConnectionStore, urlOf, type ConnectionProfile } from './vscode/connectionStore.js';
import { Credentials } from './vscode/credentials.js';
import { ReportPanel } from './vscode/reportPanel.js';
import { compareFlow, copyTableFlow } from './vscode/flows.js';
import { runMigration, type RunnerDeps } from './vscode/runner.js';
import { ConnectionsTree, type Node } from './vscode/tree.js';
import { migrationWizard, type WizardDeps } from './vscode/wizard.js';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Archon', { log: true });
  const store = new ConnectionStore(context.globalState, context.secrets);
  const credentials = new Credentials(store, log);
  const tree = new ConnectionsTree(store, (p) => credentials.withPassword(p, p.role, (password) => inspect({ url: urlOf(p), password, role: p.role })));
  const versions = new Map<string, string>();
  const wizardDeps: WizardDeps = { store, credentials, versions };
  const runner: RunnerDeps = { extensionUri: context.extensionUri, credentials, log, profile: (id) => store.get(id), afterRun: () => tree.refresh() };
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
  command('archon.compareDatabases', () => compareFlow(wizardDeps, runner));
  command('archon.copyTableToTarget', async (node?: Node) => {
    if (node?.kind !== 'table') return void vscode.window.showInformationMessage('Right-click a table of a source connection in the Archon view.');
    const source = store.get(node.profile.id);
    if (source) await copyTableFlow(wizardDeps, runner, source, node.table);
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
        credentials.withPassword(p, p.role, (password) => countTableRows({ url: urlOf(p), password, role: p.role }, node.table)),
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

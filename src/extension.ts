// Wires the VS Code adapter: builds the pieces of src/vscode/ once and registers every command from
// one table (ids in src/vscode/commandIds.ts). Command bodies live in src/vscode/, the engine in src/engine/.
import * as vscode from 'vscode';
import { history, inspect } from './engine/index.js';
import type { Report, Role } from './shared/report.js';
import { COMMAND_IDS, type CommandId } from './vscode/commandIds.js';
import * as connections from './vscode/connectionCommands.js';
import { ConnectionStore, urlOf, type ConnectionProfile } from './vscode/connectionStore.js';
import { Credentials } from './vscode/credentials.js';
import { dropBackupsFlow } from './vscode/backupsFlow.js';
import { compareFlow } from './vscode/compareAndCopyFlows.js';
import { ReportPanel } from './vscode/reportPanel.js';
import { Runner } from './vscode/runner.js';
import { migrationHistory } from './vscode/undoFlow.js';
import { ConnectionsTree, type Node } from './vscode/tree.js';
import { copyTableToTarget, countRowsExactly } from './vscode/treeCommands.js';
import { migrationWizard, reviewMigration, type WizardDeps } from './vscode/wizard.js';

/** A command's handler; from the tree's menus it gets the node it was invoked on. */
type Handler = (node?: Node) => unknown;

interface Parts {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  store: ConnectionStore;
  credentials: Credentials;
  tree: ConnectionsTree;
}

/** What deactivate must do; VS Code calls it as a plain function, so it is the one thing kept here. */
let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Archon', { log: true });
  const store = new ConnectionStore(context.globalState, context.secrets);
  const credentials = new Credentials(store, log);
  const tree = new ConnectionsTree(
    store,
    async (p) => {
      try {
        const catalog = await credentials.withPassword(p, p.role, (password) =>
          inspect({ url: urlOf(p), password, role: p.role }),
        );
        await store.setBroken(p.id, undefined);
        return catalog;
      } catch (e) {
        const broken = connections.brokenFrom(e);
        if (broken) await store.setBroken(p.id, broken);
        throw e;
      }
    },
    (p) => credentials.withPassword(p, 'target', (password) => history({ target: urlOf(p), password })),
  );
  const view = vscode.window.createTreeView('archon.connections', { treeDataProvider: tree, showCollapseAll: true });
  const parts = { context, log, store, credentials, tree };
  const wired = wire(parts);
  shutdown = () => wired.runner.active.cancelOnShutdown(log);
  const commands = commandTable(parts, wired);
  for (const id of COMMAND_IDS) context.subscriptions.push(vscode.commands.registerCommand(id, commands[id]));
  context.subscriptions.push(log, view, ReportPanel.registerSerializer(context.extensionUri, log));
}

/** A run still going when VS Code closes is cancelled on the servers, not merely cut off. */
export function deactivate(): Promise<void> | undefined {
  return shutdown?.();
}

/** What the commands share: the wizard's dependencies, the runner, and what a change refreshes. */
function wire({ context, log, store, credentials, tree }: Parts) {
  const versions = new Map<string, string>();
  const refresh = () => tree.refresh();
  /** The connections changed: what the wizard learnt about them may be stale too. */
  const changed = () => {
    versions.clear();
    tree.refresh();
  };
  const addConnection = async (role?: Role) => {
    if (await connections.addConnection(store, log, role)) changed();
  };
  const wizard: WizardDeps = { store, credentials, versions, addConnection, memory: context.workspaceState };
  const profile = (id: string) => store.get(id);
  const review = (req: Parameters<typeof reviewMigration>[1], title: string) => reviewMigration(wizard, req, title);
  const runner = new Runner({
    extensionUri: context.extensionUri,
    credentials,
    log,
    profile,
    afterRun: refresh,
    review,
    spoolDir: context.globalStorageUri.fsPath,
  });
  return { wizard, runner, refresh, changed, addConnection };
}

/** Every command's handler, by id: each a call of a function in src/vscode/. */
function commandTable(
  { context, log, store, credentials, tree }: Parts,
  { wizard, runner, refresh, changed, addConnection }: ReturnType<typeof wire>,
): Record<CommandId, Handler> {
  const connectionOf = (node?: Node) => (node && 'profile' in node ? store.get(node.profile.id) : undefined);
  /** A command on a connection node acts on its current saved profile. */
  const onConnection =
    (fn: (p: ConnectionProfile) => Promise<unknown>): Handler =>
    async (node) => {
      const p = connectionOf(node);
      if (p) await fn(p);
    };
  return {
    'archon.migrateDatabase': (node) =>
      runner.refuseIfBusy() || migrationWizard(wizard, connectionOf(node)).then((r) => r && runner.migrate(r)),
    'archon.compareDatabases': () => compareFlow(wizard, runner),
    'archon.addConnection': (node) => addConnection(node?.kind === 'group' ? node.role : undefined),
    'archon.editConnection': onConnection((p) => connections.editConnection(store, log, p).then(changed)),
    'archon.fixConnection': onConnection((p) => connections.fixConnection(store, log, p).then(changed)),
    'archon.renameConnection': onConnection((p) => connections.renameConnection(store, p).then(refresh)),
    'archon.removeConnection': onConnection((p) => connections.removeConnection(store, log, p).then(changed)),
    'archon.testConnection': onConnection(async (p) => {
      await connections.testWithFeedback(store, p, await store.password(p.id), log);
      refresh();
    }),
    'archon.moveToSource': onConnection((p) => connections.moveConnection(store, p, 'source').then(refresh)),
    'archon.moveToTarget': onConnection((p) => connections.moveConnection(store, p, 'target').then(refresh)),
    'archon.refresh': changed,
    'archon.refreshNode': (node) => tree.refresh(node),
    'archon.countRows': (node) => countRowsExactly({ store, credentials, tree, log }, node),
    'archon.copyTableToTarget': (node) => copyTableToTarget(wizard, runner, node),
    'archon.showLog': () => log.show(),
    'archon.showRunProgress': () => runner.active.show(),
    'archon.migrationHistory': () => {
      const openReport = (report: Report, undo?: () => Promise<string | null>) => {
        ReportPanel.show(context.extensionUri, log, report, undefined, undo);
      };
      return migrationHistory({ credentials, log, afterUndo: refresh, openReport }, store);
    },
    'archon.dropBackups': (node) =>
      dropBackupsFlow(
        { store, credentials, log, afterDrop: refresh },
        connectionOf(node),
        node?.kind === 'journalRun' ? node.run.id : undefined,
      ),
  };
}

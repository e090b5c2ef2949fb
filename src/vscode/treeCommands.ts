// The commands on the tree's table nodes: Count Rows and Copy Table to Target…
// (the commands on connection nodes are in connectionCommands.ts).
import * as vscode from 'vscode';
import { countTableRows } from '../engine/index.js';
import { urlOf, type ConnectionStore } from './connectionStore.js';
import type { Credentials } from './credentials.js';
import { errorMessage } from './errorWords.js';
import { copyTableFlow } from './compareAndCopyFlows.js';
import type { Runner } from './runner.js';
import type { ConnectionsTree, Node } from './tree.js';
import type { WizardDeps } from './wizard.js';

interface TreeCommandDeps {
  store: ConnectionStore;
  credentials: Credentials;
  tree: ConnectionsTree;
  log: vscode.LogOutputChannel;
}

/** Counts a table's rows exactly (the tree shows the planner's estimate until then). */
export async function countRowsExactly(deps: TreeCommandDeps, node?: Node): Promise<void> {
  if (node?.kind !== 'table') return;
  const p = deps.store.get(node.profile.id);
  if (!p) return;
  const { table } = node;
  try {
    const where = { location: { viewId: 'archon.connections' }, title: 'Counting rows' };
    const n = await vscode.window.withProgress(where, () =>
      deps.credentials.withPassword(p, p.role, (password) =>
        countTableRows({ url: urlOf(p), password, role: p.role }, table),
      ),
    );
    deps.tree.setExactCount(p, table, n);
    deps.log.info(`${p.name}: ${table.schema}.${table.name} has ${n} rows`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Archon: ${errorMessage(e)}`);
  }
}

/** Copy Table to Target… on a source table: the copy-table flow (compareAndCopyFlows.ts) from that table. */
export async function copyTableToTarget(deps: WizardDeps, runner: Runner, node?: Node): Promise<void> {
  if (node?.kind !== 'table') {
    void vscode.window.showInformationMessage('Right-click a table of a source connection in the Archon view.');
    return;
  }
  const source = deps.store.get(node.profile.id);
  if (source) await copyTableFlow(deps, runner, source, node.table);
}

// "Show SQL" in the review: the DDL a run with "Create … on the target" or "Add … columns" executes
// (only what is chosen), in an untitled SQL editor (nothing is saved anywhere; the user may keep it
// or run it elsewhere).
import * as vscode from 'vscode';
import { type PlanResult, ddlScript } from '../engine/index.js';

export async function showCreateSql({ source, target, plan }: PlanResult): Promise<void> {
  const header = [
    'Archon: DDL for the selected tables and columns missing on the target',
    `FROM ${source.label} (PostgreSQL ${source.serverVersion}) TO ${target.label} (PostgreSQL ${target.serverVersion})`,
  ];
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: ddlScript(plan, header) });
  await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Active });
}

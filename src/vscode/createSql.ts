// "Show SQL" in the review: the DDL a run with "Create … on the target" or "Add … columns" executes
// (only what is chosen), in an untitled SQL editor beside the review (nothing is saved anywhere; the
// user may keep it or run it elsewhere).
import * as vscode from 'vscode';
import { type PlanResult, ddlScript } from '../engine/index.js';

const SHOW_SQL_BESIDE: vscode.TextDocumentShowOptions = {
  preview: true,
  preserveFocus: true,
  viewColumn: vscode.ViewColumn.Beside,
};

export async function showCreateSql({ source, target, plan }: PlanResult): Promise<void> {
  const header = [
    'Archon: DDL for the selected tables and columns missing on the target',
    `FROM ${source.label} (PostgreSQL ${source.serverVersion}) TO ${target.label} (PostgreSQL ${target.serverVersion})`,
  ];
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: ddlScript(plan, header) });
  // Beside the editor in use, the focus left where it was: the review stays open and in front, to read
  // the SQL next to it and go on; a preview, so showing it again replaces it instead of adding tabs.
  await vscode.window.showTextDocument(doc, SHOW_SQL_BESIDE);
}

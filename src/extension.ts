import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('archon.migrateDatabase', () => {
      void vscode.window.showInformationMessage('Archon: the migration wizard arrives in a later release; use the `archon` CLI meanwhile.');
    }),
  );
}

export function deactivate(): void {}

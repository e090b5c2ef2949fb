// Every command the extension registers, once: the ids of package.json's contributes.commands.
// extension.ts maps each id to its handler (a table typed by `CommandId`, so none is missing or
// extra). No `vscode` import: the manifest test reads this list without VS Code.
export const COMMAND_IDS = [
  'archon.migrateDatabase',
  'archon.compareDatabases',
  'archon.addConnection',
  'archon.editConnection',
  'archon.fixConnection',
  'archon.renameConnection',
  'archon.removeConnection',
  'archon.testConnection',
  'archon.moveToSource',
  'archon.moveToTarget',
  'archon.refresh',
  'archon.refreshNode',
  'archon.countRows',
  'archon.copyTableToTarget',
  'archon.showLog',
  'archon.showRunProgress',
  'archon.migrationHistory',
  'archon.dropBackups',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

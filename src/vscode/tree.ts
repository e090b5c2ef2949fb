import * as vscode from 'vscode';
import type { Catalog, Column, RunEntry, Table } from '../engine/index.js';
import { endpointLabel } from '../shared/endpoint.js';
import type { Role } from '../shared/report.js';
import type { ConnectionProfile, ConnectionStore } from './connectionStore.js';
import { errorMessage } from './errorWords.js';
import { journalRunView, journalView } from './journalModel.js';
import { columnView, schemaContentText, schemaGroups, tableView } from './treeModel.js';
import { platformOf, schemaKindView } from './platformView.js';

export type Node =
  | { kind: 'group'; role: Role }
  | { kind: 'connection'; profile: ConnectionProfile }
  | { kind: 'schema'; profile: ConnectionProfile; schema: string; tables: Table[]; platform?: string | null }
  | { kind: 'table'; profile: ConnectionProfile; table: Table }
  | { kind: 'column'; profile: ConnectionProfile; table: Table; column: Column }
  | { kind: 'message'; profile: ConnectionProfile; text: string; error: boolean }
  | { kind: 'journal'; profile: ConnectionProfile; runs: RunEntry[] }
  | { kind: 'journalRun'; profile: ConnectionProfile; run: RunEntry };

/** Reads a connection's catalog; the extension supplies it with the password handling. */
type CatalogLoader = (profile: ConnectionProfile) => Promise<Catalog>;
/** Reads a target's Archon journal (its runs, newest first; none when it has no journal). */
type JournalLoader = (profile: ConnectionProfile) => Promise<RunEntry[]>;

export class ConnectionsTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly catalogs = new Map<string, Promise<Catalog>>();
  /** The hosted platform each connection's catalog named (Supabase, …). */
  private readonly platforms = new Map<string, string>();
  private readonly exactCounts = new Map<string, number>();

  constructor(
    private readonly store: ConnectionStore,
    private readonly load: CatalogLoader,
    private readonly journal?: JournalLoader,
  ) {}

  refresh(node?: Node): void {
    if (!node || node.kind === 'group') {
      this.catalogs.clear();
      this.exactCounts.clear();
    } else if ('profile' in node) {
      this.catalogs.delete(node.profile.id);
      const prefix = JSON.stringify([node.profile.id]).slice(0, -1);
      for (const k of [...this.exactCounts.keys()]) if (k.startsWith(prefix)) this.exactCounts.delete(k);
    }
    this.changed.fire(node?.kind === 'group' ? undefined : node);
  }

  setExactCount(profile: ConnectionProfile, table: Table, n: number): void {
    this.exactCounts.set(JSON.stringify([profile.id, table.schema, table.name]), n);
    this.changed.fire(undefined);
  }

  catalog(profile: ConnectionProfile): Promise<Catalog> {
    let c = this.catalogs.get(profile.id);
    if (!c) {
      // A failure stays until a refresh or an edit: the node shows it, marked broken, and is not
      // retried (with a password prompt) each time the tree redraws.
      const before = JSON.stringify(this.store.get(profile.id)?.broken);
      c = this.load(profile);
      this.catalogs.set(profile.id, c);
      // Redrawn when its health changed, or once its catalog has named the platform it runs on.
      const redraw = (platform?: string) => {
        if (platform) this.platforms.set(profile.id, platform);
        if (platform || JSON.stringify(this.store.get(profile.id)?.broken) !== before) this.changed.fire(undefined);
      };
      c.then(
        (cat) => redraw(cat.platform?.name),
        () => redraw(),
      );
    }
    return c;
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'group': {
        const item = new vscode.TreeItem(
          node.role === 'source' ? 'Source (read-only)' : 'Target',
          vscode.TreeItemCollapsibleState.Expanded,
        );
        item.id = `group:${node.role}`;
        item.contextValue = `group.${node.role}`;
        item.iconPath = new vscode.ThemeIcon(node.role === 'source' ? 'lock' : 'arrow-circle-down');
        item.tooltip = node.role === 'source' ? 'Read from, never written to' : 'Written to by migrations';
        return item;
      }
      case 'connection':
        return this.connectionItem(this.store.get(node.profile.id) ?? node.profile);
      case 'schema': {
        const item = new vscode.TreeItem(node.schema, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `schema:${node.profile.id}:${node.schema}`;
        item.description = schemaContentText(node.tables);
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.contextValue = 'schema';
        const kind = schemaKindView(node.platform, node.schema);
        if (kind) {
          item.description = `${item.description} · ${kind.description}`;
          item.tooltip = kind.tooltip;
          if (kind.greyed)
            item.iconPath = new vscode.ThemeIcon('symbol-namespace', new vscode.ThemeColor('disabledForeground'));
        }
        return item;
      }
      case 'table':
        return this.tableItem(node.profile, node.table);
      case 'column': {
        const view = columnView(node.table, node.column);
        const item = new vscode.TreeItem(view.label, vscode.TreeItemCollapsibleState.None);
        item.id = `column:${node.profile.id}:${JSON.stringify([node.table.schema, node.table.name, node.column.name])}`;
        item.description = view.description;
        item.tooltip = view.tooltip;
        item.iconPath = new vscode.ThemeIcon(view.icon);
        item.contextValue = 'column';
        return item;
      }
      case 'journal':
      case 'journalRun':
        return this.journalItem(node);
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.tooltip = node.text;
        item.iconPath = new vscode.ThemeIcon(
          node.error ? 'error' : 'info',
          node.error ? new vscode.ThemeColor('errorForeground') : undefined,
        );
        item.contextValue = node.error ? 'error' : 'message';
        return item;
      }
    }
  }

  /** The journal (collapsed: it is Archon's, not the user's data) and its runs, each with its backups' size. */
  private journalItem(node: Extract<Node, { kind: 'journal' | 'journalRun' }>): vscode.TreeItem {
    const journal = node.kind === 'journal';
    const view = journal ? journalView(node.runs) : journalRunView(node.run);
    const state = journal ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(view.label, state);
    item.id = journal ? `journal:${node.profile.id}` : `journalRun:${node.profile.id}:${node.run.id}`;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.iconPath = new vscode.ThemeIcon(journal ? 'history' : 'archive');
    item.contextValue = journal ? 'journal' : node.run.backupBytes > 0 ? 'journalRun.backups' : 'journalRun';
    return item;
  }

  /** Context keys for the walkthrough's steps (add a source, add a target). */
  private setContexts(): void {
    for (const role of ['source', 'target'] as const) {
      const key = `archon.has${role === 'source' ? 'Source' : 'Target'}`;
      void vscode.commands.executeCommand(
        'setContext',
        key,
        this.store.list().some((p) => p.role === role),
      );
    }
  }

  /** A connection that failed its last test or read is marked broken, with Fix Connection offered. */
  private connectionItem(profile: ConnectionProfile): vscode.TreeItem {
    const item = new vscode.TreeItem(profile.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `connection:${profile.id}`;
    const { name, sslmode, role, broken } = profile;
    item.description = `${broken ? 'broken · ' : ''}${endpointLabel(profile)}`;
    const health = broken ? `\n\nBroken: ${broken.message}\nFix Connection (the wrench) mends it.` : '';
    item.tooltip = `${name}\n${endpointLabel(profile)}\nsslmode=${sslmode}\nRole: ${role}${health}`;
    const platform = this.platforms.get(profile.id) ?? platformOf(profile.host)?.name;
    if (platform) {
      item.description = `${platform} · ${item.description}`;
      item.tooltip += `\nPlatform: ${platform} (its own schemas follow its rules: see docs/supabase.md in Archon's documentation)`;
    }
    item.iconPath = broken
      ? new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('errorForeground'))
      : new vscode.ThemeIcon('database');
    item.contextValue = `connection.${role}${broken ? '.broken' : ''}`;
    return item;
  }

  private tableItem(profile: ConnectionProfile, table: Table): vscode.TreeItem {
    const exact = this.exactCounts.get(JSON.stringify([profile.id, table.schema, table.name]));
    const view = tableView(table, exact);
    const expand = table.columns.length
      ? vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(view.label, expand);
    item.id = `table:${profile.id}:${JSON.stringify([table.schema, table.name])}`;
    item.description = view.description;
    item.tooltip = view.tooltip;
    item.iconPath = new vscode.ThemeIcon(view.icon);
    item.contextValue = view.copyable ? `table.${profile.role}` : 'relation';
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    // No connections: no nodes, so VS Code shows the view's welcome content (Add Connection).
    if (!node) {
      this.setContexts();
      return this.store.list().length
        ? [
            { kind: 'group', role: 'source' },
            { kind: 'group', role: 'target' },
          ]
        : [];
    }
    switch (node.kind) {
      case 'group':
        return this.store
          .list()
          .filter((p) => p.role === node.role)
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((profile) => ({ kind: 'connection', profile }));
      case 'connection':
        try {
          const catalog = await this.catalog(node.profile);
          const groups = schemaGroups(catalog);
          const platform = catalog.platform?.id ?? null;
          const journal = await this.journalNode(node.profile);
          if (!groups.length)
            return [
              { kind: 'message', profile: node.profile, text: 'No tables in this database', error: false },
              ...journal,
            ];
          const schemas = groups.map(
            (g): Node => ({ kind: 'schema', profile: node.profile, schema: g.schema, tables: g.tables, platform }),
          );
          return [...schemas, ...journal];
        } catch (e) {
          return [{ kind: 'message', profile: node.profile, text: errorMessage(e), error: true }];
        }
      case 'schema':
        return node.tables.map((table) => ({ kind: 'table', profile: node.profile, table }));
      case 'journal':
        return node.runs.map((run) => ({ kind: 'journalRun', profile: node.profile, run }));
      case 'table':
        return node.table.columns.map((column) => ({
          kind: 'column',
          profile: node.profile,
          table: node.table,
          column,
        }));
      default:
        return [];
    }
  }

  /**
   * A target's journal, after its schemas: read each time the connection is opened or refreshed (a run
   * or a drop changes it). A journal that cannot be read is left out: the tables are what the node is for.
   */
  private async journalNode(profile: ConnectionProfile): Promise<Node[]> {
    if (profile.role !== 'target' || !this.journal) return [];
    const runs = await this.journal(profile).catch(() => []);
    return runs.length ? [{ kind: 'journal', profile, runs }] : [];
  }
}

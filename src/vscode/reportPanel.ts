import * as vscode from 'vscode';
import type { Report } from '../shared/report.js';
import { toJson } from '../shared/reportJson.js';
import { toMarkdown } from '../shared/reportMarkdown.js';
import type { ExportFormat, HostToPage, PageState, PageToHost } from '../shared/protocol.js';
import { makeNonce, renderReportPage, reportFileHtml } from '../shared/reportHtml.js';
import { reportFolder } from './settings.js';
import { reportTitle } from './reportTitle.js';
import { WALKTHROUGH_KEYS } from './walkthroughKeys.js';

const EXPORTS: Record<ExportFormat, { ext: string; label: string }> = {
  json: { ext: 'json', label: 'JSON' },
  markdown: { ext: 'md', label: 'Markdown' },
  html: { ext: 'html', label: 'HTML' },
};

/** A verification report: one panel per run, restored after a window reload. */
export class ReportPanel {
  static readonly viewType = 'archon.report';

  private report: Report | null = null;
  private retry: (() => void) | null = null;
  /** Takes the report's migration back (after asking); resolves to when it was undone (null: it was not). */
  private undo: (() => Promise<string | null>) | null = null;
  /** Runs the selection again without the tables that took the run back, under its label. */
  private retryWithout: { label: string; run: () => void } | null = null;
  /** The same migration again, continuing from the spool this failed run kept. */
  private resume: (() => void) | null = null;
  private disposed = false;
  /** Where the page's script is, for the HTML export too. */
  private readonly pageRoot: vscode.Uri;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const root = vscode.Uri.joinPath(extensionUri, 'webview-ui', 'dist');
    this.pageRoot = root;
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'archon.svg');
    panel.webview.html = renderReportPage({
      nonce: makeNonce(),
      cspSource: panel.webview.cspSource,
      script: { src: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'report.js')).toString() },
    });
    panel.webview.onDidReceiveMessage((m: PageToHost) => this.onMessage(m));
    panel.onDidDispose(() => {
      this.disposed = true;
    });
  }

  /**
   * Opens a report in a panel of its own (each run keeps its report; a later run never overwrites an
   * earlier one). `retry` (when given) re-runs the tables that did not verify. Returns what brings the
   * panel back (or opens the report again, once closed).
   */
  static show(
    extensionUri: vscode.Uri,
    log: vscode.LogOutputChannel,
    report: Report,
    retry?: () => void,
    undo?: () => Promise<string | null>,
    retryWithout?: { label: string; run: () => void },
    resume?: () => void,
  ): () => void {
    const panel = vscode.window.createWebviewPanel(
      ReportPanel.viewType,
      reportTitle(report),
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'webview-ui', 'dist')],
      },
    );
    const p = new ReportPanel(panel, extensionUri, log);
    void vscode.commands.executeCommand('setContext', WALKTHROUGH_KEYS.reportOpened, true);
    p.report = report;
    p.retry = retry ?? null;
    p.undo = undo ?? null;
    p.retryWithout = retryWithout ?? null;
    p.resume = resume ?? null;
    p.post();
    return () =>
      p.disposed ? ReportPanel.show(extensionUri, log, report, retry, undo, retryWithout, resume) : p.panel.reveal();
  }

  static registerSerializer(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(ReportPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PageState | undefined) {
        log.info(`Restoring the report panel (${state?.report ? 'with its report' : 'no saved report'})`);
        const restored = new ReportPanel(panel, extensionUri, log);
        // The endpoints' passwords are not in the page state, so a restored report cannot retry.
        restored.report = state?.report ?? null;
      },
    });
  }

  /** The report in a format, by the CLI's own renderers; HTML with the page script this panel runs. */
  private async rendered(format: ExportFormat, report: Report): Promise<string> {
    if (format === 'json') return toJson(report);
    if (format === 'markdown') return toMarkdown(report);
    const script = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.pageRoot, 'report.js'));
    return reportFileHtml(report, new TextDecoder().decode(script));
  }

  private post(): void {
    if (!this.report) return;
    const message: HostToPage = {
      type: 'report',
      report: this.report,
      canRetry: this.retry !== null,
      canUndo: this.undo !== null,
      ...(this.retryWithout ? { retryWithout: this.retryWithout.label } : {}),
      ...(this.resume ? { canResume: true } : {}),
    };
    void this.panel.webview.postMessage(message);
  }

  private async onMessage(m: PageToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.post();
        return;
      case 'retry':
        this.retry?.();
        return;
      case 'retry-without':
        this.retryWithout?.run();
        return;
      case 'resume':
        this.resume?.();
        return;
      case 'undo': {
        const at = await this.undo?.();
        if (at) {
          this.undo = null;
          // The page says the run was undone, at the journal's time (the one history shows), not that it still can be.
          if (this.report) this.report = { ...this.report, undone: { at } };
          this.post();
        }
        return;
      }
      case 'export':
        try {
          await this.export(m.format);
        } catch (e) {
          this.log.error(`Export failed: ${(e as Error).message}`);
          void vscode.window.showErrorMessage(`Archon: the report could not be saved: ${(e as Error).message}`);
        }
        return;
    }
  }

  private async export(format: ExportFormat): Promise<void> {
    if (!this.report) return;
    const { ext, label } = EXPORTS[format];
    const name = `archon-${this.report.kind}-${this.report.startedAt.slice(0, 19).replace(/[:T]/g, '-')}.${ext}`;
    const base = reportFolder();
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(base, name),
      filters: { [label]: [ext] },
      title: `Export the report as ${label}`,
    });
    if (!uri) return;
    const text = await this.rendered(format, this.report);
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.log.info(`Report exported to ${uri.fsPath}`);
    const open = 'Open';
    const choice = await vscode.window.showInformationMessage(
      `Archon: report saved to ${vscode.workspace.asRelativePath(uri)}`,
      open,
    );
    if (choice === open) await vscode.window.showTextDocument(uri);
  }
}

// A run's progress in VS Code: the notification (a bar for the whole run, the stage going on with its
// own progress, Cancel), a status-bar item while it goes (the stage in a few words; click: the
// progress and a Cancel button), the log, and the immediate "Cancelling — rolling back…" once the
// user cancels. The numbers and the lines come from the engine.
import * as vscode from 'vscode';
import { type ProgressEvent, RunProgress, phaseText, runLine, shortLine, tableDoneText } from '../engine/index.js';
import { displayName } from '../shared/names.js';

const CANCELLING = 'Cancelling — rolling back…';

type Reporter = vscode.Progress<{ message?: string; increment?: number }>;

/** What VS Code allows an extension to finish in when it deactivates (about 5 s), with a margin. */
const SHUTDOWN_WAIT_MS = 4000;

/**
 * The runs going now (a comparison may run beside a migration), held by the Runner: the newest is
 * what the status bar's command shows and cancels; shutdown cancels them all.
 */
export class ActiveRun {
  private readonly views: RunView[] = [];

  /** Starts showing a run; the view's dispose ends it. */
  begin(title: string, progress: Reporter, log: vscode.LogOutputChannel, onCancel: () => void): RunView {
    const view = new RunView(title, progress, log, onCancel, () => {
      const i = this.views.indexOf(view);
      if (i >= 0) this.views.splice(i, 1);
    });
    this.views.push(view);
    return view;
  }

  private get view(): RunView | undefined {
    return this.views.at(-1);
  }

  /** The status-bar item's command: the progress in a message, with Cancel. */
  async show(): Promise<void> {
    const run = this.view;
    if (!run) {
      void vscode.window.showInformationMessage('Archon: no run is going.');
      return;
    }
    const choice = await vscode.window.showInformationMessage(`${run.title}: ${run.line()}`, 'Cancel Run');
    if (choice === 'Cancel Run' && this.view === run) run.cancel();
  }

  /**
   * VS Code is closing or reloading mid-run: cancel on the servers (the statement stops, the target
   * rolls back) rather than leave it to the server to notice the dropped sockets, and give the
   * rollback the few seconds VS Code waits for an extension to deactivate.
   */
  async cancelOnShutdown(log: vscode.LogOutputChannel, waitMs = SHUTDOWN_WAIT_MS): Promise<void> {
    const runs = [...this.views];
    if (!runs.length) return;
    log.warn('VS Code is closing during a run: cancelling it, the target rolls back');
    for (const run of runs) run.cancel();
    await Promise.race([Promise.all(runs.map((r) => r.finished)), new Promise((r) => setTimeout(r, waitMs))]);
  }
}

class RunView implements vscode.Disposable {
  private readonly numbers = new RunProgress();
  private readonly item = vscode.window.createStatusBarItem('archon.run', vscode.StatusBarAlignment.Left, 100);
  private readonly controller = new AbortController();
  private cancelling = false;
  private shownPercent = 0;
  private ended: (() => void) | null = null;
  private markFinished: () => void = () => {};
  /** Settles when the run is over (its report made), whatever the outcome. */
  readonly finished = new Promise<void>((resolve) => (this.markFinished = resolve));

  constructor(
    readonly title: string,
    private readonly progress: Reporter,
    private readonly log: vscode.LogOutputChannel,
    private readonly onCancel: () => void,
    private readonly onEnd: () => void,
  ) {
    this.item.name = 'Archon run';
    this.item.command = { command: 'archon.showRunProgress', title: 'Show the run’s progress' };
    this.item.text = '$(sync~spin) Archon: starting';
    this.item.tooltip = `${title} — click for the progress and Cancel`;
    this.item.show();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  line(): string {
    if (this.cancelling) return CANCELLING;
    return runLine(this.numbers.snapshot());
  }

  /** Feedback at once (the notification's Cancel closes it), then the abort; the rollback follows. */
  cancel(): void {
    if (this.cancelling) return;
    this.cancelling = true;
    this.onCancel();
    this.item.text = `$(loading~spin) Archon: ${CANCELLING}`;
    this.progress.report({ message: CANCELLING });
    // Made before the notification asks for it: the run may end before VS Code calls back.
    const ended = new Promise<void>((resolve) => (this.ended = resolve));
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Archon: ${CANCELLING}` },
      () => ended,
    );
    this.controller.abort();
  }

  onEvent(e: ProgressEvent): void {
    this.numbers.update(e);
    logEvent(this.log, e);
    if (this.cancelling) return;
    const p = this.numbers.snapshot();
    // The bar is the whole run's: full only once the copied rows were read back and compared too.
    const percent = Math.floor((p.overall ?? 0) * 100);
    const increment = percent > this.shownPercent ? percent - this.shownPercent : undefined;
    this.shownPercent = Math.max(this.shownPercent, percent);
    const line = this.line();
    this.progress.report({ message: line, increment });
    const short = shortLine(p);
    this.item.text = `$(sync~spin) Archon${short ? `: ${short}` : ''}`;
    this.item.tooltip = `${this.title}\n${line}\nClick for the progress and Cancel`;
  }

  dispose(): void {
    this.ended?.();
    this.markFinished();
    this.item.dispose();
    this.onEnd();
  }
}

function logEvent(log: vscode.LogOutputChannel, e: ProgressEvent): void {
  const at = 'index' in e ? `[${e.index + 1}/${e.total}] ${displayName(e.schema, e.table)}` : '';
  if (e.type === 'phase') log.info(phaseText(e));
  else if (e.type === 'table-start') log.info(`${at}: started`);
  else if (e.type === 'table-done') log.info(`${at}: ${tableDoneText(e)}`);
}

// The one message protocol between the report page (webview-ui/) and its hosts (the VS Code panel,
// or the standalone HTML file the CLI writes).
import type { Report } from './report.js';

export type SortColumn = 'table' | 'sourceRows' | 'targetRows' | 'difference' | 'status' | 'content' | 'reason';

/** What a report can be saved as: the CLI's --report, --markdown and --html. */
export type ExportFormat = 'json' | 'markdown' | 'html';

export type HostToPage = {
  type: 'report';
  report: Report;
  canRetry: boolean;
  canUndo?: boolean;
  /** The label of the run again without the tables that took it back ("Retry without public.t…"); absent when not offered. */
  retryWithout?: string;
  /** The run failed and kept its spool: the same migration can be resumed from it. */
  canResume?: boolean;
};

export type PageToHost =
  | { type: 'ready' }
  | { type: 'export'; format: ExportFormat }
  | { type: 'retry' }
  | { type: 'retry-without' }
  | { type: 'resume' }
  | { type: 'undo' };

/** What the page keeps across hide/show and window reloads (via setState and the serializer). */
export interface PageState {
  report: Report | null;
  canRetry: boolean;
  /** The report's migration can be undone from this panel (absent in states saved before undo). */
  canUndo?: boolean;
  /** "Retry without …" is offered, with this label (absent in states saved before it existed). */
  retryWithout?: string;
  /** "Resume" is offered: the run kept its spool (absent in states saved before it existed). */
  canResume?: boolean;
  onlyProblems: boolean;
  /** The filter box's words (absent in states saved before it existed). */
  filter: string;
  sort: { column: SortColumn; descending: boolean };
}

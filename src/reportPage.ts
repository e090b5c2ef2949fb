// The report page as a single self-contained HTML file: the same page as the VS Code panel.
import type { Report } from './shared/report.js';
import { reportFileHtml } from './shared/reportHtml.js';

declare const ARCHON_REPORT_PAGE_JS: string;

export function standaloneReportHtml(report: Report): string {
  return reportFileHtml(report, ARCHON_REPORT_PAGE_JS);
}

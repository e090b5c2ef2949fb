// The report as JSON: the model itself, indented, so what a script reads is what the page shows.
import type { Report } from './report.js';
import type { BackupsReport, UndoReport } from './reportJournal.js';

export const toJson = (report: Report | UndoReport | BackupsReport): string => `${JSON.stringify(report, null, 2)}\n`;

// A report panel's tab title, without `vscode` so it can be unit-tested.
import type { Report } from '../shared/report.js';

/** The connection's name where the run came from one, else its redacted address (never a password). */
const sideName = (e: Report['source']) => e.name ?? e.label;

const hhmm = (d: Date) => `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;

/**
 * "Archon: cloud-db → local-db, 14:05": which run, in the tab, among the reports of several runs; a
 * comparison names both sides without a direction ("Archon: cloud-db vs local-db, 14:05").
 */
export function reportTitle(report: Report): string {
  const between =
    report.kind === 'compare'
      ? `${sideName(report.source)} vs ${sideName(report.target)}`
      : `${sideName(report.source)} → ${sideName(report.target)}`;
  return `Archon: ${between}, ${hhmm(new Date(report.startedAt))}`;
}

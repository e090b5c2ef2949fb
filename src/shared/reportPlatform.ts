// A hosted platform's tables that its rules left out, as every rendering lists them: under the table
// of the run, never as rows of it (nobody selected them, so they do not make a run unverified).
import { displayName } from './names.js';
import type { Report } from './report.js';

/** The heading over the list; null when nothing was left out. */
export function platformHeading(r: Pick<Report, 'platformTables'>): string | null {
  const n = r.platformTables?.length ?? 0;
  if (!n) return null;
  return `Platform tables not copied (${n}; left out by the platform's rules, not counted as skipped):`;
}

/** One line per table: its name, its kind, the reason. */
export const platformLines = (r: Pick<Report, 'platformTables'>): string[] =>
  (r.platformTables ?? []).map((t) => `${displayName(t.schema, t.table)} — skipped: ${t.reason}`);

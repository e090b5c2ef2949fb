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

/** The tables grouped by their reason (a schema's data shares one, every internal another), in first-seen order. */
export function platformGroups(r: Pick<Report, 'platformTables'>): { names: string[]; reason: string }[] {
  const groups = new Map<string, string[]>();
  for (const t of r.platformTables ?? []) {
    const names = groups.get(t.reason) ?? [];
    names.push(displayName(t.schema, t.table));
    groups.set(t.reason, names);
  }
  return [...groups.entries()].map(([reason, names]) => ({ names, reason }));
}

/** One line per reason: the tables it covers, then the reason. */
export const platformLines = (r: Pick<Report, 'platformTables'>): string[] =>
  platformGroups(r).map((g) => `${g.names.join(', ')} — skipped: ${g.reason}`);

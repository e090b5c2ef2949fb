// The source's objects that are not tables and that the target lacks (functions, views, triggers, …),
// as every rendering lists them: under the table of the run, grouped by kind, never as rows of it
// (nothing of theirs is copied, so they never make a run unverified).
import { plural } from './format.js';
import { visible } from './names.js';
import { OBJECT_KINDS, type ObjectKind, type Report, type SchemaObject } from './report.js';

type WithObjects = { kind: Report['kind']; objects?: SchemaObject[] };

export const kindPlural = (k: ObjectKind): string =>
  k === 'policy' ? 'policies' : k === 'row-level security' ? 'row-level security' : `${k}s`;

/** `3 functions`, `1 policy`, `row-level security on 2 tables`. */
export const kindCount = (k: ObjectKind, n: number): string =>
  k === 'row-level security' ? `row-level security on ${plural(n, 'table')}` : plural(n, k, kindPlural(k));

const rank = (k: ObjectKind) => OBJECT_KINDS.indexOf(k);

/** Created by the run (--create-objects), or to be created by it, as opposed to left out. */
export const isMade = (o: SchemaObject): boolean => o.status === 'created' || o.status === 'to be created';

/**
 * The line over the list, with the count of each kind: what the run created (or a plan will), then
 * what it leaves out; null when the target lacks nothing.
 */
export function objectsHeading(r: WithObjects): string | null {
  const objects = r.objects ?? [];
  if (!objects.length) return null;
  const countsOf = (xs: typeof objects) =>
    OBJECT_KINDS.map((k) => [k, xs.filter((o) => o.kind === k).length] as const)
      .filter(([, n]) => n)
      .map(([k, n]) => kindCount(k, n))
      .join(', ');
  const created = objects.filter((o) => o.status === 'created');
  const planned = objects.filter((o) => o.status === 'to be created');
  const differs = objects.filter((o) => o.status === 'differs');
  const counts = countsOf(objects.filter((o) => !isMade(o) && o.status !== 'differs'));
  if (r.kind === 'compare')
    return `On the source, missing on the target (compare reads tables' rows, not these): ${counts}`;
  const made = [
    ...(created.length
      ? [`Created by Archon, each checked against the source's before the commit: ${countsOf(created)}`]
      : []),
    ...(planned.length
      ? [
          `To be created by Archon in the run's transaction, each then checked against the source's: ${countsOf(planned)}`,
        ]
      : []),
    ...(differs.length
      ? [`On the target already with another definition than the source's (kept, not replaced): ${countsOf(differs)}`]
      : []),
  ].join('. ');
  if (!counts) return made;
  return `${made ? `${made}. ` : ''}Not created by Archon (the target lacks them): ${counts}`;
}

/** The object's name, and the run's tables that use it. */
export const objectText = (o: SchemaObject): string =>
  o.usedBy?.length ? `${o.name} (used by ${o.usedBy.join(', ')})` : o.name;

/** The objects grouped by kind, then by reason, in the order of OBJECT_KINDS. */
export function objectGroups(r: WithObjects): { kind: ObjectKind; names: string[]; reason: string }[] {
  const groups = new Map<string, { kind: ObjectKind; names: string[]; reason: string }>();
  const sorted = [...(r.objects ?? [])].sort((a, b) => rank(a.kind) - rank(b.kind));
  for (const o of sorted) {
    const key = `${o.kind}\u0000${o.reason}`;
    const g = groups.get(key) ?? { kind: o.kind, names: [], reason: o.reason };
    g.names.push(objectText(o));
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Names in a line, the first `most` of them when there are more (then how many more). */
export function namesText(names: string[], most = Number.POSITIVE_INFINITY): string {
  const more = names.length - most;
  return names.slice(0, most).join(', ') + (more > 0 ? `, … (${more} more)` : '');
}

/** One line per group: `3 functions: public.a(integer), … — Archon creates tables, not functions`. */
export const objectLines = (r: WithObjects, most?: number): string[] =>
  objectGroups(r).map((g) =>
    visible(`${kindCount(g.kind, g.names.length)}: ${namesText(g.names, most)} — ${g.reason}`),
  );

// The review's line about undo: what the run keeps and whether it can be taken back. No `vscode`
// import, so it is unit-tested with the rest of the wizard's model.
import type { PlanResult, RunEntry, UndoPreview } from '../engine/index.js';
import { formatBytes, formatCount, plural } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import { journaledResult, policyText, undoneText } from '../shared/report.js';

export function undoReviewLine(p: PlanResult): { label: string; detail: string; kind: 'undo' } {
  const u = p.undo;
  if (!u.possible) return { label: '$(warning) This run cannot be undone', detail: u.reason ?? '', kind: 'undo' };
  if (!u.kept.length)
    return {
      label: '$(history) Undo possible: Archon: Migration History, or Undo Migration in the report',
      detail: `${undoWords(p)}.`,
      kind: 'undo',
    };
  const kept = u.kept.map((k) => `the ${formatCount(k.rows)} rows now in ${displayName(k.schema, k.table)}`);
  return {
    label: `$(history) Undo possible: ${kept.join(', ')} are kept (about ${formatBytes(u.bytes)}); undo restores them`,
    detail:
      `${undoWords(p)}. Kept in the schema "archon" on the target until you drop them (archon backups drop), or ` +
      'until the undo that restores them has verified.',
    kind: 'undo',
  };
}

/**
 * What undo would do to each table this run loads, in the words of the undo dialog: a table the run
 * creates is dropped, one it adds columns to loses them, the rows kept come back, a table that holds
 * no rows now is emptied.
 */
function undoWords(p: PlanResult): string {
  const copies = p.plan.tables.filter((t) => t.action === 'copy');
  const names = (ts: { schema: string; table: string }[]) => ts.map((t) => displayName(t.schema, t.table)).join(', ');
  const created = copies.filter((t) => t.create?.kind === 'create');
  const widened = copies.filter((t) => t.create?.kind === 'add-columns');
  const kept = new Set(p.undo.kept.map((k) => displayName(k.schema, k.table)));
  const restored = copies.filter((t) => t.create?.kind !== 'create' && kept.has(displayName(t.schema, t.table)));
  const emptied = copies.filter((t) => t.create?.kind !== 'create' && !kept.has(displayName(t.schema, t.table)));
  const parts = [
    ...(created.length ? [`drops the ${plural(created.length, 'table')} this run creates (${names(created)})`] : []),
    ...(restored.length ? [`restores the rows kept of ${names(restored)}`] : []),
    ...(emptied.length ? [`empties ${names(emptied)} (no rows there now)`] : []),
    ...(widened.length ? [`drops the columns this run adds to ${names(widened)}`] : []),
  ];
  return `Undo ${parts.join('; ')}`;
}

/**
 * Whether a forced undo would throw away only the changes the user was shown: the same tables
 * changed, with the same row counts. Anything else changed in the meantime, and must be shown first.
 */
export function sameChanges(shown: UndoPreview, now: UndoPreview): boolean {
  const changes = (p: UndoPreview) =>
    p.tables
      .filter((t) => t.changed)
      .map((t) => `${displayName(t.schema, t.table)}:${t.rowsNow}`)
      .sort()
      .join('\n');
  return changes(shown) === changes(now);
}

/** A run in "Archon: Migration History": an undone one says UNDONE first, as its report does. */
export function historyItem(r: RunEntry): { label: string; description: string; detail: string } {
  const state = r.undoneAt
    ? undoneText({ at: r.undoneAt })
    : r.undoable
      ? `undoable (backups ${formatBytes(r.backupBytes)})`
      : `cannot be undone: ${r.why ?? 'no backup was kept'}`;
  return {
    label: `${r.undoneAt ? '$(discard) ' : ''}${r.id}`,
    description: `${r.undoneAt ? `${undoneText({ at: r.undoneAt })} · ` : ''}${r.at} · ${policyText(r.policy)} from ${r.source}`,
    detail: `${journaledResult(r.outcome, r.summary, r.unmatched)} · ${r.tables.join(', ')} · ${r.undoneAt && r.why ? r.why : state}`,
  };
}

export type HistoryAction = 'report' | 'undo';

/**
 * What History offers for a run: its report (when the journal keeps it), and Undo only while the run
 * can be taken back — never for one already undone.
 */
export function historyActions(r: RunEntry): { label: string; detail: string; action: HistoryAction }[] {
  const report = {
    label: '$(preview) Open Report',
    detail: r.hasReport
      ? r.undoneAt
        ? `The run's report, marked ${undoneText({ at: r.undoneAt })}`
        : "The run's verification report"
      : 'Not kept: an older Archon ran this migration, before reports were kept in the journal',
    action: 'report' as const,
  };
  if (!r.undoable) return [report];
  return [
    report,
    {
      label: '$(discard) Undo Migration…',
      detail: `Restore what the target held before run ${r.id}; asks first`,
      action: 'undo' as const,
    },
  ];
}

// The review's line about undo: what the run keeps and whether it can be taken back. No `vscode`
// import, so it is unit-tested with the rest of the wizard's model.
import type { PlanResult, UndoPreview } from '../engine/index.js';
import { formatBytes, formatCount } from '../shared/format.js';
import { displayName } from '../shared/names.js';

export function undoReviewLine(p: PlanResult): { label: string; detail: string; kind: 'undo' } {
  const u = p.undo;
  if (!u.possible) return { label: '$(warning) This run cannot be undone', detail: u.reason ?? '', kind: 'undo' };
  if (!u.kept.length)
    return {
      label: '$(history) Undo possible: Archon: Migration History, or Undo Migration in the report',
      detail: 'Undo empties the tables this run loads (they hold no rows now).',
      kind: 'undo',
    };
  const kept = u.kept.map((k) => `the ${formatCount(k.rows)} rows now in ${displayName(k.schema, k.table)}`);
  return {
    label: `$(history) Undo possible: ${kept.join(', ')} are kept (about ${formatBytes(u.bytes)}); undo restores them`,
    detail:
      'Kept in the schema "archon" on the target until you drop them (archon backups drop), or until the undo ' +
      'that restores them has verified.',
    kind: 'undo',
  };
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

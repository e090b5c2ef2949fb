import type { TableReport } from '../shared/report.js';
import type { Report } from '../shared/report.js';
import { type Table, isCopyable } from './catalog.js';
import { errorInfo } from './errors.js';
import type { ProgressListener } from './events.js';
import { tableKey } from './ident.js';
import { countRows } from './relation.js';
import { type Selection, selectTables } from './selection.js';
import { type EndpointsInput, type Session, openSession } from './session.js';
import { report, tableReport } from './summary.js';
import { countVerdict } from './verify.js';

export interface CompareOptions extends EndpointsInput {
  selection?: Selection;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Why a pair of tables cannot be compared, or null when both sides can be counted. */
function cannotCompare(src: Table, tgt: Table | undefined): string | null {
  if (src.partitionOf) return `is a partition of ${src.partitionOf}; counted with that table`;
  if (!isCopyable(src)) return `is a ${src.kind} on the source; only tables are compared`;
  if (!tgt) return 'missing on the target';
  if (!src.privileges.select || !tgt.privileges.select)
    return `no SELECT privilege on the ${src.privileges.select ? 'target' : 'source'}`;
  return null;
}

/**
 * Row counts on both sides, each in one read-only snapshot, with nothing copied: proof for a
 * migration done by other means. Neither side is written.
 */
export async function compare(opts: CompareOptions): Promise<Report> {
  const started = new Date();
  const s = await openSession(opts, { targetReadOnly: true });
  try {
    const { selected, unmatched } = selectTables(s.sourceCatalog.tables, opts.selection ?? {}, isCopyable);
    const targets = new Map(s.targetCatalog.tables.map((t) => [tableKey(t.schema, t.name), t]));
    const tables: TableReport[] = [];
    for (const [index, src] of selected.entries()) {
      if (opts.signal?.aborted) break;
      const tgt = targets.get(tableKey(src.schema, src.name));
      const why = cannotCompare(src, tgt);
      const r = tableReport(src.schema, src.name, { status: 'skipped', reason: why });
      tables.push(r);
      if (why) continue;
      const where = { schema: src.schema, table: src.name, index, total: selected.length };
      opts.onProgress?.({ type: 'table-start', ...where, estimatedRows: src.estimatedRows, estimatedBytes: src.bytes });
      // A failed statement ends the snapshot's transaction; the rest cannot be counted in it.
      if (!(await countBoth(s, src, tgt!, r))) break;
      opts.onProgress?.({ type: 'table-done', ...where, rows: r.sourceRows!, bytes: 0, durationMs: r.durationMs! });
    }
    const outcome = opts.signal?.aborted ? 'cancelled' : null;
    return report({
      kind: 'compare',
      session: s,
      started,
      existing: null,
      tables,
      unmatched,
      committed: false,
      outcome,
    });
  } finally {
    await s.close();
  }
}

/** Counts one table on both sides at once and gives its verdict; false when a count failed. */
async function countBoth(s: Session, src: Table, tgt: Table, r: TableReport): Promise<boolean> {
  const began = Date.now();
  try {
    const [a, b] = await Promise.all([countRows(s.source, src), countRows(s.target, tgt)]);
    Object.assign(r, { sourceRows: a, targetRows: b, durationMs: Date.now() - began }, countVerdict(a, b, null));
    const targetNames = new Set(tgt.columns.map((c) => c.name));
    const missing = src.columns.filter((c) => !targetNames.has(c.name)).map((c) => c.name);
    if (missing.length) r.notes.push(`source columns missing on the target: ${missing.join(', ')}`);
    return true;
  } catch (e) {
    r.status = 'failed';
    r.error = errorInfo(e, s.secrets);
    r.reason = r.error.message;
    return false;
  }
}

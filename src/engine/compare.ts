import { isCopyable } from './catalog.js';
import { errorInfo } from './errors.js';
import type { ProgressListener } from './events.js';
import { qualified, tableKey } from './ident.js';
import { outcomeOf, summarize, type Report, type TableReport } from './report.js';
import type { Selection } from './selection.js';
import { selectTables } from './selection.js';
import { openSession, type EndpointsInput } from './session.js';
import { VERSION } from './version.js';

export interface CompareOptions extends EndpointsInput {
  selection?: Selection;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
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
      const r: TableReport = {
        schema: src.schema,
        table: src.name,
        status: 'skipped',
        sourceRows: null,
        targetRows: null,
        targetRowsBefore: null,
        bytes: null,
        durationMs: null,
        format: null,
        reason: null,
        notes: [],
        error: null,
      };
      tables.push(r);
      if (src.partitionOf) {
        r.reason = `is a partition of ${src.partitionOf}; counted with that table`;
        continue;
      }
      if (!isCopyable(src)) {
        r.reason = `is a ${src.kind} on the source; only tables are compared`;
        continue;
      }
      if (!tgt) {
        r.reason = 'missing on the target';
        continue;
      }
      if (!src.privileges.select || !tgt.privileges.select) {
        r.reason = `no SELECT privilege on the ${src.privileges.select ? 'target' : 'source'}`;
        continue;
      }
      const began = Date.now();
      opts.onProgress?.({ type: 'table-start', schema: src.schema, table: src.name, index, total: selected.length, estimatedRows: src.estimatedRows, estimatedBytes: src.bytes });
      try {
        const sql = (kind: string) => `SELECT count(*)::int8 AS n FROM ${kind === 'table' ? 'ONLY ' : ''}${qualified(src.schema, src.name)}`;
        const [a, b] = await Promise.all([s.source.query(sql(src.kind)), s.target.query(sql(tgt.kind))]);
        r.sourceRows = Number(a.rows[0].n);
        r.targetRows = Number(b.rows[0].n);
        r.durationMs = Date.now() - began;
        const targetNames = new Set(tgt.columns.map((c) => c.name));
        const missing = src.columns.filter((c) => !targetNames.has(c.name)).map((c) => c.name);
        if (missing.length) r.notes.push(`source columns missing on the target: ${missing.join(', ')}`);
        if (r.sourceRows === r.targetRows) r.status = 'verified';
        else {
          r.status = 'mismatch';
          r.reason = `the target has ${r.targetRows} row(s), the source ${r.sourceRows}`;
        }
      } catch (e) {
        r.status = 'failed';
        r.error = errorInfo(e, s.secrets);
        r.reason = r.error.message;
        break; // a failed statement ends the snapshot's transaction; the rest cannot be counted in it
      }
      opts.onProgress?.({ type: 'table-done', schema: src.schema, table: src.name, index, total: selected.length, rows: r.sourceRows, bytes: 0, durationMs: r.durationMs });
    }
    return {
      kind: 'compare',
      tool: { name: 'archon', version: VERSION },
      ...s.summaries,
      existing: null,
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      outcome: opts.signal?.aborted ? 'cancelled' : outcomeOf(tables, unmatched),
      committed: false,
      summary: summarize(tables),
      tables,
      unmatched,
      error: null,
    };
  } finally {
    await s.close();
  }
}

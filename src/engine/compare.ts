import { displayName } from '../shared/names.js';
import type { Report, TableReport } from '../shared/report.js';
import { contentNotChecked } from '../shared/report.js';
import { type Table, isCopyable } from './catalog/catalog.js';
import { type ColumnMatch, copyFormat, matchColumns } from './plan/columns.js';
import { digestOf } from './verify/serverDigest.js';
import { errorInfo } from './errors.js';
import type { ProgressListener } from './events.js';
import { ident, tableKey } from './ident.js';
import { rowKey, rowSecurityReason } from './plan/plan.js';
import { largeObjectReason } from './catalog/largeObjects.js';
import { lockTimeoutMessage } from './connect/locks.js';
import { countRows, relationSql } from './catalog/relation.js';
import { type Selection, selectTables } from './catalog/selection.js';
import { applyPlatformRules } from './catalog/platformRules.js';
import { missingObjects, tablelessSchemas } from './create/schemaObjects.js';
import { type EndpointsInput, type Session, openSession } from './connect/session.js';
import { report, tableReport } from './report.js';
import { settleContent, verdict } from './verify/verify.js';
import { SQLSTATE, sqlStateOf } from './sqlState.js';

export interface CompareOptions extends EndpointsInput {
  selection?: Selection;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Counts only (the quick check): content is not read, and the report says so. */
  countsOnly?: boolean;
}

/** Why a pair of tables cannot be compared, or null when both sides can be read. */
function cannotCompare(src: Table, tgt: Table | undefined, users: { source: string; target: string }): string | null {
  if (src.partitionOf) return `is a partition of ${src.partitionOf}; counted with that table`;
  if (!isCopyable(src)) return `is a ${src.kind} on the source; only tables are compared`;
  if (!tgt) return 'missing on the target';
  if (!src.privileges.select || !tgt.privileges.select) {
    return `no SELECT privilege on the ${src.privileges.select ? 'target' : 'source'}`;
  }
  if (src.rowSecurity || tgt.rowSecurity) {
    const [side, t] = src.rowSecurity ? (['source', src] as const) : (['target', tgt] as const);
    return rowSecurityReason(side, side === 'source' ? users.source : users.target, t);
  }
  return null;
}

/**
 * Counts and content on both sides, each in one read-only snapshot, both read at once, with
 * nothing copied: proof for a migration done by other means. Neither side is written.
 */
export async function compare(opts: CompareOptions): Promise<Report> {
  const started = new Date();
  const s = await openSession(opts, { targetReadOnly: true, onProgress: opts.onProgress, signal: opts.signal });
  try {
    const sel = opts.selection ?? {};
    const found = selectTables(s.sourceCatalog.tables, sel, isCopyable);
    const { unmatched } = found;
    const platform = applyPlatformRules(found.selected, sel, s.sourceCatalog, s.targetCatalog);
    const selected = platform.kept.map((k) => k.table);
    s.clock.enter('plan');
    // Read before the tables: a failed read ends the target's snapshot.
    const scope = selected.map((t) => ({ schema: t.schema, table: t.name, created: false, creates: [] }));
    const schemas = await tablelessSchemas(s, sel, scope);
    const objects = await missingObjects(s, { tables: scope, status: 'missing on the target', schemas });
    const targets = new Map(s.targetCatalog.tables.map((t) => [tableKey(t.schema, t.name), t]));
    const tables: TableReport[] = [];
    s.clock.enter('verify');
    for (const [index, src] of selected.entries()) {
      if (opts.signal?.aborted) break;
      const tgt = targets.get(tableKey(src.schema, src.name));
      const why =
        cannotCompare(src, tgt, { source: s.sourceCatalog.user, target: s.targetCatalog.user }) ??
        (await largeObjectReason(s.source, src, new Map()));
      const r = tableReport(src.schema, src.name, { status: 'skipped', reason: why });
      tables.push(r);
      if (why) continue;
      const where = { schema: src.schema, table: src.name, index, total: selected.length };
      opts.onProgress?.({ type: 'table-start', ...where, estimatedRows: src.estimatedRows, estimatedBytes: src.bytes });
      // A failed statement ends the snapshot's transaction; the rest cannot be read in it.
      if (!(await compareOne(s, src, tgt!, r, opts))) {
        const why = `not compared: the snapshot ended when ${displayName(src.schema, src.name)} failed`;
        for (const rest of selected.slice(index + 1))
          tables.push(tableReport(rest.schema, rest.name, { status: 'not run', reason: why }));
        break;
      }
      opts.onProgress?.({ type: 'table-done', ...where, rows: r.sourceRows!, bytes: 0, durationMs: r.durationMs! });
    }
    const outcome = opts.signal?.aborted ? 'cancelled' : null;
    const checks = opts.countsOnly ? 'counts only' : 'counts and content';
    const compared = report({
      kind: 'compare',
      checks,
      session: s,
      started,
      existing: null,
      tables,
      unmatched,
      platformTables: platform.leftOut,
      objects,
      committed: false,
      outcome,
    });
    return { ...compared, phases: s.clock.phases() };
  } finally {
    await s.close();
  }
}

/** One table on both sides at once, and its verdict; false when a read failed. */
async function compareOne(s: Session, src: Table, tgt: Table, r: TableReport, opts: CompareOptions): Promise<boolean> {
  const began = Date.now();
  const columns = matchColumns(src, tgt, new Set(s.targetCatalog.extensions.map((e) => e.name)));
  if (columns.lost.length) r.notes.push(`source columns missing on the target: ${columns.lost.join(', ')}`);
  try {
    const nothingToRead = !columns.pairs.length && !columns.rowsOnly;
    if (opts.countsOnly || columns.typeProblems.length || nothingToRead) {
      const [a, b] = await Promise.all([countRows(s.source, src), countRows(s.target, tgt)]);
      const problems = columns.typeProblems.length ? columns.typeProblems.join('; ') : 'no column in common';
      const why = opts.countsOnly ? 'counts only, as asked: content not read' : `content not compared: ${problems}`;
      Object.assign(r, { sourceRows: a, targetRows: b, content: contentNotChecked(why) });
      Object.assign(r, verdict(a, b, null, r.content));
      if (!opts.countsOnly && r.status === 'verified') Object.assign(r, { status: 'skipped', reason: why });
    } else await compareContent(s, src, tgt, columns, r, opts.signal);
    if (columns.lost.length && r.status === 'verified') {
      // The rows match in what both sides have; what the target lacks entirely is not there.
      const [cols, verb] = columns.lost.length > 1 ? ['columns', 'are'] : ['column', 'is'];
      r.status = 'mismatch';
      r.reason = `source ${cols} ${columns.lost.join(', ')} ${verb} missing on the target: ${columns.lost.length > 1 ? 'their' : 'its'} values are not there`;
    }
    r.durationMs = Date.now() - began;
    return true;
  } catch (e) {
    r.status = 'failed';
    r.error = errorInfo(e, s.secrets);
    if (sqlStateOf(e) === SQLSTATE.lockNotAvailable) r.error.message = lockTimeoutMessage(s.watch);
    r.reason = r.error.message;
    return false;
  }
}

async function compareContent(
  s: Session,
  src: Table,
  tgt: Table,
  m: ColumnMatch,
  r: TableReport,
  signal?: AbortSignal,
) {
  // Generated columns are values like any other here: both sides are read, nothing is copied.
  const pairs = [...m.pairs, ...m.generated];
  const format = copyFormat(pairs);
  const pinNames = pairs.some((p) => p.source.namesObjects || p.target.namesObjects);
  const sourceRead = { from: relationSql(src), select: pairs.map((p) => p.sourceExpr), format, pinNames } as const;
  const targetRead = { from: relationSql(tgt), select: pairs.map((p) => ident(p.name)), format, pinNames } as const;
  const digests = await Promise.all([digestOf(s.source, sourceRead, signal), digestOf(s.target, targetRead, signal)]);
  const expr = new Map(m.pairs.map((p) => [p.name, p.sourceExpr]));
  const key = rowKey(src, tgt, m.pairs);
  const reads = {
    source: sourceRead,
    target: targetRead,
    key: key && { names: key, source: key.map((k) => expr.get(k)!) },
  };
  const [a, b] = digests;
  r.sourceRows = a.rows;
  r.targetRows = b.rows;
  r.content = await settleContent(s, reads, digests, r.notes, signal);
  Object.assign(r, verdict(a.rows, b.rows, null, r.content));
}

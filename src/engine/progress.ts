// The progress of a run in numbers both adapters show (the CLI's stderr line, VS Code's notification
// and status bar): bytes done of an estimated total, rate, elapsed time, ETA, the table at work.
// The arithmetic lives here once; the adapters only lay the line out.
import { clock, formatBytes, formatCount } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import type { ProgressEvent } from './events.js';

export interface ProgressSnapshot {
  /** 0..1; by bytes while tables copy (by tables when no size is known), null before anything started. */
  fraction: number | null;
  doneBytes: number;
  /** The estimate of all bytes the copies will move: the catalog's sizes, corrected as tables finish. */
  totalBytes: number | null;
  bytesPerSecond: number | null;
  elapsedMs: number;
  /** Null until there is a rate to extrapolate from. */
  etaMs: number | null;
  /** The table at work, when one is. */
  table: { name: string; index: number; total: number; rows: number; rowsPerSecond: number | null } | null;
}

interface Current {
  name: string;
  index: number;
  total: number;
  estimate: number;
  estimatedRows: number | null;
  bytes: number;
  rows: number;
  began: number;
}

/**
 * Follows a run's events. The catalog's sizes (pg_table_size) are not what COPY moves, so once a table
 * finishes, its real bytes replace its estimate and the tables still to come are scaled by the ratio seen
 * so far; the table at work is extrapolated from its rows; the total is never less than what moved.
 */
export class RunProgress {
  private readonly began: number;
  private copyBegan: number | null = null;
  private estimatedTotal: number | null = null;
  private doneEstimate = 0;
  private doneActual = 0;
  private tablesDone = 0;
  private tablesTotal = 0;
  private current: Current | null = null;

  constructor(private readonly now: () => number = Date.now) {
    this.began = now();
  }

  update(e: ProgressEvent): void {
    switch (e.type) {
      case 'copy-start':
        Object.assign(this, { estimatedTotal: e.estimatedBytes, tablesTotal: e.total, copyBegan: this.now() });
        return;
      case 'table-start': {
        const name = displayName(e.schema, e.table);
        this.tablesTotal = e.total;
        const [estimate, estimatedRows] = [e.estimatedBytes, e.estimatedRows];
        const began = this.now();
        this.current = { name, index: e.index, total: e.total, estimate, estimatedRows, bytes: 0, rows: 0, began };
        return;
      }
      case 'table-progress':
        if (this.current) Object.assign(this.current, { bytes: e.bytes, rows: e.rows });
        return;
      case 'table-done':
        this.doneEstimate += this.current?.estimate ?? 0;
        this.doneActual += e.bytes;
        this.tablesDone = e.index + 1;
        this.current = null;
        return;
    }
  }

  /** Bytes moved per byte the catalog estimated, from the tables done (1 before any is). */
  private ratio(): number {
    if (this.doneEstimate <= 0 || this.doneActual <= 0) return 1;
    return Math.min(20, Math.max(0.05, this.doneActual / this.doneEstimate));
  }

  snapshot(): ProgressSnapshot {
    const now = this.now();
    const c = this.current;
    const doneBytes = this.doneActual + (c?.bytes ?? 0);
    const total = this.totalBytes(doneBytes);
    const since = this.copyBegan ?? this.began;
    const seconds = (now - since) / 1000;
    const bytesPerSecond = seconds >= 1 && doneBytes > 0 ? doneBytes / seconds : null;
    const byTables = this.tablesTotal ? this.tablesDone / this.tablesTotal : null;
    const fraction = total ? Math.min(1, doneBytes / total) : byTables;
    const etaMs =
      total && bytesPerSecond
        ? ((total - doneBytes) / bytesPerSecond) * 1000
        : byTables && seconds >= 1
          ? ((now - since) * (1 - byTables)) / byTables
          : null;
    const tableSeconds = c ? (now - c.began) / 1000 : 0;
    return {
      fraction,
      doneBytes,
      totalBytes: total,
      bytesPerSecond,
      elapsedMs: now - this.began,
      etaMs,
      table: c ? { ...c, rowsPerSecond: tableSeconds >= 0.5 && c.rows ? c.rows / tableSeconds : null } : null,
    };
  }

  /** The estimate of all bytes: what finished, the table at work, and the rest scaled by the ratio seen. */
  private totalBytes(doneBytes: number): number | null {
    if (this.estimatedTotal === null || this.estimatedTotal <= 0) return null;
    const r = this.ratio();
    const c = this.current;
    const rest = Math.max(0, this.estimatedTotal - this.doneEstimate - (c?.estimate ?? 0)) * r;
    return Math.max(doneBytes, this.doneActual + (c ? this.currentTotal(c, r) : 0) + rest);
  }

  /**
   * The table at work: once some of its rows have streamed, their average size times the catalog's row
   * estimate (the size on disk says little about a compressed or TOASTed table); before that, its size
   * scaled by the ratio seen so far.
   */
  private currentTotal(c: Current, ratio: number): number {
    const byRows = c.estimatedRows && c.rows >= 100 ? (c.bytes / c.rows) * c.estimatedRows : null;
    return Math.max(byRows ?? c.estimate * ratio, c.bytes);
  }
}

/** The totals in a line: "41% · 72 MB of 177 MB · 2.1 MB/s · 0:34 elapsed · about 0:48 left". */
export function progressLine(p: ProgressSnapshot): string {
  const parts: string[] = [];
  if (p.fraction !== null) parts.push(`${Math.floor(p.fraction * 100)}%`);
  if (p.totalBytes !== null) parts.push(`${formatBytes(p.doneBytes)} of ~${formatBytes(p.totalBytes)}`);
  if (p.bytesPerSecond !== null) parts.push(`${formatBytes(Math.round(p.bytesPerSecond))}/s`);
  parts.push(`${clock(p.elapsedMs)} elapsed`);
  if (p.etaMs !== null) parts.push(`about ${clock(p.etaMs)} left`);
  return parts.join(' · ');
}

/** The table at work in a line: "[3/5] public.pages: 12,000 rows (3,400 rows/s)". */
export function tableLine(p: ProgressSnapshot): string | null {
  const t = p.table;
  if (!t) return null;
  const rate = t.rowsPerSecond === null ? '' : ` (${formatCount(Math.round(t.rowsPerSecond))} rows/s)`;
  return `[${t.index + 1}/${t.total}] ${t.name}: ${formatCount(t.rows)} rows${rate}`;
}

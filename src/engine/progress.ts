// The progress of a run in numbers both adapters show (the CLI's stderr line, VS Code's notification
// and status bar): the stage going on (create, empty, copy, verify, sequences, commit) with its own
// progress; for the copy, bytes done of an estimated total, rate, elapsed time, ETA, the table at work.
// The arithmetic and the lines live here once; the adapters only place them.
import { clock, formatBytes, formatCount, seconds } from '../shared/format.js';
import { displayName } from '../shared/names.js';
import type { PhaseTable, PipelineProgress, ProgressEvent, RunPhase } from './events.js';

/** The stage going on, with its own progress where it has one. */
export interface PhaseSnapshot {
  /** Null for a detail said before any stage began (the rows kept for undo, a lock waited on). */
  name: RunPhase | null;
  message: string;
  /** The message is a detail within the stage (a lock waited on, rows kept for undo), not the stage's own. */
  detail: boolean;
  /** 0..1 of the stage itself: the copy by bytes, the read-back by the copied bytes; null for one-statement stages. */
  fraction: number | null;
  etaMs: number | null;
  table: { name: string; index: number; total: number } | null;
}

export interface ProgressSnapshot {
  /** 0..1; by bytes while tables copy (by tables when no size is known), null before anything started. */
  fraction: number | null;
  doneBytes: number;
  /**
   * The estimate of all bytes the copies will move: the catalog's sizes, corrected as tables finish;
   * null when unknown, or while the table at work has moved more than its estimate (never analyzed,
   * grown since): a total that only followed the bytes done would read as nearly finished.
   */
  totalBytes: number | null;
  bytesPerSecond: number | null;
  elapsedMs: number;
  /** Null until there is a rate to extrapolate from. */
  etaMs: number | null;
  /** The table at work, when one is: the rows it streamed whole, the bytes it moved (a row may span many). */
  table: {
    name: string;
    index: number;
    total: number;
    rows: number;
    bytes: number;
    rowsPerSecond: number | null;
  } | null;
  /** The stage going on (null in a comparison, which has none). */
  phase: PhaseSnapshot | null;
  /** A parallel load's readers, units and spool while the rows move; null with one source session. */
  pipeline: Omit<PipelineProgress, 'type'> | null;
  /**
   * 0..1 of the whole run, for a bar that only moves forward: in a migration the copy and the read-back
   * that verifies it, each weighted by the bytes it goes through; otherwise the same as `fraction`.
   */
  overall: number | null;
}

/**
 * What reading a byte back costs next to copying it, for the whole run's bar. Measured between two
 * local servers: the read-back took 0.26–0.41 of the copy's time for 60,000 text rows (17→15, 15→17)
 * and 0.88 for 20,000 arrays of 1,536 floats (their text rendering is what costs); over a network the
 * copy only gets slower. The bar is a guide: each stage's own line says where it really is.
 */
const READ_BACK_WEIGHT = 1 / 3;

/** Rows a table must have streamed before their average size predicts its total: fewer say too little. */
const ROWS_FOR_AVERAGE = 100;

interface Stage {
  name: RunPhase | null;
  message: string;
  detail: boolean;
  began: number;
  at: PhaseTable | null;
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
  private stage: Stage | null = null;
  /** Bytes each copied table moved, by name: how much of the read-back is done. */
  private readonly copied = new Map<string, number>();
  private readonly readBack = new Set<string>();
  /** The run went past the read-back (sequences, commit): the bar is full. */
  private pastReadBack = false;
  private pipeline: Omit<PipelineProgress, 'type'> | null = null;
  /** The whole run's bar so far: it only moves forward, also while the copy's total is unknown. */
  private overallSeen = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.began = now();
  }

  update(e: ProgressEvent): void {
    switch (e.type) {
      case 'phase':
        this.enter(e.phase, e.message, e.at ?? null);
        return;
      case 'copy-start':
        Object.assign(this, { estimatedTotal: e.estimatedBytes, tablesTotal: e.total, copyBegan: this.now() });
        this.enter('copy', `copying ${e.total} table(s)`, null);
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
      case 'pipeline': {
        const { type: _, ...rest } = e;
        this.pipeline = rest;
        return;
      }
      case 'table-done':
        this.doneEstimate += this.current?.estimate ?? 0;
        this.doneActual += e.bytes;
        this.tablesDone = e.index + 1;
        this.current = null;
        this.copied.set(displayName(e.schema, e.table), e.bytes);
        return;
    }
  }

  /** A stage begins or goes on to its next table; an event without a stage is a detail of the one going on. */
  private enter(name: RunPhase | undefined, message: string, at: PhaseTable | null): void {
    const s = this.stage;
    if (!name) {
      this.stage = s
        ? { ...s, message, detail: true }
        : { name: null, message, detail: true, began: this.now(), at: null };
      return;
    }
    if (s?.name === 'verify' && s.at) this.readBack.add(displayName(s.at.schema, s.at.table));
    if (name === 'sequences' || name === 'commit') this.pastReadBack = true;
    this.stage = { name, message, detail: false, at, began: s?.name === name ? s.began : this.now() };
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
    // Sizes were known and one was exceeded: no share of a total nobody knows, nor a time left.
    const exceeded = total === null && (this.estimatedTotal ?? 0) > 0;
    const fraction = exceeded ? null : total ? Math.min(1, doneBytes / total) : byTables;
    const etaMs = exceeded
      ? null
      : total && bytesPerSecond
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
      phase: this.phaseSnapshot(fraction, etaMs),
      // Said while the rows move: once the read-back begins, the readers are gone.
      pipeline: this.stage?.name === 'copy' ? this.pipeline : null,
      overall: this.overall(fraction ?? byTables),
    };
  }

  private phaseSnapshot(copyFraction: number | null, copyEta: number | null): PhaseSnapshot | null {
    const s = this.stage;
    if (!s) return null;
    const table = s.at ? { name: displayName(s.at.schema, s.at.table), index: s.at.index, total: s.at.total } : null;
    const base = { name: s.name, message: s.message, detail: s.detail, table };
    if (s.name === 'copy') return { ...base, fraction: copyFraction, etaMs: copyEta };
    // The read-back is measured table by table: with one table there is nothing to measure until it ends.
    if (s.name !== 'verify' || !s.at || s.at.total < 2) return { ...base, fraction: null, etaMs: null };
    const fraction = this.readBackFraction(s.at);
    const seconds = (this.now() - s.began) / 1000;
    const etaMs = fraction > 0 && seconds >= 1 ? ((this.now() - s.began) * (1 - fraction)) / fraction : null;
    return { ...base, fraction, etaMs };
  }

  /** The share of the copied bytes read back, the tables before the one at work (by tables when no bytes moved). */
  private readBackFraction(at: PhaseTable): number {
    const total = [...this.copied.values()].reduce((a, b) => a + b, 0);
    if (total <= 0) return at.total ? at.index / at.total : 0;
    const done = [...this.readBack].reduce((sum, name) => sum + (this.copied.get(name) ?? 0), 0);
    return Math.min(1, done / total);
  }

  private overall(copyFraction: number | null): number | null {
    if (this.copyBegan === null) return copyFraction;
    if (this.pastReadBack) return 1;
    const s = this.stage;
    const readBack = s?.name === 'verify' && s.at ? this.readBackFraction(s.at) : 0;
    const copy = s?.name === 'verify' ? 1 : (copyFraction ?? 0);
    this.overallSeen = Math.max(this.overallSeen, (copy + readBack * READ_BACK_WEIGHT) / (1 + READ_BACK_WEIGHT));
    return this.overallSeen;
  }

  /** The estimate of all bytes: what finished, the table at work, and the rest scaled by the ratio seen. */
  private totalBytes(doneBytes: number): number | null {
    if (this.estimatedTotal === null || this.estimatedTotal <= 0) return null;
    const r = this.ratio();
    const c = this.current;
    const rest = Math.max(0, this.estimatedTotal - this.doneEstimate - (c?.estimate ?? 0)) * r;
    const current = c ? this.currentTotal(c, r) : 0;
    if (current === null) return null;
    return Math.max(doneBytes, this.doneActual + current + rest);
  }

  /**
   * The table at work: once some of its rows have streamed, their average size times the catalog's row
   * estimate (the size on disk says little about a compressed or TOASTed table); before that, its size
   * scaled by the ratio seen so far. Null once it moved more than that: how much is left is unknown.
   */
  private currentTotal(c: Current, ratio: number): number | null {
    const byRows = c.estimatedRows && c.rows >= ROWS_FOR_AVERAGE ? (c.bytes / c.rows) * c.estimatedRows : null;
    const estimate = byRows ?? c.estimate * ratio;
    return c.bytes > estimate ? null : estimate;
  }
}

const percent = (f: number | null): string[] => (f === null ? [] : [`${Math.floor(f * 100)}%`]);
// "about 0:00 left" says nothing a stage's 100% does not, and reads as if the run were over.
const left = (ms: number | null): string[] => (ms === null || ms < 1000 ? [] : [`about ${clock(ms)} left`]);

/**
 * The totals in a line: "41% · 72 MB of 177 MB · 2.1 MB/s · 0:34 elapsed · about 0:48 left"; with no
 * total known (or the estimate overtaken), the bytes alone: "323 MB so far · 2.1 MB/s · 2:34 elapsed".
 */
export function progressLine(p: ProgressSnapshot): string {
  const parts = percent(p.fraction);
  if (p.totalBytes !== null) parts.push(`${formatBytes(p.doneBytes)} of ~${formatBytes(p.totalBytes)}`);
  else if (p.doneBytes > 0) parts.push(`${formatBytes(p.doneBytes)} so far`);
  if (p.bytesPerSecond !== null) parts.push(`${formatBytes(Math.round(p.bytesPerSecond))}/s`);
  if (p.pipeline) parts.push(...pipelineParts(p.pipeline));
  parts.push(`${clock(p.elapsedMs)} elapsed`);
  parts.push(...left(p.etaMs));
  return parts.join(' · ');
}

/** A parallel load in a few words: "3/4 readers · 12/80 units loaded · spool 40 MB". */
function pipelineParts(p: Omit<PipelineProgress, 'type'>): string[] {
  return [
    `${p.busy}/${p.readers} readers`,
    `${formatCount(p.unitsDone)}/${formatCount(p.unitsTotal)} units loaded`,
    `spool ${formatBytes(p.spoolBytes)}`,
  ];
}

const rowsText = (n: number): string => `${formatCount(n)} row${n === 1 ? '' : 's'}`;

/**
 * The table at work in a line: "[3/5] public.pages: 12,000 rows (3,400 rows/s)"; before its first row
 * has streamed whole (a large row spans many chunks), the bytes it moved: "[3/5] public.pages: 88 MB".
 */
export function tableLine(p: ProgressSnapshot): string | null {
  const t = p.table;
  if (!t) return null;
  const rate = t.rowsPerSecond === null ? '' : ` (${formatCount(Math.round(t.rowsPerSecond))} rows/s)`;
  const moved = t.rows === 0 && t.bytes > 0 ? formatBytes(t.bytes) : `${rowsText(t.rows)}${rate}`;
  return `[${t.index + 1}/${t.total}] ${t.name}: ${moved}`;
}

/**
 * A table's end in words: "7 rows, 1.2 kB in 0.3 s"; an empty table's bytes are only COPY's framing
 * ("0 rows in 0.0 s"); a copy that stopped kept no row: "stopped after 281 MB in 5.8 s, nothing kept".
 */
export function tableDoneText(e: Extract<ProgressEvent, { type: 'table-done' }>): string {
  const time = `in ${seconds(e.durationMs)}`;
  if (e.rows === null) return `stopped after ${formatBytes(e.bytes)} ${time}, nothing kept`;
  return `${rowsText(e.rows)}${e.rows && e.bytes ? `, ${formatBytes(e.bytes)}` : ''} ${time}`;
}

/** Each stage in a word, as the progress names it. */
export const PHASE_WORDS: Record<RunPhase, string> = {
  create: 'Creating',
  empty: 'Emptying',
  copy: 'Copying',
  verify: 'Verifying',
  sequences: 'Moving sequences',
  commit: 'Committing',
};

/**
 * The run in a line, its stage first: "Copying [3/5] public.pages: 12,000 rows (…) · 41% · 72 MB of ~177 MB
 * · … · about 0:48 left", then "Verifying [2/5] public.pages: reading it back … · 40% · about 0:05 left
 * · 1:02 elapsed", "Committing · 1:06 elapsed". A comparison (no stages) reads as before.
 */
export function runLine(p: ProgressSnapshot): string {
  const ph = p.phase;
  if (!ph || (ph.name === 'copy' && p.table) || (!ph.name && p.table)) {
    const head = [tableLine(p), progressLine(p)].filter(Boolean).join(' · ');
    return ph?.name ? `${PHASE_WORDS[ph.name]} ${head}` : head;
  }
  const elapsed = `${clock(p.elapsedMs)} elapsed`;
  if (ph.name === 'copy') return [PHASE_WORDS.copy, progressLine(p)].join(' · ');
  return [stageText(ph), ...percent(ph.fraction), ...left(ph.etaMs), elapsed].join(' · ');
}

/** "Verifying [2/5] public.pages: reading it back …", "Emptying 3 target table(s)": the word said once. */
function stageText(ph: PhaseSnapshot): string {
  const where = ph.table ? ` [${ph.table.index + 1}/${ph.table.total}] ${ph.table.name}` : '';
  if (!ph.name || ph.detail) return capitalized(ph.message);
  const word = PHASE_WORDS[ph.name];
  if (!where && ph.message.toLowerCase().startsWith(word.toLowerCase())) return capitalized(ph.message);
  return `${word}${where}: ${ph.message}`;
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The run in a few words, for a status bar: "copying 41% · about 0:48 left", "verifying 2/5 · 40%", "committing". */
export function shortLine(p: ProgressSnapshot): string {
  const ph = p.phase;
  if (!ph?.name) return [...percent(p.fraction), ...left(p.etaMs)].join(' · ');
  const word = PHASE_WORDS[ph.name].toLowerCase();
  if (!ph.table) return [[word, ...percent(ph.fraction)].join(' '), ...left(ph.etaMs)].join(' · ');
  return [`${word} ${ph.table.index + 1}/${ph.table.total}`, ...percent(ph.fraction), ...left(ph.etaMs)].join(' · ');
}

/** One stage event in a line of a log: "verify [2/5] public.pages: reading it back …", "empty: emptying 3 …". */
export function phaseText(e: Extract<ProgressEvent, { type: 'phase' }>): string {
  const at = e.at ? ` [${e.at.index + 1}/${e.at.total}] ${displayName(e.at.schema, e.at.table)}` : '';
  return e.phase ? `${e.phase}${at}: ${e.message}` : e.message;
}

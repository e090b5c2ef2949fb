/** What the engine tells its adapters while it works; adapters decide how to show it. */

/**
 * The stages of a migration, in the order they begin, each shown with its own progress: a bar that
 * reached the end of the copy must not read as a finished run while the tables are read back.
 * `create` also covers the keys and indexes built after the rows and the row-level security set last.
 */
export type RunPhase = 'create' | 'empty' | 'copy' | 'verify' | 'sequences' | 'commit';

/**
 * Every span of a run the report times (time and round trips per phase): the stages, and before them
 * opening both sessions (`connect`), reading both catalogs (`catalog`), planning with its DDL trial
 * (`plan`), the wait for the user's yes (`review`) and, inside the target's transaction before the
 * first stage, silencing triggers and beginning the journal (`prepare`).
 */
export type TimedPhase = 'connect' | 'catalog' | 'plan' | 'review' | 'prepare' | RunPhase;

/** The table a phase is at, when it goes table by table. */
export interface PhaseTable {
  schema: string;
  table: string;
  index: number;
  total: number;
}

export type ProgressEvent =
  /**
   * What the run is doing now. With `phase`, a stage begins (or, with `at`, goes on to its next table);
   * without it, a detail within the stage going on (a lock waited on, a trigger disabled).
   */
  | { type: 'phase'; message: string; phase?: RunPhase; at?: PhaseTable }
  /** The copies begin: how many tables, and their size in the catalog (the estimate progress starts from). */
  | { type: 'copy-start'; total: number; estimatedBytes: number }
  | {
      type: 'table-start';
      schema: string;
      table: string;
      index: number;
      total: number;
      estimatedRows: number | null;
      estimatedBytes: number;
    }
  | {
      type: 'table-progress';
      schema: string;
      table: string;
      index: number;
      total: number;
      bytes: number;
      /** Rows streamed so far. */
      rows: number;
    }
  | {
      type: 'table-done';
      schema: string;
      table: string;
      index: number;
      total: number;
      /** Rows the target took; null when the copy stopped (failed or cancelled): it keeps none of them. */
      rows: number | null;
      bytes: number;
      durationMs: number;
    }
  | PipelineProgress;

/** A parallel load's readers, a few times a second while the rows move (absent with one source session). */
export interface PipelineProgress {
  type: 'pipeline';
  /** Source sessions reading, and how many of them are reading a unit now. */
  readers: number;
  busy: number;
  /** Units (tables, or ranges of a big table's pages) loaded into the target, of all. */
  unitsDone: number;
  unitsTotal: number;
  /** Bytes waiting in the spool between the readers and the writer (loaded units kept there included). */
  spoolBytes: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** What the engine tells its adapters while it works; adapters decide how to show it. */
export type ProgressEvent =
  | { type: 'phase'; message: string }
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
      rows: number;
      bytes: number;
      durationMs: number;
    };

export type ProgressListener = (event: ProgressEvent) => void;

/** What the engine tells its adapters while it works; adapters decide how to show it. */
export type ProgressEvent =
  | { type: 'phase'; message: string }
  | {
      type: 'table-start';
      schema: string;
      table: string;
      index: number;
      total: number;
      estimatedRows: number | null;
      estimatedBytes: number;
    }
  | { type: 'table-progress'; schema: string; table: string; index: number; total: number; bytes: number }
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

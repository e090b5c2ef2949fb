// The report's pieces as the engine fills them: a table's blank row and the envelope around all rows.
import type {
  Checks,
  ErrorInfo,
  ExistingPolicy,
  Outcome,
  PlatformTable,
  Report,
  RootCause,
  SchemaObject,
  TableReport,
} from '../shared/report.js';
import { contentNotChecked, outcomeOf, summarize } from '../shared/report.js';
import type { Session } from './connect/session.js';
import { VERSION } from './version.js';

/** A table's row before anything is known: counts, sizes and error empty (keys in the JSON's order). */
export function tableReport(
  schema: string,
  table: string,
  init: Pick<TableReport, 'status' | 'reason'> & Partial<Pick<TableReport, 'format' | 'notes'>>,
): TableReport {
  return {
    schema,
    table,
    status: init.status,
    sourceRows: null,
    targetRows: null,
    targetRowsBefore: null,
    bytes: null,
    durationMs: null,
    format: init.format ?? null,
    reason: init.reason,
    notes: init.notes ?? [],
    error: null,
    content: contentNotChecked(null),
  };
}

interface Envelope {
  kind: Report['kind'];
  checks?: Checks;
  session: Pick<Session, 'summaries'>;
  started: Date;
  existing: ExistingPolicy | null;
  tables: TableReport[];
  unmatched: string[];
  /** A platform's tables its rules left out (listed, never counted). */
  platformTables?: PlatformTable[];
  /** Objects of the source the target lacks, not created by the run (listed, never counted). */
  objects?: SchemaObject[];
  committed: boolean;
  /** Set when the run's outcome is not read off the tables (cancelled). */
  outcome?: Outcome | null;
  error?: ErrorInfo | null;
  /** Every table that took the run back, in the order the run met them. */
  causes?: RootCause[];
}

/** The report around the tables' rows: who, when, how long, the summary and the outcome. */
export function report(e: Envelope): Report {
  return {
    kind: e.kind,
    checks: e.checks ?? 'counts and content',
    tool: { name: 'archon', version: VERSION },
    ...e.session.summaries,
    existing: e.existing,
    startedAt: e.started.toISOString(),
    durationMs: Date.now() - e.started.getTime(),
    outcome: e.outcome ?? outcomeOf(e.tables, e.unmatched),
    committed: e.committed,
    summary: summarize(e.tables),
    tables: e.tables,
    unmatched: e.unmatched,
    ...(e.platformTables?.length ? { platformTables: e.platformTables } : {}),
    ...(e.objects?.length ? { objects: e.objects } : {}),
    error: e.error ?? null,
    cause: e.causes?.[0] ?? null,
    causes: e.causes ?? [],
  };
}

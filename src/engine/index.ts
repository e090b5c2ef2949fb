// The engine's only entrance for the adapters (the CLI, the VS Code extension, bench/): they import
// from here, never from a file behind it (the linter holds this). Nothing here imports `vscode`.
// The report model and its renderings are not the engine's: they live in src/shared/.
// Option and result types are exported with their functions even where no adapter names them yet:
// they are the engine's API as a caller reads it.
export { migrate, planMigration, type MigrateOptions, type PlanOptions, type PlanResult } from './migrate.js';
export { compare, type CompareOptions } from './compare.js';
export { parseUrl, parseEndpoint, withoutPassword, type UrlParts } from './connect/connection.js';
export { parseEndpoints, type EndpointsInput } from './connect/session.js';
export { isCopyable, type Catalog, type Table, type Column } from './catalog/catalog.js';
export type { Plan, SkipKind, TablePlan } from './plan/plan.js';
export { ddlScript } from './create/create.js';
export type { Selection } from './catalog/selection.js';
export type { ProgressEvent, ProgressListener, RunPhase, PhaseTable } from './events.js';
export {
  RunProgress,
  progressLine,
  tableDoneText,
  tableLine,
  runLine,
  shortLine,
  phaseText,
  PHASE_WORDS,
  type ProgressSnapshot,
  type PhaseSnapshot,
} from './progress.js';
export {
  ConnectionError,
  UsageError,
  CancelledError,
  LockTimeoutError,
  errorInfo,
  redact,
  remedyOf,
  type ConnectFailure,
  type Remedy,
} from './errors.js';
export { DEFAULT_LOCK_TIMEOUT_MS } from './connect/locks.js';
export { DEFAULT_STALL_TIMEOUT_MS } from './connect/session.js';
export { DEFAULT_JOBS, type ParallelOptions } from './load/parallel.js';
export { DEFAULT_SPOOL_LIMIT, checkSpoolDir } from './load/spool.js';
export { inspect, testConnection, countTableRows, type ConnectionTarget } from './connect/inspect.js';
export { VERSION } from './version.js';
export {
  detectPlatform,
  tableKind,
  type DetectedPlatform,
  type SchemaKind,
  type PlatformKind,
} from './catalog/platform.js';
export {
  undo,
  previewUndo,
  undoAction,
  type UndoAction,
  UndoVerifyError,
  type UndoOptions,
  type UndoPreview,
  type UndoResult,
  type UndoTable,
  type TargetOptions,
} from './undo.js';
export { history, dropBackups, runReport, type RunEntry, type DropOptions, type DropResult } from './history.js';
export { keptReason, type KeptObject } from './journal/keptObjects.js';
export type { UndoPlan } from './journal/journal.js';

// The engine's public face for the adapters (CLI, VS Code). Nothing here imports `vscode`.
export { migrate, planMigration, type MigrateOptions, type PlanOptions, type PlanResult } from './run.js';
export { compare, type CompareOptions } from './compare.js';
export { parseEndpoint, connect, type Endpoint, type Role } from './connection.js';
export { readCatalog, isCopyable, type Catalog, type Table, type Column } from './catalog.js';
export { makePlan, EXISTING_POLICIES, type ExistingPolicy, type Plan, type TablePlan } from './plan.js';
export type { Selection } from './selection.js';
export type { ProgressEvent, ProgressListener } from './events.js';
export { ConnectionError, UsageError, CancelledError, redact, type ErrorInfo } from './errors.js';
export * from './report.js';
export { displayName } from './ident.js';
export { VERSION } from './version.js';
export { inspect, testConnection, countTableRows, type ConnectionTarget } from './inspect.js';
export { parseEndpoints, type EndpointsInput } from './session.js';

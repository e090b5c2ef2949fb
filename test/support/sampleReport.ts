import type { Report, TableReport } from '../../src/shared/report.js';

const row = (schema: string, table: string, over: Partial<TableReport>): TableReport => ({
  schema,
  table,
  status: 'verified',
  sourceRows: null,
  targetRows: null,
  targetRowsBefore: 0,
  bytes: null,
  durationMs: null,
  format: 'binary',
  reason: null,
  notes: [],
  error: null,
  ...over,
});

/** A report with every status, as the engine would produce after a partly failed run. */
export function sampleReport(): Report {
  const tables = [
    row('public', 'archon_projects', { sourceRows: 12, targetRows: 12, bytes: 1634, durationMs: 12 }),
    row('public', 'archon_crawled_pages', {
      sourceRows: 218714,
      targetRows: 218714,
      bytes: 2_900_000_000,
      durationMs: 184_000,
    }),
    row('public', 'archon_tasks', { sourceRows: 250, targetRows: 250, bytes: 26000, durationMs: 30 }),
    row('public', 'archon_settings', {
      status: 'skipped',
      targetRowsBefore: null,
      format: null,
      reason: 'missing on the target: create public.archon_settings there first (Archon copies rows, not schema)',
    }),
    row('public', 'archon_prompts', {
      status: 'skipped',
      targetRowsBefore: null,
      format: null,
      reason: 'source column description does not exist on the target (copying would lose its data)',
    }),
    row('public', 'archon_code_examples', {
      status: 'mismatch',
      sourceRows: 150,
      targetRows: 149,
      reason: 'the target gained 149 row(s) but the source has 150 in the snapshot',
    }),
    row('Odd Schema', 'Événements "2025"', {
      status: 'failed',
      sourceRows: 900,
      reason:
        'new row for relation "Événements ""2025""" violates check constraint "small" [23514]; rolled back, the target is unchanged',
      error: {
        message: 'new row violates check constraint "small"',
        code: '23514',
        detail: 'Failing row contains (400, 400).',
      },
    }),
  ];
  return {
    kind: 'migrate',
    tool: { name: 'archon', version: '0.1.0' },
    source: { role: 'source', label: 'postgres@db.cloud.example.com:5432/archon', serverVersion: '17.6' },
    target: { role: 'target', label: 'postgres@localhost:5432/archon', serverVersion: '15.8' },
    existing: 'replace',
    startedAt: '2026-11-26T10:00:00.000Z',
    durationMs: 191_400,
    outcome: 'failed',
    committed: false,
    summary: { verified: 3, mismatch: 1, skipped: 2, failed: 1, total: 7 },
    tables,
    unmatched: [],
    error: null,
  };
}

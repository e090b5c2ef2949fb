import {
  type ContentCheck,
  type Report,
  type TableReport,
  contentNotChecked,
  summarize,
} from '../../src/shared/report.js';

const same = (digest: string): ContentCheck => ({
  status: 'match',
  reason: null,
  sourceDigest: digest,
  targetDigest: digest,
  differences: [],
  differingRows: 0,
});

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
  content:
    over.status && over.status !== 'verified' ? contentNotChecked(null) : same('5f0c6e2a9b1d4c3e8a7f6b5c4d3e2f1a'),
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
    checks: 'counts and content',
    tool: { name: 'archon', version: '0.1.0' },
    source: { role: 'source', label: 'postgres@db.cloud.example.com:5432/archon', serverVersion: '17.6' },
    target: { role: 'target', label: 'postgres@localhost:5432/archon', serverVersion: '15.8' },
    existing: 'replace',
    startedAt: '2026-11-26T10:00:00.000Z',
    durationMs: 191_400,
    outcome: 'failed',
    committed: false,
    summary: { verified: 3, mismatch: 1, skipped: 2, failed: 1, 'rolled back': 0, 'not run': 0, total: 7 },
    tables,
    unmatched: [],
    error: null,
  };
}

/** The sample with one more table: same row count, different content, three differing keys. */
export function sampleReportWithContentDifference(): Report {
  const r = sampleReport();
  r.tables.push(
    row('public', 'archon_sources', {
      status: 'mismatch',
      sourceRows: 8,
      targetRows: 8,
      reason: 'same row count, but 3 rows differ in content; rolled back, the target is unchanged',
      content: {
        status: 'differs',
        reason: '3 rows differ: 1 changed, 1 missing on the target, 1 extra on the target',
        sourceDigest: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
        targetDigest: 'f9e8d7c6b5a4938271605f4e3d2c1b0a',
        differences: [
          { key: 'id=3', kind: 'changed' },
          { key: 'id=5', kind: 'missing on the target' },
          { key: 'id=9', kind: 'extra on the target' },
        ],
        differingRows: 3,
      },
    }),
  );
  r.summary = { ...r.summary, mismatch: r.summary.mismatch + 1, total: r.summary.total + 1 };
  return r;
}

/**
 * A run of `n` tables that one CHECK violation took back: table 10 failed, the nine before it were
 * rolled back, the rest never ran (the 257-table case).
 */
export function rolledBackReport(n = 257): Report {
  const culprit = 'new row for relation "t010" violates check constraint "small" [23514]';
  const tables = Array.from({ length: n }, (_, i) => {
    const name = `t${String(i + 1).padStart(3, '0')}`;
    const common = { sourceRows: 1000 + i, content: contentNotChecked(null) };
    if (i < 9)
      return row('public', name, {
        ...common,
        status: 'rolled back',
        reason: 'rolled back because public.t010 failed; the target is unchanged',
      });
    if (i === 9)
      return row('public', name, {
        ...common,
        status: 'failed',
        reason: `${culprit}; rolled back, the target is unchanged`,
        error: { message: 'new row for relation "t010" violates check constraint "small"', code: '23514' },
      });
    return row('public', name, {
      status: 'not run',
      content: contentNotChecked(null),
      reason: 'not run: the run stopped when public.t010 failed; the target is unchanged',
    });
  });
  return {
    ...sampleReport(),
    startedAt: '2026-11-27T09:00:00.000Z',
    tables,
    summary: summarize(tables),
    cause: { schema: 'public', table: 't010', status: 'failed', message: culprit },
  };
}

/**
 * A run in which three tables took the run back on their own (two failed, one did not verify) while
 * the other two loaded, verified and were rolled back with them: one run, every problem named.
 */
export function severalCausesReport(): Report {
  const back =
    'verified, then rolled back because public.t1, public.t3 failed and public.t4 did not verify; the target is unchanged';
  const check = 'new row for relation "t1" violates check constraint "small" [23514]';
  const long = 'value too long for type character varying(3) [22001]';
  const counts = 'the target gained 9 row(s) but the source has 10 in the snapshot';
  const tables = [
    row('public', 't1', {
      status: 'failed',
      sourceRows: 10,
      reason: `${check}; rolled back, the target is unchanged`,
      error: { message: 'new row for relation "t1" violates check constraint "small"', code: '23514' },
    }),
    row('public', 't2', { status: 'rolled back', sourceRows: 20, content: contentNotChecked(null), reason: back }),
    row('public', 't3', {
      status: 'failed',
      sourceRows: 30,
      reason: `${long}; rolled back, the target is unchanged`,
      error: { message: 'value too long for type character varying(3)', code: '22001' },
    }),
    row('public', 't4', {
      status: 'mismatch',
      sourceRows: 10,
      targetRows: 9,
      reason: `${counts}; rolled back, the target is unchanged`,
    }),
    row('public', 't5', { status: 'rolled back', sourceRows: 50, content: contentNotChecked(null), reason: back }),
  ];
  const causes = [
    { schema: 'public', table: 't1', status: 'failed' as const, message: check },
    { schema: 'public', table: 't3', status: 'failed' as const, message: long },
    { schema: 'public', table: 't4', status: 'mismatch' as const, message: counts },
  ];
  return {
    ...sampleReport(),
    outcome: 'failed',
    committed: false,
    tables,
    summary: summarize(tables),
    cause: causes[0],
    causes,
  };
}

/** rolledBackReport's culprit as the run now names it: the constraint's definition and the row it refused. */
export function refusedReport(): Report {
  const r = rolledBackReport(12);
  const constraint = { name: 'small', definition: 'CHECK ((v < 10))' };
  const refused = 'Failing row contains (12, twelve).';
  const tables = r.tables.map((t) =>
    t.table === 't010' ? { ...t, error: { ...t.error!, detail: refused, constraint } } : t,
  );
  return { ...r, tables, cause: { ...r.cause!, constraint, refused }, causes: [{ ...r.cause!, constraint, refused }] };
}

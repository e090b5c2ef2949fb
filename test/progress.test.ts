// The progress arithmetic both adapters show: bytes of an estimated total, corrected as tables finish.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  type ProgressEvent,
  RunProgress,
  migrate,
  progressLine,
  runLine,
  shortLine,
  tableDoneText,
  tableLine,
} from '../src/engine/index.js';
import { TestDb, directions, runCli } from './support/pg.js';

describe('progress by bytes (engine arithmetic, shared by the CLI and VS Code)', () => {
  it('starts from the catalog, corrects the total as tables finish, and gives rate and ETA', () => {
    let now = 0;
    const p = new RunProgress(() => now);
    const where = (index: number, table: string) => ({ schema: 'public', table, index, total: 2 });
    p.update({ type: 'copy-start', total: 2, estimatedBytes: 100_000_000 });
    p.update({ type: 'table-start', ...where(0, 'small'), estimatedRows: null, estimatedBytes: 20_000_000 });
    now = 2000;
    p.update({ type: 'table-progress', ...where(0, 'small'), bytes: 10_000_000, rows: 50 });
    let s = p.snapshot();
    assert.equal(s.totalBytes, 100_000_000, 'the catalog estimate while nothing has finished');
    assert.equal(s.fraction, 0.1);
    assert.equal(s.bytesPerSecond, 5_000_000);
    assert.equal(s.etaMs, 18_000);
    assert.match(progressLine(s), /^10% · 9\.5 MB of ~95 MB · 4\.8 MB\/s · 0:02 elapsed · about 0:18 left$/);
    assert.equal(tableLine(s), '[1/2] public.small: 50 rows (25 rows/s)');
    // The first table moved twice its size on disk: the one to come is expected to as well.
    now = 4000;
    p.update({ type: 'table-done', ...where(0, 'small'), rows: 100, bytes: 40_000_000, durationMs: 4000 });
    p.update({ type: 'table-start', ...where(1, 'embeddings'), estimatedRows: 20_000, estimatedBytes: 80_000_000 });
    s = p.snapshot();
    assert.equal(s.totalBytes, 40_000_000 + 160_000_000);
    // Once its rows stream, the table at work is extrapolated from them and the catalog's row estimate.
    now = 6000;
    p.update({ type: 'table-progress', ...where(1, 'embeddings'), bytes: 30_000_000, rows: 5000 });
    s = p.snapshot();
    assert.equal(s.totalBytes, 40_000_000 + 120_000_000);
    assert.equal(s.doneBytes, 70_000_000);
    assert.ok(s.etaMs !== null && s.etaMs > 0);
  });

  it('without sizes (compare) it counts tables', () => {
    let now = 0;
    const p = new RunProgress(() => now);
    p.update({ type: 'table-start', schema: 's', table: 't', index: 0, total: 4, estimatedRows: 1, estimatedBytes: 0 });
    now = 1000;
    p.update({ type: 'table-done', schema: 's', table: 't', index: 0, total: 4, rows: 1, bytes: 0, durationMs: 1000 });
    const s = p.snapshot();
    assert.equal(s.fraction, 0.25);
    assert.equal(s.totalBytes, null);
    assert.equal(s.etaMs, 3000);
  });
});

describe('the stages of a migration, each with its own progress', () => {
  it('after the copy, the read-back shows as its own stage with its share and time left, and the bar is not full', () => {
    let now = 0;
    const p = new RunProgress(() => now);
    const where = (index: number, table: string) => ({ schema: 'public', table, index, total: 2 });
    p.update({ type: 'phase', phase: 'empty', message: 'emptying 2 target table(s)' });
    assert.equal(runLine(p.snapshot()), 'Emptying 2 target table(s) · 0:00 elapsed');
    assert.equal(shortLine(p.snapshot()), 'emptying');
    p.update({ type: 'copy-start', total: 2, estimatedBytes: 4_000_000 });
    p.update({ type: 'table-start', ...where(0, 'small'), estimatedRows: 10, estimatedBytes: 1_000_000 });
    now = 1000;
    p.update({ type: 'table-done', ...where(0, 'small'), rows: 10, bytes: 1_000_000, durationMs: 1000 });
    p.update({ type: 'table-start', ...where(1, 'pages'), estimatedRows: 30, estimatedBytes: 3_000_000 });
    now = 4000;
    p.update({ type: 'table-done', ...where(1, 'pages'), rows: 30, bytes: 3_000_000, durationMs: 3000 });
    let s = p.snapshot();
    assert.equal(s.fraction, 1, 'the copy is done');
    assert.ok(s.overall! < 1, `the run is not: ${s.overall}`);
    assert.match(shortLine(s), /^copying 100%$/);
    const message = 'reading it back and comparing its content';
    p.update({ type: 'phase', phase: 'verify', message: 'counting rows and reading back the loaded tables' });
    p.update({ type: 'phase', phase: 'verify', message, at: where(0, 'small') });
    now = 5000;
    p.update({ type: 'phase', phase: 'verify', message, at: where(1, 'pages') });
    s = p.snapshot();
    // One of the four copied MB was read back in one second: three more to go.
    assert.equal(s.phase?.fraction, 0.25);
    assert.equal(s.phase?.etaMs, 3000);
    assert.equal(
      runLine(s),
      'Verifying [2/2] public.pages: reading it back and comparing its content · 25% · about 0:03 left · 0:05 elapsed',
    );
    assert.equal(shortLine(s), 'verifying 2/2 · 25% · about 0:03 left');
    assert.ok(s.overall! > 0.75 && s.overall! < 1, `the bar moves on through the read-back: ${s.overall}`);
    now = 8000;
    p.update({ type: 'phase', phase: 'sequences', message: 'moving sequences past the copied values' });
    assert.equal(runLine(p.snapshot()), 'Moving sequences past the copied values · 0:08 elapsed');
    p.update({ type: 'phase', phase: 'commit', message: 'committing' });
    s = p.snapshot();
    assert.equal(runLine(s), 'Committing · 0:08 elapsed');
    assert.equal(shortLine(s), 'committing');
    assert.equal(s.overall, 1);
  });

  it('one table read back has no share to show until it ends: no "0%" for its whole read-back', () => {
    let now = 0;
    const p = new RunProgress(() => now);
    const at = { schema: 'public', table: 'pages', index: 0, total: 1 };
    p.update({ type: 'copy-start', total: 1, estimatedBytes: 1000 });
    p.update({ type: 'table-start', ...at, estimatedRows: 1, estimatedBytes: 1000 });
    p.update({ type: 'table-done', ...at, rows: 1, bytes: 1000, durationMs: 1 });
    p.update({ type: 'phase', phase: 'verify', at, message: 'reading it back and comparing its content' });
    now = 30_000;
    const s = p.snapshot();
    assert.equal(shortLine(s), 'verifying 1/1');
    assert.equal(runLine(s), 'Verifying [1/1] public.pages: reading it back and comparing its content · 0:30 elapsed');
  });

  it('a detail said within a stage is shown as it is, under the stage it belongs to', () => {
    const p = new RunProgress(() => 0);
    p.update({ type: 'phase', message: 'keeping the rows of public.pages for undo' });
    assert.equal(runLine(p.snapshot()), 'Keeping the rows of public.pages for undo · 0:00 elapsed');
    p.update({ type: 'phase', phase: 'empty', message: 'emptying 1 target table(s)' });
    p.update({ type: 'phase', message: 'waiting for a lock on the target table public.pages, held by pid 42' });
    const s = p.snapshot();
    assert.match(runLine(s), /^Waiting for a lock on the target table public\.pages, held by pid 42 · /);
    assert.equal(shortLine(s), 'emptying');
  });

  for (const [from, to] of directions()) {
    it(`a real run goes through create, empty, copy, verify, sequences and commit in order, the read-back table by table (${from.major}→${to.major})`, async () => {
      const src = await TestDb.create(from, 'stages');
      const tgt = await TestDb.create(to, 'stages');
      const ddl = 'CREATE TABLE projects (id serial PRIMARY KEY, title text); CREATE TABLE tasks (id int, title text);';
      await src.sql(`${ddl} CREATE TABLE notes (id int PRIMARY KEY, body text);
        INSERT INTO projects (title) SELECT 'p' || g FROM generate_series(1, 50) g;
        INSERT INTO tasks SELECT g, repeat('t', 200) FROM generate_series(1, 3000) g;
        INSERT INTO notes SELECT g, 'n' FROM generate_series(1, 5) g; ANALYZE;`);
      await tgt.sql(`${ddl} INSERT INTO tasks VALUES (0, 'old');`);
      const progress = new RunProgress();
      const seen: { event: ProgressEvent; line: string; short: string; overall: number | null }[] = [];
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        existing: 'replace',
        createMissing: true,
        onProgress: (event) => {
          progress.update(event);
          const s = progress.snapshot();
          seen.push({ event, line: runLine(s), short: shortLine(s), overall: s.overall });
        },
      });
      assert.equal(report.outcome, 'verified');
      assert.equal(await tgt.count('notes'), 5, 'created and copied');
      // Each stage by its first event, and the copy by its start.
      const firsts = seen.flatMap(({ event: e }) =>
        e.type === 'copy-start' ? ['copy'] : e.type === 'phase' && e.phase ? [e.phase] : [],
      );
      assert.deepEqual(
        firsts.filter((st, i) => firsts.indexOf(st) === i),
        ['create', 'empty', 'copy', 'verify', 'sequences', 'commit'],
      );
      const reading = seen.filter((x) => x.event.type === 'phase' && x.event.at);
      assert.deepEqual(
        reading.map((x) => x.short.split(' · ')[0]),
        ['verifying 1/3', 'verifying 2/3', 'verifying 3/3'],
        'the read-back goes table by table',
      );
      for (const x of reading) {
        assert.match(x.line, /^Verifying \[\d\/3\] public\.\w+: reading it back and comparing its content · \d+% · /);
        assert.doesNotMatch(x.line, /about 0:00 left/);
        assert.ok(x.overall! < 1, `the bar is not full while ${x.line}`);
      }
      assert.equal(seen.at(-1)!.short, 'committing');
      assert.equal(seen.at(-1)!.overall, 1);
    });
  }
});

describe('a table\'s rows are shown when known, its bytes otherwise: never "0 rows" next to bytes that moved', () => {
  it('a table done says its rows and bytes; an empty one its rows; one that stopped what moved and that none was kept', () => {
    const at = { schema: 'public', table: 'pages', index: 0, total: 1 };
    assert.equal(
      tableDoneText({ type: 'table-done', ...at, rows: 7, bytes: 1200, durationMs: 300 }),
      '7 rows, 1.2 kB in 0.3 s',
    );
    assert.equal(
      tableDoneText({ type: 'table-done', ...at, rows: 1, bytes: 36, durationMs: 0 }),
      '1 row, 36 B in 0.0 s',
    );
    // COPY's framing moves bytes for an empty table too.
    assert.equal(tableDoneText({ type: 'table-done', ...at, rows: 0, bytes: 21, durationMs: 0 }), '0 rows in 0.0 s');
    assert.equal(
      tableDoneText({ type: 'table-done', ...at, rows: null, bytes: 281_000_000, durationMs: 5800 }),
      'stopped after 268 MB in 5.8 s, nothing kept',
    );
  });

  for (const [from, to] of directions()) {
    it(`a row larger than a chunk: before it has streamed whole the table shows its bytes (${from.major}→${to.major})`, async () => {
      const src = await TestDb.create(from, 'bigrow');
      const tgt = await TestDb.create(to, 'bigrow');
      const ddl = 'CREATE TABLE blob (id int PRIMARY KEY, body text, data bytea);';
      // Random bytes: TOAST would compress a repeated text to almost nothing on disk, but COPY sends it whole.
      await src.sql(`${ddl} INSERT INTO blob SELECT 1, repeat('x', 3000000), decode(repeat(md5('a'), 100000), 'hex');`);
      await tgt.sql(ddl);
      const progress = new RunProgress();
      const lines: { rows: number; bytes: number; line: string }[] = [];
      const report = await migrate({
        source: src.url,
        target: tgt.url,
        onProgress: (e) => {
          progress.update(e);
          if (e.type === 'table-progress')
            lines.push({ rows: e.rows, bytes: e.bytes, line: tableLine(progress.snapshot())! });
        },
      });
      assert.equal(report.outcome, 'verified');
      assert.deepEqual(await tgt.fingerprint('blob'), await src.fingerprint('blob'));
      // The first chunk always reports, and it holds a part of the one row.
      assert.ok(lines.length > 0 && lines[0].rows === 0 && lines[0].bytes > 0, JSON.stringify(lines[0]));
      for (const l of lines) {
        if (l.rows === 0) assert.match(l.line, /^\[1\/1\] public\.blob: [\d.]+ k?B$/);
        assert.doesNotMatch(l.line, /: 0 rows/);
      }
    });

    it(`a table the target refuses says what moved and that none of it was kept, not "0 rows" (${from.major}→${to.major})`, async () => {
      const src = await TestDb.create(from, 'refused');
      const tgt = await TestDb.create(to, 'refused');
      await src.sql(
        'CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g, g - 50 FROM generate_series(1, 100) g;',
      );
      await tgt.sql('CREATE TABLE t (id int PRIMARY KEY, v int CHECK (v >= 0)); INSERT INTO t VALUES (1000, 1);');
      const r = runCli(['migrate', '--source', src.url, '--target', tgt.url, '--yes']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^\[1\/1\] public\.t: stopped after [\d.]+ k?B in [\d.]+ s, nothing kept · /m);
      assert.doesNotMatch(r.stderr, /0 rows, /);
      assert.deepEqual(await tgt.sql('SELECT id, v FROM t'), [{ id: 1000, v: 1 }]);
    });
  }
});

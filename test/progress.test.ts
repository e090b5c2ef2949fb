// The progress arithmetic both adapters show: bytes of an estimated total, corrected as tables finish.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { RunProgress, progressLine, tableLine } from '../src/engine/index.js';

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

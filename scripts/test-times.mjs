// A node:test reporter for `npm test`: after the run, each test file's time (the sum of its top-level
// tests), slowest first, so the files that dominate the suite are named in every run's log.
import { relative } from 'node:path';

/** How many of the slowest files the summary names; the rest are summed in one line. */
const SHOWN = 15;

export default async function* fileTimes(source) {
  const perFile = new Map();
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const file = event.data.file ? relative(process.cwd(), event.data.file) : '(unknown)';
    perFile.set(file, (perFile.get(file) ?? 0) + (event.data.details?.duration_ms ?? 0));
  }
  const rows = [...perFile].sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  const line = (name, ms) =>
    `${(ms / 1000).toFixed(1).padStart(7)} s ${((100 * ms) / total).toFixed(0).padStart(3)}%  ${name}\n`;
  yield `\nTime per test file (top-level tests summed), ${(total / 1000).toFixed(1)} s in all:\n`;
  for (const [file, ms] of rows.slice(0, SHOWN)) yield line(file, ms);
  const rest = rows.slice(SHOWN);
  if (rest.length)
    yield line(
      `${rest.length} other files`,
      rest.reduce((sum, [, ms]) => sum + ms, 0),
    );
}

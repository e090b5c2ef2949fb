// The report as a plain-text table for the terminal, the reason column wrapped to fit.
import { differenceLines, noteLines, numericColumns, tableCells, tableHeaders } from './reportTable.js';
import {
  type Report,
  analyzedText,
  parallelText,
  causeLines,
  refusalLines,
  stopBanner,
  undoneBanner,
} from './report.js';
import { platformHeading, platformLines } from './reportPlatform.js';
import { objectLines, objectsHeading } from './reportObjects.js';

/** Words filled into lines of at most `width` (a longer word has a line of its own). */
export function wrap(s: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out;
}

export function toText(r: Report, width = 132): string {
  const rows = tableCells(r);
  const headers = tableHeaders(r);
  const numeric = numericColumns(r);
  const last = headers.length - 1;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const fixed = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
  widths[last] = Math.max(20, Math.min(widths[last], width - fixed));
  const render = (cells: string[]) =>
    wrap(cells[last], widths[last]).map((reasonLine, li) =>
      cells
        .slice(0, last)
        .map((c, i) => {
          const text = li > 0 ? '' : c;
          return numeric.has(i) ? text.padStart(widths[i]) : text.padEnd(widths[i]);
        })
        .concat(reasonLine)
        .join('  ')
        .trimEnd(),
    );
  const banner = stopBanner(r);
  const causes = [...causeLines(r), ...refusalLines(r)].flatMap((l) =>
    wrap(l, width - 4).map((w, i) => `${i ? '    ' : '  - '}${w}`),
  );
  const undone = undoneBanner(r);
  const out = [
    ...(undone ? [...wrap(undone, width), ''] : []),
    ...(banner ? [...wrap(banner, width), ...causes, ''] : []),
    ...render(headers),
    widths.map((w) => '-'.repeat(w)).join('  '),
  ];
  for (const row of rows) out.push(...render(row));
  const differing = differenceLines(r);
  if (differing.length) out.push('', 'Rows that differ, by key:', ...differing.map((l) => `  ${l}`));
  const notes = noteLines(r);
  if (notes.length) out.push('', 'Notes:', ...notes.map((l) => `  ${l}`));
  const analyzed = analyzedText(r);
  if (analyzed) out.push('', ...wrap(analyzed, width));
  const parallel = parallelText(r);
  if (parallel) out.push('', ...wrap(parallel, width));
  if (r.unmatched.length) out.push('', `NOT FOUND on the source: ${r.unmatched.join(', ')}`);
  const platform = platformHeading(r);
  if (platform) out.push('', platform, ...platformLines(r).flatMap((l) => wrap(l, width - 4).map((w) => `  ${w}`)));
  const objects = objectsHeading(r);
  if (objects)
    out.push('', ...wrap(objects, width), ...objectLines(r).flatMap((l) => wrap(l, width - 4).map((w) => `  ${w}`)));
  return `${out.join('\n')}\n`;
}

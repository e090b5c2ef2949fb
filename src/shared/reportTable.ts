// The report's table as cells of text, problems first: what the Markdown and terminal renderings lay out.
import { formatCount, formatDifference } from './format.js';
import { displayName, visible } from './names.js';
import {
  causesOf,
  contentCell,
  difference,
  differencesText,
  problemsFirst,
  type Report,
  statusText,
  trafficCell,
} from './report.js';

const HEADERS = ['table', 'source rows', 'target rows', 'difference', 'status', 'content'];
const TRAFFIC_HEADER = 'read → written';

/** Whether the table shows bytes over the network: a migration's does (reports of compare and older ones have none). */
const showsTraffic = (r: Report): boolean => r.tables.some((t) => t.traffic);

/** The table's columns; the reason is always last (the terminal wraps it). */
export const tableHeaders = (r: Report): string[] => [
  ...HEADERS,
  ...(showsTraffic(r) ? [TRAFFIC_HEADER] : []),
  'reason',
];

/** Columns that hold numbers (aligned right). */
export const numericColumns = (r: Report): ReadonlySet<number> =>
  new Set([1, 2, 3, ...(showsTraffic(r) ? [HEADERS.length] : [])]);

export function tableCells(r: Report): string[][] {
  const traffic = showsTraffic(r);
  return problemsFirst(r.tables, causesOf(r)).map((t) =>
    [
      displayName(t.schema, t.table),
      formatCount(t.sourceRows),
      formatCount(t.targetRows),
      formatDifference(difference(t)),
      statusText(t).toUpperCase(),
      contentCell(t),
      ...(traffic ? [trafficCell(t)] : []),
      t.reason ?? '',
    ].map(visible),
  );
}

/** Every table whose rows differ by key, with the keys: the lines under a report's table. */
export function differenceLines(r: Report): string[] {
  return problemsFirst(r.tables)
    .filter((t) => t.content?.differences.length)
    .map((t) => `${displayName(t.schema, t.table)}: ${visible(differencesText(t.content))}`);
}

/** Every table's notes (type changes, computed columns, what a cast changes): the lines after the differences. */
export function noteLines(r: Report): string[] {
  return problemsFirst(r.tables).flatMap((t) => t.notes.map((n) => `${displayName(t.schema, t.table)}: ${visible(n)}`));
}

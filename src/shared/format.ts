// Numbers as people read them, the same in the terminal, VS Code and the report page.

export function formatBytes(n: number | null): string {
  if (n === null) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** An exact count with thousands separators; a dash when it was not counted. */
export const formatCount = (n: number | null): string => (n === null ? '—' : n.toLocaleString('en-US'));

/** A signed difference: 0, +3, -2; a dash when unknown. */
export const formatDifference = (d: number | null): string => (d === null ? '—' : d > 0 ? `+${d}` : String(d));

/** Below this an estimate is shown in full (9,876); from it, compactly (12.3k): a glance, not a count. */
export const COMPACT_FROM = 10_000;

/** 218714 → 219k: for estimates only; exact counts are never shown this way. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(n < 10_000_000 ? 1 : 0)}M`;
}

/** A planner estimate in words: "~1,234 rows", or "? rows" when the server has none. */
export const estimatedRowsText = (n: number | null): string => (n === null ? '? rows' : `~${formatCount(n)} rows`);

export const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A duration as a clock: 0:07, 12:34, 1:02:03. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

// The report as Markdown: a header with the direction in words, then the table.
import { seconds } from './format.js';
import { visible } from './names.js';
import {
  type Report,
  analyzedText,
  parallelText,
  causeLines,
  headline,
  policyText,
  refusalLines,
  serverText,
  runTrafficText,
  stopBanner,
  undoText,
  undoneBanner,
  undoneOf,
} from './report.js';
import { platformHeading, platformLines } from './reportPlatform.js';
import { objectLines, objectsHeading } from './reportObjects.js';
import { PHASE_HEADERS, phaseCells, phasesHeading } from './reportPhases.js';
import { differenceLines, noteLines, numericColumns, tableCells, tableHeaders } from './reportTable.js';

const esc = (s: string) => visible(s.replace(/\n/g, ' ')).replace(/\|/g, '\\|');

export function toMarkdown(r: Report): string {
  const existing = r.existing ? ` · **Existing rows**: ${policyText(r.existing)}` : '';
  const lines = [
    `# Archon ${r.kind === 'compare' ? 'comparison' : 'migration'} report`,
    '',
    `- **From** (source, read-only): \`${r.source.label}\` — ${serverText(r.source)}`,
    `- **To** (target): \`${r.target.label}\` — ${serverText(r.target)}`,
    `- **Started**: ${r.startedAt} · **Duration**: ${seconds(r.durationMs)}${existing}`,
    `- **Outcome**: ${undoneOf(r) ? `UNDONE (the run's outcome: ${r.outcome})` : r.outcome} — ${headline(r)}`,
  ];
  const undo = undoText(r);
  if (undo) lines.push(`- **Undo**: ${esc(undo)}`);
  if (r.traffic) lines.push(`- **Network**: ${runTrafficText(r.traffic)}`);
  const analyzed = analyzedText(r);
  if (analyzed) lines.push(`- **Statistics**: ${analyzed}`);
  const parallel = parallelText(r);
  if (parallel) lines.push(`- **Source reads**: ${parallel}`);
  lines.push('');
  const undone = undoneBanner(r);
  if (undone) lines.push(`> **${esc(undone)}**`, '');
  const banner = stopBanner(r);
  const under = [...causeLines(r), ...refusalLines(r)];
  if (banner) lines.push(`> **${esc(banner)}**`, ...under.map((l) => `> - ${esc(l)}`), '');
  if (r.error) lines.push(`> **Error:** ${esc(r.error.message)}${r.error.code ? ` (${r.error.code})` : ''}`, '');
  if (r.unmatched.length) lines.push(`> **Not found on the source:** ${esc(r.unmatched.join(', '))}`, '');
  const headers = tableHeaders(r);
  const numeric = numericColumns(r);
  const align = headers.map((_, i) => (numeric.has(i) ? '---:' : '---'));
  lines.push(`| ${headers.join(' | ')} |`, `| ${align.join(' | ')} |`);
  for (const row of tableCells(r)) lines.push(`| ${row.map(esc).join(' | ')} |`);
  const differing = differenceLines(r);
  if (differing.length) lines.push('', '**Rows that differ, by key:**', '', ...differing.map((l) => `- ${esc(l)}`));
  const notes = noteLines(r);
  if (notes.length) lines.push('', '**Notes:**', '', ...notes.map((l) => `- ${esc(l)}`));
  const platform = platformHeading(r);
  if (platform) lines.push('', `**${esc(platform)}**`, '', ...platformLines(r).map((l) => `- ${esc(l)}`));
  const objects = objectsHeading(r);
  if (objects) lines.push('', `**${esc(objects)}**`, '', ...objectLines(r).map((l) => `- ${esc(l)}`));
  const phases = phasesHeading(r);
  if (phases) {
    const align = PHASE_HEADERS.map((_, i) => (i === 0 || i === PHASE_HEADERS.length - 1 ? '---' : '---:'));
    lines.push('', `**${esc(phases)}**`, '', `| ${PHASE_HEADERS.join(' | ')} |`, `| ${align.join(' | ')} |`);
    for (const row of phaseCells(r)) lines.push(`| ${row.map(esc).join(' | ')} |`);
  }
  return `${lines.join('\n')}\n`;
}

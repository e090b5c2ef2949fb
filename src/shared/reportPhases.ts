// A run's time and round trips per phase, as every rendering shows them: a small table under the
// report's own (Markdown, the report page), and lines on stderr when the CLI is asked (ARCHON_DEBUG=trips).
// Over a slow link a small run's time is its round trips: the counts say where they go.
import { formatCount } from './format.js';
import type { PhaseTime, Report } from './report.js';

type WithPhases = Pick<Report, 'phases'>;

/** A phase's time: milliseconds while under a second (a small run's phases are), then seconds. */
export const phaseMs = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

const total = (phases: PhaseTime[], side: 'sourceQueries' | 'targetQueries') => phases.reduce((n, p) => n + p[side], 0);

/** The line over the table, with the run's round trips to each side; null when the report has no phases. */
export function phasesHeading(r: WithPhases): string | null {
  const phases = r.phases ?? [];
  if (!phases.length) return null;
  const [source, target] = [total(phases, 'sourceQueries'), total(phases, 'targetQueries')];
  return `Time per phase: ${formatCount(source)} round trips to the source, ${formatCount(target)} to the target`;
}

export const PHASE_HEADERS = ['Phase', 'Time', 'Source round trips', 'Target round trips', 'Of which'];

/** What a phase's round trips include: its COPY statements and its trials of the DDL. */
const ofWhich = (p: PhaseTime): string =>
  [p.copies ? `${formatCount(p.copies)} COPY` : '', p.trials ? `${p.trials} DDL trial(s)` : '']
    .filter(Boolean)
    .join(', ');

/** One row per phase, in the order the phases began. */
export const phaseCells = (r: WithPhases): string[][] =>
  (r.phases ?? []).map((p) => [
    p.phase,
    phaseMs(p.ms),
    formatCount(p.sourceQueries),
    formatCount(p.targetQueries),
    ofWhich(p),
  ]);

/** The table as aligned lines of text, for a terminal's stderr: "plan  812 ms  source 13  target 18 (1 DDL trial(s))". */
export function phaseLines(r: WithPhases): string[] {
  const heading = phasesHeading(r);
  if (!heading) return [];
  const rows = phaseCells(r).map(([phase, ms, source, target, extra]) =>
    [
      `  ${phase.padEnd(10)}`,
      ms.padStart(9),
      `  source ${source.padStart(5)}`,
      `  target ${target.padStart(5)}`,
      extra ? `  (${extra})` : '',
    ].join(''),
  );
  return [`${heading}:`, ...rows];
}

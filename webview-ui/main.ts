// The verification report page: header, summary, actions and one grid row per table.
import css from './report.css';
import { registerToolkit, tags } from './toolkit.js';
import { createHost } from './host.js';
import { formatBytes, formatCount, formatDifference, plural, seconds } from '../src/shared/format.js';
import {
  STATUS_RANK,
  analyzedText,
  parallelText,
  TABLE_STATUSES,
  causeLines,
  refusalLines,
  causesOf,
  contentCell,
  countOf,
  difference,
  headline,
  policyText,
  type Report,
  runTrafficText,
  serverText,
  stopBanner,
  type TableReport,
  undoText,
  undoneBanner,
  undoneOf,
  statusText,
  trafficText,
} from '../src/shared/report.js';
import { displayName } from '../src/shared/names.js';
import { platformHeading, platformLines } from '../src/shared/reportPlatform.js';
import { objectLines, objectsHeading } from '../src/shared/reportObjects.js';
import { PHASE_HEADERS, phaseCells, phasesHeading } from '../src/shared/reportPhases.js';
import type { PageState, SortColumn } from '../src/shared/protocol.js';

registerToolkit();
const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.content ?? '';
const style = document.createElement('style');
style.nonce = nonce;
style.textContent = css;
document.head.appendChild(style);

const host = createHost();
const app = document.getElementById('app')!;
/** What a report opens with: every table, problems first (the root cause at the top). */
const FRESH = { onlyProblems: false, filter: '', sort: { column: 'status', descending: false } } as const;
let state: PageState = { report: null, canRetry: false, ...FRESH, ...host.getState() };

function save(): void {
  host.setState(state);
}

const isProblem = (t: TableReport) => t.status !== 'verified';
/** Where a table stands among the tables that took the run back (in the order the run met them); -1 if not one. */
const causeIndex = (t: TableReport) =>
  state.report ? causesOf(state.report).findIndex((c) => c.schema === t.schema && c.table === t.table) : -1;
const isCause = (t: TableReport) => causeIndex(t) >= 0;
const statusClass = (s: string) => s.replace(' ', '-');

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string>,
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K];
function el(tag: string, attrs?: Record<string, string>, ...children: (Node | string)[]): HTMLElement;
function el(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

function sortValue(t: TableReport, c: SortColumn): string | number | null {
  switch (c) {
    case 'table':
      return displayName(t.schema, t.table);
    case 'sourceRows':
      return t.sourceRows;
    case 'targetRows':
      return t.targetRows;
    case 'difference':
      return difference(t);
    case 'status':
      // The causes before every other status, in the order the run met them.
      return isCause(t) ? causeIndex(t) - causesOf(state.report!).length : (STATUS_RANK[t.status] ?? 0);
    case 'content':
      return contentCell(t);
    case 'reason':
      return t.reason ?? '';
  }
}

function sorted(tables: TableReport[]): TableReport[] {
  const { column, descending } = state.sort;
  return [...tables].sort((a, b) => {
    const x = sortValue(a, column);
    const y = sortValue(b, column);
    // Unknown values (a skipped table's counts) stay at the bottom whichever the direction.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    const tie = displayName(a.schema, a.table).localeCompare(displayName(b.schema, b.table));
    return (descending ? -c : c) || tie;
  });
}

function outcomeBadge(r: Report): HTMLElement {
  // A run taken back since: its own outcome is history, what holds now is the target as it was.
  if (undoneOf(r))
    return el(
      'span',
      { class: 'badge outcome undone', role: 'status', 'aria-label': `Outcome: undone (the run's: ${r.outcome})` },
      'undone',
    );
  const label = {
    verified: r.checks === 'counts and content' ? 'all verified' : 'all verified by count only',
    'not verified': 'some not verified',
    failed: 'failed',
    cancelled: 'cancelled',
  }[r.outcome];
  return el(
    'span',
    { class: `badge outcome ${r.outcome.replace(' ', '-')}`, role: 'status', 'aria-label': `Outcome: ${label}` },
    label,
  );
}

const COLUMNS: { key: SortColumn; title: string; num?: boolean }[] = [
  { key: 'table', title: 'Table' },
  { key: 'sourceRows', title: 'Source rows', num: true },
  { key: 'targetRows', title: 'Target rows', num: true },
  { key: 'difference', title: 'Difference', num: true },
  { key: 'status', title: 'Status' },
  { key: 'content', title: 'Content' },
  { key: 'reason', title: 'Details' },
];

const WIDE_COLUMNS = 'minmax(250px, 2fr) 110px 110px 100px 110px 130px minmax(240px, 3fr)';
/**
 * A narrow editor: the name, both counts, the difference and the status on a row's first line; the
 * content and the details on its second (report.css places those two cells there at the same
 * breakpoint), so nothing folds away and nothing overlaps.
 */
const NARROW_COLUMNS = 'minmax(0, 1fr) 70px 70px 94px 118px';
const narrow = window.matchMedia('(max-width: 760px)');
narrow.addEventListener('change', () => renderRows());

/** The rows of the report on display, built once per report: sorting and filtering only reorder them. */
let rows = new Map<TableReport, HTMLElement>();
const rowsArea = el('div', { id: 'rows' });

function render(): void {
  const r = state.report;
  if (!r) return;
  rows = new Map(r.tables.map((t) => [t, tableRow(t)]));
  const problems = r.tables.filter(isProblem);
  app.replaceChildren(header(r), toolbar(r, problems.length), rowsArea);
  renderRows();
}

/** The tables that pass the filters, in the chosen order, into the grid; their rows are reused. */
function renderRows(): void {
  const r = state.report;
  if (!r) return;
  const words = state.filter.trim().toLowerCase();
  const shown = r.tables.filter(
    (t) => (!state.onlyProblems || isProblem(t)) && (!words || searchText(t).includes(words)),
  );
  const problemCount = r.tables.filter(isProblem).length;
  rowsArea.replaceChildren(grid(sorted(shown), problemCount));
}

/** What the filter box matches: the name, the status and the reason, as shown. */
const searchText = (t: TableReport) => `${displayName(t.schema, t.table)} ${t.status} ${t.reason ?? ''}`.toLowerCase();

function header(r: Report): HTMLElement {
  const s = r.summary;
  // The connection's name where the run came from a saved one, its address beside it (never a password).
  const endpoint = (e: Report['source'], note: string) =>
    e.name
      ? el(
          'span',
          {},
          el('strong', { class: 'endpoint-name' }, e.name),
          ' ',
          el('span', { class: 'endpoint' }, e.label),
          ` (${serverText(e)}${note})`,
        )
      : el('span', {}, el('span', { class: 'endpoint' }, e.label), ` (${serverText(e)}${note})`);
  return el(
    'header',
    {},
    el('h1', {}, r.kind === 'compare' ? 'Comparison report' : 'Migration report', outcomeBadge(r)),
    el(
      'p',
      { class: 'direction' },
      'From ',
      endpoint(r.source, ', read-only'),
      el('span', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
      'to ',
      endpoint(r.target, ''),
    ),
    el(
      'p',
      { class: 'meta' },
      `Started ${new Date(r.startedAt).toLocaleString()} · took ${seconds(r.durationMs)}` +
        (r.existing ? ` · rows already in the target: ${policyText(r.existing)}` : '') +
        (r.kind === 'migrate' ? (r.committed ? ' · committed' : ' · nothing committed') : ' · nothing copied') +
        // The undone mark has its banner; here it is one fact of the run's life among the others.
        (undoneOf(r) ? `, then undone at ${undoneOf(r)!.at}` : undoText(r) ? ` · ${undoText(r)}` : '') +
        (r.traffic ? ` · ${runTrafficText(r.traffic)}` : ''),
    ),
    el(
      'div',
      { class: 'summary', 'aria-label': 'Summary' },
      ...TABLE_STATUSES.filter((k) => TABLE_STATUSES.indexOf(k) < 4 || countOf(s, k)).map((k) =>
        el(
          'span',
          {},
          el('span', { class: `count badge ${countOf(s, k) ? statusClass(k) : 'zero'}` }, String(countOf(s, k))),
          ` ${k}`,
        ),
      ),
      el('span', {}, `of ${plural(s.total, 'table')}`),
    ),
    ...undoneSection(r),
    ...banner(r),
    ...(r.error
      ? [
          el(
            'div',
            { class: 'error-banner', role: 'alert' },
            `Error: ${r.error.message}${r.error.code ? ` [${r.error.code}]` : ''}`,
          ),
        ]
      : []),
    ...(r.unmatched?.length
      ? [el('div', { class: 'error-banner', role: 'alert' }, `Not found on the source: ${r.unmatched.join(', ')}`)]
      : []),
    el('p', { class: 'meta' }, headline(r)),
    ...runFacts(r),
    ...platformSection(r),
    ...objectsSection(r),
    ...phasesSection(r),
  );
}

/** The lines under the headline: the statistics after the commit, how the rows were read. */
const runFacts = (r: Report): HTMLElement[] => [
  ...(analyzedText(r) ? [el('p', { class: 'meta analyzed' }, analyzedText(r)!)] : []),
  ...(parallelText(r) ? [el('p', { class: 'meta parallel' }, parallelText(r)!)] : []),
];

/** A platform's tables its rules left out: folded, since nobody selected them. */
function platformSection(r: Report): HTMLElement[] {
  const heading = platformHeading(r);
  if (!heading) return [];
  const items = platformLines(r).map((l) => el('li', {}, l));
  return [el('details', { class: 'platform-tables' }, el('summary', {}, heading), el('ul', {}, ...items))];
}

/** The source's objects the target lacks and the run did not create: folded, the counts in the heading. */
function objectsSection(r: Report): HTMLElement[] {
  const heading = objectsHeading(r);
  if (!heading) return [];
  const items = objectLines(r).map((l) => el('li', {}, l));
  return [el('details', { class: 'schema-objects' }, el('summary', {}, heading), el('ul', {}, ...items))];
}

/** Time and round trips per phase: folded, the run's round trips in the heading. */
function phasesSection(r: Report): HTMLElement[] {
  const heading = phasesHeading(r);
  if (!heading) return [];
  const row = (tag: 'th' | 'td', cells: string[]) => el('tr', {}, ...cells.map((c) => el(tag, {}, c)));
  const table = el(
    'table',
    { class: 'phases' },
    el('thead', {}, row('th', PHASE_HEADERS)),
    el('tbody', {}, ...phaseCells(r).map((cells) => row('td', cells))),
  );
  return [el('details', { class: 'phases' }, el('summary', {}, heading), table)];
}

/** A run taken back since: said above everything else, as loudly as a failure, in its own colour. */
function undoneSection(r: Report): HTMLElement[] {
  const text = undoneBanner(r);
  return text ? [el('div', { class: 'undone-banner', role: 'status' }, text)] : [];
}

/** What stopped the run, above everything else: the tables that rolled it all back (each with its error), or the cancel. */
function banner(r: Report): HTMLElement[] {
  const text = stopBanner(r);
  if (!text) return [];
  const kind = r.outcome === 'cancelled' ? 'cancel-banner' : 'error-banner root-cause';
  const causes = [...causeLines(r), ...refusalLines(r)].map((l) => el('li', {}, l));
  return [el('div', { class: kind, role: 'alert' }, text, ...(causes.length ? [el('ul', {}, ...causes)] : []))];
}

function toolbar(r: Report, problemCount: number): HTMLElement {
  const filter = el(tags.checkbox, { id: 'only-problems' }, `Only problems (${problemCount})`);
  if (state.onlyProblems) filter.setAttribute('checked', '');
  filter.addEventListener('change', () => {
    state = { ...state, onlyProblems: (filter as unknown as { checked: boolean }).checked };
    save();
    renderRows();
  });
  const search = el('input', {
    id: 'filter',
    type: 'search',
    placeholder: 'Filter tables',
    'aria-label': 'Filter tables by name, status or reason',
    value: state.filter,
  });
  search.addEventListener('input', () => {
    state = { ...state, filter: search.value };
    save();
    renderRows();
  });
  const button = (id: string, label: string, appearance: string, onClick: () => void) => {
    const b = el(tags.button, { id, appearance }, label);
    b.addEventListener('click', onClick);
    return b;
  };
  const actions: HTMLElement[] = [];
  if (state.canUndo && r.committed && r.undo?.possible && !undoneOf(r))
    actions.push(button('undo', 'Undo Migration', 'secondary', () => host.post({ type: 'undo' })));
  actions.push(button('export-json', 'Export JSON', 'secondary', () => host.post({ type: 'export', format: 'json' })));
  actions.push(
    button('export-markdown', 'Export Markdown', 'secondary', () => host.post({ type: 'export', format: 'markdown' })),
  );
  // The standalone file is the HTML already; in VS Code the panel writes it, as `archon … --html` does.
  if (!host.standalone)
    actions.push(
      button('export-html', 'Export HTML', 'secondary', () => host.post({ type: 'export', format: 'html' })),
    );
  // The host offers a retry only when one can help (a table failed; not for plan skips). It writes
  // nothing itself: the host shows the review first. So not primary, and last in Tab order.
  if (state.canRetry && r.kind === 'migrate')
    actions.push(button('retry', 'Retry Failed Tables…', 'secondary', () => host.post({ type: 'retry' })));
  // The next step after a failure: the rest of the selection, without the tables that took the run back.
  if (state.retryWithout && r.kind === 'migrate')
    actions.push(button('retry-without', state.retryWithout, 'secondary', () => host.post({ type: 'retry-without' })));
  // A run lost to a connection kept its spool: the same migration again reads only what changed.
  if (state.canResume && r.kind === 'migrate' && r.spoolKept)
    actions.push(button('resume', 'Resume…', 'secondary', () => host.post({ type: 'resume' })));
  return el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Report actions' },
    search,
    filter,
    el('span', { class: 'spacer' }),
    ...actions,
  );
}

function grid(tables: TableReport[], problemCount: number): HTMLElement {
  if (tables.length === 0) {
    return el(
      'p',
      { class: 'empty' },
      state.filter.trim()
        ? `No table matches "${state.filter.trim()}".`
        : problemCount === 0 && state.onlyProblems
          ? 'No problems: every table verified.'
          : 'No tables in this report.',
    );
  }
  const g = el(tags.grid, {
    'aria-label': 'Tables',
    'grid-template-columns': narrow.matches ? NARROW_COLUMNS : WIDE_COLUMNS,
  });
  g.append(headerRow(), ...tables.map((t) => rows.get(t) ?? tableRow(t)));
  return g;
}

function headerRow(): HTMLElement {
  const head = el(tags.row, { 'row-type': 'header' });
  COLUMNS.forEach((c, i) => {
    const active = state.sort.column === c.key;
    const arrow = active ? (state.sort.descending ? '▼' : '▲') : '';
    const sortButton = el(
      'button',
      { class: 'sort', type: 'button', 'data-sort': c.key, title: `Sort by ${c.title.toLowerCase()}` },
      c.title,
      el('span', { 'aria-hidden': 'true' }, arrow),
    );
    const sortBy = () => {
      state = { ...state, sort: { column: c.key, descending: active ? !state.sort.descending : false } };
      save();
      renderRows();
      document.querySelector<HTMLElement>(`button.sort[data-sort="${c.key}"]`)?.focus();
    };
    sortButton.addEventListener('click', sortBy);
    const cell = el(
      tags.cell,
      { 'cell-type': 'columnheader', 'grid-column': String(i + 1), class: c.num ? 'num' : '' },
      sortButton,
    );
    // The grid's arrow keys focus the header cell itself: Enter (or Space) there sorts as well.
    cell.addEventListener('keydown', (e) => {
      if (e.target === cell && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        sortBy();
      }
    });
    if (active) cell.setAttribute('aria-sort', state.sort.descending ? 'descending' : 'ascending');
    head.append(cell);
  });
  return head;
}

function tableRow(t: TableReport): HTMLElement {
  const content = contentCell(t);
  const kind = t.content?.status.replace(' ', '-') ?? '';
  const cell = (col: number, key: string, cls: string, ...children: (Node | string)[]) =>
    el(tags.cell, { 'grid-column': String(col), 'data-col': key, class: cls }, ...children);
  return el(
    tags.row,
    {
      class: `status-${statusClass(t.status)}${isProblem(t) ? ' problem' : ''}${isCause(t) ? ' cause' : ''}`,
      'data-table': `${t.schema}.${t.table}`,
      'data-status': t.status,
    },
    el(tags.cell, { 'grid-column': '1', class: 'name' }, ...breakable(displayName(t.schema, t.table))),
    cell(2, 'sourceRows', 'num', formatCount(t.sourceRows)),
    cell(3, 'targetRows', 'num', formatCount(t.targetRows)),
    cell(4, 'difference', 'num', formatDifference(difference(t))),
    cell(5, 'status', '', el('span', { class: `badge ${statusClass(t.status)}` }, statusText(t))),
    cell(6, 'content', '', content ? el('span', { class: `badge content ${kind}` }, content) : ''),
    cell(
      7,
      'reason',
      'reason',
      el('span', {}, t.reason ?? ''),
      ...errorLines(t),
      ...details(t),
      ...differingKeys(t),
      ...createdBy(t),
    ),
  );
}

/** The server's detail and hint of a failure: what to act on, always in view under the reason. */
function errorLines(t: TableReport): HTMLElement[] {
  const lines = [
    ...(t.error?.detail ? [`detail: ${t.error.detail}`] : []),
    ...(t.error?.hint ? [`hint: ${t.error.hint}`] : []),
  ];
  return lines.map((n) => el('span', { class: 'note' }, n));
}

/**
 * A name with line-break chances after its dots and underscores (public.archon_<wbr>crawled_<wbr>pages),
 * so a narrow column wraps it between words rather than in the middle of one.
 */
function breakable(name: string): (Node | string)[] {
  return name.split(/(?<=[._])/).flatMap((part, i) => (i ? [el('wbr'), part] : [part]));
}

/** Up to this many characters of notes show as they are; more fold under a summary. */
const SHORT_DETAILS = 90;

/**
 * What else is known about a table (its notes, bytes and time, network, the content digest): one
 * short line as it is; more, folded in a <details> whose summary gives the first line and how many
 * follow, so a verified row reads as one line until opened.
 */
function details(t: TableReport): HTMLElement[] {
  const lines = noteLines(t);
  if (!lines.length) return [];
  const notes = lines.map((n) => el('span', { class: 'note' }, n));
  if (lines.length === 1 && lines[0].length <= SHORT_DETAILS) return notes;
  const summary = `${plural(lines.length, 'detail')}: ${lines[0].length > 60 ? `${lines[0].slice(0, 57)}…` : lines[0]}`;
  return [el('details', { class: 'notes' }, el('summary', {}, summary), ...notes)];
}

function noteLines(t: TableReport): string[] {
  return [
    ...t.notes,
    ...(t.bytes !== null && t.status === 'verified'
      ? [`${formatBytes(t.bytes)} in ${seconds(t.durationMs ?? 0)}${t.format ? `, ${t.format} COPY` : ''}`]
      : []),
    ...(t.traffic ? [`network: ${trafficText(t.traffic)}`] : []),
    ...(t.content?.status === 'match' && t.status === 'verified'
      ? [`content digest ${t.content.sourceDigest} on both sides`]
      : []),
    ...(t.content?.status === 'not checked' && t.content.reason ? [`content not checked: ${t.content.reason}`] : []),
  ];
}

/** The rows that differ, by key, folded under the reason (open it to read them). */
function differingKeys(t: TableReport): HTMLElement[] {
  const c = t.content;
  if (!c?.differences.length) return [];
  const more = (c.differingRows ?? 0) - c.differences.length;
  return [
    el(
      'details',
      { class: 'differences' },
      el(
        'summary',
        {},
        `Rows that differ, by key (${c.differences.length}${more > 0 ? ` of ${c.differingRows}` : ''})`,
      ),
      el('ul', {}, ...c.differences.map((d) => el('li', {}, el('code', {}, d.key), ` ${d.kind}`))),
    ),
  ];
}

/** The DDL a run executed to create (or widen) the table, folded under the reason. */
function createdBy(t: TableReport): HTMLElement[] {
  if (!t.ddl?.length) return [];
  const n = t.ddl.length;
  return [
    el(
      'details',
      { class: 'ddl' },
      el('summary', {}, `DDL run on the target (${n} statement${n === 1 ? '' : 's'})`),
      el('pre', {}, t.ddl.map((sql) => `${sql};`).join('\n')),
    ),
  ];
}

// Start only now that everything above is defined: a restored panel renders from its saved state
// at once, before the host answers 'ready'.
host.onMessage((m) => {
  if (m.type === 'report') {
    // Another run's report starts as every report does; the same one (after a reload) keeps its view.
    const same = state.report?.startedAt === m.report.startedAt && state.report?.kind === m.report.kind;
    state = {
      ...state,
      ...(same ? {} : FRESH),
      report: m.report,
      canRetry: m.canRetry,
      canUndo: m.canUndo ?? false,
      retryWithout: m.retryWithout,
      canResume: m.canResume ?? false,
    };
    save();
    render();
  }
});
if (state.report) render();
host.post({ type: 'ready' });

// The verification report page: header, summary, actions and one grid row per table.
import css from './report.css';
import { registerToolkit, tags } from './toolkit.js';
import { createHost } from './host.js';
import { formatBytes, formatCount, formatDifference, plural, seconds } from '../src/shared/format.js';
import { STATUS_RANK, contentCell, difference, headline, type Report, type TableReport } from '../src/shared/report.js';
import { displayName } from '../src/shared/names.js';
import type { PageState, SortColumn } from '../src/shared/protocol.js';

registerToolkit();
const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.content ?? '';
const style = document.createElement('style');
style.nonce = nonce;
style.textContent = css;
document.head.appendChild(style);

const host = createHost();
const app = document.getElementById('app')!;
let state: PageState = host.getState() ?? {
  report: null,
  canRetry: false,
  onlyProblems: false,
  sort: { column: 'status', descending: false },
};

function save(): void {
  host.setState(state);
}

const isProblem = (t: TableReport) => t.status !== 'verified';

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
      return STATUS_RANK[t.status];
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
  const label = {
    verified: 'all verified',
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
  { key: 'reason', title: 'Reason' },
];

function render(): void {
  const r = state.report;
  if (!r) return;
  const problems = r.tables.filter(isProblem);
  const visible = sorted(state.onlyProblems ? problems : r.tables);
  app.replaceChildren(header(r), toolbar(r, problems.length), grid(visible, problems.length));
}

function header(r: Report): HTMLElement {
  const s = r.summary;
  const endpoint = (e: Report['source'], note: string) =>
    el('span', {}, el('span', { class: 'endpoint' }, e.label), ` (PostgreSQL ${e.serverVersion ?? '?'}${note})`);
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
        (r.existing ? ` · rows already in the target: ${r.existing}` : '') +
        (r.kind === 'migrate' ? (r.committed ? ' · committed' : ' · nothing committed') : ' · nothing copied'),
    ),
    el(
      'div',
      { class: 'summary', 'aria-label': 'Summary' },
      ...(['verified', 'mismatch', 'skipped', 'failed'] as const).map((k) =>
        el('span', {}, el('span', { class: `count badge ${s[k] ? k : 'zero'}` }, String(s[k])), ` ${k}`),
      ),
      el('span', {}, `of ${plural(s.total, 'table')}`),
    ),
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
  );
}

function toolbar(r: Report, problemCount: number): HTMLElement {
  const filter = el(tags.checkbox, { id: 'only-problems' }, `Only problems (${problemCount})`);
  if (state.onlyProblems) filter.setAttribute('checked', '');
  filter.addEventListener('change', () => {
    state = { ...state, onlyProblems: (filter as unknown as { checked: boolean }).checked };
    save();
    render();
    document.getElementById('only-problems')?.focus();
  });
  const button = (id: string, label: string, appearance: string, onClick: () => void) => {
    const b = el(tags.button, { id, appearance }, label);
    b.addEventListener('click', onClick);
    return b;
  };
  const actions: HTMLElement[] = [];
  actions.push(button('export-json', 'Export JSON', 'secondary', () => host.post({ type: 'export', format: 'json' })));
  actions.push(
    button('export-markdown', 'Export Markdown', 'secondary', () => host.post({ type: 'export', format: 'markdown' })),
  );
  // The host offers a retry only when one can help (a table failed; not for plan skips). It writes
  // nothing itself: the host shows the review first. So not primary, and last in Tab order.
  if (state.canRetry && r.kind === 'migrate')
    actions.push(button('retry', 'Retry Failed Tables…', 'secondary', () => host.post({ type: 'retry' })));
  return el(
    'div',
    { class: 'toolbar', role: 'toolbar', 'aria-label': 'Report actions' },
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
      problemCount === 0 && state.onlyProblems ? 'No problems: every table verified.' : 'No tables in this report.',
    );
  }
  const g = el(tags.grid, {
    'aria-label': 'Tables',
    'grid-template-columns': 'minmax(250px, 2fr) 110px 110px 100px 110px 130px minmax(240px, 3fr)',
  });
  g.append(headerRow(), ...tables.map(tableRow));
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
    sortButton.addEventListener('click', () => {
      state = { ...state, sort: { column: c.key, descending: active ? !state.sort.descending : false } };
      save();
      render();
      document.querySelector<HTMLElement>(`button.sort[data-sort="${c.key}"]`)?.focus();
    });
    const cell = el(
      tags.cell,
      { 'cell-type': 'columnheader', 'grid-column': String(i + 1), class: c.num ? 'num' : '' },
      sortButton,
    );
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
      class: `status-${t.status}${isProblem(t) ? ' problem' : ''}`,
      'data-table': `${t.schema}.${t.table}`,
      'data-status': t.status,
    },
    el(tags.cell, { 'grid-column': '1', class: 'name' }, displayName(t.schema, t.table)),
    cell(2, 'sourceRows', 'num', formatCount(t.sourceRows)),
    cell(3, 'targetRows', 'num', formatCount(t.targetRows)),
    cell(4, 'difference', 'num', formatDifference(difference(t))),
    cell(5, 'status', '', el('span', { class: `badge ${t.status}` }, t.status)),
    cell(6, 'content', '', content ? el('span', { class: `badge content ${kind}` }, content) : ''),
    cell(7, 'reason', 'reason', el('span', {}, t.reason ?? ''), ...details(t), ...differingKeys(t)),
  );
}

/** What else is known about a table, one short line each, under its reason. */
function details(t: TableReport): HTMLElement[] {
  const lines = [
    ...(t.error?.detail ? [`detail: ${t.error.detail}`] : []),
    ...(t.error?.hint ? [`hint: ${t.error.hint}`] : []),
    ...t.notes,
    ...(t.bytes !== null && t.status === 'verified'
      ? [`${formatBytes(t.bytes)} in ${seconds(t.durationMs ?? 0)}${t.format ? `, ${t.format} COPY` : ''}`]
      : []),
    ...(t.content?.status === 'match' ? [`content digest ${t.content.sourceDigest} on both sides`] : []),
    ...(t.content?.status === 'not checked' && t.content.reason ? [`content not checked: ${t.content.reason}`] : []),
  ];
  return lines.map((n) => el('span', { class: 'note' }, n));
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

// Start only now that everything above is defined: a restored panel renders from its saved state
// at once, before the host answers 'ready'.
host.onMessage((m) => {
  if (m.type === 'report') {
    state = { ...state, report: m.report, canRetry: m.canRetry };
    save();
    render();
  }
});
if (state.report) render();
host.post({ type: 'ready' });

// The report page's HTML, for both hosts: one renderer, two hosts.
import type { Report } from './report.js';

interface PageOptions {
  nonce: string;
  /** The webview's cspSource; null for the standalone file (everything is inline). */
  cspSource: string | null;
  script: { src: string } | { inline: string };
  /** Embedded for the standalone file; the webview receives it by message instead. */
  report?: Report;
  title?: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** JSON inside <script> must not be able to close the tag. */
const embedJson = (v: unknown) =>
  JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

export function renderReportPage(o: PageOptions): string {
  const csp = [
    `default-src 'none'`,
    `img-src ${o.cspSource ?? ''} data:`.trim(),
    `style-src ${o.cspSource ?? ''} 'nonce-${o.nonce}'`.replace('  ', ' '),
    `font-src ${o.cspSource ?? 'data:'}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  const script =
    'src' in o.script
      ? `<script nonce="${o.nonce}" src="${escapeHtml(o.script.src)}"></script>`
      : `<script nonce="${o.nonce}">${o.script.inline.replace(/<\/script/gi, '<\\/script')}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${o.nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title ?? 'Archon report')}</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="loading">Loading the report…</p></main>
${o.report ? `<script type="application/json" id="archon-report">${embedJson(o.report)}</script>` : ''}
${script}
</body>
</html>
`;
}

export function makeNonce(): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (const b of globalThis.crypto.getRandomValues(new Uint8Array(32))) out += chars[b % chars.length];
  return out;
}

/**
 * The report as one self-contained HTML file: the report page's script inline, the report inside. The
 * CLI's --html and the panel's Export HTML both write this, each with the page script it carries.
 */
export function reportFileHtml(report: Report, pageScript: string): string {
  return renderReportPage({
    nonce: makeNonce(),
    cspSource: null,
    script: { inline: pageScript },
    report,
    title: `Archon ${report.kind} report`,
  });
}

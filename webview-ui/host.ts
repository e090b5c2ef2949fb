// Where the page runs: inside a VS Code webview (acquireVsCodeApi) or as the standalone HTML file
// that `archon migrate --html` writes. The page talks to either through this one interface.
import type { Report } from '../src/shared/report.js';
import { toJson } from '../src/shared/reportJson.js';
import { toMarkdown } from '../src/shared/reportMarkdown.js';
import type { HostToPage, PageState, PageToHost } from '../src/shared/protocol.js';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

interface PageHost {
  post(message: PageToHost): void;
  getState(): PageState | undefined;
  setState(state: PageState): void;
  onMessage(handler: (m: HostToPage) => void): void;
  readonly standalone: boolean;
}

export function createHost(): PageHost {
  if (typeof acquireVsCodeApi === 'function') {
    const api = acquireVsCodeApi();
    return {
      standalone: false,
      post: (m) => api.postMessage(m),
      getState: () => api.getState() as PageState | undefined,
      setState: (s) => api.setState(s),
      onMessage: (handler) => window.addEventListener('message', (e: MessageEvent<HostToPage>) => handler(e.data)),
    };
  }
  let state: PageState | undefined;
  let handler: ((m: HostToPage) => void) | null = null;
  const embedded = document.getElementById('archon-report')?.textContent;
  const report = embedded ? (JSON.parse(embedded) as Report) : null;
  return {
    standalone: true,
    post: (m) => {
      if (m.type === 'ready' && report) queueMicrotask(() => handler?.({ type: 'report', report, canRetry: false }));
      // The file open here is the HTML already: the page offers no HTML export in it.
      if (m.type === 'export' && report && m.format !== 'html') download(report, m.format);
    },
    getState: () => state,
    setState: (s) => {
      state = s;
    },
    onMessage: (h) => {
      handler = h;
    },
  };
}

function download(report: Report, format: 'json' | 'markdown'): void {
  const [text, type, ext] =
    format === 'json' ? [toJson(report), 'application/json', 'json'] : [toMarkdown(report), 'text/markdown', 'md'];
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = `archon-report-${report.startedAt.replace(/[:.]/g, '-')}.${ext}`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

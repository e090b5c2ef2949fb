import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { standaloneReportHtml } from '../src/reportPage.js';
import { type Report, summarize } from '../src/shared/report.js';
import { makeNonce, renderReportPage } from '../src/shared/reportHtml.js';
import { SCREENSHOTS, launchChromium } from './support/browser.js';
import {
  refusedReport,
  rolledBackReport,
  sampleReport,
  sampleReportWithContentDifference,
  severalCausesReport,
} from './support/sampleReport.js';

let browser: Browser;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

const dir = mkdtempSync(join(tmpdir(), 'archon-page-'));

/** Opens the page as the VS Code webview would show it, with a stand-in for acquireVsCodeApi that records messages. */
async function openWebviewPage(
  colorScheme: 'light' | 'dark' = 'light',
  savedState?: unknown,
  opts: { report?: unknown; width?: number } = {},
): Promise<{ page: Page; cspErrors: string[] }> {
  const file = join(dir, `webview-${colorScheme}.html`);
  writeFileSync(
    file,
    renderReportPage({
      nonce: makeNonce(),
      cspSource: 'file:',
      script: { src: `file://${resolve('webview-ui/dist/report.js')}` },
    }),
  );
  const page = await browser.newPage({ colorScheme, viewport: { width: opts.width ?? 1280, height: 720 } });
  const cspErrors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
  });
  page.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
  await page.addInitScript(
    (saved) => {
      const w = window as unknown as { posted: unknown[]; state: unknown };
      w.posted = [];
      w.state = saved ?? undefined;
      (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => w.posted.push(m),
        getState: () => w.state,
        setState: (s: unknown) => {
          w.state = s;
        },
      });
    },
    savedState as Record<string, unknown> | undefined,
  );
  await page.goto(`file://${file}`);
  await page.waitForFunction(() =>
    (window as unknown as { posted: { type: string }[] }).posted.some((m) => m.type === 'ready'),
  );
  if (!savedState)
    await page.evaluate(
      (report) => window.postMessage({ type: 'report', report, canRetry: true }, '*'),
      (opts.report ?? sampleReport()) as unknown as Record<string, unknown>,
    );
  await page.waitForSelector('vscode-data-grid-row[data-table]');
  return { page, cspErrors };
}

const tableOrder = (page: Page) =>
  page.$$eval('vscode-data-grid-row[data-table]', (rows) => rows.map((r) => r.getAttribute('data-table')));
const rowOf = (page: Page, table: string) => page.locator(`vscode-data-grid-row[data-table=${JSON.stringify(table)}]`);
const cellText = (page: Page, table: string, col: string) =>
  rowOf(page, table).locator(`[data-col="${col}"]`).innerText();

describe('report page (real Chromium)', () => {
  it('shows every table with its counts, badge and reason, problems first', async () => {
    const { page, cspErrors } = await openWebviewPage();
    const order = await tableOrder(page);
    assert.equal(order.length, 7);
    assert.deepEqual(order.slice(0, 4), [
      'Odd Schema.Événements "2025"',
      'public.archon_code_examples',
      'public.archon_prompts',
      'public.archon_settings',
    ]);
    assert.equal(await cellText(page, 'public.archon_crawled_pages', 'sourceRows'), '218,714');
    assert.equal(await cellText(page, 'public.archon_crawled_pages', 'targetRows'), '218,714');
    assert.equal(await cellText(page, 'public.archon_crawled_pages', 'difference'), '0');
    assert.equal(await cellText(page, 'public.archon_crawled_pages', 'status'), 'VERIFIED');
    assert.equal(await cellText(page, 'public.archon_code_examples', 'difference'), '-1');
    assert.equal(await cellText(page, 'public.archon_code_examples', 'status'), 'MISMATCH');
    assert.equal(await cellText(page, 'public.archon_settings', 'status'), 'SKIPPED');
    assert.match(await cellText(page, 'public.archon_settings', 'reason'), /missing on the target/);
    assert.match(
      await cellText(page, 'Odd Schema.Événements "2025"', 'reason'),
      /violates check constraint[\s\S]*detail: Failing row contains/,
    );
    assert.match(await page.locator('h1').innerText(), /Migration report\s+FAILED/);
    assert.match(
      await page.locator('.direction').innerText(),
      /From postgres@db.cloud.example.com:5432\/archon \(PostgreSQL 17.6, read-only\)\s*→\s*to postgres@localhost:5432\/archon \(PostgreSQL 15.8\)/,
    );
    // Problem rows are visibly different from verified ones.
    const bg = (t: string) => rowOf(page, t).evaluate((e) => getComputedStyle(e).boxShadow);
    assert.notEqual(await bg('public.archon_settings'), await bg('public.archon_tasks'));
    await page.screenshot({ path: `${SCREENSHOTS}/report-light.png`, fullPage: true });
    assert.deepEqual(cspErrors, []);
  });

  it('names the platform by each side and folds the platform tables left out under the header, not as rows', async () => {
    const base = sampleReport();
    const report = {
      ...base,
      source: { ...base.source, platform: 'Supabase' },
      platformTables: [
        {
          schema: 'auth',
          table: 'users',
          kind: 'platform data',
          reason: 'Supabase platform data, not selected by default',
        },
        {
          schema: 'vault',
          table: 'secrets',
          kind: 'platform internal',
          reason: 'Supabase platform internal, never copied',
        },
      ],
    };
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report });
    assert.match(await page.locator('.direction').innerText(), /\(Supabase, PostgreSQL 17\.6, read-only\)/);
    const section = page.locator('details.platform-tables');
    assert.match(
      await section.locator('summary').innerText(),
      /^Platform tables not copied \(2; left out by the platform's rules/,
    );
    await section.locator('summary').click();
    assert.match(await section.innerText(), /auth\.users — skipped: Supabase platform data, not selected by default/);
    assert.match(await section.innerText(), /vault\.secrets — skipped: Supabase platform internal, never copied/);
    await page.screenshot({ path: `${SCREENSHOTS}/report-platform.png` });
    assert.equal((await tableOrder(page)).length, 7);
    assert.deepEqual(cspErrors, []);
  });

  it("gives the bytes over the network: each table's under its reason, the run's in the header", async () => {
    const base = sampleReport();
    const report = {
      ...base,
      traffic: { sourceRead: 3_150_000_000, targetWritten: 3_050_000_000 },
      tables: base.tables.map((t) =>
        t.table === 'archon_crawled_pages'
          ? { ...t, traffic: { sourceRead: 2_950_000_000, targetWritten: 2_910_000_000 } }
          : t,
      ),
    };
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report });
    assert.match(
      await page.locator('header').innerText(),
      /read 2\.9 GB from the source, wrote 2\.8 GB to the target \(every connection of the run, the catalogs and checks included\)/,
    );
    await rowOf(page, 'public.archon_crawled_pages').locator('details.notes summary').click();
    assert.match(
      await cellText(page, 'public.archon_crawled_pages', 'reason'),
      /network: read 2\.7 GB from the source, wrote 2\.7 GB to the target/,
    );
    assert.doesNotMatch(await cellText(page, 'public.archon_tasks', 'reason'), /network:/);
    assert.deepEqual(cspErrors, []);
  });

  it('filters to problems and sorts by any column, with the keyboard too', async () => {
    const { page } = await openWebviewPage();
    await page.locator('#only-problems').click();
    assert.equal((await tableOrder(page)).length, 4);
    assert.equal(
      await page.evaluate(() => (window as unknown as { state: { onlyProblems: boolean } }).state.onlyProblems),
      true,
      'the filter is kept in the webview state',
    );
    await page.locator('#only-problems').click();
    assert.equal((await tableOrder(page)).length, 7);

    await page.locator('button.sort[data-sort="sourceRows"]').click();
    assert.deepEqual((await tableOrder(page)).slice(0, 3), [
      'public.archon_projects',
      'public.archon_code_examples',
      'public.archon_tasks',
    ]);
    await page.keyboard.press('Enter'); // focus stays on the header button: Enter sorts descending
    assert.deepEqual((await tableOrder(page)).slice(0, 2), [
      'public.archon_crawled_pages',
      'Odd Schema.Événements "2025"',
    ]);
    assert.equal(await page.locator('vscode-data-grid-cell[aria-sort]').getAttribute('aria-sort'), 'descending');
    // Tables without counts stay last whichever the direction.
    assert.deepEqual((await tableOrder(page)).slice(-2).sort(), ['public.archon_prompts', 'public.archon_settings']);
  });

  it('posts export and retry messages to the host', async () => {
    const { page } = await openWebviewPage();
    await page.locator('#export-json').click();
    await page.locator('#export-markdown').click();
    await page.locator('#retry').click();
    const posted = await page.evaluate(() => (window as unknown as { posted: unknown[] }).posted);
    await page.locator('#export-html').click();
    assert.deepEqual(posted.slice(0, 4), [
      { type: 'ready' },
      { type: 'export', format: 'json' },
      { type: 'export', format: 'markdown' },
      { type: 'retry' },
    ]);
    const all = await page.evaluate(() => (window as unknown as { posted: unknown[] }).posted);
    assert.deepEqual(all.at(-1), { type: 'export', format: 'html' }, 'Export HTML, as the walkthrough promises');
  });

  it('offers Retry only when the host says a retry can help: secondary, after the exports in Tab order', async () => {
    const { page } = await openWebviewPage();
    assert.equal(await page.locator('#retry').getAttribute('appearance'), 'secondary', 'never the primary button');
    const order = await page.evaluate(() => [...document.querySelectorAll('.toolbar vscode-button')].map((b) => b.id));
    assert.deepEqual(order, ['export-json', 'export-markdown', 'export-html', 'retry']);
    // The same report (skips and failures) from a host that found nothing a retry could fix.
    await page.evaluate(
      (report) => window.postMessage({ type: 'report', report, canRetry: false }, '*'),
      sampleReport() as unknown as Record<string, unknown>,
    );
    await page.locator('#retry').waitFor({ state: 'detached' });
    assert.equal(await page.locator('#export-json').count(), 1);
  });

  it('renders from the saved state alone, as after a window reload', async () => {
    const saved = {
      report: sampleReport(),
      canRetry: false,
      onlyProblems: true,
      sort: { column: 'table', descending: false },
    };
    const { page, cspErrors } = await openWebviewPage('light', saved);
    assert.deepEqual(await tableOrder(page), [
      'Odd Schema.Événements "2025"',
      'public.archon_code_examples',
      'public.archon_prompts',
      'public.archon_settings',
    ]);
    assert.equal(await page.locator('#only-problems').getAttribute('checked'), '');
    assert.deepEqual(cspErrors, []);
  });

  it('shows the content check: same, differs with the keys folded under the reason, and old reports', async () => {
    const saved = {
      report: sampleReportWithContentDifference(),
      canRetry: false,
      onlyProblems: false,
      sort: { column: 'status', descending: false },
    };
    const { page, cspErrors } = await openWebviewPage('light', saved);
    assert.equal(await cellText(page, 'public.archon_crawled_pages', 'content'), 'same');
    assert.equal(
      await cellText(page, 'public.archon_settings', 'content'),
      '',
      'a skipped table says nothing of content',
    );
    assert.equal(await cellText(page, 'public.archon_sources', 'status'), 'MISMATCH');
    assert.equal(await cellText(page, 'public.archon_sources', 'content'), 'DIFFERS (3 ROWS)'.replace('ROWS', 'rows'));
    const keys = rowOf(page, 'public.archon_sources').locator('details.differences');
    assert.match(await keys.locator('summary').innerText(), /Rows that differ, by key \(3\)/);
    assert.equal(await keys.locator('li').first().isVisible(), false, 'folded until opened');
    await keys.locator('summary').click();
    assert.deepEqual(await keys.locator('li').allInnerTexts(), [
      'id=3 changed',
      'id=5 missing on the target',
      'id=9 extra on the target',
    ]);
    assert.match(await page.locator('header').innerText(), /3 verified by count and content/);
    await page.screenshot({ path: `${SCREENSHOTS}/report-content.png`, fullPage: true });
    // A report saved before content checks (no `content`, no `checks`) still renders, and does not
    // claim content was checked.
    const old = sampleReport() as unknown as { checks?: string; tables: { content?: unknown }[] };
    delete old.checks;
    for (const t of old.tables) delete t.content;
    const restored = await openWebviewPage('light', { ...saved, report: old });
    assert.equal(await cellText(restored.page, 'public.archon_crawled_pages', 'content'), '');
    assert.match(await restored.page.locator('header').innerText(), /verified by row count only/);
    // Counts alone never read as the whole proof: not in a status cell, not in the outcome badge.
    assert.equal(
      (await cellText(restored.page, 'public.archon_crawled_pages', 'status')).toLowerCase(),
      'verified by count only',
    );
    const allCounted = sampleReport();
    allCounted.checks = 'counts only';
    allCounted.tables = allCounted.tables.filter((t) => t.status === 'verified');
    for (const t of allCounted.tables)
      t.content = { ...t.content, status: 'not checked', reason: 'counts only, as asked' };
    Object.assign(allCounted, { outcome: 'verified' });
    const counted = await openWebviewPage('light', { ...saved, report: allCounted });
    assert.match(await counted.page.locator('.badge.outcome').innerText(), /all verified by count only/i);
    assert.deepEqual([...cspErrors, ...restored.cspErrors], []);
  });

  it('renders in a dark theme', async () => {
    const { page, cspErrors } = await openWebviewPage('dark');
    const colors = await page.evaluate(() => ({
      bg: getComputedStyle(document.body).backgroundColor,
      fg: getComputedStyle(document.body).color,
    }));
    assert.deepEqual(colors, { bg: 'rgb(31, 31, 31)', fg: 'rgb(204, 204, 204)' });
    await page.screenshot({ path: `${SCREENSHOTS}/report-dark.png`, fullPage: true });
    assert.deepEqual(cspErrors, []);
  });

  it('the standalone file (archon migrate --html) is the same page, with the report inside', async () => {
    const file = join(dir, 'standalone.html');
    const report = sampleReport();
    report.target.label = 'me@localhost:5432/<script>alert(1)</script>';
    writeFileSync(file, standaloneReportHtml(report));
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => /Refused|Security Policy/.test(m.text()) && errors.push(m.text()));
    await page.goto(`file://${file}`);
    await page.waitForSelector('vscode-data-grid-row[data-table]');
    assert.equal((await tableOrder(page)).length, 7);
    assert.match(
      await page.locator('.direction').innerText(),
      /<script>alert\(1\)<\/script>/,
      'labels are shown as text, never run',
    );
    assert.equal(await page.locator('#retry').count(), 0, 'no retry outside VS Code');
    assert.equal(await page.locator('#export-html').count(), 0, 'the file is the HTML already');
    const download = page.waitForEvent('download');
    await page.locator('#export-json').click();
    const saved = await (await download).path();
    const { readFileSync } = await import('node:fs');
    assert.equal(JSON.parse(readFileSync(saved!, 'utf8')).summary.total, 7);
    assert.deepEqual(errors, []);
  });

  it('names the table that rolled everything back in a banner and first; the others are rolled back or not run', async () => {
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: rolledBackReport() });
    const banner = page.locator('.root-cause');
    assert.match(
      await banner.innerText(),
      /^Rolled back by public\.t010 \(failed\): new row for relation "t010" violates check constraint "small" \[23514\]\. 9 other tables rolled back with it; 247 tables not run\. Nothing was committed\.$/,
    );
    const order = await tableOrder(page);
    assert.equal(order.length, 257);
    assert.equal(order[0], 'public.t010', 'the culprit first');
    assert.equal(await cellText(page, 'public.t001', 'status'), 'ROLLED BACK');
    assert.equal(await cellText(page, 'public.t200', 'status'), 'NOT RUN');
    assert.equal(await cellText(page, 'public.t001', 'content'), '', 'a rolled-back table claims nothing of content');
    const summary = await page.locator('.summary').innerText();
    assert.match(summary, /0\s+verified/);
    assert.match(summary, /1\s+failed/);
    assert.match(summary, /9\s+rolled back/);
    assert.match(summary, /247\s+not run/);
    // Calmer than the cause: the consequence's badge is not in the error colour.
    const color = (t: string) =>
      rowOf(page, t)
        .locator('[data-col="status"] .badge')
        .evaluate((e) => getComputedStyle(e).color);
    assert.notEqual(await color('public.t001'), await color('public.t010'));
    await page.screenshot({ path: `${SCREENSHOTS}/report-root-cause.png` });
    assert.deepEqual(cspErrors, []);
  });

  it("a refused load's banner names the constraint with its definition and the refused row; 'Retry without' when the host offers it", async () => {
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: refusedReport() });
    const banner = page.locator('.root-cause');
    assert.match(
      await banner.innerText(),
      /\npublic\.t010: constraint small is CHECK \(\(v < 10\)\) on the target; it refused: Failing row contains \(12, twelve\)\.$/,
    );
    assert.equal(await page.locator('#retry-without').count(), 0, 'not offered unless the host says so');
    await page.evaluate(
      (report) =>
        window.postMessage({ type: 'report', report, canRetry: true, retryWithout: 'Retry without public.t010…' }, '*'),
      refusedReport() as unknown as Record<string, unknown>,
    );
    const button = page.locator('#retry-without');
    await button.waitFor();
    assert.equal(await button.innerText(), 'Retry without public.t010…');
    assert.equal(
      await button.getAttribute('appearance'),
      'secondary',
      'it writes nothing itself: the review comes first',
    );
    await button.click();
    const posted = await page.evaluate(() => (window as unknown as { posted: { type: string }[] }).posted);
    assert.deepEqual(posted.at(-1), { type: 'retry-without' });
    await page.screenshot({ path: `${SCREENSHOTS}/report-refused.png` });
    assert.deepEqual(cspErrors, []);
  });

  it('a run that kept its spool offers Resume when the host can run it, and says where the spool is', async () => {
    const kept = {
      ...refusedReport(),
      jobs: 4,
      spoolPeakBytes: 1024,
      spoolKept: { dir: '/tmp/archon-spool-0a1b', runId: '0a1b', units: 3, bytes: 4096 },
    };
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: kept });
    assert.match(await page.locator('.parallel').innerText(), /archon migrate --resume 0a1b/);
    assert.equal(await page.locator('#resume').count(), 0, 'not offered unless the host says so');
    await page.evaluate(
      (report) => window.postMessage({ type: 'report', report, canRetry: false, canResume: true }, '*'),
      kept as unknown as Record<string, unknown>,
    );
    const button = page.locator('#resume');
    await button.waitFor();
    assert.equal(await button.innerText(), 'Resume…');
    await button.click();
    const posted = await page.evaluate(() => (window as unknown as { posted: { type: string }[] }).posted);
    assert.deepEqual(posted.at(-1), { type: 'resume' });
    assert.deepEqual(cspErrors, []);
  });

  it('names every table that took the run back in the banner, each with its error, and puts them first in run order', async () => {
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: severalCausesReport() });
    const banner = page.locator('.root-cause');
    const text = await banner.innerText();
    assert.match(
      text,
      /^Rolled back by 3 tables: public\.t1 \(failed\), public\.t3 \(failed\), public\.t4 \(mismatch\)\. 2 other tables rolled back with them\. Nothing was committed\./,
    );
    assert.deepEqual(await banner.locator('li').allInnerTexts(), [
      'public.t1 (failed): new row for relation "t1" violates check constraint "small" [23514]',
      'public.t3 (failed): value too long for type character varying(3) [22001]',
      'public.t4 (mismatch): the target gained 9 row(s) but the source has 10 in the snapshot',
    ]);
    assert.deepEqual(await tableOrder(page), ['public.t1', 'public.t3', 'public.t4', 'public.t2', 'public.t5']);
    for (const t of ['public.t1', 'public.t3', 'public.t4'])
      assert.match((await rowOf(page, t).getAttribute('class')) ?? '', /\bcause\b/, `${t} is marked as a cause`);
    assert.doesNotMatch((await rowOf(page, 'public.t2').getAttribute('class')) ?? '', /\bcause\b/);
    assert.match(await cellText(page, 'public.t2', 'reason'), /^verified, then rolled back because public\.t1/);
    assert.equal(await cellText(page, 'public.t2', 'content'), '', 'rolled back: claims nothing of content');
    await page.screenshot({ path: `${SCREENSHOTS}/report-several-causes.png` });
    assert.deepEqual(cspErrors, []);
  });

  it('at 600 px the status and the reason stay on screen; the header stays in view while rows scroll', async () => {
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: rolledBackReport(), width: 600 });
    for (const col of ['status', 'reason']) {
      const box = await rowOf(page, 'public.t010').locator(`[data-col="${col}"]`).boundingBox();
      assert.ok(
        box && box.width > 40 && box.x >= 0 && box.x + box.width <= 600,
        `${col} on screen: ${JSON.stringify(box)}`,
      );
    }
    assert.match(await cellText(page, 'public.t010', 'reason'), /violates check constraint "small"/);
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 600), true, 'no sideways scrolling');
    await page.mouse.wheel(0, 4000);
    await page.waitForTimeout(200);
    const head = await page.locator('vscode-data-grid-row[row-type="header"]').boundingBox();
    assert.ok(head && head.y >= -1 && head.y < 5, `the header is at the top of the view: ${JSON.stringify(head)}`);
    await page.screenshot({ path: `${SCREENSHOTS}/report-600px.png` });
    assert.deepEqual(cspErrors, []);
  });

  it('filters 257 tables by what is typed, sorts them, and Enter on a header cell sorts', async () => {
    const { page } = await openWebviewPage('light', undefined, { report: rolledBackReport() });
    await page.locator('#filter').fill('t02');
    assert.deepEqual(
      await tableOrder(page),
      [...Array(10)].map((_, i) => `public.t02${i}`),
    );
    await page.locator('#filter').fill('check constraint');
    assert.deepEqual(await tableOrder(page), ['public.t010']);
    await page.locator('#filter').fill('');
    assert.equal((await tableOrder(page)).length, 257);
    // How fast is not asserted here (a busy machine would fail it for nothing): timing belongs in bench/.
    await page.locator('button.sort[data-sort="table"]').click();
    await page.waitForFunction(
      () => document.querySelector('vscode-data-grid-row[data-table]')?.getAttribute('data-table') === 'public.t001',
    );
    // The grid's own keyboard focus lands on a header cell: Enter there sorts too.
    const sourceHeader = page.locator('vscode-data-grid-cell[cell-type="columnheader"]').nth(1);
    await sourceHeader.focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('vscode-data-grid-cell[aria-sort]').getAttribute('grid-column'), '2');
  });

  it("a new report starts problems first: the last report's sort does not carry over", async () => {
    const { page } = await openWebviewPage();
    await page.locator('button.sort[data-sort="table"]').click();
    assert.equal((await tableOrder(page))[0], 'Odd Schema.Événements "2025"');
    await page.locator('button.sort[data-sort="table"]').click();
    assert.equal((await tableOrder(page))[0], 'public.archon_tasks', 'sorted by name, descending');
    // The same report again (the host answers 'ready' after a reload): the view is kept.
    await page.evaluate(
      (r) => window.postMessage({ type: 'report', report: r, canRetry: true }, '*'),
      sampleReport() as unknown as Record<string, unknown>,
    );
    await page.waitForTimeout(100);
    assert.equal((await tableOrder(page))[0], 'public.archon_tasks');
    await page.evaluate(
      (r) => window.postMessage({ type: 'report', report: r, canRetry: true }, '*'),
      rolledBackReport() as unknown as Record<string, unknown>,
    );
    await page.waitForFunction(() => document.querySelectorAll('vscode-data-grid-row[data-table]').length === 257);
    assert.equal((await tableOrder(page))[0], 'public.t010', 'problems first, the cause at the top');
    assert.equal(await page.locator('vscode-data-grid-cell[aria-sort]').getAttribute('aria-sort'), 'ascending');
  });

  it('at 600 px the row counts stay in view, names wrap between words, and no badge overlaps', async () => {
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: rolledBackReport(), width: 600 });
    const inView = (b: { x: number; y: number; width: number; height: number } | null) =>
      !!b && b.width > 20 && b.height > 0 && b.x >= 0 && b.x + b.width <= 600;
    for (const table of ['public.t010', 'public.t001'])
      for (const col of ['sourceRows', 'targetRows', 'difference', 'status', 'reason']) {
        const box = await rowOf(page, table).locator(`[data-col="${col}"]`).boundingBox();
        assert.ok(inView(box), `${table} ${col} on screen: ${JSON.stringify(box)}`);
      }
    assert.equal(await cellText(page, 'public.t010', 'sourceRows'), '1,009');
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 600), true, 'no sideways scrolling');
    // The ROLLED BACK badge stays inside its own cell: it overlaps neither the details nor the counts.
    const overlaps = (a: DOMRectLike, b: DOMRectLike) =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    const row = rowOf(page, 'public.t001');
    const badge = (await row.locator('[data-col="status"] .badge').boundingBox())!;
    const status = (await row.locator('[data-col="status"]').boundingBox())!;
    assert.match(await row.locator('[data-col="status"] .badge').innerText(), /ROLLED BACK/);
    assert.ok(badge.x >= status.x && badge.x + badge.width <= status.x + status.width + 0.5, 'inside its cell');
    for (const col of ['reason', 'difference', 'targetRows']) {
      const other = (await row.locator(`[data-col="${col}"]`).boundingBox())!;
      assert.ok(!overlaps(badge, other), `the badge overlaps ${col}: ${JSON.stringify({ badge, other })}`);
    }
    // The outcome badge beside the title: not on top of its words.
    const title = await page.evaluate(() => {
      const h1 = document.querySelector('h1')!;
      const range = document.createRange();
      range.selectNodeContents(h1.firstChild!);
      const r = range.getBoundingClientRect();
      return { x: r.x, y: r.y, width: r.width, height: r.height };
    });
    const outcome = (await page.locator('h1 .badge.outcome').boundingBox())!;
    assert.ok(!overlaps(title, outcome), `the outcome badge overlaps the title: ${JSON.stringify({ title, outcome })}`);
    // A long name wraps at its dots and underscores, never inside a word.
    const named = sampleReport();
    const { page: names } = await openWebviewPage('light', undefined, { report: named, width: 600 });
    const lines = await names.evaluate(() => {
      const cell = [...document.querySelectorAll('vscode-data-grid-cell.name')].find(
        (c) => c.textContent === 'public.archon_code_examples',
      )!;
      // The words of each line the browser laid out, read from the text nodes between the break chances.
      const parts = [...cell.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
      return parts.map((n) => {
        const r = document.createRange();
        r.selectNodeContents(n);
        return { text: n.textContent, rects: r.getClientRects().length };
      });
    });
    assert.deepEqual(
      lines.map((l) => l.text),
      ['public.', 'archon_', 'code_', 'examples'],
    );
    assert.ok(
      lines.every((l) => l.rects === 1),
      `no part broken inside: ${JSON.stringify(lines)}`,
    );
    await page.screenshot({ path: `${SCREENSHOTS}/report-600px.png` });
    assert.deepEqual(cspErrors, []);
  });

  it('verified rows: the column says Details, and their digest and timings fold under one line', async () => {
    const { page, cspErrors } = await openWebviewPage();
    const headers = await page.locator('vscode-data-grid-row[row-type="header"] button.sort').allInnerTexts();
    assert.equal(headers.at(-1)?.trim(), 'Details');
    const row = rowOf(page, 'public.archon_crawled_pages');
    const folded = row.locator('details.notes');
    assert.match(await folded.locator('summary').innerText(), /^2 details: 2\.7 GB in 184\.0 s, binary COPY$/);
    assert.equal(await folded.evaluate((d) => (d as HTMLDetailsElement).open), false, 'folded at first');
    assert.doesNotMatch(await cellText(page, 'public.archon_crawled_pages', 'reason'), /content digest/);
    await folded.locator('summary').click();
    assert.match(
      await cellText(page, 'public.archon_crawled_pages', 'reason'),
      /content digest 5f0c6e2a\w+ on both sides/,
    );
    // A failure's detail stays in view: it is what to act on.
    assert.match(
      await cellText(page, 'Odd Schema.Événements "2025"', 'reason'),
      /violates check constraint[\s\S]*detail: Failing row contains/,
    );
    assert.deepEqual(cspErrors, []);
  });

  it("names each side by its connection's name, the address beside it", async () => {
    const report = sampleReport();
    report.source.name = 'cloud-db';
    report.target.name = 'local-db';
    report.existing = 'skip-nonempty';
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report });
    assert.match(
      await page.locator('.direction').innerText(),
      /From cloud-db postgres@db\.cloud\.example\.com:5432\/archon \(PostgreSQL 17\.6, read-only\)\s*→\s*to local-db postgres@localhost:5432\/archon/,
    );
    assert.match(await page.locator('header').innerText(), /rows already in the target: Skip tables that have rows/);
    assert.doesNotMatch(await page.locator('header').innerText(), /skip-nonempty/);
    assert.deepEqual(cspErrors, []);
  });

  it("an undone run reads UNDONE, not ALL VERIFIED, with the journal's time in its banner and no Undo button", async () => {
    const base = sampleReport();
    const tables = base.tables.filter((t) => t.status === 'verified');
    const standing = {
      ...base,
      tables,
      summary: summarize(tables),
      outcome: 'verified',
      committed: true,
      causes: [],
      cause: null,
      unmatched: [],
      undo: { runId: '20261206-074102-ab12', possible: true, reason: null },
    } as Report;
    const { page, cspErrors } = await openWebviewPage('light', undefined, { report: standing });
    const post = (report: Report) =>
      page.evaluate(
        (r) => window.postMessage({ type: 'report', report: r, canRetry: false, canUndo: true }, '*'),
        report as unknown as Record<string, unknown>,
      );
    await post(standing);
    assert.equal(await page.locator('.badge.outcome').innerText(), 'ALL VERIFIED');
    assert.equal(await page.locator('#undo').count(), 1);
    await post({ ...standing, undone: { at: '2026-12-06 08:00:00 UTC' } });
    await page.locator('.undone-banner').waitFor();
    assert.equal(await page.locator('.badge.outcome').innerText(), 'UNDONE');
    const text = await page.locator('header').innerText();
    assert.doesNotMatch(text, /ALL VERIFIED/);
    assert.match(
      await page.locator('.undone-banner').innerText(),
      /^UNDONE at 2026-12-06 08:00:00 UTC: this migration was taken back/,
    );
    assert.match(text, /UNDONE at 2026-12-06 08:00:00 UTC: the target holds what it held before this run/);
    assert.match(text, /committed, then undone at 2026-12-06 08:00:00 UTC/);
    assert.equal(await page.locator('#undo').count(), 0, 'an undone run cannot be undone again');
    // A report an older panel marked (undo.undoneAt) reads the same.
    await post({ ...standing, undo: { ...standing.undo!, undoneAt: '2026-12-06 08:00:00 UTC' } });
    await page.locator('#undo').waitFor({ state: 'detached' });
    assert.equal(await page.locator('.badge.outcome').innerText(), 'UNDONE');
    await page.screenshot({ path: join(SCREENSHOTS, 'report-undone.png') });
    assert.deepEqual(cspErrors, []);
  });
});

interface DOMRectLike {
  x: number;
  y: number;
  width: number;
  height: number;
}

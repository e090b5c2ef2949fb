// The packaged extension in a real VS Code (code-server), driven by keyboard and mouse in headless
// Chromium: two connections, the migration wizard, the report panel, Copy Table to Target, and
// checks on the target database and on every place a password could leak.
import { strict as assert } from 'node:assert';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { startServers } from '../scripts/pg-servers.mjs';
// @ts-expect-error plain ESM helpers shared with the demo and the tests
import { createKnowledgeBaseSchema, fillKnowledgeBase } from '../scripts/kb-fixture.mjs';
// @ts-expect-error plain ESM helpers
import { startCodeServer } from '../scripts/code-server.mjs';
import { launchChromium } from '../test/support/browser.js';

const SHOTS = resolve('test-artifacts/e2e');
const PAGES = 40;
const timings: [string, number][] = [];
let page: Page;
let browser: Browser;
let servers: {
  password: string;
  url: (db?: string, user?: string, pw?: string) => string;
  stop: () => Promise<void>;
  major: number;
}[] = [];
let vscodeServer: { url: string; stop: () => Promise<void> } | null = null;
const work = mkdtempSync(join(tmpdir(), 'archon-e2e-'));
const userDataDir = join(work, 'user-data');
const workspace = join(work, 'workspace');
let shot = 0;

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

async function sql(url: string, text: string): Promise<any[]> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

async function screenshot(name: string): Promise<string> {
  const path = join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot: ${path}`);
  return path;
}

/** One user-visible step: timed, screenshotted, and on failure a screenshot of that moment. */
async function step(name: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
    await screenshot(name);
  } catch (e) {
    if (page) await page.screenshot({ path: join(SHOTS, `FAILED-${name}.png`) }).catch(() => {});
    console.log(`screenshot of the failure: ${join(SHOTS, `FAILED-${name}.png`)}`);
    throw e;
  } finally {
    timings.push([name, Date.now() - t0]);
  }
}

const quickInput = () => page.locator('.quick-input-widget');
const quickInputBox = () => page.locator('.quick-input-widget .quick-input-box input');
const rows = () => page.locator('.quick-input-widget .quick-input-list .monaco-list-row');

async function runCommand(title: string): Promise<void> {
  await page.keyboard.press('F1');
  await quickInputBox().waitFor();
  await quickInputBox().fill(`>${title}`);
  await rows().filter({ hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Types into the open input box (a text prompt or a pick's filter) and presses Enter. */
async function answer(text: string, expectRow?: string): Promise<void> {
  await quickInputBox().waitFor();
  await quickInputBox().fill(text);
  if (expectRow) await rows().filter({ hasText: expectRow }).first().waitFor();
  await page.keyboard.press('Enter');
}

/**
 * Waits until the open pick shows the given step: its placeholder names what it asks. Without this,
 * an answer typed right after Enter can land in the previous step's filter while it is still up
 * (the source step lists the target too, so "local-db" would become the source).
 */
async function waitForPlaceholder(text: string): Promise<void> {
  await page.locator(`.quick-input-widget .quick-input-box input[placeholder*="${text}"]`).waitFor({ timeout: 30_000 });
}

async function waitForTitle(text: string | RegExp): Promise<void> {
  await quickInput()
    .locator('.quick-input-title, .quick-input-header')
    .filter({ hasText: text })
    .first()
    .waitFor({ timeout: 30_000 });
}

/**
 * A notification the user can read: as a toast, or — when VS Code has already folded the toast away
 * (it does so at times when toasts follow one another quickly) — in the notification center, where
 * every notification stays until cleared.
 */
async function notification(text: string | RegExp): Promise<void> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
  try {
    await toast.waitFor({ timeout: 10_000 });
    return;
  } catch {
    // Not (or no longer) a toast: look where VS Code keeps it.
  }
  await runCommand('Notifications: Show Notifications');
  const center = page.locator('.notifications-center .notification-list-item').filter({ hasText: text }).first();
  try {
    await center.waitFor({ timeout: 20_000 });
  } finally {
    await runCommand('Notifications: Hide Notifications');
  }
}

function reportFrame(): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

function treeRow(label: string) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // textContent runs label and description together, so match the label element alone.
  return page
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escaped}$`) }) });
}

/** Right-click a table in the tree → "Copy Table to Target…" → Replace: the run starts. */
async function copyTableFromTree(table: string): Promise<void> {
  if (!(await treeRow('cloud-db').isVisible()))
    await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
  await treeRow('cloud-db').waitFor();
  if (!(await treeRow('public').first().isVisible())) await treeRow('cloud-db').click();
  if (!(await treeRow(table).isVisible())) await treeRow('public').first().click();
  await treeRow(table).click({ button: 'right' });
  const item = page.getByRole('menuitem', { name: 'Copy Table to Target…' });
  await item.waitFor();
  await item.hover();
  await page.keyboard.press('Enter');
  await rows().filter({ hasText: 'Replace' }).waitFor({ timeout: 30_000 });
  await answer('Replace', 'Replace');
}

/** Clicks a notification's button, as a toast or, once folded away, in the notification center. */
async function notificationButton(text: string, button: string): Promise<void> {
  const toast = page.locator('.notification-toast').filter({ hasText: text }).first();
  if (await toast.isVisible()) {
    await toast.getByRole('button', { name: button }).click();
    return;
  }
  await runCommand('Notifications: Show Notifications');
  const item = page.locator('.notifications-center .notification-list-item').filter({ hasText: text }).first();
  await item.getByRole('button', { name: button }).click();
}

const reportTabs = () => page.locator('.tabs-container .tab').filter({ hasText: 'Archon Report' });

describe('Archon in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let source: (typeof servers)[number];
  let target: (typeof servers)[number];
  const sourceUrl = () =>
    source
      .url('knowledge_base')
      .replace(`:${encodeURIComponent(source.password)}@`, '@')
      .replace('?sslmode=disable', '');
  const targetUrl = () =>
    target
      .url('knowledge_base')
      .replace(`:${encodeURIComponent(target.password)}@`, '@')
      .replace('?sslmode=disable', '');

  before(async () => {
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    const t0 = Date.now();
    servers = await startServers([17, 15]);
    [source, target] = servers;
    for (const s of servers) await sql(s.url(), 'CREATE DATABASE knowledge_base');
    await createKnowledgeBaseSchema(source.url('knowledge_base'), 'source');
    await createKnowledgeBaseSchema(target.url('knowledge_base'), 'target');
    await fillKnowledgeBase(source.url('knowledge_base'), { pages: PAGES });
    // A row in the table that will be skipped: it must still be there, alone, afterwards.
    await sql(
      target.url('knowledge_base'),
      `INSERT INTO archon_prompts (prompt_name, prompt) VALUES ('kept', 'untouched')`,
    );
    timings.push(['start PostgreSQL 17 and 15, seed the knowledge base', Date.now() - t0]);

    const t1 = Date.now();
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    mkdirSync(workspace, { recursive: true });
    writeFileSync(
      join(userDataDir, 'User', 'settings.json'),
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
          'chat.disableAIFeatures': true,
          'workbench.tips.enabled': false,
        },
        null,
        2,
      ),
    );
    vscodeServer = await startCodeServer({
      vsix: resolve('archon.vsix'),
      userDataDir,
      extensionsDir: join(work, 'extensions'),
      workspace,
      port: await freePort(),
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') console.log(`browser console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => console.log(`browser page error: ${e.message}`));
    timings.push(['install the .vsix, start code-server and Chromium', Date.now() - t1]);
  });

  after(async () => {
    await browser?.close().catch(() => {});
    await vscodeServer?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    if (!process.env.ARCHON_E2E_KEEP) rmSync(work, { recursive: true, force: true });
    console.log('\nStep timings:');
    for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${name}`);
    console.log(`Screenshots: ${SHOTS}`);
  });

  it('opens the workbench with the Archon view', async () => {
    await step('workbench', async () => {
      await page.goto(vscodeServer!.url);
      await page.locator('.activitybar a.action-label[aria-label="Archon"]').waitFor({ timeout: 90_000 });
      await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
      await page.getByText('No connections yet.').waitFor({ timeout: 60_000 });
    });
  });

  it("adds the source and the target through the extension's own inputs", async () => {
    for (const [name, url, password, role, version] of [
      ['cloud-db', sourceUrl(), source.password, 'Source', 'PostgreSQL 17'],
      ['local-db', targetUrl(), target.password, 'Target', 'PostgreSQL 15'],
    ]) {
      await step(`add connection ${name}`, async () => {
        await runCommand('Archon: Add Connection');
        await answer('Paste', 'Paste a PostgreSQL URL');
        await waitForTitle('PostgreSQL URL');
        await answer(url);
        await waitForTitle('Password for');
        await page.keyboard.type(password); // typed, as a person would
        await page.keyboard.press('Enter');
        await waitForTitle('name');
        await answer(name);
        await waitForTitle('Which group');
        await answer(role, role);
        await notification(`${name} is reachable: ${version}`);
      });
    }
  });

  it("shows both connections and, expanded, the source's tables", async () => {
    await step('tree', async () => {
      await treeRow('cloud-db').waitFor();
      await treeRow('local-db').waitFor();
      await treeRow('cloud-db').click();
      await treeRow('public').first().click();
      await treeRow('archon_crawled_pages').waitFor();
      await treeRow('archon_tasks').waitFor();
      assert.match(await treeRow('archon_crawled_pages').innerText(), /rows/);
    });
  });

  it('runs "Archon: Migrate Database" through every step, review included', async () => {
    await step('wizard: source and target', async () => {
      await runCommand('Archon: Migrate Database');
      await waitForTitle('Migrate Database');
      await waitForPlaceholder('Copy FROM which database');
      await answer('cloud-db', 'cloud-db');
      await waitForPlaceholder('Copy TO which database');
      await answer('local-db', 'local-db');
    });
    await step('wizard: tables', async () => {
      await rows().filter({ hasText: 'archon_crawled_pages' }).waitFor({ timeout: 30_000 });
      assert.equal(
        await page.locator('.quick-input-widget .monaco-list-row[aria-checked="true"]').count(),
        7,
        'every table preselected',
      );
      await page.keyboard.press('Enter');
    });
    await step('wizard: existing rows', async () => {
      await waitForPlaceholder('Rows already in');
      await answer('Replace', 'Replace');
    });
    await step('wizard: review', async () => {
      await rows().filter({ hasText: 'Start migration' }).waitFor({ timeout: 30_000 });
      const text = await quickInput().innerText();
      assert.match(
        text,
        /Copy 5 tables FROM cloud-db \(PostgreSQL 17\.\d+, read-only\)\s+\S+\s+TO local-db \(PostgreSQL 15\.\d+\)/,
      );
      assert.match(text, /Skipped: public\.archon_prompts/);
      assert.match(text, /Skipped: public\.archon_settings/);
      await page.screenshot({ path: join(SHOTS, 'wizard-review.png') });
      await answer('Start migration', 'Start migration');
    });
  });

  it('shows the report: verified tables with their counts, the skipped tables with their reasons', async () => {
    await step('report', async () => {
      const frame = reportFrame();
      const projects = frame.locator('vscode-data-grid-row[data-table="public.archon_projects"]');
      await projects.waitFor({ timeout: 60_000 });
      assert.equal(await projects.locator('[data-col="sourceRows"]').innerText(), '12');
      assert.equal(await projects.locator('[data-col="targetRows"]').innerText(), '12');
      assert.equal(await projects.locator('[data-col="status"]').innerText(), 'VERIFIED');
      const pages = frame.locator('vscode-data-grid-row[data-table="public.archon_crawled_pages"]');
      assert.equal(await pages.locator('[data-col="targetRows"]').innerText(), String(PAGES));
      const skipped = frame.locator('vscode-data-grid-row[data-table="public.archon_settings"]');
      assert.equal(await skipped.locator('[data-col="status"]').innerText(), 'SKIPPED');
      assert.match(await skipped.locator('[data-col="reason"]').innerText(), /missing on the target/);
      const prompts = frame.locator('vscode-data-grid-row[data-table="public.archon_prompts"]');
      assert.match(
        await prompts.locator('[data-col="reason"]').innerText(),
        /source column description does not exist on the target/,
      );
      await page.screenshot({ path: join(SHOTS, 'report-panel.png') });
    });
    await step('export the report as JSON', async () => {
      await reportFrame().locator('#export-json').click();
      await quickInputBox().waitFor();
      await page.keyboard.press('Enter'); // the save dialog proposes a file in the workspace
      await notification('report saved');
    });
  });

  it('copies one table from the tree with "Copy Table to Target…"', async () => {
    await step('copy one table', async () => {
      // The icon toggles the side bar: click it only when the view is not showing.
      if (!(await treeRow('cloud-db').isVisible()))
        await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
      await treeRow('cloud-db').waitFor();
      if (!(await treeRow('public').first().isVisible())) await treeRow('cloud-db').click();
      if (!(await treeRow('archon_tasks').isVisible())) await treeRow('public').first().click();
      await treeRow('archon_tasks').click({ button: 'right' });
      const item = page.getByRole('menuitem', { name: 'Copy Table to Target…' });
      await item.waitFor();
      await item.hover();
      await page.keyboard.press('Enter');
      await rows().filter({ hasText: 'Replace' }).waitFor({ timeout: 30_000 });
      assert.match(
        await quickInput().innerText(),
        /Copy public\.archon_tasks \(.*\) FROM cloud-db \(PostgreSQL 17\.\d+, read-only\) TO local-db/,
      );
      await answer('Replace', 'Replace');
      const frame = reportFrame();
      // The panel is reused: wait until it shows the new, one-table report.
      const deadline = Date.now() + 60_000;
      while ((await frame.locator('vscode-data-grid-row[data-table]').count()) !== 1 && Date.now() < deadline)
        await page.waitForTimeout(200);
      assert.equal(await frame.locator('vscode-data-grid-row[data-table]').count(), 1, 'a report for that one table');
      assert.equal(
        await frame.locator('vscode-data-grid-row[data-table="public.archon_tasks"] [data-col="status"]').innerText(),
        'VERIFIED',
      );
    });
  });

  it('restores the report panel after a window reload', async () => {
    await step('report restored after reload', async () => {
      // VS Code's own reload: it saves the workbench state (the open report) before it goes, where a
      // browser reload may not have flushed it yet.
      await page.waitForTimeout(1000);
      await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), runCommand('Developer: Reload Window')]);
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_tasks"]');
      await row.waitFor({ timeout: 30_000 });
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
      assert.equal(await row.locator('[data-col="sourceRows"]').innerText(), '250');
    });
  });

  it('the rows arrived in the target; the skipped table is untouched', async () => {
    const t = target.url('knowledge_base');
    const s = source.url('knowledge_base');
    for (const table of [
      'archon_projects',
      'archon_tasks',
      'archon_sources',
      'archon_crawled_pages',
      'archon_code_examples',
    ]) {
      const fp = `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${table} x`;
      assert.deepEqual(await sql(t, fp), await sql(s, fp), table);
    }
    assert.deepEqual(await sql(t, 'SELECT prompt_name, prompt FROM archon_prompts'), [
      { prompt_name: 'kept', prompt: 'untouched' },
    ]);
  });

  it('the password is nowhere: settings, logs of the Archon channel, the report', async () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) files.push(p);
      }
    };
    walk(userDataDir);
    walk(workspace);
    const archonLogs = files.filter((f) => /Archon\.log$/.test(f));
    assert.ok(
      archonLogs.length > 0,
      `the Archon output channel has a log file (${files.filter((f) => f.endsWith('.log')).join(', ')})`,
    );
    assert.match(
      archonLogs.map((f) => readFileSync(f, 'utf8')).join('\n'),
      /Migrating 7 table\(s\) FROM postgres@127\.0\.0\.1:\d+\/knowledge_base \(read-only\)/,
    );
    const reports = files.filter((f) => f.endsWith('.json') && f.startsWith(workspace));
    assert.equal(reports.length, 1, 'the exported report');
    assert.equal(JSON.parse(readFileSync(reports[0], 'utf8')).summary.verified, 5);
    const settings = [join(userDataDir, 'User', 'settings.json'), join(workspace, '.vscode', 'settings.json')].filter(
      existsSync,
    );
    for (const f of [...files, ...settings]) {
      const text = readFileSync(f, 'latin1');
      for (const pw of [source.password, target.password]) assert.ok(!text.includes(pw), `a password leaked into ${f}`);
    }
  });

  it('shows progress by bytes with a total and an ETA while a 20,000-row embedding table copies; cancel answers at once', async () => {
    const [s, t] = [source.url('knowledge_base'), target.url('knowledge_base')];
    const table = `CREATE TABLE archon_embeddings (id int PRIMARY KEY, embedding real[])`;
    await sql(s, table);
    await sql(
      s,
      `INSERT INTO archon_embeddings SELECT g, array_fill((g % 1000)::real / 7, ARRAY[1536]) FROM generate_series(1, 20000) g`,
    );
    await sql(s, 'ANALYZE archon_embeddings');
    // A check that takes its time on each row keeps the copy going long enough to watch and cancel.
    await sql(t, `CREATE FUNCTION slowly(int) RETURNS boolean LANGUAGE sql AS 'SELECT pg_sleep(0.0005) IS NOT NULL'`);
    await sql(t, `${table}; ALTER TABLE archon_embeddings ADD CONSTRAINT slow CHECK (slowly(id))`);
    const reportsBefore = await reportTabs().count();
    await step('progress by bytes with a total and an ETA', async () => {
      await runCommand('Archon: Refresh');
      await copyTableFromTree('archon_embeddings');
      const toast = page
        .locator('.notification-toast')
        .filter({ hasText: /about \d+:\d\d left/ })
        .first();
      await toast.waitFor({ timeout: 60_000 });
      const text = await toast.innerText();
      assert.match(text, /\[1\/1\] public\.archon_embeddings: [\d,]+ rows \([\d,]+ rows\/s\)/);
      assert.match(
        text,
        /\d+% · [\d.]+ [kM]B of ~[\d.]+ MB · [\d.]+ [kM]B\/s · \d+:\d\d elapsed · about \d+:\d\d left/,
      );
      const item = page.locator('.statusbar-item').filter({ hasText: /Archon \d+%/ });
      await item.waitFor({ timeout: 5000 });
      assert.match(await item.innerText(), /Archon \d+% · about \d+:\d\d left/);
      await page.mouse.move(900, 500); // no tree tooltip over the shot
      await page
        .locator('.monaco-hover')
        .waitFor({ state: 'hidden', timeout: 3000 })
        .catch(() => {});
      await page.screenshot({ path: join(SHOTS, 'progress.png') });
    });
    await step('the status-bar item shows the progress with a Cancel button', async () => {
      await page
        .locator('.statusbar-item')
        .filter({ hasText: /Archon \d+%/ })
        .click();
      const shown = page
        .locator('.notification-toast')
        .filter({ has: page.getByRole('button', { name: 'Cancel Run', exact: true }) })
        .first();
      await shown.waitFor({ timeout: 5000 });
      assert.match(await shown.innerText(), /public\.archon_embeddings: [\d,]+ rows .* of ~[\d.]+ MB/);
    });
    await step('cancel: "Cancelling — rolling back…" within a second', async () => {
      // The progress notification's own Cancel (the status bar's message has "Cancel Run").
      const cancel = page.locator('.notification-toast').getByRole('button', { name: 'Cancel', exact: true });
      const clicked = Date.now();
      await cancel.first().click();
      await page
        .locator('.notification-toast, .statusbar-item')
        .filter({ hasText: 'Cancelling — rolling back…' })
        .first()
        .waitFor({ timeout: 1000 });
      assert.ok(Date.now() - clicked < 1000, `feedback after ${Date.now() - clicked} ms`);
      await page.screenshot({ path: join(SHOTS, 'cancelling.png') });
    });
    await step('the cancelled run has its own report: nothing committed, the table rolled back', async () => {
      await page
        .locator('.notification-toast')
        .filter({ hasText: 'Cancelled; nothing was committed' })
        .first()
        .waitFor({ timeout: 60_000 });
      const banner = reportFrame().locator('.cancel-banner');
      await banner.waitFor({ timeout: 30_000 });
      assert.match(await banner.innerText(), /Cancelled; nothing was committed/);
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_embeddings"]');
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'ROLLED BACK');
      assert.equal(await reportTabs().count(), reportsBefore + 1, 'a report of its own, the earlier ones kept');
      assert.equal(
        await page
          .locator('.statusbar-item')
          .filter({ hasText: /Archon \d+%|Cancelling/ })
          .count(),
        0,
      );
      assert.deepEqual(await sql(t, 'SELECT count(*)::int AS n FROM archon_embeddings'), [{ n: 0 }]);
    });
  });

  it('a failure names its culprit in a banner, and "Open Report" brings its report back', async () => {
    const t = target.url('knowledge_base');
    await sql(t, 'ALTER TABLE archon_tasks ADD CONSTRAINT no_tasks CHECK (id < 0) NOT VALID');
    try {
      await step('failure banner', async () => {
        const reportsBefore = await reportTabs().count();
        await copyTableFromTree('archon_tasks');
        const banner = reportFrame().locator('.root-cause');
        await banner.waitFor({ timeout: 60_000 });
        assert.match(
          await banner.innerText(),
          /^Rolled back by public\.archon_tasks \(failed\): new row for relation "archon_tasks" violates check constraint "no_tasks"/,
        );
        assert.equal(await reportTabs().count(), reportsBefore + 1);
        // Away from the report and back through the notification's button.
        await reportTabs().first().click();
        await notificationButton('Rolled back by public.archon_tasks', 'Open Report');
        await reportFrame().locator('.root-cause').waitFor({ timeout: 30_000 });
      });
    } finally {
      await sql(t, 'ALTER TABLE archon_tasks DROP CONSTRAINT no_tasks');
    }
  });

  it('"Undo Migration" in the report takes a copy back: the target is as before, by SQL', async () => {
    const t = target.url('knowledge_base');
    const fp = `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM archon_tasks x`;
    await sql(t, `UPDATE archon_tasks SET title = title || ' (kept in the target)' WHERE id <= 10`);
    const before = await sql(t, fp);
    await step('undo migration', async () => {
      await copyTableFromTree('archon_tasks');
      const undoButton = reportFrame().locator('#undo');
      await undoButton.waitFor({ timeout: 60_000 });
      assert.notDeepEqual(await sql(t, fp), before, 'the copy replaced the rows');
      await undoButton.click();
      const meta = reportFrame().locator('.meta');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.waitFor({ timeout: 30_000 });
      assert.match(await dialog.innerText(), /public\.archon_tasks: 250 row\(s\) now → 250 row\(s\) restored/);
      await dialog.getByRole('button', { name: 'Undo Migration' }).click();
      await notification(/undone; every restored table verified against its backup/);
      await meta.filter({ hasText: /undone at / }).waitFor({ timeout: 10_000 });
      assert.equal(await reportFrame().locator('#undo').count(), 0, 'no second undo');
    });
    assert.deepEqual(await sql(t, fp), before);
  });

  it('"Archon: Migration History" lists the runs on the target, the undone one as such', async () => {
    await step('migration history', async () => {
      await runCommand('Archon: Migration History');
      await waitForPlaceholder('The database whose migrations to list');
      await answer('local-db', 'local-db');
      await waitForTitle('Migrations on local-db, newest first');
      const newest = rows().first();
      await newest.waitFor({ timeout: 30_000 });
      assert.match(await newest.innerText(), /\d{8}-\d{6}-[0-9a-f]{4}[\s\S]*replace[\s\S]*undone at /);
      assert.ok((await rows().count()) >= 3, 'every committed run of this session is listed');
    });
    await page.keyboard.press('Escape');
  });
});

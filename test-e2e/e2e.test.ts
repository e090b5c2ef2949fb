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
import { makeSupabaseLike } from '../test/support/supabase.js';

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
/** What the PostgreSQL servers logged: a statement cancelled by Archon shows here. */
const serverLog: string[] = [];
const workspace = join(work, 'workspace');
let shot = 0;
/** Everything the workbench logged to the browser console (the extension host's errors arrive there too). */
const consoleMessages: string[] = [];

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
  // The palette lists the commands known when it opens: right after a window reload the extension's
  // may come a moment later, so it is opened again (a bounded number of times) until the row is there.
  // Right after a reload the palette can also close again as it opens (focus moving to the restored
  // editors): then the box cannot be typed into, and it is opened again the same way.
  for (let attempt = 1; ; attempt++) {
    const bound = { timeout: attempt < 4 ? 5_000 : undefined };
    await page.keyboard.press('F1');
    await quickInputBox().waitFor(bound);
    const typed = await quickInputBox()
      .fill(`>${title}`, bound)
      .then(
        () => true,
        (e) => {
          if (attempt >= 4) throw e;
          return false;
        },
      );
    if (!typed) {
      await page.keyboard.press('Escape');
      continue;
    }
    const row = rows().filter({ hasText: title }).first();
    const shown = await row.waitFor(bound).then(
      () => true,
      (e) => {
        if (attempt >= 4) throw e;
        return false;
      },
    );
    if (shown) break;
    await page.keyboard.press('Escape');
  }
  await page.keyboard.press('Enter');
}

/**
 * Runs a command whose first question is a pick, and answers it. Focus coming back to an editor or a
 * webview a moment after a notification (or the notification centre) closes can close a pick just as
 * it opens; then nothing was chosen, and the command is run again (a bounded number of times).
 */
async function commandAnswering(title: string, placeholder: string, text: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await runCommand(title);
    try {
      await waitForPlaceholder(placeholder);
      await quickInputBox().fill(text, { timeout: 5_000 });
      await rows().filter({ hasText: text }).first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
      if (await quickInput().isVisible()) await page.keyboard.press('Escape');
    }
  }
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

/** The row a pick opens on: what Enter alone chooses. */
const activeRow = () => page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused').first();

/** Right-click a table of cloud-db's public schema in the tree → Copy Table to Target… */
async function openCopyTable(table: string): Promise<void> {
  // The icon toggles the side bar: click it only when the view is not showing.
  if (!(await treeRow('cloud-db').isVisible()))
    await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
  // A refresh may still be redrawing the tree: expand (never toggle) until the table shows.
  const deadline = Date.now() + 30_000;
  while (!(await treeRow(table).isVisible()) && Date.now() < deadline) {
    for (const label of ['cloud-db', 'public']) {
      const row = treeRow(label).first();
      if ((await row.isVisible()) && (await row.getAttribute('aria-expanded')) === 'false') await row.click();
    }
    await page.waitForTimeout(300);
  }
  await treeRow(table).click({ button: 'right' });
  const item = page.getByRole('menuitem', { name: 'Copy Table to Target…' });
  await item.waitFor();
  await item.hover();
  await page.keyboard.press('Enter');
}

/** Waits until the (reused) report panel shows a new report of that one table, and returns its row. */
async function oneTableReport(table: string) {
  const frame = reportFrame();
  const rowsOf = frame.locator('vscode-data-grid-row[data-table]');
  const shown = async () =>
    (await rowsOf.count()) === 1 && (await frame.locator(`vscode-data-grid-row[data-table="${table}"]`).count()) === 1;
  // Held twice in a row: while one panel gives way to the next, the panel in view can change.
  const deadline = Date.now() + 60_000;
  let held = 0;
  while (held < 2 && Date.now() < deadline) {
    held = (await shown()) ? held + 1 : 0;
    await page.waitForTimeout(200);
  }
  assert.ok(held >= 2, `a report for that one table (${await rowsOf.count()} rows in view)`);
  return frame.locator(`vscode-data-grid-row[data-table="${table}"]`);
}

/** The report panel in view: with one panel per run, hidden ones keep their frames in the page. */
function reportFrame(): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('iframe#active-frame');
}

function treeRow(label: string) {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // textContent runs label and description together, so match the label element alone.
  return page
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escaped}$`) }) });
}

/** Closes a pick left open by an earlier step (a list of runs, say), however many levels deep. */
async function closeQuickInput(): Promise<void> {
  for (let i = 0; i < 5 && (await quickInput().isVisible()); i++) {
    await quickInputBox()
      .focus()
      .catch(() => {});
    await page.keyboard.press('Escape');
    await quickInput()
      .waitFor({ state: 'hidden', timeout: 2000 })
      .catch(() => {});
  }
}

/** Right-click a table in the tree → "Copy Table to Target…" → Replace (confirmed when the table has rows): the run starts. */
async function copyTableFromTree(table: string): Promise<void> {
  await closeQuickInput();
  await openCopyTable(table);
  // With more than one target connection the flow asks which first.
  const replace = rows().filter({ hasText: 'Replace', visible: true }).first();
  const which = page.locator('.quick-input-widget .quick-input-box input[placeholder*="Copy TO which database"]');
  await Promise.race([replace.waitFor({ timeout: 30_000 }), which.waitFor({ timeout: 30_000 })]);
  if (await which.isVisible()) await answer('local-db', 'local-db');
  await replace.waitFor({ timeout: 30_000 });
  await answer('Replace', 'Replace');
  // A table with rows asks once more, at once; an empty one does not ask.
  const confirm = page.locator('.monaco-dialog-box').filter({ hasText: 'Empty' });
  const asked = await confirm
    .waitFor({ timeout: 5000 })
    .then(() => true)
    .catch(() => false);
  if (asked) await confirm.getByRole('button', { name: 'Empty and Copy' }).click();
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

/** A report's tab: "Archon: cloud-db → local-db, 14:05" (a comparison's: "… vs …"). */
const REPORT_TAB = /Archon: .+ (→|vs) .+, \d\d:\d\d/;
const reportTabs = () => page.locator('.tabs-container .tab').filter({ hasText: REPORT_TAB });

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
    servers = await startServers([17, 15], { log: (line: string) => serverLog.push(line) });
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
      consoleMessages.push(m.text());
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

  /**
   * Closes the Welcome tab. Its walkthrough may hold the focus in a step's content, where the command
   * palette opens inert: the tab is clicked first, so the palette opens from the workbench.
   */
  async function closeWelcome(): Promise<void> {
    const tab = page.locator('.tabs-container .tab').filter({ hasText: 'Welcome' });
    // The tab's own close button: "View: Close Editor" acts on the active group, which is another
    // one once Show SQL has opened an editor beside the review.
    await tab.hover();
    await tab.locator('.tab-actions .codicon-close, .tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  }

  async function openWalkthrough(): Promise<void> {
    await runCommand('Welcome: Open Walkthrough...');
    await answer('Migrate a PostgreSQL database with Archon', 'Migrate a PostgreSQL database with Archon');
    const steps = page.locator('.gettingStartedContainer');
    for (const title of [
      'Add the source (read from, never written)',
      'Add the target',
      'Look at the plan',
      'Migrate',
      'Read the report',
    ])
      await steps.getByText(title, { exact: true }).first().waitFor({ timeout: 30_000 });
  }

  it('offers a walkthrough: source, target, plan, migrate, report', async () => {
    // Opened before any connection exists, as a first-time user would (VS Code's walkthrough service
    // starts with the Welcome page: steps are marked done by what happens after that).
    await step('walkthrough', async () => {
      await openWalkthrough();
      const addSource = page.locator('.gettingStartedContainer').getByText('Add Source Connection', { exact: true });
      await addSource.waitFor();
      await closeWelcome();
    });
  });

  /** The connection form is up (its placeholder), with this title: not a prompt of it still closing. */
  async function waitForForm(title: string): Promise<void> {
    await waitForPlaceholder('Choose a field to change');
    await waitForTitle(title);
  }

  /** Chooses a row of the open form (or pick) by typing its label into the filter. */
  async function choose(label: string): Promise<void> {
    await answer(label, label);
  }

  it('adds the source through the connection form: a pasted URL loses its password at once', async () => {
    await step('add connection cloud-db from a pasted URL', async () => {
      await runCommand('Archon: Add Connection');
      await waitForForm('Archon: New Connection');
      await choose('Paste a URL or key-value string');
      await waitForTitle('paste a URL or key-value string');
      const withPassword = source.url('knowledge_base').replace('?sslmode=disable', '');
      assert.ok(withPassword.includes(encodeURIComponent(source.password)), 'the pasted URL holds the password');
      await quickInputBox().fill(withPassword);
      await quickInput()
        .getByText(/The password \(\d+ characters\) was taken out/)
        .waitFor();
      const shown = await quickInputBox().inputValue();
      assert.equal(shown, sourceUrl(), 'the box shows the URL without its password');
      assert.ok(!(await page.content()).includes(source.password), 'the password is nowhere on the page');
      await page.keyboard.press('Enter');
      await waitForForm('Archon: New Connection');
      const form = await quickInput().innerText();
      assert.match(form, /Group\s*Source \(read-only\)/);
      assert.match(form, /Password\s*••••••••/);
      assert.match(form, /Database\s*knowledge_base/);
      await choose('Name');
      await waitForTitle(': name');
      await answer('cloud-db');
      await waitForForm('Archon: New Connection');
      await choose('Save');
      await notification(/cloud-db saved: it connects/);
      await treeRow('cloud-db').waitFor();
    });
  });

  it('a target that fails its test is not saved unless the user says so, then shows as broken', async () => {
    await step('add connection local-db from a key-value string, wrong password', async () => {
      await runCommand('Archon: Add Connection');
      await waitForForm('Archon: New Connection');
      await choose('Paste a URL or key-value string');
      await waitForTitle('paste a URL or key-value string');
      const kv = `host=127.0.0.1 port=${new URL(targetUrl()).port} dbname=knowledge_base user=postgres password=wrong-password sslmode=disable`;
      await quickInputBox().fill(kv);
      await quickInput()
        .getByText(/was taken out/)
        .waitFor();
      assert.ok(!(await quickInputBox().inputValue()).includes('wrong-password'));
      await page.keyboard.press('Enter');
      await waitForForm('Archon: New Connection');
      assert.match(await quickInput().innerText(), /Group\s*Target/);
      assert.match(await quickInput().innerText(), /sslmode\s*disable/);
      await choose('Name');
      await waitForTitle(': name');
      await answer('local-db');
      await waitForForm('Archon: New Connection');
      await choose('Save');
      await rows().filter({ hasText: 'Does not connect: the password was refused' }).waitFor({ timeout: 30_000 });
      await rows().filter({ hasText: 'Save anyway' }).waitFor();
      assert.equal(await treeRow('local-db').count(), 0, 'not saved while the form shows the failure');
      await page.screenshot({ path: join(SHOTS, 'connection-form-failed-test.png') });
      await choose('Save anyway');
      await notification(/local-db saved, marked broken/);
      await treeRow('local-db').waitFor();
      assert.match(await treeRow('local-db').innerText(), /broken/);
      await page.screenshot({ path: join(SHOTS, 'tree-broken-connection.png') });
    });
  });

  it('Fix Connection on the broken node asks for the password again, and the node mends', async () => {
    await step('fix connection local-db', async () => {
      await treeRow('local-db').click({ button: 'right' });
      const item = page.getByRole('menuitem', { name: 'Fix Connection' });
      await item.waitFor();
      await item.hover();
      await page.keyboard.press('Enter');
      await waitForTitle('Fix Connection: password for local-db');
      assert.doesNotMatch(await quickInput().innerText(), /ARCHON_|PGPASSWORD|pgpass|--/);
      await page.keyboard.type(target.password);
      await page.keyboard.press('Enter');
      await notification('local-db is reachable: PostgreSQL 15');
      const deadline = Date.now() + 30_000;
      while (/broken/.test(await treeRow('local-db').innerText()) && Date.now() < deadline)
        await page.waitForTimeout(200);
      assert.doesNotMatch(await treeRow('local-db').innerText(), /broken/);
    });
  });

  it('Edit Connection changes the connection in place, its sslmode list starting at the current value', async () => {
    await step('edit connection local-db in place', async () => {
      await treeRow('local-db').click({ button: 'right' });
      const item = page.getByRole('menuitem', { name: 'Edit Connection' });
      await item.waitFor();
      await item.hover();
      await page.keyboard.press('Enter');
      await waitForForm('Archon: Edit Connection: local-db');
      assert.match(await quickInput().innerText(), /Password\s*saved in SecretStorage/);
      await choose('sslmode');
      await waitForTitle(': sslmode');
      const focused = page.locator('.quick-input-widget .monaco-list-row.focused');
      await focused.waitFor();
      assert.match(await focused.innerText(), /^disable/, 'the current sslmode is the highlighted one');
      await answer('prefer', 'prefer');
      await waitForForm('Archon: Edit Connection: local-db');
      assert.match(await quickInput().innerText(), /sslmode\s*prefer/);
      await choose('Save');
      await notification(/local-db updated: it connects/);
      assert.equal(await treeRow('local-db').count(), 1, 'the same connection, not a second one');
      assert.equal(await treeRow('cloud-db').count(), 1);
    });
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

  it('a table expands to its columns; typing in the tree finds a table', async () => {
    await step('table columns', async () => {
      await treeRow('archon_tasks').click();
      await treeRow('project_id').waitFor();
      assert.match(await treeRow('project_id').innerText(), /uuid · not null · → public\.archon_projects/);
      assert.match(await treeRow('id').first().innerText(), /bigint · not null · primary key/);
      await treeRow('archon_tasks').click(); // collapsed again
      await treeRow('project_id').waitFor({ state: 'detached' });
    });
    await step('find in the tree', async () => {
      // The tree has the focus from the clicks above (another click would expand the table again).
      await page.keyboard.type('archon_code');
      const focused = page.locator('.monaco-list-row.focused .label-name');
      const deadline = Date.now() + 10_000;
      while (
        (await focused
          .first()
          .innerText()
          .catch(() => '')) !== 'archon_code_examples' &&
        Date.now() < deadline
      )
        await page.waitForTimeout(200);
      assert.equal(await focused.first().innerText(), 'archon_code_examples');
      await page.keyboard.press('Escape');
    });
  });

  it('the walkthrough marks the source and target steps done once both connections exist', async () => {
    await step('walkthrough progress', async () => {
      await openWalkthrough();
      for (const id of ['addSource', 'addTarget'])
        await page
          .locator(
            `[data-done-step-id="archon.archon-pg-migrate#archon.start#${id}"].codicon-getting-started-step-checked`,
          )
          .waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(SHOTS, 'walkthrough.png') });
      await closeWelcome();
    });
  });

  /** The walkthrough step's tick: 'checked' once its event happened, else 'unchecked'. */
  const walkthroughTick = (id: string, state: 'checked' | 'unchecked') =>
    page.locator(
      `[data-done-step-id="archon.archon-pg-migrate#archon.start#${id}"].codicon-getting-started-step-${state}`,
    );

  it('the walkthrough does not tick the plan, the migration or the report when the wizard merely opens', async () => {
    await step('walkthrough: the wizard opened and left', async () => {
      await runCommand('Archon: Migrate Database');
      await waitForPlaceholder('Copy FROM which database');
      await page.keyboard.press('Escape');
      await openWalkthrough();
      for (const id of ['plan', 'migrate', 'report'])
        await walkthroughTick(id, 'unchecked').waitFor({ timeout: 10_000 });
      assert.equal(await walkthroughTick('plan', 'checked').count(), 0);
      await closeWelcome();
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
        8,
        "every table preselected, and so the schema's own row",
      );
      await waitForTitle('7 of 7 tables selected');
      // What local-db lacks is said where the tables are chosen, and offered, off.
      await waitForTitle('1 missing on the target, skipped · 1 lacking columns there, skipped');
      for (const offer of ['Create the tables local-db lacks', 'Add the columns local-db lacks'])
        assert.equal(await rows().filter({ hasText: offer }).getAttribute('aria-checked'), 'false', offer);
      assert.match(await rows().filter({ hasText: 'archon_settings' }).innerText(), /missing on local-db/);
      assert.match(await rows().filter({ hasText: 'archon_prompts' }).innerText(), /local-db lacks column description/);
      await page.keyboard.press('Enter');
    });
    await step('wizard: existing rows', async () => {
      await waitForPlaceholder('Rows already in');
      await answer('Replace', 'Replace');
    });
    await step('wizard: review', async () => {
      await rows().filter({ hasText: 'Start migration' }).waitFor({ timeout: 30_000 });
      // A partial run is never taken for the whole: Enter's row says how much of the selection it copies.
      const start = activeRow();
      assert.match(await start.innerText(), /Start migration: copy 5 of 7 selected tables \(2 skipped\)/);
      assert.equal(await start.locator('.codicon-warning').count(), 1, 'with a warning');
      const text = await quickInput().innerText();
      assert.match(
        text,
        /Copy 5 tables FROM cloud-db \(PostgreSQL 17\.\d+, read-only\)\s+\S+\s+TO local-db \(PostgreSQL 15\.\d+\)/,
      );
      await page.screenshot({ path: join(SHOTS, 'wizard-review.png') });
    });
    await step('wizard: review, the skipped tables with their reasons one row away', async () => {
      await answer('Why 2 selected', 'Why 2 selected tables are skipped');
      await quickInputBox().fill('');
      const listed = rows().filter({ hasText: /Skipped: public\.archon_settings \([\d.]+ kB\)/ });
      await listed.waitFor();
      assert.match(await listed.innerText(), /missing on the target: create public\.archon_settings there first/);
      const prompts = rows().filter({ hasText: /Skipped: public\.archon_prompts \(/ });
      assert.match(await prompts.innerText(), /source column description does not exist on the target/);
      await page.screenshot({ path: join(SHOTS, 'wizard-review-partial.png') });
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
      assert.equal(await frame.locator('#retry').count(), 0, 'no Retry when only plan skips remain');
      await page.screenshot({ path: join(SHOTS, 'report-panel.png') });
    });
    await step('the report is titled by the connections, and names them', async () => {
      await page.locator('.tabs-container .tab').filter({ hasText: 'Archon: cloud-db → local-db, ' }).first().waitFor();
      assert.match(
        await reportFrame().locator('.direction').innerText(),
        /From cloud-db \S+ \(PostgreSQL 17\.\d+, read-only\)\s*→\s*to local-db /,
      );
    });
    await step('export the report as JSON', async () => {
      await reportFrame().locator('#export-json').click();
      await quickInputBox().waitFor();
      await page.keyboard.press('Enter'); // the save dialog proposes a file in the workspace
      await notification('report saved');
    });
    await step('the saved-report toast opens the file', async () => {
      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: 'report saved' });
      const open = toast.getByRole('button', { name: 'Open' });
      const folded = !(await open.isVisible());
      // Folded away already: the notification center keeps it, with its button.
      if (folded) await runCommand('Notifications: Show Notifications');
      await page
        .locator('.notification-toast, .notification-list-item')
        .filter({ hasText: 'report saved' })
        .getByRole('button', { name: 'Open' })
        .first()
        .click();
      const tab = page.locator('.tabs-container .tab').filter({ hasText: /archon-migrate-.*\.json/ });
      await tab.waitFor();
      await tab.locator('.codicon-close, .tab-actions .action-label').first().click();
      await tab.waitFor({ state: 'detached' });
      await page.locator('.tabs-container .tab').filter({ hasText: 'Archon: cloud-db → local-db, ' }).waitFor();
      if (folded) await runCommand('Notifications: Hide Notifications');
    });
  });

  it('copies one table from the tree with "Copy Table to Target…": Enter alone never empties it', async () => {
    await step('copy one table: the existing-rows step, Enter keeps the target rows', async () => {
      await openCopyTable('archon_tasks');
      await waitForPlaceholder('Rows already in the target table');
      await rows().filter({ hasText: 'Replace' }).waitFor({ timeout: 30_000 });
      const text = await quickInput().innerText();
      assert.match(
        text,
        /Copy public\.archon_tasks \(.*\) FROM cloud-db \(PostgreSQL 17\.\d+, read-only\) TO local-db/,
      );
      assert.match(text, /local-db's public\.archon_tasks has 250 rows/);
      assert.match(text, /deletes the 250 rows there/);
      assert.match(await activeRow().innerText(), /Skip tables that have rows/, 'Enter alone changes nothing');
      await page.screenshot({ path: join(SHOTS, 'copy-table-existing-rows.png') });
      await page.keyboard.press('Enter');
      const row = await oneTableReport('public.archon_tasks');
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'SKIPPED');
      assert.match(await row.locator('[data-col="reason"]').innerText(), /rows/);
    });
    await step('copy one table: Replace asks again, naming the table and its rows', async () => {
      await openCopyTable('archon_tasks');
      await waitForPlaceholder('Rows already in the target table');
      await answer('Replace', 'Replace');
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.filter({ hasText: "Empty local-db's public.archon_tasks (250 rows) and copy?" }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'copy-table-confirm-replace.png') });
      await dialog.getByRole('button', { name: 'Empty and Copy' }).click();
      const row = await oneTableReport('public.archon_tasks');
      const deadline = Date.now() + 60_000;
      while ((await row.locator('[data-col="status"]').innerText()) !== 'VERIFIED' && Date.now() < deadline)
        await page.waitForTimeout(200);
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
    });
  });

  it('"Copy Table to Target…" does not offer a Replace that a foreign key forbids: it says why and suggests Append', async () => {
    await step('copy table: Replace not possible, with the reason; Append suggested', async () => {
      await closeQuickInput();
      await openCopyTable('archon_projects');
      await waitForPlaceholder('Rows already in the target table');
      const replace = rows().filter({ hasText: 'not possible for this table' });
      await replace.waitFor({ timeout: 30_000 });
      const text = await replace.innerText();
      assert.match(text, /^\s*Replace/);
      assert.match(text, /not possible for this table/);
      assert.match(
        text,
        /Cannot empty it: public\.archon_tasks \(archon_tasks_project_id_fkey\) on the target references it/,
      );
      const append = rows().filter({ hasText: 'suggested: keeps the 12 rows there' });
      assert.match(await append.innerText(), /^\s*Append/);
      await page.screenshot({ path: join(SHOTS, 'copy-table-no-replace.png') });
      // Chosen anyway: nothing runs, the step stays, and a message says why.
      const reportsBefore = await reportTabs().count();
      await answer('Replace', 'Replace');
      await page
        .locator('.notifications-toasts .notification-toast')
        .filter({ hasText: /Replace cannot empty local-db's public\.archon_projects: cannot empty it/ })
        .first()
        .waitFor({ timeout: 10_000 });
      assert.ok(await quickInput().isVisible(), 'the step is still open');
      assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no "Empty and Copy" question');
      await closeQuickInput();
      assert.equal(await reportTabs().count(), reportsBefore, 'nothing ran');
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

  it('the table picker scales to 257 tables: typing filters, a schema in one action, a grouped review', async () => {
    const s = source.url('knowledge_base');
    await sql(
      s,
      `CREATE SCHEMA bulk;
       DO $$ BEGIN FOR i IN 1..250 LOOP EXECUTE format('CREATE TABLE bulk.t%s (id int)', i); END LOOP; END $$;`,
    );
    try {
      await step('picker: typing filters; toggle-all clears only what is shown', async () => {
        await commandAnswering('Archon: Migrate Database', 'Copy FROM which database', 'cloud-db');
        await waitForPlaceholder('Copy TO which database');
        await answer('local-db', 'local-db');
        await waitForPlaceholder('Tables of cloud-db');
        await waitForTitle('257 of 257 tables selected');
        await quickInputBox().fill('bulk');
        await rows().filter({ hasText: 'schema bulk' }).first().waitFor();
        await rows().filter({ hasText: 'archon_' }).first().waitFor({ state: 'detached' });
        await page.locator('.quick-input-widget .quick-input-header .monaco-checkbox').first().click();
        await waitForTitle('7 of 257 tables selected');
        await quickInputBox().fill('archon_tasks');
        const tasks = rows().filter({ hasText: 'archon_tasks' });
        await tasks.waitFor();
        assert.equal(await tasks.getAttribute('aria-checked'), 'true', 'the hidden selections were kept');
      });
      await step('picker: a whole schema checked in one action', async () => {
        await quickInputBox().fill('schema bulk');
        await rows().filter({ hasText: 'schema bulk' }).first().locator('.monaco-checkbox').first().click();
        await waitForTitle('257 of 257 tables selected');
        await quickInputBox().fill('');
        await page.keyboard.press('Enter');
      });
      await step(
        'review: 251 identical reasons in one row (250 + archon_settings), totals and an estimate',
        async () => {
          await waitForPlaceholder('Rows already in');
          assert.match(await activeRow().innerText(), /Skip tables that have rows/, 'Enter alone empties nothing');
          await answer('Append', 'Append');
          await rows().filter({ hasText: 'Start migration' }).waitFor({ timeout: 60_000 });
          const text = await quickInput().innerText();
          assert.match(text, /In all: 5 tables · ~[\d,.k]+ rows · [\d.]+ [kM]B · (under|about) /);
          await page.screenshot({ path: join(SHOTS, 'wizard-review-grouped.png') });
          // Below the rows in view: the filter brings the group up.
          await quickInputBox().fill('tables skipped: missing');
          const group = rows().filter({ hasText: '251 tables skipped: missing on the target' });
          await group.waitFor();
          assert.ok(!/Skipped: bulk\.t1\b/.test(await quickInput().innerText()), 'the 251 are one row');
          await group.click();
          await quickInputBox().fill('bulk.t1');
          await rows().filter({ hasText: 'Skipped: bulk.t1' }).first().waitFor();
          await page.keyboard.press('Escape');
        },
      );
    } finally {
      await sql(s, 'DROP SCHEMA bulk CASCADE');
    }
  });

  it('Retry Failed Tables shows the review before it writes anything', async () => {
    const t = target.url('knowledge_base');
    await sql(t, 'ALTER TABLE archon_tasks ADD CONSTRAINT e2e_refuses_rows CHECK (false) NOT VALID');
    await step('a failed copy offers Retry, secondary', async () => {
      await openCopyTable('archon_tasks');
      await waitForPlaceholder('Rows already in the target table');
      await answer('Replace', 'Replace');
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'Empty' });
      await dialog.getByRole('button', { name: 'Empty and Copy' }).click();
      const row = await oneTableReport('public.archon_tasks');
      const deadline = Date.now() + 60_000;
      while ((await row.locator('[data-col="status"]').innerText()) === 'VERIFIED' && Date.now() < deadline)
        await page.waitForTimeout(200);
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'FAILED');
      const retry = reportFrame().locator('#retry');
      await retry.waitFor();
      assert.equal(await retry.getAttribute('appearance'), 'secondary');
    });
    await sql(t, 'ALTER TABLE archon_tasks DROP CONSTRAINT e2e_refuses_rows');
    await step('Retry opens the review; only "Start migration" runs it', async () => {
      await reportFrame().locator('#retry').click();
      await waitForTitle('Retry Failed Tables: review');
      await rows().filter({ hasText: 'Start migration: copy 1 table' }).waitFor({ timeout: 30_000 });
      const status = reportFrame().locator(
        'vscode-data-grid-row[data-table="public.archon_tasks"] [data-col="status"]',
      );
      assert.equal(await status.innerText(), 'FAILED', 'nothing ran before the review was answered');
      await page.screenshot({ path: join(SHOTS, 'retry-review.png') });
      await answer('Start migration', 'Start migration');
      const deadline = Date.now() + 60_000;
      while ((await status.innerText()) !== 'VERIFIED' && Date.now() < deadline) await page.waitForTimeout(200);
      assert.equal(await status.innerText(), 'VERIFIED');
    });
  });

  it("the extension host logs no warning from a bundled dependency's navigator check", async () => {
    const logs: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/exthost/i.test(p) && p.endsWith('.log')) logs.push(p);
      }
    };
    walk(userDataDir);
    const text = logs.map((f) => readFileSync(f, 'utf8')).join('\n');
    assert.match(
      text,
      /_doActivateExtension archon\.archon-pg-migrate/,
      `the extension host's log shows the activation (${logs.join(', ')})`,
    );
    assert.doesNotMatch(text, /PendingMigrationError|navigator is now a global/);
    // The extension host forwards its errors to the workbench, which logs them in the browser console.
    assert.ok(consoleMessages.length > 0, 'the console was captured');
    const warned = consoleMessages.filter((m) => /PendingMigrationError|navigator is now a global/.test(m));
    assert.deepEqual(warned, [], 'no navigator warning in the workbench console');
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
      assert.match(text, /Copying \[1\/1\] public\.archon_embeddings/, 'the stage, named');
      const item = page.locator('.statusbar-item').filter({ hasText: /Archon: copying \d+%/ });
      await item.waitFor({ timeout: 5000 });
      assert.match(await item.innerText(), /Archon: copying \d+% · about \d+:\d\d left/);
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
        .filter({ hasText: /Archon: copying \d+%/ })
        .click();
      const shown = page
        .locator('.notification-toast')
        .filter({ has: page.getByRole('button', { name: 'Cancel Run', exact: true }) })
        .first();
      await shown.waitFor({ timeout: 5000 });
      assert.match(await shown.innerText(), /public\.archon_embeddings: [\d,]+ rows .* of ~[\d.]+ MB/);
    });
    await step('cancel: "Cancelling — rolling back…" while the run ends', async () => {
      // The progress notification's own Cancel (the status bar's message has "Cancel Run"). The feedback
      // is shown while the run is still ending (how fast is the bench's business, not a test's).
      const cancel = page.locator('.notification-toast').getByRole('button', { name: 'Cancel', exact: true });
      await cancel.first().click();
      await page
        .locator('.notification-toast, .statusbar-item')
        .filter({ hasText: 'Cancelling — rolling back…' })
        .first()
        .waitFor({ timeout: 10_000 });
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
          .filter({ hasText: /Archon: |Cancelling/ })
          .count(),
        0,
      );
      assert.deepEqual(await sql(t, 'SELECT count(*)::int AS n FROM archon_embeddings'), [{ n: 0 }]);
    });
    await step('copied to the end: the read-back is its own stage, never "100% · about 0:00 left"', async () => {
      await closeQuickInput();
      const reportsBefore = await reportTabs().count();
      await copyTableFromTree('archon_embeddings');
      // Read while it runs: the status bar and the notification, until the report of this run opens.
      const bar = page.locator('.statusbar-item').filter({ hasText: /Archon: / });
      const toast = page.locator('.notification-toast').filter({ hasText: 'cloud-db → local-db' });
      const shown = { bar: new Set<string>(), toast: new Set<string>() };
      let shotTaken = false;
      const deadline = Date.now() + 120_000;
      while ((await reportTabs().count()) <= reportsBefore && Date.now() < deadline) {
        for (const [into, where] of [
          [shown.bar, bar],
          [shown.toast, toast],
        ] as const)
          for (const text of await where.allInnerTexts()) into.add(text.replace(/\s+/g, ' ').trim());
        if (!shotTaken && [...shown.toast].some((t) => /Verifying \[1\/1\]/.test(t))) {
          shotTaken = true;
          await page.mouse.move(900, 500); // no tree tooltip over the shot
          await page.screenshot({ path: join(SHOTS, 'progress-verifying.png') });
        }
        await page.waitForTimeout(100);
      }
      const bars = [...shown.bar];
      const toasts = [...shown.toast];
      assert.ok(
        bars.some((b) => /Archon: copying \d+%/.test(b)),
        bars.join(' | '),
      );
      assert.ok(
        bars.some((b) => /Archon: verifying 1\/1/.test(b)),
        `the read-back in the status bar: ${bars.join(' | ')}`,
      );
      assert.ok(
        toasts.some((t) =>
          /Verifying \[1\/1\] public\.archon_embeddings: reading it back and comparing its content/.test(t),
        ),
        `the read-back in the notification: ${toasts.join(' | ')}`,
      );
      for (const text of [...bars, ...toasts]) assert.doesNotMatch(text, /about 0:00 left/);
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_embeddings"]');
      await row.waitFor({ timeout: 60_000 });
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
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

  it('creates the missing table when the review\'s "Create 1 table on the target" is chosen; Show SQL opens its DDL', async () => {
    const [s, t] = [source.url('knowledge_base'), target.url('knowledge_base')];
    await step('review: Create 1 table on the target, Show SQL', async () => {
      await runCommand('Archon: Migrate Database');
      await waitForPlaceholder('Copy FROM which database');
      await activeRow().filter({ hasText: 'last used' }).waitFor({ timeout: 10_000 });
      assert.match(await activeRow().innerText(), /cloud-db/, 'the last source preselected');
      await page.keyboard.press('Enter');
      await waitForPlaceholder('Copy TO which database');
      await activeRow().filter({ hasText: 'last used' }).waitFor({ timeout: 10_000 });
      assert.match(await activeRow().innerText(), /local-db/, 'the last target preselected');
      await page.keyboard.press('Enter');
      await rows().filter({ hasText: 'archon_settings' }).last().waitFor({ timeout: 30_000 });
      await page.keyboard.press('Enter');
      await waitForPlaceholder('Rows already in');
      await answer('Replace', 'Replace');
      const create = rows().filter({ hasText: 'Create 1 table on the target' }).first();
      await create.waitFor({ timeout: 30_000 });
      assert.equal(await create.locator('.codicon-circle-large-outline').count(), 1, 'off until chosen');
      assert.match(await activeRow().innerText(), /Start migration: copy \d+ of \d+ selected tables \(2 skipped\)/);
      await answer('Create 1 table', 'Create 1 table on the target');
      await answer('Show SQL', 'Show SQL');
      const editor = page.locator('.editor-instance .view-lines').filter({ hasText: 'archon_settings' }).first();
      await editor.waitFor({ timeout: 15_000 });
      assert.match(await editor.innerText(), /CREATE\s+TABLE\s+"public"\."archon_settings"/);
      // Beside, not over: a second editor group, and the review still open in front of it.
      assert.ok((await page.locator('.editor-group-container').count()) >= 2, 'the SQL opened beside');
      assert.equal(await quickInputBox().isVisible(), true, 'the review is still open');
      await page.screenshot({ path: join(SHOTS, 'review-create-sql.png') });
      await answer('Start migration', 'Start migration');
    });
    await step('the created table verified in the report and present on the target', async () => {
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_settings"]');
      await row.waitFor({ timeout: 120_000 });
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
      const fp = `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h
                    FROM archon_settings x`;
      assert.deepEqual(await sql(t, fp), await sql(s, fp));
    });
  });

  it('"Copy Table to Target…" on a table the target lacks offers to create it, and does', async () => {
    const [s, t] = [source.url('knowledge_base'), target.url('knowledge_base')];
    await sql(
      s,
      `CREATE TABLE archon_notes (id int PRIMARY KEY, body text NOT NULL); INSERT INTO archon_notes VALUES (1, 'a')`,
    );
    await step('copy table: create it on the target and copy it', async () => {
      await runCommand('Archon: Refresh');
      await treeRow('archon_notes').waitFor({ timeout: 30_000 });
      await treeRow('archon_notes').click({ button: 'right' });
      const item = page.getByRole('menuitem', { name: 'Copy Table to Target…' });
      await item.waitFor();
      await item.hover();
      await page.keyboard.press('Enter');
      await answer('Create public.archon_notes', 'Create public.archon_notes on the target and copy it');
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_notes"]');
      await row.waitFor({ timeout: 60_000 });
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
      assert.deepEqual(await sql(t, 'SELECT id, body FROM archon_notes'), [{ id: 1, body: 'a' }]);
    });
  });

  it('a Supabase project: the platform by the connection, its schemas by kind in the tree and the wizard', async () => {
    await step('supabase: add the connection', async () => {
      await sql(source.url(), 'CREATE DATABASE supabase_project');
      await makeSupabaseLike({ sql: (text) => sql(source.url('supabase_project'), text) }, { rows: true });
      if (!(await treeRow('cloud-db').isVisible()))
        await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
      if (await treeRow('archon_tasks').isVisible()) await treeRow('cloud-db').click(); // room for the new one
      await runCommand('Archon: Add Connection');
      await waitForForm('Archon: New Connection');
      await choose('Paste a URL or key-value string');
      await waitForTitle('paste a URL or key-value string');
      await quickInputBox().fill(source.url('supabase_project').replace('?sslmode=disable', ''));
      await quickInput()
        .getByText(/was taken out/)
        .waitFor();
      await page.keyboard.press('Enter');
      await waitForForm('Archon: New Connection');
      await choose('Name');
      await waitForTitle(': name');
      await answer('supabase-db');
      await waitForForm('Archon: New Connection');
      if (!/Group\s*Source/.test(await quickInput().innerText())) {
        await choose('Group');
        await answer('Source', 'Source');
        await waitForForm('Archon: New Connection');
      }
      await choose('Save');
      await notification(/supabase-db saved: it connects/);
    });
    await step('supabase: the tree', async () => {
      await treeRow('supabase-db').click();
      await treeRow('vault').waitFor({ timeout: 30_000 });
      await page
        .locator('.monaco-list-row')
        .filter({ hasText: /supabase-db\s*Supabase ·/ })
        .waitFor();
      assert.match(await treeRow('auth').innerText(), /Supabase data · not selected by default/);
      assert.match(await treeRow('vault').innerText(), /Supabase internal · never copied/);
      assert.match(await treeRow('supabase_migrations').innerText(), /Supabase internal · never copied/);
    });
    await step('supabase: the wizard offers platform data unselected, internals not at all', async () => {
      await runCommand('Archon: Migrate Database');
      await waitForPlaceholder('Copy FROM which database');
      // Not the first row, and the list is rebuilt when the versions arrive: click it once they have.
      await quickInputBox().fill('supabase-db');
      await rows().filter({ hasText: 'supabase-db' }).filter({ hasText: 'PostgreSQL 17' }).first().click();
      await waitForPlaceholder('Copy TO which database');
      await answer('local-db', 'local-db');
      // By its label: a row VS Code reuses for another table may keep the old name in a hidden element.
      await page
        .locator('.quick-input-widget .monaco-list-row[aria-label^="crawled_pages,"]')
        .waitFor({ timeout: 30_000 });
      const users = rows().filter({ hasText: 'Supabase data, not selected by default' }).first();
      assert.equal(await users.getAttribute('aria-checked'), 'false');
      const checked = page.locator('.quick-input-widget .monaco-list-row[aria-checked="true"]');
      // The tables checked (the schema's own row is checked with them).
      const picked = (await checked.allInnerTexts()).map((t) => /^(crawled_pages|sources)/.exec(t)?.[1]);
      assert.deepEqual(picked.filter(Boolean).sort(), ['crawled_pages', 'sources']);
      const text = await quickInput().innerText();
      assert.doesNotMatch(text, /schema_migrations|secrets|subscription/);
      assert.match(text, /schema auth — Supabase data/);
      await page.screenshot({ path: join(SHOTS, 'supabase-wizard-tables.png') });
      await page.keyboard.press('Escape');
    });
  });

  it('"Undo Migration" in the report takes a copy back: the target is as before, by SQL', async () => {
    const t = target.url('knowledge_base');
    const fp = `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM archon_tasks x`;
    await sql(t, `UPDATE archon_tasks SET title = title || ' (kept in the target)' WHERE id <= 10`);
    const before = await sql(t, fp);
    await step('undo migration', async () => {
      const reportsBefore = await reportTabs().count();
      await copyTableFromTree('archon_tasks');
      const deadline = Date.now() + 60_000;
      while ((await reportTabs().count()) <= reportsBefore && Date.now() < deadline) await page.waitForTimeout(200);
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
      await commandAnswering('Archon: Migration History', 'The database whose migrations to list', 'local-db');
      await waitForTitle('Migrations on local-db, newest first');
      const newest = rows().first();
      await newest.waitFor({ timeout: 30_000 });
      assert.match(
        await newest.innerText(),
        /\d{8}-\d{6}-[0-9a-f]{4}[\s\S]*UNDONE at [\s\S]*Replace \(emptied first\)/,
      );
      assert.ok((await rows().count()) >= 3, 'every committed run of this session is listed');
    });
    await closeQuickInput();
  });

  it('a refused load: the review warns of the CHECK and shows the backup; the banner names the constraint and "Retry without" copies the rest', async () => {
    const t = target.url('knowledge_base');
    await sql(t, 'ALTER TABLE archon_tasks ADD CONSTRAINT task_order_small CHECK (task_order <= 1000) NOT VALID');
    try {
      await step('review: the backup kept for undo, and turning it off', async () => {
        await closeQuickInput();
        await commandAnswering('Archon: Migrate Database', 'Copy FROM which database', 'cloud-db');
        await waitForPlaceholder('Copy TO which database');
        await answer('local-db', 'local-db');
        await waitForPlaceholder('Tables of cloud-db');
        await rows().filter({ hasText: 'archon_tasks' }).first().waitFor({ timeout: 30_000 });
        // The 20,000 embeddings stay behind: this is about the next step after a failure, not the volume.
        await quickInputBox().fill('archon_embeddings');
        await rows().filter({ hasText: 'archon_embeddings' }).locator('.monaco-checkbox').first().click();
        await quickInputBox().fill('');
        await page.keyboard.press('Enter');
        await waitForPlaceholder('Rows already in');
        await answer('Replace', 'Replace');
        await rows().filter({ hasText: 'Start migration' }).waitFor({ timeout: 60_000 });
        const backup = rows().filter({
          hasText: /Keeps a backup of \d+ tables? \(about [\d.]+ [kM]B\) in schema archon/,
        });
        await backup.waitFor();
        await page.screenshot({ path: join(SHOTS, 'wizard-review-backup.png') });
        await answer('Keeps a backup', 'Keeps a backup');
        await quickInputBox().fill('');
        const off = rows().filter({ hasText: /Keep a backup of \d+ tables?/ });
        await off.waitFor();
        assert.match(await off.innerText(), /Undo will not be possible for this run/);
        await quickInputBox().fill('cannot be undone');
        await rows().filter({ hasText: 'This run cannot be undone' }).waitFor();
        await quickInputBox().fill('');
        // On again: the run that completes the rest keeps its backups, for Drop Backups below.
        await answer('Keep a backup', 'Keep a backup');
        await quickInputBox().fill('');
        await backup.waitFor();
      });
      await step('review: a CHECK the source lacks is a warning before the run', async () => {
        await quickInputBox().fill('CHECK constraint');
        const warning = rows().filter({ hasText: 'has CHECK constraint task_order_small' });
        await warning.waitFor();
        assert.match(
          await warning.innerText(),
          /public\.archon_tasks has CHECK constraint task_order_small \(CHECK \(\(task_order <= 1000\)\) NOT VALID\) on the target that the source lacks: rows may be refused/,
        );
        assert.equal(await warning.locator('.codicon-warning').count(), 1, 'with a warning');
        await page.screenshot({ path: join(SHOTS, 'wizard-review-check-warning.png') });
        await answer('Start migration', 'Start migration');
      });
      await step(
        'the banner names the constraint, its definition and the refused row; Retry without offered',
        async () => {
          const banner = reportFrame().locator('.root-cause');
          await banner.waitFor({ timeout: 90_000 });
          const text = await banner.innerText();
          assert.match(
            text,
            /^Rolled back by public\.archon_tasks \(failed\): new row for relation "archon_tasks" violates check constraint "task_order_small"/,
          );
          assert.match(
            text,
            /public\.archon_tasks: constraint task_order_small is CHECK \(\(task_order <= 1000\)\) NOT VALID on the target; it refused: Failing row contains \(\d+, [0-9a-f-]{36}, \d+, Sub-task of \d+, todo, \d{4},/,
          );
          const retry = reportFrame().locator('#retry-without');
          await retry.waitFor();
          assert.equal(await retry.innerText(), 'Retry without public.archon_tasks…');
          await page.screenshot({ path: join(SHOTS, 'report-retry-without.png') });
        },
      );
      await step(
        'Retry without public.archon_tasks: the review first, then the rest is copied and committed',
        async () => {
          await reportFrame().locator('#retry-without').click();
          await waitForTitle('Retry without public.archon_tasks: review');
          await rows().filter({ hasText: 'Start migration' }).waitFor({ timeout: 60_000 });
          assert.ok(!(await quickInput().innerText()).includes('CHECK constraint'), 'archon_tasks is not in this run');
          await page.screenshot({ path: join(SHOTS, 'retry-without-review.png') });
          await answer('Start migration', 'Start migration');
          const meta = reportFrame().locator('.meta').filter({ hasText: 'Changes committed to the target' });
          await meta.waitFor({ timeout: 90_000 });
          assert.equal(
            await reportFrame().locator('vscode-data-grid-row[data-table="public.archon_tasks"]').count(),
            0,
            'the refused table was left out',
          );
          const sources = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_sources"]');
          assert.equal(await sources.locator('[data-col="status"]').innerText(), 'VERIFIED');
        },
      );
    } finally {
      await sql(t, 'ALTER TABLE archon_tasks DROP CONSTRAINT task_order_small');
    }
  });

  it('the tree shows the Archon journal under the target, and "Drop Backups…" drops the backups it lists', async () => {
    const t = target.url('knowledge_base');
    const backups = `SELECT count(*)::int AS n FROM archon.run_tables
       WHERE backup_table IS NOT NULL AND to_regclass(format('%I.%I', 'archon', backup_table)) IS NOT NULL`;
    assert.ok((await sql(t, backups))[0].n > 0, 'the runs above kept backups');
    const journal = treeRow('Archon journal');
    await step('tree: the journal under local-db, collapsed, with runs and backup sizes', async () => {
      await closeQuickInput();
      if (!(await treeRow('local-db').isVisible()))
        await page.locator('.activitybar a.action-label[aria-label="Archon"]').click();
      const local = treeRow('local-db').first();
      await local.waitFor({ timeout: 30_000 });
      if ((await local.getAttribute('aria-expanded')) === 'false') await local.click();
      await journal.waitFor({ timeout: 30_000 });
      assert.equal(await journal.getAttribute('aria-expanded'), 'false', 'collapsed');
      assert.match(await journal.innerText(), /\d+ runs · backups [\d.]+ [kM]B/);
      await journal.click();
      const run = page.locator('.monaco-list-row').filter({ hasText: /UTC\s*undoable · backups [\d.]+ [kM]B/ });
      await run.first().waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(SHOTS, 'tree-journal.png') });
    });
    await step('Drop Backups… from the journal: pick runs, confirm with their size, dropped', async () => {
      await journal.click({ button: 'right' });
      const item = page.getByRole('menuitem', { name: 'Drop Backups…' });
      await item.waitFor();
      await item.hover();
      await page.keyboard.press('Enter');
      await waitForTitle('Archon: Drop Backups on local-db');
      await rows().first().waitFor({ timeout: 30_000 });
      await page.locator('.quick-input-widget .quick-input-header .monaco-checkbox').first().click();
      await page.keyboard.press('Enter');
      const dialog = page.locator('.monaco-dialog-box').filter({ hasText: 'Drop the backups of' });
      await dialog.waitFor({ timeout: 30_000 });
      assert.match(await dialog.innerText(), /Drop the backups of (\d+ runs|run \S+) on local-db \([\d.]+ [kM]B\)\?/);
      assert.match(await dialog.innerText(), /can then no longer be undone/);
      await page.screenshot({ path: join(SHOTS, 'drop-backups-confirm.png') });
      await dialog.getByRole('button', { name: 'Drop Backups' }).click();
      await notification(/dropped the backups of .* on local-db: \d+ backup tables?, [\d.]+ [kM]B freed/);
      assert.equal((await sql(t, backups))[0].n, 0, 'no backup table left');
      const emptied = treeRow('Archon journal').filter({ hasText: 'no backups' });
      await emptied.waitFor({ timeout: 30_000 });
    });
  });

  it('closing (here: reloading) VS Code during a run cancels it on the servers', async () => {
    const t = target.url('knowledge_base');
    await step('reload mid-run', async () => {
      const before = await sql(t, 'SELECT count(*)::int AS n FROM archon_embeddings');
      await copyTableFromTree('archon_embeddings');
      await page
        .locator('.statusbar-item')
        .filter({ hasText: /Archon: copying \d+%/ })
        .first()
        .waitFor({ timeout: 30_000 });
      const logged = serverLog.length;
      await Promise.all([page.waitForEvent('load', { timeout: 60_000 }), runCommand('Developer: Reload Window')]);
      // The extension's own log cannot be written while VS Code shuts it down; the target's log
      // shows the cancel that reached it (a dropped socket would read "unexpected EOF" instead).
      const cancelled = () =>
        serverLog
          .slice(logged)
          .join('\n')
          .match(/canceling statement due to user request\n.*CONTEXT: {2}COPY archon_embeddings/);
      const deadline = Date.now() + 15_000;
      while (!cancelled() && Date.now() < deadline) await page.waitForTimeout(250);
      assert.ok(cancelled(), `the target's COPY was cancelled: ${serverLog.slice(logged).join('\n')}`);
      assert.deepEqual(await sql(t, 'SELECT count(*)::int AS n FROM archon_embeddings'), before, 'rolled back');
      const sessions = await sql(
        t,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'archon%'`,
      );
      assert.deepEqual(sessions, [{ n: 0 }], 'no Archon session left on the target');
    });
  });

  it('an empty target: creation is on where the tables are chosen, no question about its rows, every table arrives', async () => {
    const url = target.url('empty_target');
    await sql(target.url(), 'CREATE DATABASE empty_target');
    await step('add the empty target', async () => {
      await closeQuickInput();
      await runCommand('Archon: Add Connection');
      await waitForForm('Archon: New Connection');
      await choose('Paste a URL or key-value string');
      await waitForTitle('paste a URL or key-value string');
      await quickInputBox().fill(url.replace('?sslmode=disable', ''));
      await quickInput()
        .getByText(/was taken out/)
        .waitFor();
      await page.keyboard.press('Enter');
      await waitForForm('Archon: New Connection');
      await choose('Name');
      await waitForTitle(': name');
      await answer('empty-db');
      await waitForForm('Archon: New Connection');
      if (!/Group\s*Target/.test(await quickInput().innerText())) {
        await choose('Group');
        await answer('Target', 'Target');
        await waitForForm('Archon: New Connection');
      }
      await choose('Save');
      await notification(/empty-db saved: it connects/);
    });
    const [{ n: tables }] = await sql(
      source.url('knowledge_base'),
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'archon_embeddings'`,
    );
    await step('wizard: the tables step offers to create what empty-db lacks, already on', async () => {
      await commandAnswering('Archon: Migrate Database', 'Copy FROM which database', 'cloud-db');
      await waitForPlaceholder('Copy TO which database');
      await answer('empty-db', 'empty-db');
      const create = rows().filter({ hasText: 'Create the tables empty-db lacks' });
      await create.waitFor({ timeout: 30_000 });
      assert.equal(await create.getAttribute('aria-checked'), 'true', 'on: nothing else could be copied');
      assert.match(await rows().filter({ hasText: 'archon_tasks' }).innerText(), /missing on empty-db/);
      // The 20,000 embeddings stay behind: this is about the flow, not the volume.
      await quickInputBox().fill('archon_embeddings');
      await rows().filter({ hasText: 'archon_embeddings' }).locator('.monaco-checkbox').first().click();
      await quickInputBox().fill('');
      await waitForTitle(`${tables} of ${tables + 1} tables selected`);
      await waitForTitle(`${tables} missing on the target, created`);
      await page.mouse.move(900, 700);
      await page.screenshot({ path: join(SHOTS, 'wizard-empty-target-tables.png') });
      await page.keyboard.press('Enter');
    });
    await step('wizard: straight to the review, creation chosen, every selected table copied', async () => {
      // No "Rows already in empty-db" step: the review follows the tables.
      await waitForTitle('Migrate Database: review');
      const start = rows().filter({ hasText: 'Start migration' });
      await start.waitFor({ timeout: 60_000 });
      assert.match(await start.innerText(), new RegExp(`Start migration: copy ${tables} tables`));
      const chosen = rows().filter({ hasText: `Create ${tables} tables on the target` });
      assert.equal(await chosen.locator('.codicon-pass-filled').count(), 1, 'chosen');
      assert.doesNotMatch(await quickInput().innerText(), /Nothing to copy|Skipped:/);
      await page.screenshot({ path: join(SHOTS, 'wizard-empty-target-review.png') });
      await answer('Start migration', 'Start migration');
    });
    await step('the tables were created on empty-db and every one verified', async () => {
      // This run's report, not an earlier one still in view while it runs (an earlier run copied these tables too).
      await reportFrame().locator('.direction').filter({ hasText: '/empty_target' }).waitFor({ timeout: 120_000 });
      const row = reportFrame().locator('vscode-data-grid-row[data-table="public.archon_crawled_pages"]');
      await row.waitFor({ timeout: 120_000 });
      assert.equal(await row.locator('[data-col="status"]').innerText(), 'VERIFIED');
      const statuses = await reportFrame()
        .locator('vscode-data-grid-row[data-table] [data-col="status"]')
        .allInnerTexts();
      assert.deepEqual(new Set(statuses), new Set(['VERIFIED']), statuses.join(', '));
      assert.equal(statuses.length, tables);
      for (const table of ['archon_projects', 'archon_tasks', 'archon_crawled_pages', 'archon_settings']) {
        const fp = `SELECT count(*)::int AS n, md5(string_agg(x::text, '|' ORDER BY x::text)) AS h FROM ${table} x`;
        assert.deepEqual(await sql(url, fp), await sql(source.url('knowledge_base'), fp), table);
      }
    });
  });

  it('the walkthrough has ticked the plan, the migration and the report, once each happened', async () => {
    // Last: the Welcome page is closed after it, which must not take an editor a later test needs.
    await step('walkthrough: every step done', async () => {
      await openWalkthrough();
      for (const id of ['addSource', 'addTarget', 'plan', 'migrate', 'report'])
        await walkthroughTick(id, 'checked').waitFor({ timeout: 10_000 });
      await closeWelcome();
    });
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type EventStore } from '../../src/index.js';
import { startInspector, type InspectorServer } from '../../src/inspect/server.js';
import { crashModel, writeScenario } from '../support/crashScenario.js';
import { startFakeOpenAI } from '../support/fakeOpenAIServer.js';
import { finishedExampleRun } from '../support/finishedRun.js';
import { projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] !== undefined) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
}
if (!haveChromium) process.stderr.write(`browser tests skipped: no ${CHROMIUM} (apt-get install chromium)\n`);

const tempDir = useTempDirs();
let browser: Browser;

beforeAll(async () => {
  if (haveChromium) browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

/** What the page highlights for an actor: the `data-current` of its diagram. */
const current = (page: Page, actor: string): Promise<string | null> =>
  page.locator(`${actor === 'orchestrator' ? '[data-actor="orchestrator"]' : `.phase-card[data-phase="${actor}"]`} .svg`).getAttribute('data-current');

/** The run the page shows, or null (at once: a locator would wait for one to appear). */
const shownRun = async (page: Page): Promise<string | null> => (await page.evaluate("document.querySelector('#run h2')?.textContent ?? null")) as string | null;

async function inspect(dbPath: string): Promise<{ server: InspectorServer; store: EventStore }> {
  const store = createSqliteEventStore(dbPath, { readonly: true });
  return { server: await startInspector({ store, port: 0, pollMs: 100 }), store };
}

describe.skipIf(!haveChromium)('inspector in a real browser (chromium, headless)', () => {
  it('opens the log\'s one run by default, highlights each phase\'s state, travels back along the timeline, and shows the event', async () => {
    const run = await finishedExampleRun(tempDir(), { failingCheck: 'lint' });
    const { server, store } = await inspect(run.dbPath);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1050 } });
    try {
      // No run named: the newest (here the only one) is open, and the list still switches runs.
      await page.goto(server.url);
      await expect.poll(() => shownRun(page), { timeout: 5_000 }).toBe(run.runId);
      expect(await page.locator(`#runs tr.selected[data-run="${run.runId}"]`).count()).toBe(1);
      expect(new URL(page.url()).pathname).toBe('/');
      await expect.poll(() => current(page, '0')).toBe('done');
      expect(await current(page, '1')).toBe('done');
      expect(await current(page, 'orchestrator')).toBe('completed');
      expect(await page.locator('#run-status').textContent()).toBe('succeeded');
      expect(await page.locator('.phase-card[data-phase="0"] .state.current').getAttribute('data-state')).toBe('done');
      // The run's lint check fails before the run and is excused (the example's own check is baseline: false): the page says so.
      expect(await page.locator('#baseline').textContent()).toBe('baseline: "lint" failed before the run: pre-existing, ignored in every phase');

      // Back to the first attempt's rejection: phase 0 is retrying, phase 1 has not started.
      const rejected = Number(await page.locator('#events div', { hasText: 'changes.rejected' }).getAttribute('data-seq'));
      await page.locator('#timeline-slider').fill(String(rejected));
      await expect.poll(() => current(page, '0')).toBe('retrying');
      expect(await current(page, '1')).toBe('');
      expect(await current(page, 'orchestrator')).toBe('running_phase');
      await expect.poll(() => page.locator('#detail').textContent()).toContain('elision placeholder');
      expect(await page.locator('#seq-label').textContent()).toContain(`event ${rejected} of`);

      // One step further back with the button: the answer was still being validated.
      await page.locator('#step-back').click();
      await expect.poll(() => current(page, '0')).toBe('validating');

      // The applied changes' diffs, from the event list: unified hunks under their @@ headers.
      await page.locator('#events div', { hasText: 'changes.applied' }).first().click();
      await expect.poll(() => page.locator('#detail .diff .hunk').allTextContents()).toEqual(['@@ -0,0 +1,5 @@']);
      expect(await page.locator('#detail .diff .add').count()).toBe(5);
      await page.locator('#events div', { hasText: 'changes.applied' }).last().click();
      await expect.poll(() => page.locator('#detail .diff .hunk').allTextContents()).toEqual(['@@ -1,3 +1,12 @@']);
      expect(await page.locator('#detail .diff .ctx').allTextContents()).toEqual(['11 # greeter', '22 ', "33 A tiny sample repository for autopack's example plan."]);
      expect(await page.locator('#detail .diff .add').count()).toBe(9);
      expect(await page.locator('#detail .diff .add').first().textContent()).toBe('4+');

      await page.locator('#timeline-slider').fill(String(rejected));
      await expect.poll(() => current(page, '0')).toBe('retrying');
      const shot = process.env['AUTOPACK_UPDATE_SCREENSHOT'] === '1' ? path.join(projectRoot, 'docs', 'images', 'inspector.png') : path.join(tempDir(), 'inspector.png');
      fs.mkdirSync(path.dirname(shot), { recursive: true });
      await page.screenshot({ path: shot });
      expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    } finally {
      await page.close();
      await server.close();
      store.close();
    }
  });

  it('follows a live run as it happens, without reloading', async () => {
    const model = await startFakeOpenAI((request) => ({ ...crashModel(request), delayMs: 600 }));
    const { repo, plan } = writeScenario(tempDir());
    const running = runCli(['run', plan, '--repo', repo, '--base-url', model.baseURL]);
    const dbPath = path.join(repo, '.autonomous_runs', 'autopack.db');
    try {
      await expect.poll(() => fs.existsSync(dbPath) && model.requests.length > 0, { timeout: 10_000 }).toBe(true);
      const runs = JSON.parse((await runCli(['runs', '--repo', repo, '--json'])).stdout) as { run_id: string }[];
      const { server, store } = await inspect(dbPath);
      const page = await browser.newPage();
      try {
        await page.goto(`${server.url}runs/${runs[0]?.run_id}`);
        await expect.poll(() => current(page, '0')).toMatch(/prompting|parsing|validating|retrying/);
        const loadedAt = await page.evaluate(() => (globalThis as unknown as { __inspectorLoadedAt: number }).__inspectorLoadedAt);
        const eventsAtStart = await page.locator('#events div').count();

        await expect.poll(() => current(page, '0'), { timeout: 20_000 }).toBe('done');
        await expect.poll(() => current(page, 'orchestrator'), { timeout: 20_000 }).toBe('completed');
        expect(await page.locator('#events div').count()).toBeGreaterThan(eventsAtStart + 10);
        expect(await page.evaluate(() => (globalThis as unknown as { __inspectorLoadedAt: number }).__inspectorLoadedAt)).toBe(loadedAt);
      } finally {
        await page.close();
        await server.close();
        store.close();
      }
      expect((await running).code).toBe(0);
    } finally {
      await model.close();
    }
  }, 60_000);
});

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

/** Where the page says an actor is: the orchestrator's highlighted state, a phase's state in the list of phases. */
const current = (page: Page, actor: string): Promise<string | null> =>
  actor === 'orchestrator'
    ? page.locator('[data-actor="orchestrator"] .svg').getAttribute('data-current')
    : page.locator(`#phase-list li[data-phase="${actor}"]`).getAttribute('data-state');

/** The run the page shows, or null (at once: a locator would wait for one to appear). */
const shownRun = async (page: Page): Promise<string | null> => (await page.evaluate("document.querySelector('#run h2')?.textContent ?? null")) as string | null;

/** The phase drawn large, and the state its chart highlights. */
const focused = async (page: Page): Promise<[string | null, string | null]> => [
  await page.locator('#phase-focus').getAttribute('data-phase'),
  await page.locator('#phase-focus .svg').getAttribute('data-current'),
];

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
      // The run is over: the last phase that ran is drawn, in its final state.
      expect(await focused(page)).toEqual(['1', 'done']);
      expect(await page.locator('#phase-focus .state.current').getAttribute('data-state')).toBe('done');
      // The run's lint check fails before the run and is excused (the example's own check is baseline: false): the page says so.
      expect(await page.locator('#baseline').textContent()).toBe('baseline: "lint" failed before the run: pre-existing, ignored in every phase');

      // Back to the first attempt's rejection: phase 0 is retrying, and drawn; phase 1 has not started.
      const rejected = Number(await page.locator('#events div', { hasText: 'changes.rejected' }).getAttribute('data-seq'));
      await page.locator('#timeline-slider').fill(String(rejected));
      await expect.poll(() => current(page, '0')).toBe('retrying');
      expect(await focused(page)).toEqual(['0', 'retrying']);
      expect(await current(page, '1')).toBe('');
      expect(await current(page, 'orchestrator')).toBe('running_phase');
      await expect.poll(() => page.locator('#detail').textContent()).toContain('elision placeholder');
      expect(await page.locator('#seq-label').textContent()).toContain(`event ${rejected} of`);

      // One step further back with the button: the answer was still being validated.
      await page.locator('#step-back').click();
      await expect.poll(() => current(page, '0')).toBe('validating');
      expect(await focused(page)).toEqual(['0', 'validating']);

      // A phase picked in the list is drawn whatever the timeline says, until the page follows again.
      await page.locator('#phase-list li[data-phase="1"]').click();
      expect(await focused(page)).toEqual(['1', '']);
      await page.locator('#follow-phase').click();
      expect(await focused(page)).toEqual(['0', 'validating']);

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
      // Tall enough for the whole run at once: both charts, the list of phases, the events and the selected one.
      await page.setViewportSize({ width: 1500, height: 1900 });
      await page.evaluate("document.querySelector('#run').scrollTop = 0");
      await page.screenshot({ path: shot });
      expect(fs.statSync(shot).size).toBeGreaterThan(20_000);
    } finally {
      await page.close();
      await server.close();
      store.close();
    }
  });

  it('draws the phase in focus large, the others as a compact list, with labels readable at zoom 1', async () => {
    // A log of two runs, the newer of 30 phases, each writing one file (answers scripted, run by the CLI).
    const repo = tempDir();
    const planOf = (count: number) =>
      'phases:\n' +
      Array.from({ length: count }, (_, i) => `  - id: write-${i}\n    description: Write f${i}.txt.\n    category: feature\n    complexity: low\n    acceptance_criteria: []\n    deliverables: [f${i}.txt]\n`).join('');
    const answersOf = (count: number) =>
      JSON.stringify(Array.from({ length: count }, (_, i) => ({ response: { summary: `f${i}`, files: [{ path: `f${i}.txt`, mode: 'create', new_content: `${i}\n` }] } })));
    const runs: string[] = [];
    for (const count of [1, 30]) {
      const plan = path.join(repo, '..', `plan-${count}.yaml`);
      const answers = path.join(repo, '..', `answers-${count}.json`);
      fs.writeFileSync(plan, planOf(count));
      fs.writeFileSync(answers, answersOf(count));
      const ran = await runCli(['run', plan, '--repo', repo, '--llm', `scripted:${answers}`, '--json']);
      expect(ran.code, ran.stderr).toBe(0);
      runs.push((JSON.parse(ran.stdout) as { run_id: string }).run_id);
    }
    const { server, store } = await inspect(path.join(repo, '.autonomous_runs', 'autopack.db'));
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, deviceScaleFactor: 1 });
    try {
      await page.goto(server.url);
      // The newest run is open by default; the older one is a click away in the runs list.
      await expect.poll(() => shownRun(page), { timeout: 5_000 }).toBe(runs[1]);
      expect(await page.locator('#runs tr.run').count()).toBe(2);
      await expect.poll(() => current(page, '29')).toBe('done');

      // One phase chart (the last phase that ran), and a line per phase with its state.
      expect(await page.locator('svg.machine[data-machine="phase"]').count()).toBe(1);
      expect(await focused(page)).toEqual(['29', 'done']);
      expect(await page.locator('#phase-list li').count()).toBe(30);
      expect(await page.locator('#phase-list li[data-state="done"]').count()).toBe(30);
      const rowHeights = await page.locator('#phase-list li').evaluateAll((rows) => rows.map((row) => row.getBoundingClientRect().height));
      expect(Math.max(...rowHeights)).toBeLessThan(32);
      // The list scrolls by itself, keeping the drawn phase's line in sight.
      const inSight = await page.evaluate(
        "(() => { const list = document.querySelector('#phase-list').getBoundingClientRect(); const row = document.querySelector('#phase-list li.focused').getBoundingClientRect(); return row.top >= list.top - 1 && row.bottom <= list.bottom + 1; })()",
      );
      expect(inSight).toBe(true);

      // Every label of both charts, and the list, at 12 px or more on the screen: the computed font
      // size times the scale the SVG is drawn at (its viewBox to screen pixels).
      // (Evaluated as text: the tests are compiled without the DOM's types.)
      const sizes = (await page.evaluate(
        "[...document.querySelectorAll('svg.machine text')].map((t) => ({ text: t.textContent, px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a }))",
      )) as { text: string; px: number }[];
      expect(sizes.length).toBeGreaterThan(30);
      expect(sizes.filter((s) => !(s.px >= 12))).toEqual([]);
      const listPx = (await page.evaluate("[...document.querySelectorAll('#phase-list li > span')].map((n) => parseFloat(getComputedStyle(n).fontSize))")) as number[];
      expect(listPx).toHaveLength(90);
      expect(Math.min(...listPx)).toBeGreaterThanOrEqual(12);

      // A click on a line draws that phase.
      await page.locator('#phase-list li[data-phase="4"]').click();
      expect(await focused(page)).toEqual(['4', 'done']);
      expect(await page.locator('#focus-title').textContent()).toBe('phase-4 · write-4');
      expect(await page.locator('#phase-list li.focused').getAttribute('data-phase')).toBe('4');

      await page.locator(`#runs tr.run[data-run="${runs[0]}"]`).click();
      await expect.poll(() => shownRun(page), { timeout: 5_000 }).toBe(runs[0]);
      await expect.poll(() => page.locator('#phase-list li').count()).toBe(1);
    } finally {
      await page.close();
      await server.close();
      store.close();
    }
  }, 60_000);

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

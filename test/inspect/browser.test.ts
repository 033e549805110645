import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteEventStore, type EventStore } from '../../src/index.js';
import { startInspector, type InspectorServer } from '../../src/inspect/server.js';
import { readDecisions } from '../../src/store/decisions.js';
import { crashModel, writeScenario } from '../support/crashScenario.js';
import { startFakeOpenAI } from '../support/fakeOpenAIServer.js';
import { finishedExampleRun } from '../support/finishedRun.js';
import { readTree } from '../support/repoFixture.js';
import { projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';
import { runAwaitingApproval, type GatedRun } from '../support/gatedRun.js';

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

/** An inspector over a run stopped at its approval gate; `allowApprove` as `autopack inspect --allow-approve` (a writable store). */
async function inspectGated(allowApprove: boolean): Promise<{ run: GatedRun; server: InspectorServer; store: EventStore; close(): Promise<void> }> {
  const run = await runAwaitingApproval(tempDir());
  const store = createSqliteEventStore(run.dbPath, allowApprove ? {} : { readonly: true });
  const server = await startInspector({ store, port: 0, pollMs: 100, ...(allowApprove ? { approvals: { by: 'ana@laptop' } } : {}) });
  return {
    run,
    server,
    store,
    async close() {
      await server.close();
      await store.close();
      await run.executor.close();
    },
  };
}

describe.skipIf(!haveChromium)('approval gates in a real browser (chromium, headless)', () => {
  it('shows the waiting phase\'s diff; Approve records the approval, says to resume, and the resumed run applies it', async () => {
    const { run, server, store, close } = await inspectGated(true);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await page.goto(`${server.url}runs/${run.runId}`);
      await expect.poll(() => page.locator('#approval h3').textContent(), { timeout: 5_000 }).toBe('phase-0 · greet waits for approval');
      expect(await page.locator('#approval-summary').textContent()).toBe('greet hi');
      expect(await page.locator('#approval-files .diff .hunk').allTextContents()).toEqual(['@@ -1,1 +1,1 @@']);
      expect(await page.locator('#approval-files .diff .del').allTextContents()).toEqual(['1-hello']);
      expect(await page.locator('#approval-files .diff .add').allTextContents()).toEqual(['1+hi']);
      expect(await page.locator(`#runs tr[data-run="${run.runId}"] .status`).textContent()).toBe('awaiting approval');
      expect(await page.locator('#run-status').textContent()).toBe('awaiting approval');
      // Reject needs feedback; there is none yet.
      expect(await page.locator('#reject').isDisabled()).toBe(true);

      await page.locator('#approve').click();
      await expect.poll(() => page.locator('#approval-outcome').textContent()).toContain(`continue it with autopack resume ${run.runId}`);
      expect(await page.locator('#approval-outcome').textContent()).toContain('phase greet, attempt 1: approved by ana@laptop (inspector');
      expect(await page.locator('#approve').count()).toBe(0);
      expect((await readDecisions(store, run.runId)).decisions).toMatchObject([{ phaseIndex: 0, attempt: 1, approved: true, by: 'ana@laptop', via: 'inspector', feedback: null }]);

      const resumed = await run.executor.resume(run.runId, { waitForApproval: false });
      expect(resumed.status).toBe('succeeded');
      expect(readTree(run.repo)['greet.txt']).toBe('hi\n');
      // The page follows the run: over, with the decision kept as history.
      await expect.poll(() => page.locator('#run-status').textContent(), { timeout: 5_000 }).toBe('succeeded');
      expect(await page.locator('#approval-history li').allTextContents()).toEqual([expect.stringMatching(/^phase greet, attempt 1: approved by ana@laptop \(inspector, /)]);
    } finally {
      await page.close();
      await close();
    }
  });

  it('Reject sends the feedback typed in the box; the next attempt\'s proposal then waits with its own buttons', async () => {
    const { run, server, store, close } = await inspectGated(true);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    try {
      await page.goto(`${server.url}runs/${run.runId}`);
      await page.locator('#feedback').fill('greet the whole world');
      expect(await page.locator('#reject').isDisabled()).toBe(false);
      await page.locator('#reject').click();
      await expect.poll(() => page.locator('#approval-outcome').textContent()).toContain('rejected by ana@laptop');
      expect((await readDecisions(store, run.runId)).decisions).toMatchObject([{ attempt: 1, approved: false, feedback: 'greet the whole world', via: 'inspector' }]);

      const second = await run.executor.resume(run.runId, { waitForApproval: false });
      expect(second.status).toBe('awaiting_approval');
      await expect.poll(() => page.locator('#approval-summary').textContent(), { timeout: 5_000 }).toBe('greet hello, world');
      expect(await page.locator('#approval .meta').first().textContent()).toMatch(/^attempt 2 · /);
      expect(await page.locator('#approve').count()).toBe(1);
      expect(await page.locator('#approval-history li').allTextContents()).toEqual([expect.stringContaining('attempt 1: rejected by ana@laptop')]);
    } finally {
      await page.close();
      await close();
    }
  });

  it('a read-only inspector shows the diff and how to decide, with no buttons', async () => {
    const { run, server, close } = await inspectGated(false);
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}runs/${run.runId}`);
      await expect.poll(() => page.locator('#approval-readonly').textContent(), { timeout: 5_000 }).toBe(
        `This inspector is read-only. Decide with autopack approve ${run.runId} or autopack reject ${run.runId} --feedback TEXT, or restart it with autopack inspect --allow-approve to decide on this page.`,
      );
      expect(await page.locator('#approval-files .diff .add').allTextContents()).toEqual(['1+hi']);
      expect(await page.locator('#approve, #reject, #feedback').count()).toBe(0);
    } finally {
      await page.close();
      await close();
    }
  });

  it('another page open in the same browser cannot decide, not even with the token, nor frame the inspector', async () => {
    const { run, server, store, close } = await inspectGated(true);
    // Leaked on purpose: the page below must fail even with it.
    const token = /<meta name="autopack-token" content="([^"]+)">/.exec(await (await fetch(server.url)).text())?.[1] ?? '';
    expect(token).not.toBe('');
    const target = `${server.url}api/runs/${run.runId}/approval`;
    const attackerPage = `<!doctype html><html><body>
<form id="form" method="POST" action="${target}" enctype="text/plain" target="sink"><input name='{"approved":true,"x":"' value='"}'></form>
<iframe name="sink"></iframe>
<iframe id="framed" src="${server.url}runs/${run.runId}" onload="window.framedLoaded = true"></iframe>
<script>
const target = ${JSON.stringify(target)};
const token = ${JSON.stringify(token)};
const body = JSON.stringify({ approved: true });
const tries = {
  json: () => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
  jsonWithToken: () => fetch(target, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Autopack-Token': token }, body }),
  noCors: () => fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body }),
  noCorsWithToken: () => fetch(target, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain', 'X-Autopack-Token': token }, body }),
  noCorsForm: () => fetch(target, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ approved: 'true' }) }),
};
window.outcomes = {};
Promise.all(Object.entries(tries).map(([name, send]) => send().then((r) => { outcomes[name] = 'answered ' + r.type; }, (e) => { outcomes[name] = 'blocked'; })))
  .then(() => { window.fetchesDone = true; });
</script></body></html>`;
    const attacker = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(attackerPage);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await expect.poll(() => page.evaluate('window.fetchesDone === true'), { timeout: 5_000 }).toBe(true);
      // A JSON fetch needs a preflight, which gets no CORS headers: the browser never sends it. A no-cors one is
      // sent, opaque to its page: the server refuses it (another origin, no token: the browser drops the header).
      expect(await page.evaluate('window.outcomes')).toEqual({ json: 'blocked', jsonWithToken: 'blocked', noCors: 'answered opaque', noCorsWithToken: 'answered opaque', noCorsForm: 'answered opaque' });
      // The classic JSON-by-form trick: a text/plain form whose body parses as JSON.
      const formAnswer = page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document');
      await page.evaluate("document.getElementById('form').submit()");
      expect((await formAnswer).status()).toBe(403);
      // Framed, the inspector's page is not shown (X-Frame-Options, frame-ancestors): no button to trick a click on.
      await expect.poll(() => page.evaluate('window.framedLoaded === true'), { timeout: 5_000 }).toBe(true);
      const framed = page.frames().filter((f) => f.parentFrame() === page.mainFrame() && f.name() !== 'sink');
      expect(framed).toHaveLength(1);
      expect(await framed[0]?.locator('header h1').count()).toBe(0);

      expect((await readDecisions(store, run.runId)).decisions).toEqual([]);
      // The inspector's own page still decides.
      const own = await browser.newPage();
      try {
        await own.goto(`${server.url}runs/${run.runId}`);
        await own.locator('#approve').click();
        await expect.poll(() => own.locator('#approval-outcome').count()).toBe(1);
        expect((await readDecisions(store, run.runId)).decisions).toHaveLength(1);
      } finally {
        await own.close();
      }
    } finally {
      await page.close();
      await new Promise((resolve) => attacker.close(resolve));
      await close();
    }
  });
});

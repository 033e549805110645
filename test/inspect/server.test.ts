import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startInspector, type InspectorServer } from '../../src/inspect/server.js';
import { createSqliteEventStore, type EventStore } from '../../src/index.js';
import { finishedExampleRun } from '../support/finishedRun.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
let server: InspectorServer | undefined;
let store: EventStore | undefined;
afterEach(async () => {
  await server?.close();
  store?.close();
  server = undefined;
  store = undefined;
});

let run: { repo: string; dbPath: string; runId: string };
let shared: string;
beforeAll(async () => {
  // Shared by every test here, so made outside useTempDirs (which cleans up after each test).
  shared = fs.mkdtempSync(path.join(os.tmpdir(), 'autopack-inspect-'));
  run = await finishedExampleRun(shared, { failingCheck: 'lint' });
});
afterAll(() => fs.rmSync(shared, { recursive: true, force: true }));

async function serve(dbPath = run.dbPath) {
  store = createSqliteEventStore(dbPath, { readonly: true });
  server = await startInspector({ store, port: 0, pollMs: 50 });
  return server;
}

async function get(path: string): Promise<{ status: number; type: string; body: string }> {
  const response = await fetch(new URL(path, server?.url));
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
}
const getJson = async <T>(path: string): Promise<T> => JSON.parse((await get(path)).body) as T;

describe('inspector HTTP API over a real log', () => {
  it('lists runs with status, phases, tokens, start and duration', async () => {
    await serve();
    const runs = await getJson<Record<string, unknown>[]>('/api/runs');
    expect(runs).toEqual([
      expect.objectContaining({ runId: run.runId, status: 'succeeded', totalPhases: 2, phasesSucceeded: 2, phasesFailed: 0, tokens: 1515, events: expect.any(Number) }),
    ]);
    expect(runs[0]?.['durationS']).toBeGreaterThan(0);
  });

  it('serves a run, the state of every actor after any event, and each event with its details', async () => {
    await serve();
    const view = await getJson<{ timeline: { seq: number; type: string; actor: string }[]; phases: unknown[]; olderMachines: boolean; baseline: unknown }>(
      `/api/runs/${run.runId}`,
    );
    expect(view.phases).toHaveLength(2);
    expect(view.olderMachines).toBe(false);
    const seqOf = (type: string, actor = 'phase-0') => view.timeline.find((e) => e.type === type && e.actor === actor)?.seq ?? -1;

    // The lint check fails before the run, and is excused; the example's own check (baseline: false) is not taken.
    expect(view.baseline).toEqual({
      text: 'baseline: "lint" failed before the run: pre-existing, ignored in every phase',
      checks: [{ name: 'lint', passed: false }],
      preExisting: ['lint'],
    });
    expect(await getJson(`/api/runs/${run.runId}/events/${seqOf('baseline.checked', 'orchestrator')}`)).toMatchObject({ checks: [{ name: 'lint', passed: false }] });

    const rejected = seqOf('changes.rejected');
    expect(await getJson(`/api/runs/${run.runId}/state?at=${rejected}`)).toMatchObject({
      seq: rejected,
      status: 'running',
      orchestrator: { state: 'running_phase' },
      phases: [{ state: 'retrying', status: 'running', attempt: 1 }, { state: null, status: 'pending' }],
    });
    expect(await getJson(`/api/runs/${run.runId}/state`)).toMatchObject({ status: 'succeeded', orchestrator: { state: 'completed' }, phases: [{ state: 'done' }, { state: 'done' }] });

    expect(await getJson(`/api/runs/${run.runId}/events/${rejected}`)).toMatchObject({
      errors: { code: 'CHANGES_INVALID', errors: [expect.stringContaining('elision placeholder')] },
    });
    const completed = await getJson<{ prompt: { promptTokens: number; messages: { role: string }[] }; response: { content: string } }>(
      `/api/runs/${run.runId}/events/${seqOf('llm.completed')}`,
    );
    expect(completed.prompt.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(completed.prompt.promptTokens).toBeGreaterThan(100);
    expect(completed.response.content).toContain('"summary"');
    // Each applied file as unified hunks: the new src/greet.js all added, README.md's additions after 3 lines of context.
    type Hunk = { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: { op: string; text: string }[] };
    type Files = { files: { path: string; mode: string; kind: string; status: string; hunks: Hunk[] }[] };
    const created = (await getJson<Files>(`/api/runs/${run.runId}/events/${seqOf('changes.applied')}`)).files;
    expect(created.map((f) => [f.path, f.mode, f.kind, f.status])).toEqual([['src/greet.js', 'create', 'text', 'created']]);
    expect(created[0]?.hunks).toHaveLength(1);
    expect(created[0]?.hunks[0]).toMatchObject({ oldStart: 0, oldLines: 0, newStart: 1 });
    expect(created[0]?.hunks[0]?.lines.every((l) => l.op === '+')).toBe(true);
    expect(created[0]?.hunks[0]?.lines).toContainEqual({ op: '+', text: 'export function greet(name = defaultName) {' });
    const modified = (await getJson<Files>(`/api/runs/${run.runId}/events/${seqOf('changes.applied', 'phase-1')}`)).files;
    expect(modified.map((f) => [f.path, f.mode, f.status])).toEqual([['README.md', 'modify', 'modified']]);
    expect(modified[0]?.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([[1, 3, 1, 12]]);
    expect(modified[0]?.hunks[0]?.lines.slice(0, 5)).toEqual([
      { op: ' ', text: '# greeter' },
      { op: ' ', text: '' },
      { op: ' ', text: "A tiny sample repository for autopack's example plan." },
      { op: '+', text: '' },
      { op: '+', text: '## Usage' },
    ]);
    const checked = await getJson<{ checks: { name: string; passed: boolean }[] }>(`/api/runs/${run.runId}/events/${seqOf('health.checked')}`);
    expect(checked.checks.map((c) => [c.name, c.passed])).toEqual([
      ['deliverables', true],
      ['greet works', true],
      // Fails after the phase too, and was excused: pre-existing.
      ['lint', false],
    ]);
  });

  it('answers unknown runs, events and positions with 404/400 and a message, and serves a 404 page', async () => {
    await serve();
    const api = await get('/api/runs/run-nope');
    expect(api.status).toBe(404);
    expect(JSON.parse(api.body)).toEqual({ error: 'no run "run-nope" in this log; GET /api/runs lists them' });
    const page = await get('/runs/run-nope');
    expect(page.status).toBe(404);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('There is no run <code>run-nope</code>');
    expect((await get(`/api/runs/${run.runId}/events/9999`)).status).toBe(404);
    const badAt = await get(`/api/runs/${run.runId}/state?at=0`);
    expect(badAt.status).toBe(400);
    expect(badAt.body).toMatch(/at must be an event number from 1 to \d+/);
  });

  it('draws each machine from its definition, one addressable node per state', async () => {
    await serve();
    const svg = await get('/machines/phase.svg');
    expect(svg.type).toBe('image/svg+xml');
    for (const state of ['prompting', 'parsing', 'validating', 'applying', 'health_checking', 'rolling_back', 'retrying', 'done', 'failed']) {
      expect(svg.body).toContain(`data-state="${state}"`);
    }
    expect((await get('/machines/orchestrator.svg')).body).toContain('data-state="running_phase"');
  });

  it('streams a run\'s events as server-sent events', async () => {
    await serve();
    const received = await new Promise<string>((resolve, reject) => {
      const request = http.get(new URL(`/api/runs/${run.runId}/stream?after=20`, server?.url), (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('id: 21')) {
            request.destroy();
            resolve(text);
          }
        });
      });
      request.on('error', reject);
    });
    expect(received).toMatch(/^id: 21\nevent: append\ndata: \{"seq":21,/);
  });

  it('shows a run written by older machine definitions, marked read-only', async () => {
    const copy = `${tempDir()}/old.db`;
    const db = new Database(run.dbPath);
    await db.backup(copy);
    db.close();
    const old = new Database(copy);
    old.prepare("UPDATE events SET data = json_set(data, '$.machineVersion', 'feedfacefeedface') WHERE seq = 1").run();
    old.close();
    await serve(copy);
    expect(await getJson(`/api/runs/${run.runId}`)).toMatchObject({ olderMachines: true, summary: { status: 'succeeded' } });
  });

  it('says which port is taken', async () => {
    const first = await serve();
    const other = createSqliteEventStore(run.dbPath, { readonly: true });
    try {
      await expect(startInspector({ store: other, port: first.port })).rejects.toThrow(
        `port ${first.port} on 127.0.0.1 is already in use; pick another with --port`,
      );
    } finally {
      other.close();
    }
  });
});

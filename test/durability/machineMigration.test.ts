import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutopackError, PhaseExecutor, ScriptedLLMClient, createSqliteEventStore, type NewRunEvent, type StoredRunEvent } from '../../src/index.js';
import { MACHINE_MIGRATIONS, compatibleStart } from '../../src/runtime/machineCompatibility.js';
import { machineVersion } from '../../src/runtime/machineVersion.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { projectRoot } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/**
 * A run interrupted during its third model call, logged by the machines before stuck detection and the
 * baseline (written by test/fixtures/write-interrupted-run.mjs with that commit's build): two identical
 * rejections, and a health check that fails until a.txt exists.
 */
const FIXTURE = path.join(projectRoot, 'test', 'fixtures', 'run-before-stuck-and-baseline.json');
const fixture = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { machineVersion: string; repoRoot: string; events: StoredRunEvent[] };

/** The same run logged by the machines before approval gates, with stuck detection off for it (`stuckAfter: 0`). */
const BEFORE_GATES = JSON.parse(fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'run-before-approval-gates.json'), 'utf8')) as typeof fixture;

/** The fixture's log in a real SQLite file, its repository moved to a fresh temp dir. */
async function restored(from: typeof fixture = fixture) {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n' });
  const dbPath = path.join(tempDir(), 'log.db');
  const store = createSqliteEventStore(dbPath);
  const events = from.events.map(({ stream: _s, seq: _q, position: _p, ...event }) =>
    event.type === 'run.started' ? { ...event, data: { ...event.data, repoRoot: repo, dbPath } } : event,
  ) as NewRunEvent[];
  const runId = from.events[0]?.stream ?? '';
  await store.append(runId, events, { expectedVersion: 0 });
  return { repo, store, runId };
}

describe('a log written by the machines before stuck detection and the baseline', () => {
  it('is one this version has a migration for', () => {
    expect(fixture.machineVersion).not.toBe(machineVersion());
    expect(Object.keys(MACHINE_MIGRATIONS)).toContain(fixture.machineVersion);
    const start = fixture.events[0]?.type === 'run.started' ? fixture.events[0].data : null;
    expect(start?.machineVersion).toBe(fixture.machineVersion);
    expect(start === null ? null : compatibleStart(start).options).toMatchObject({ stuckAfter: 0, baseline: false });
  });

  it('replays and resumes under the rules it began with: no baseline, and identical failures retried', async () => {
    const { repo, store, runId } = await restored();
    expect(toTypes(await store.read(runId)).slice(0, 3)).toEqual(['run.started', 'run.begun', 'phase.started']);
    // The machines re-run over the old log reproduce it.
    await verifyRun(store, runId);

    const executor = new PhaseExecutor({
      llmClient: new ScriptedLLMClient([{ content: answer('add a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) }]),
      repoRoot: repo,
      eventStore: store,
    });
    const result = await executor.resume(runId);
    // With today's defaults the second identical rejection would have ended the phase (STUCK), and the
    // check, failing before the run, would have been excused: the old run keeps its own rules.
    expect(result).toMatchObject({ status: 'succeeded', baseline: null });
    expect(result.phase_results[0]).toMatchObject({ success: true, retry_count: 2, pre_existing: [] });
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n', 'a.txt': 'A\n' });
    const log = await store.read(runId);
    expect(toTypes(log)).not.toContain('baseline.checked');
    await verifyRun(store, runId);
    await executor.close();
    store.close();
  });

  it('would be refused without the migration', () => {
    const start = fixture.events[0]?.type === 'run.started' ? fixture.events[0].data : null;
    expect(() => compatibleStart({ ...(start as NonNullable<typeof start>), machineVersion: '0123456789abcdef' })).toThrow(AutopackError);
  });
});

describe('a log written by the machines before approval gates', () => {
  it('is one this version has a migration for, which leaves every phase without a gate', () => {
    expect(BEFORE_GATES.machineVersion).not.toBe(machineVersion());
    expect(Object.keys(MACHINE_MIGRATIONS)).toContain(BEFORE_GATES.machineVersion);
    const start = BEFORE_GATES.events[0]?.type === 'run.started' ? BEFORE_GATES.events[0].data : null;
    expect(start === null ? null : compatibleStart(start).options).toMatchObject({ approveAll: false, stuckAfter: 0, baseline: true });
  });

  it('replays and resumes to the end with the rules it began with', async () => {
    const { repo, store, runId } = await restored(BEFORE_GATES);
    await verifyRun(store, runId);
    const executor = new PhaseExecutor({
      llmClient: new ScriptedLLMClient([{ content: answer('add a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) }]),
      repoRoot: repo,
      eventStore: store,
    });
    const result = await executor.resume(runId);
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(result.phase_results[0]).toMatchObject({ success: true, retry_count: 2 });
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n', 'a.txt': 'A\n' });
    expect(toTypes(await store.read(runId))).not.toContain('approval.requested');
    await verifyRun(store, runId);
    await executor.close();
    store.close();
  });
});

const toTypes = (events: readonly StoredRunEvent[]) => events.map((e) => e.type);

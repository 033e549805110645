import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PhaseExecutor,
  ScriptedLLMClient,
  createSqliteEventStore,
  foldRunState,
  toOrchestrationResult,
  type EventStore,
  type HealthCheckSpec,
} from '../../src/index.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';
import { logOf } from '../support/executorLog.js';

const tempDir = useTempDirs();
const fastBackoff = { initialMs: 1, maxMs: 5, multiplier: 2 };
const writeA = { content: answer('add a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) };

function setup(healthChecks: HealthCheckSpec[], answers: { content: string }[], eventStore?: EventStore) {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n' });
  const llm = new ScriptedLLMClient(answers);
  const executor = new PhaseExecutor({ llmClient: llm, repoRoot: repo, healthChecks, backoff: fastBackoff, ...(eventStore === undefined ? {} : { eventStore }) });
  return { repo, llm, executor };
}

async function verified(executor: PhaseExecutor, runId: string) {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return toOrchestrationResult(await verifyRun(store, runId));
  } finally {
    store.close();
  }
}

function run(executor: PhaseExecutor, options: { maxRetries?: number; baseline?: boolean; stuckAfter?: number } = {}) {
  const { maxRetries = 0, ...gates } = options;
  return executor.runPlan({ phases: [spec('one', ['a.txt'])], maxRetries, enableHealthChecks: true, stopOnFailure: true, ...gates });
}

describe('the baseline: health checks before the first phase (real runs, real checks)', () => {
  const markerCheck = { name: 'marker present', command: 'test -f marker' };

  it('never excuses a check marked baseline: false (one that tests what the run builds): the baseline skips it and a phase that fails it fails', async () => {
    const builds = { name: 'b built', command: 'test -f b.txt', baseline: false };
    const { repo, executor } = setup([builds, markerCheck], [writeA]);
    const result = await run(executor);
    expect(result.status).toBe('failed');
    expect(result.baseline?.checks.map((c) => c.name)).toEqual(['marker present']);
    expect(result.phase_results[0]).toMatchObject({ success: false, pre_existing: ['marker present'] });
    expect(result.phase_results[0]?.errors.join('\n')).toContain('b built');
    expect(readTree(repo)['a.txt']).toBeUndefined();
    await executor.close();
  });

  it('does not fail a phase for a check that already failed before the run, and lists it as pre-existing', async () => {
    const { repo, executor } = setup([markerCheck], [writeA]);
    const result = await run(executor);
    expect(result.status).toBe('succeeded');
    expect(result.phase_results[0]).toMatchObject({ success: true, errors: [], pre_existing: ['marker present'] });
    expect(result.baseline).toMatchObject({ pre_existing: ['marker present'], errors: [], checks: [{ name: 'marker present', passed: false, exit_code: 1 }] });
    expect(result.health_check_results[0]?.checks.map((c) => [c.name, c.passed])).toEqual([['deliverables', true], ['marker present', false]]);
    expect(readTree(repo)['a.txt']).toBe('A\n');

    const log = await logOf(executor, result.run_id);
    expect(log.filter((e) => e.type === 'baseline.checked')).toHaveLength(1);
    // The baseline is logged between the run's start and its first phase.
    expect(log.slice(0, 4).map((e) => [e.type, e.source, e.target])).toEqual([
      ['run.started', null, 'starting'],
      ['run.begun', 'starting', 'checking_baseline'],
      ['baseline.checked', 'checking_baseline', 'running_phase'],
      ['phase.started', null, 'prompting'],
    ]);
    expect(log.find((e) => e.type === 'health.checked')?.data).toMatchObject({ preExisting: ['marker present'] });
    // A pure fold of the log, and the machines re-run over it, give the same result.
    expect(toOrchestrationResult(foldRunState(log))).toEqual(result);
    expect(await verified(executor, result.run_id)).toEqual(result);
    await executor.close();
  });

  it('fails a phase for a check that passed before the run and fails after it', async () => {
    const { repo, executor } = setup([{ name: 'no a.txt', command: 'test ! -f a.txt' }], [writeA]);
    const result = await run(executor);
    expect(result.status).toBe('failed');
    expect(result.baseline).toMatchObject({ pre_existing: [], checks: [{ name: 'no a.txt', passed: true }] });
    expect(result.phase_results[0]?.pre_existing).toEqual([]);
    expect(result.phase_results[0]?.errors.join('\n')).toMatch(/attempt 1: health check "no a.txt" exited with code 1/);
    expect(readTree(repo)['a.txt']).toBeUndefined();
    await executor.close();
  });

  it('with baseline: false, a check failing before the run fails the phase', async () => {
    const { executor } = setup([markerCheck], [writeA]);
    const result = await run(executor, { baseline: false });
    expect(result.status).toBe('failed');
    expect(result.baseline).toBeNull();
    expect(result.phase_results[0]?.errors.join('\n')).toMatch(/health check "marker present" exited with code 1/);
    const log = await logOf(executor, result.run_id);
    expect(log.map((e) => e.type)).not.toContain('baseline.checked');
    expect(log[0]?.data).toMatchObject({ options: { baseline: false } });
    await executor.close();
  });

  it('is not taken again when a run that crashed after it resumes', async () => {
    const counter = path.join(tempDir(), 'baseline-runs');
    const countingCheck = { name: 'marker present', command: `echo run >> '${counter}'; test -f marker` };
    const lines = () => fs.readFileSync(counter, 'utf8').split('\n').filter((l) => l !== '').length;

    // A process that dies at its first append after the baseline's outcome is in the log.
    const dbPath = path.join(tempDir(), 'log.db');
    const sqlite = createSqliteEventStore(dbPath);
    let baselineLogged = false;
    const dying: EventStore = {
      ...sqlite,
      async append(stream, events, options) {
        if (baselineLogged) throw new Error('simulated crash');
        const stored = await sqlite.append(stream, events, options);
        baselineLogged ||= events.some((e) => e.type === 'baseline.checked');
        return stored;
      },
    };
    const { repo, executor } = setup([countingCheck], [writeA], dying);
    let runId = '';
    await expect(
      executor.runPlan({ phases: [spec('one', ['a.txt'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true, onRunStarted: (id) => (runId = id) }),
    ).rejects.toThrow('simulated crash');
    await executor.close();
    expect(lines()).toBe(1);
    expect(readTree(repo)['a.txt']).toBeUndefined();

    const resumer = new PhaseExecutor({ llmClient: new ScriptedLLMClient([writeA]), repoRoot: repo, eventStore: sqlite, backoff: fastBackoff });
    const result = await resumer.resume(runId);
    expect(result.status).toBe('succeeded');
    expect(result.phase_results[0]).toMatchObject({ success: true, pre_existing: ['marker present'] });
    // Once for the baseline, once for the phase's checks: the baseline came from the log.
    expect(lines()).toBe(2);
    const log = await sqlite.read(runId);
    expect(log.filter((e) => e.type === 'baseline.checked')).toHaveLength(1);
    expect(log.filter((e) => e.type === 'health.checked')).toHaveLength(1);
    await resumer.close();
    sqlite.close();
  });
});

describe('stuck phases (real runs)', () => {
  const escape = { content: answer('escape', [{ path: '../outside.txt', mode: 'create', new_content: 'x' }]) };

  it('stops a phase whose attempts fail the same way, with retries left, and says so', async () => {
    const { llm, executor } = setup([], [escape, escape, escape, writeA]);
    const result = await run(executor, { maxRetries: 3 });
    expect(llm.requests).toHaveLength(2);
    const phase = result.phase_results[0];
    expect(phase).toMatchObject({ success: false, retry_count: 1 });
    expect(phase?.errors.at(-1)).toMatch(/^attempt 2: stuck: attempts 1 and 2 failed the same way \(CHANGES_INVALID: .*outside\.txt.*\); stopped with 2 retries left$/);
    const log = await logOf(executor, result.run_id);
    expect(log.find((e) => e.type === 'changes.rejected' && e.target === 'failed')?.data).toMatchObject({ stuck: { attempts: [1, 2], code: 'CHANGES_INVALID', retriesLeft: 2 } });
    expect(await verified(executor, result.run_id)).toEqual(result);
    await executor.close();
  });

  it('retries on with stuckAfter 0, and when the failures differ', async () => {
    const off = setup([], [escape, escape, writeA]);
    expect((await run(off.executor, { maxRetries: 3, stuckAfter: 0 })).phase_results[0]).toMatchObject({ success: true, retry_count: 2 });
    await off.executor.close();

    const other = { content: answer('escape elsewhere', [{ path: '../elsewhere.txt', mode: 'create', new_content: 'x' }]) };
    const differing = setup([], [escape, other, escape, writeA]);
    expect((await run(differing.executor, { maxRetries: 3 })).phase_results[0]).toMatchObject({ success: true, retry_count: 3 });
    await differing.executor.close();
  });
});

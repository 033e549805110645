import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PhaseExecutor,
  PhaseOrchestrator,
  ScriptedLLMClient,
  createSqliteEventStore,
  foldRunState,
  toOrchestrationResult,
  type StoredRunEvent,
} from '../../src/index.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const fastBackoff = { initialMs: 1, maxMs: 5, multiplier: 2 };

function setup(steps: ConstructorParameters<typeof ScriptedLLMClient>[0], healthChecks: { name: string; command: string }[] = []) {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n', 'src/keep.txt': 'keep\n' });
  const llm = new ScriptedLLMClient(steps);
  const executor = new PhaseExecutor({ llmClient: llm, repoRoot: repo, healthChecks, backoff: fastBackoff });
  return { repo, llm, executor };
}

async function replayed(executor: PhaseExecutor, runId: string) {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return toOrchestrationResult(foldRunState((await store.read(runId))));
  } finally {
    store.close();
  }
}

describe('PhaseOrchestrator.runPhases', () => {
  it('runs phases in order, writes their files, and returns exactly the fold of the log', async () => {
    const { repo, executor } = setup(
      [
        { content: answer('add a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) },
        { content: '```json\n' + answer('edit readme', [{ path: 'README.md', mode: 'modify', new_content: '# demo\n\nmore\n' }]) + '\n```' },
      ],
      [{ name: 'a exists', command: 'test -f a.txt' }],
    );
    const result = await new PhaseOrchestrator({ executor }).runPhases([spec('one', ['a.txt']), spec('two', ['README.md'])]);
    expect(result).toMatchObject({ total_phases: 2, successful_phases: 2, failed_phases: 0 });
    expect(result.phase_results.map((p) => [p.phase_id, p.success, p.files_changed, p.retry_count])).toEqual([
      ['one', true, ['a.txt'], 0],
      ['two', true, ['README.md'], 0],
    ]);
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n\nmore\n', 'a.txt': 'A\n', 'src/keep.txt': 'keep\n' });
    expect(result.health_check_results[0]?.checks.map((c) => [c.name, c.passed])).toEqual([['deliverables', true], ['a exists', true]]);
    expect(result.phase_results[0]?.token_usage).toBeGreaterThan(0);
    expect(await replayed(executor, result.run_id)).toEqual(result);
    executor.close();
  });

  it('feeds a validation failure back to the model and succeeds on the retry', async () => {
    const { repo, llm, executor } = setup([
      { content: answer('bad', [{ path: '.git/config', mode: 'create', new_content: 'x' }]), usage: { promptTokens: 100, completionTokens: 10 } },
      { content: answer('good', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]), usage: { promptTokens: 120, completionTokens: 12 } },
    ]);
    const result = await new PhaseOrchestrator({ executor, maxRetries: 2 }).runPhases([spec('one', ['a.txt'])]);
    const phase = result.phase_results[0];
    expect(phase).toMatchObject({ success: true, retry_count: 1, token_usage: 242, summary: 'good', errors: [] });
    expect(llm.requests).toHaveLength(2);
    const secondPrompt = llm.requests[1]?.messages.map((m) => m.content).join('\n') ?? '';
    expect(secondPrompt).toContain('.git/config');
    expect(readTree(repo)['a.txt']).toBe('A\n');
    executor.close();
  });

  it('rolls back a change whose health check fails, and leaves the repository as it was when the phase fails', async () => {
    const { repo, llm, executor } = setup(
      [
        { content: answer('v1', [{ path: 'a.txt', mode: 'create', new_content: 'bad\n' }, { path: 'README.md', mode: 'modify', new_content: 'changed\n' }]) },
        { content: answer('v2', [{ path: 'a.txt', mode: 'create', new_content: 'still bad\n' }, { path: 'src/keep.txt', mode: 'delete' }]) },
      ],
      [{ name: 'a says ok', command: 'grep -q ok a.txt || { echo "a.txt does not say ok" >&2; exit 7; }' }],
    );
    const before = readTree(repo);
    // Without a baseline: the check fails before the run too (no a.txt yet), and would be excused.
    const result = await new PhaseOrchestrator({ executor, maxRetries: 1, baseline: false }).runPhases([spec('one', ['a.txt'])]);
    const phase = result.phase_results[0];
    expect(phase?.success).toBe(false);
    expect(phase?.retry_count).toBe(1);
    expect(phase?.files_changed).toEqual([]);
    expect(phase?.errors.join('\n')).toMatch(/attempt 1: health check "a says ok" exited with code 7/);
    expect(phase?.errors.join('\n')).toContain('a.txt does not say ok');
    expect(llm.requests[1]?.messages.map((m) => m.content).join('\n')).toContain('a.txt does not say ok');
    expect(readTree(repo)).toEqual(before);
    expect(await replayed(executor, result.run_id)).toEqual(result);
    executor.close();
  });

  it('stops at the first failed phase by default and counts phases not run in neither total', async () => {
    const { executor } = setup([
      { content: answer('ok', [{ path: 'a.txt', mode: 'create', new_content: 'A' }]) },
      { content: 'I cannot do that.' },
    ]);
    const phases = [spec('one', ['a.txt']), spec('two', ['b.txt']), spec('three', ['c.txt'])];
    const result = await new PhaseOrchestrator({ executor, maxRetries: 0 }).runPhases(phases);
    expect(result).toMatchObject({ total_phases: 3, successful_phases: 1, failed_phases: 1 });
    expect(result.phase_results.map((p) => p.phase_id)).toEqual(['one', 'two']);
    expect(result.phase_results[1]?.errors[0]).toMatch(/^attempt 1: /);
    executor.close();
  });

  it('with stopOnFailure false runs every phase', async () => {
    const { executor } = setup([
      { content: 'nope' },
      { content: answer('ok', [{ path: 'b.txt', mode: 'create', new_content: 'B' }]) },
    ]);
    const result = await new PhaseOrchestrator({ executor, maxRetries: 0 }).runPhases([spec('one', ['a.txt']), spec('two', ['b.txt'])], { stopOnFailure: false });
    expect(result).toMatchObject({ total_phases: 2, successful_phases: 1, failed_phases: 1 });
    executor.close();
  });

  it('fails a phase whose deliverable is missing, naming it and a same-named file written elsewhere', async () => {
    const { repo, executor } = setup([{ content: answer('wrong place', [{ path: 'lib/a.txt', mode: 'create', new_content: 'A' }]) }]);
    const result = await new PhaseOrchestrator({ executor, maxRetries: 0 }).runPhases([spec('one', ['src/a.txt'])]);
    const errors = result.phase_results[0]?.errors.join('\n') ?? '';
    expect(errors).toContain('src/a.txt');
    expect(errors).toContain('lib/a.txt');
    expect(readTree(repo)['lib/a.txt']).toBeUndefined();
    executor.close();
  });

  it('says so when the model output was truncated', async () => {
    const { executor } = setup([{ content: '{"summary": "half', finishReason: 'length' }]);
    const result = await executor.executePhase(spec('one', ['a.txt']), []);
    expect(result.success).toBe(false);
    expect(result.errors.join('\n')).toMatch(/truncat|cut off|output-token limit/i);
    executor.close();
  });

  it('publishes every appended event live, in log order', async () => {
    const { executor } = setup([{ content: answer('ok', [{ path: 'a.txt', mode: 'create', new_content: 'A' }]) }]);
    const seen: StoredRunEvent[] = [];
    const subscription = executor.events$.subscribe((e) => seen.push(e));
    const result = await executor.executePhase(spec('one', ['a.txt']));
    subscription.unsubscribe();
    const store = createSqliteEventStore(executor.dbPath, { readonly: true });
    expect(seen.map((e) => e.seq)).toEqual((await store.read(result.run_id)).map((e) => e.seq));
    expect(seen.map((e) => e.type)).toEqual([
      'run.started', 'run.begun', 'phase.started', 'llm.attempted', 'llm.completed', 'response.parsed', 'changes.validated', 'changes.prepared',
      'changes.applied', 'health.checked', 'phase.committed', 'phase.finished',
    ]);
    store.close();
    executor.close();
  });

  it('executePhase returns the reference PhaseResult plus run_id, with the db in .autonomous_runs by default', async () => {
    const { repo, executor } = setup([{ content: answer('ok', [{ path: 'a.txt', mode: 'create', new_content: 'A' }]) }]);
    const result = await executor.executePhase(spec('one', ['a.txt']));
    expect(Object.keys(result).sort()).toEqual(['commit', 'duration', 'errors', 'files_changed', 'phase_id', 'pre_existing', 'retry_count', 'run_id', 'success', 'summary', 'token_usage']);
    expect(executor.dbPath).toBe(path.join(repo, '.autonomous_runs', 'autopack.db'));
    expect(result.run_id).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{6}$/);
    executor.close();
  });

  it('interrupts a run through its signal: logged as run.interrupted, no phase failed, nothing retried', async () => {
    const repo = tempDir();
    const controller = new AbortController();
    const slowClient = {
      calls: 0,
      complete(request: { signal?: AbortSignal }) {
        this.calls += 1;
        setTimeout(() => controller.abort(), 20);
        return new Promise<never>((_, reject) => {
          request.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        });
      },
    };
    const executor = new PhaseExecutor({ llmClient: slowClient, repoRoot: repo, backoff: fastBackoff });
    const result = await new PhaseOrchestrator({ executor, maxRetries: 3 }).runPhases([spec('one', ['a.txt']), spec('two', ['b.txt'])], { signal: controller.signal });
    expect(slowClient.calls).toBe(1);
    expect(result).toMatchObject({ total_phases: 2, successful_phases: 0, failed_phases: 0, status: 'interrupted', stop_reason: 'cancelled' });
    const store = createSqliteEventStore(executor.dbPath, { readonly: true });
    const events = (await store.read(result.run_id));
    expect(events.at(-1)).toMatchObject({ type: 'run.interrupted', source: 'running_phase', data: { reason: 'signal', phaseIndex: 0 } });
    expect(events.map((e) => e.type)).not.toContain('llm.failed');
    const state = foldRunState(events);
    expect(state.phases[0]).toMatchObject({ status: 'running', machineState: 'prompting' });
    store.close();
    executor.close();
  });
});

import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AutopackError, PhaseExecutor, ScriptedLLMClient, createSqliteEventStore, foldRunState, type EventStore } from '../../src/index.js';
import { listRunStreams } from '../../src/store/decisions.js';
import { useTestSchema } from '../support/postgresSchema.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { readDecisions } from '../../src/store/decisions.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';
import { logOf } from '../support/executorLog.js';

const tempDir = useTempDirs();
const fastBackoff = { initialMs: 1, maxMs: 5, multiplier: 2 };
const greet = (text: string) => ({ content: answer(`greet ${text}`, [{ path: 'greet.txt', mode: 'modify', new_content: `${text}\n` }]) });

function setup(answers: { content: string }[], eventStore?: EventStore) {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n', 'greet.txt': 'hello\n' });
  const llm = new ScriptedLLMClient(answers);
  const executor = new PhaseExecutor({ llmClient: llm, repoRoot: repo, backoff: fastBackoff, ...(eventStore === undefined ? {} : { eventStore }) });
  return { repo, llm, executor };
}

const plan = (extra: { requireApproval?: boolean; waitForApproval?: boolean; maxRetries?: number; stuckAfter?: number } = {}) => ({
  phases: [spec('greet', ['greet.txt'])],
  maxRetries: extra.maxRetries ?? 2,
  enableHealthChecks: true,
  stopOnFailure: true,
  requireApproval: extra.requireApproval ?? true,
  ...(extra.waitForApproval === undefined ? {} : { waitForApproval: extra.waitForApproval }),
  ...(extra.stuckAfter === undefined ? {} : { stuckAfter: extra.stuckAfter }),
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return error instanceof AutopackError ? error.code : String(error);
  }
  return 'resolved';
}

describe('approval gates (real runs, real SQLite log)', () => {
  it('stops before writing, logs the diff, feeds a rejection back, and applies only what was approved, without asking the model twice', async () => {
    const { repo, llm, executor } = setup([greet('hi'), greet('hello, world')]);
    const first = await executor.runPlan(plan({ waitForApproval: false }));
    expect(first.status).toBe('awaiting_approval');
    expect(readTree(repo)['greet.txt']).toBe('hello\n');
    let log = await logOf(executor, first.run_id);
    const requested = log.find((e) => e.type === 'approval.requested');
    expect(requested?.type === 'approval.requested' && requested.data.files).toEqual([
      {
        kind: 'text',
        path: 'greet.txt',
        status: 'modified',
        minimal: true,
        hunks: [{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: [{ op: '-', text: 'hello' }, { op: '+', text: 'hi' }] }],
      },
    ]);
    expect(log.at(-1)).toMatchObject({ type: 'run.interrupted', data: { reason: 'approval' } });
    expect(foldRunState(log).phases[0]?.machineState).toBe('awaiting_approval');

    await executor.reject(first.run_id, 'say hello to the world', { by: 'ana' });
    const second = await executor.resume(first.run_id, { waitForApproval: false });
    expect(second.status).toBe('awaiting_approval');
    expect(llm.requests).toHaveLength(2);
    const retryPrompt = llm.requests[1]?.messages.map((m) => m.content).join('\n') ?? '';
    expect(retryPrompt).toContain('a reviewer (ana) rejected these changes: say hello to the world');
    expect(readTree(repo)['greet.txt']).toBe('hello\n');

    const decided = await executor.approve(first.run_id, { by: 'ben' });
    expect(decided).toMatchObject({ phaseId: 'greet', attempt: 2, driven: false });
    const third = await executor.resume(first.run_id, { waitForApproval: false });
    expect(third.status).toBe('succeeded');
    expect(llm.requests).toHaveLength(2);
    expect(readTree(repo)['greet.txt']).toBe('hello, world\n');

    log = await logOf(executor, first.run_id);
    expect(log.filter((e) => e.type === 'approval.requested').map((e) => e.data.attempt)).toEqual([1, 2]);
    const rejected = log.find((e) => e.type === 'approval.rejected');
    expect(rejected?.type === 'approval.rejected' && !rejected.data.outcome.ok && rejected.data.outcome.error.code).toBe('APPROVAL_REJECTED');
    const granted = log.find((e) => e.type === 'approval.granted');
    expect(granted?.type === 'approval.granted' && granted.data.outcome.ok && granted.data.outcome.value).toMatchObject({ by: 'ben', via: 'api' });
    expect(foldRunState(log).phases[0]?.approval?.decision).toMatchObject({ approved: true, by: 'ben' });
    // The machines reproduce the whole log from its outcomes: the gates are transitions like any other.
    const store = createSqliteEventStore(executor.dbPath, { readonly: true });
    try {
      expect((await verifyRun(store, first.run_id)).status).toBe('succeeded');
    } finally {
      store.close();
    }
    await executor.close();
  });

  it('a running process waits at the gate and goes on once another executor approves', async () => {
    const { repo, executor } = setup([greet('hi')]);
    let runId = '';
    const running = executor.runPlan({ ...plan(), onRunStarted: (id) => (runId = id) });
    const other = new PhaseExecutor({ llmClient: new ScriptedLLMClient([]), repoRoot: repo });
    for (let i = 0; i < 400; i += 1) {
      if (runId !== '' && foldRunState(await logOf(other, runId)).phases[0]?.approval !== null) break;
      await delay(25);
    }
    expect(foldRunState(await logOf(other, runId)).status).toBe('awaiting_approval');
    expect(readTree(repo)['greet.txt']).toBe('hello\n');
    const decided = await other.approve(runId, { by: 'ana', via: 'cli' });
    expect(decided.driven).toBe(true);
    const result = await running;
    expect(result.status).toBe('succeeded');
    expect(readTree(repo)['greet.txt']).toBe('hi\n');
    await other.close();
    await executor.close();
  });

  it('refuses a decision when no phase waits, and a second decision about the same attempt, naming who decided', async () => {
    const { executor } = setup([greet('hi'), greet('hi')]);
    const plain = await executor.runPlan(plan({ requireApproval: false }));
    expect(plain.status).toBe('succeeded');
    expect(await codeOf(executor.approve(plain.run_id))).toBe('APPROVAL_NOT_PENDING');

    const gated = await executor.runPlan(plan({ waitForApproval: false }));
    expect(await codeOf(executor.reject(gated.run_id, '  '))).toBe('INPUT_INVALID');
    expect(await codeOf(executor.approve(gated.run_id, { phaseId: 'nope' }))).toBe('APPROVAL_NOT_PENDING');
    await executor.approve(gated.run_id, { by: 'ana' });
    const again = executor.reject(gated.run_id, 'no', { by: 'ben' });
    await expect(again).rejects.toThrow(/approved already, by ana/);
    const store = createSqliteEventStore(executor.dbPath, { readonly: true });
    try {
      expect((await readDecisions(store, gated.run_id)).decisions.map((d) => d.by)).toEqual(['ana']);
    } finally {
      store.close();
    }
    await executor.close();
  });

  it('gates only the phases whose spec says approval: true', async () => {
    const repo = tempDir();
    writeTree(repo, { 'README.md': '# demo\n' });
    const answers = [
      { content: answer('a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) },
      { content: answer('b', [{ path: 'b.txt', mode: 'create', new_content: 'B\n' }]) },
    ];
    const executor = new PhaseExecutor({ llmClient: new ScriptedLLMClient(answers), repoRoot: repo, backoff: fastBackoff });
    const phases = [spec('a', ['a.txt']), spec('b', ['b.txt'], { approval: true })];
    const result = await executor.runPlan({ phases, maxRetries: 0, enableHealthChecks: true, stopOnFailure: true, waitForApproval: false });
    expect(result.status).toBe('awaiting_approval');
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n', 'a.txt': 'A\n' });
    const state = foldRunState(await logOf(executor, result.run_id));
    expect(state.phases.map((p) => p.machineState)).toEqual(['done', 'awaiting_approval']);
    await executor.close();
  });

  it('counts a rejection as an attempt, and never calls alike rejections stuck: the retries run out instead', async () => {
    const { repo, llm, executor } = setup([greet('a'), greet('b'), greet('c')]);
    let result = await executor.runPlan(plan({ waitForApproval: false, maxRetries: 2, stuckAfter: 2 }));
    for (let round = 0; round < 3; round += 1) {
      expect(result.status).toBe('awaiting_approval');
      await executor.reject(result.run_id, 'not like this');
      result = await executor.resume(result.run_id, { waitForApproval: false });
    }
    expect(result.status).toBe('failed');
    expect(llm.requests).toHaveLength(3);
    const errors = result.phase_results[0]?.errors ?? [];
    expect(errors).toHaveLength(3);
    expect(errors.every((e) => e.includes('rejected these changes: not like this'))).toBe(true);
    expect(errors.join('\n')).not.toContain('STUCK');
    expect(readTree(repo)['greet.txt']).toBe('hello\n');
    await executor.close();
  });
});

describe('a file changed while its proposal waited for approval', () => {
  it('is not overwritten on approval: nothing is written, and the model is asked again against the file as it is now', async () => {
    const { repo, llm, executor } = setup([greet('hi'), greet('hi, edited world')]);
    const first = await executor.runPlan(plan({ waitForApproval: false }));
    expect(first.status).toBe('awaiting_approval');
    // The user edits the file while the run waits.
    writeTree(repo, { 'greet.txt': 'hello, edited\n' });
    await executor.approve(first.run_id);
    const second = await executor.resume(first.run_id, { waitForApproval: false });
    expect(readTree(repo)['greet.txt']).toBe('hello, edited\n');
    expect(second.status).toBe('awaiting_approval');
    expect(llm.requests).toHaveLength(2);
    const retryPrompt = llm.requests[1]?.messages.map((m) => m.content).join('\n') ?? '';
    expect(retryPrompt).toContain('greet.txt changed on disk while the proposal waited for approval');
    expect(retryPrompt).toContain('hello, edited');
    const log = await logOf(executor, first.run_id);
    const request = log.filter((e) => e.type === 'approval.requested').at(-1);
    expect(request?.type === 'approval.requested' && request.data.files[0]).toMatchObject({ kind: 'text', hunks: [{ lines: [{ op: '-', text: 'hello, edited' }, { op: '+', text: 'hi, edited world' }] }] });
    await executor.close();
  });
});

describe('approval gates on PostgreSQL (a real cluster)', () => {
  it('keeps decisions in a stream beside the run that run listings leave out, and of two decisions at once exactly one counts', async () => {
    const db = await useTestSchema();
    const store = await db.open();
    const { repo, executor } = setup([greet('hi'), greet('hello, world')], store);
    const first = await executor.runPlan(plan({ waitForApproval: false }));
    expect(first.status).toBe('awaiting_approval');

    // Two people on two connections decide at once: one append wins, the other is told who decided.
    const deciders = await Promise.all([db.open(), db.open()]).then((stores) =>
      stores.map((eventStore) => new PhaseExecutor({ llmClient: new ScriptedLLMClient([]), repoRoot: repo, eventStore })),
    );
    const [ana, ben] = deciders as [PhaseExecutor, PhaseExecutor];
    const outcomes = await Promise.allSettled([ana.approve(first.run_id, { by: 'ana' }), ben.reject(first.run_id, 'no', { by: 'ben' })]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o) => o.status === 'rejected');
    expect(refused?.status === 'rejected' && (refused.reason as AutopackError).code).toBe('APPROVAL_NOT_PENDING');
    const { decisions } = await readDecisions(store, first.run_id);
    expect(decisions).toHaveLength(1);

    expect((await store.listStreams()).map((s) => s.stream)).toEqual([first.run_id, `decisions/${first.run_id}`]);
    expect((await listRunStreams(store)).map((s) => s.stream)).toEqual([first.run_id]);

    const next = await executor.resume(first.run_id, { waitForApproval: false });
    expect(next.status).toBe(decisions[0]?.approved === true ? 'succeeded' : 'awaiting_approval');
    await Promise.all(deciders.map((d) => d.close()));
  });
});

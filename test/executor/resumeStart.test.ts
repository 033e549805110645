import { describe, expect, it } from 'vitest';
import { AutopackError, PhaseExecutor, ScriptedLLMClient, createMemoryEventStore, type EventStore } from '../../src/index.js';
import { answer, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const PHASES = 4;
const answers = () =>
  Array.from({ length: PHASES }, (_, i) => ({ content: answer(`p${i}`, [{ path: `f${i}.txt`, mode: 'create' as const, new_content: `${i}\n` }]) }));

/** A memory log that stops taking appends after `appends` of them (a process that died), and counts reads of a run's first event. */
function countingStore(inner: EventStore, appends: number) {
  let left = appends;
  const counts = { firstEventReads: 0 };
  const store: EventStore = {
    ...inner,
    async append(stream, events, options) {
      if (left <= 0) throw new Error('simulated crash');
      left -= 1;
      return inner.append(stream, events, options);
    },
    async read(stream, options = {}) {
      if ((options.from ?? 1) <= 1) counts.firstEventReads += 1;
      return inner.read(stream, options);
    },
  };
  return { store, counts, revive: () => (left = Number.POSITIVE_INFINITY) };
}

/** A run that died after its second phase, in a memory log. */
async function crashedRun() {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n' });
  const log = countingStore(createMemoryEventStore(), 12);
  let runId = '';
  const dying = new PhaseExecutor({ llmClient: new ScriptedLLMClient(answers()), repoRoot: repo, eventStore: log.store });
  await expect(
    dying.runPlan({
      phases: Array.from({ length: PHASES }, (_, i) => spec(`p${i}`, [`f${i}.txt`])),
      maxRetries: 0,
      enableHealthChecks: false,
      stopOnFailure: true,
      onRunStarted: (id) => (runId = id),
    }),
  ).rejects.toThrow('simulated crash');
  await dying.close();
  log.revive();
  const served = (await log.store.read(runId)).filter((e) => e.type === 'llm.completed').length;
  log.counts.firstEventReads = 0;
  return { repo, runId, log, rest: answers().slice(served) };
}

describe('PhaseExecutor.resume given the run start its caller read', () => {
  it('does not read the run start again, and resumes as it would have', async () => {
    const { repo, runId, log, rest } = await crashedRun();
    const [first] = await log.store.read(runId, { limit: 1 });
    log.counts.firstEventReads = 0;
    const executor = new PhaseExecutor({ llmClient: new ScriptedLLMClient(rest), repoRoot: repo, eventStore: log.store });
    const result = await executor.resume(runId, { ...(first === undefined ? {} : { first }) });

    expect(result).toMatchObject({ status: 'succeeded', successful_phases: PHASES });
    expect(log.counts.firstEventReads).toBe(0);
  });

  it("refuses a first event that is not this run's", async () => {
    const { repo, runId, log, rest } = await crashedRun();
    const [, second] = await log.store.read(runId, { limit: 2 });
    const executor = new PhaseExecutor({ llmClient: new ScriptedLLMClient(rest), repoRoot: repo, eventStore: log.store });
    const error = await executor.resume(runId, { ...(second === undefined ? {} : { first: second }) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutopackError);
    expect((error as AutopackError).message).toMatch(/options\.first is event 2 of run-/);
  });
});

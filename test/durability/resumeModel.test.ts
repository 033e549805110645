import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PhaseExecutor,
  createSqliteEventStore,
  foldRunState,
  loadPlan,
  toOrchestrationResult,
  type EventStore,
  type LLMClient,
  type LoadedPlan,
  type OrchestrationResult,
} from '../../src/index.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { crashModel, writeScenario } from '../support/crashScenario.js';
import type { ReceivedRequest } from '../support/fakeOpenAIServer.js';
import { readTree } from '../support/repoFixture.js';
import { comparableResult } from '../support/comparableResult.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** The crash scenario's model, in process: the same answer for the same prompt, every time. */
const model: LLMClient = {
  model: 'gpt-4o-mini',
  complete: async (request) => {
    const reply = crashModel({ body: { messages: request.messages } } as unknown as ReceivedRequest);
    return {
      content: reply.content ?? '',
      finishReason: 'stop',
      usage: { promptTokens: reply.usage?.prompt_tokens ?? 0, completionTokens: reply.usage?.completion_tokens ?? 0 },
    };
  },
};

/** A process that dies after `appends` more appends: the next one throws, and nothing after it is written. */
function dyingStore(inner: EventStore, appends: number): EventStore {
  let left = appends;
  return {
    ...inner,
    async append(stream, events, options) {
      if (left <= 0) throw new Error('simulated crash');
      left -= 1;
      return (await inner.append(stream, events, options));
    },
  };
}

interface Real {
  repo: string;
  dbPath: string;
  plan: LoadedPlan;
  runId: string | null;
}
interface Model {
  done: boolean;
}

/** One process lifetime: starts the run or resumes it, and dies after `appends` appends (null: never). */
async function live(real: Real, appends: number | null): Promise<OrchestrationResult | null> {
  const sqlite = createSqliteEventStore(real.dbPath);
  const executor = new PhaseExecutor({
    llmClient: model,
    repoRoot: real.repo,
    healthChecks: real.plan.healthChecks,
    backoff: { initialMs: 1, maxMs: 2, multiplier: 2 },
    eventStore: appends === null ? sqlite : dyingStore(sqlite, appends),
  });
  try {
    if (real.runId === null) {
      const started = executor.runPlan({
        phases: real.plan.phases,
        maxRetries: 3,
        enableHealthChecks: true,
        stopOnFailure: true,
        onRunStarted: (id) => {
          real.runId = id;
        },
      });
      return await started;
    }
    return await executor.resume(real.runId);
  } catch (error) {
    if (!(error instanceof Error) || error.message !== 'simulated crash') throw error;
    return null;
  } finally {
    executor.close();
    sqlite.close();
  }
}

class CrashAfter implements fc.AsyncCommand<Model, Real> {
  constructor(readonly appends: number) {}
  check = (m: Readonly<Model>) => !m.done;
  async run(m: Model, real: Real): Promise<void> {
    const result = await live(real, this.appends);
    if (result !== null) m.done = true;
    if (real.runId === null) return;
    // Whatever was cut off, the log so far is one the machines reproduce.
    const store = createSqliteEventStore(real.dbPath, { readonly: true });
    try {
      // Died before its first event: there is no run to resume, so the next process starts it anew.
      if ((await store.version(real.runId)) === 0) real.runId = null;
      else await verifyRun(store, real.runId);
    } finally {
      store.close();
    }
  }
  toString = () => `CrashAfter(${this.appends})`;
}

class RunToEnd implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => !m.done;
  async run(m: Model, real: Real): Promise<void> {
    const result = await live(real, null);
    expect(result?.status).toBe('succeeded');
    m.done = true;
  }
  toString = () => 'RunToEnd';
}

describe('run / crash / resume, model-based (fc.commands)', () => {
  let baseline: { result: OrchestrationResult; tree: Record<string, string> };

  beforeAll(async () => {
    const dir = tempDir('autopack-model-');
    const { repo, plan } = writeScenario(dir, { git: false });
    const real: Real = { repo, plan: loadPlan(plan), dbPath: path.join(dir, 'log.db'), runId: null };
    const result = await live(real, null);
    if (result === null) throw new Error('the uninterrupted run crashed');
    baseline = { result, tree: readTree(repo) };
  });

  it('any sequence of crashes and resumes ends with the fold of an uninterrupted run', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands([fc.integer({ min: 0, max: 30 }).map((n) => new CrashAfter(n)), fc.constant(new RunToEnd())], { maxCommands: 6 }),
        async (commands) => {
          const dir = tempDir('autopack-model-');
          const { repo, plan } = writeScenario(dir, { git: false });
          const real: Real = { repo, plan: loadPlan(plan), dbPath: path.join(dir, 'log.db'), runId: null };
          const m: Model = { done: false };
          await fc.asyncModelRun(() => ({ model: m, real }), commands);
          if (!m.done) await new RunToEnd().run(m, real);

          const store = createSqliteEventStore(real.dbPath, { readonly: true });
          try {
            const folded = toOrchestrationResult(foldRunState((await store.read(real.runId ?? ''))));
            expect(comparableResult(folded, { ignoreTokens: true })).toEqual(comparableResult(baseline.result, { ignoreTokens: true }));
          } finally {
            store.close();
          }
          expect(readTree(repo)).toEqual(baseline.tree);
          expect(fs.existsSync(path.join(repo, '.autonomous_runs', 'backups'))).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});

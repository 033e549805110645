import { PhaseExecutor, ScriptedLLMClient } from '../../src/index.js';
import type { EventStore } from '../../src/index.js';
import type { RunLeaseOptions } from '../../src/executor/phaseExecutor.js';
import { answer, writeTree } from './repoFixture.js';
import { spec } from './phaseSpecs.js';

export interface GatedRun {
  repo: string;
  dbPath: string;
  runId: string;
  /** The executor that ran it: `resume` continues the run once it is decided; close it at the end. */
  executor: PhaseExecutor;
}

const greet = (text: string) => ({ content: answer(`greet ${text}`, [{ path: 'greet.txt', mode: 'modify', new_content: `${text}\n` }]) });

/**
 * A real run in `repo` stopped at phase greet's approval gate with nothing driving it (it exited there):
 * the model proposes greet.txt `hello` → `hi`; after a rejection, `hello, world`.
 */
export async function runAwaitingApproval(repo: string, where: { eventStore?: EventStore; runId?: string; lease?: RunLeaseOptions } = {}): Promise<GatedRun> {
  writeTree(repo, { 'README.md': '# demo\n', 'greet.txt': 'hello\n' });
  const executor = new PhaseExecutor({
    llmClient: new ScriptedLLMClient([greet('hi'), greet('hello, world')]),
    repoRoot: repo,
    backoff: { initialMs: 1, maxMs: 5, multiplier: 2 },
    ...(where.eventStore === undefined ? {} : { eventStore: where.eventStore }),
  });
  const result = await executor.runPlan({
    phases: [spec('greet', ['greet.txt'])],
    maxRetries: 2,
    enableHealthChecks: true,
    stopOnFailure: true,
    requireApproval: true,
    waitForApproval: false,
    ...(where.runId === undefined ? {} : { runId: where.runId }),
    ...(where.lease === undefined ? {} : { lease: where.lease }),
  });
  if (result.status !== 'awaiting_approval') throw new Error(`the gated run ended ${result.status}`);
  return { repo, dbPath: executor.dbPath, runId: result.run_id, executor };
}

import fs from 'node:fs';
import path from 'node:path';
import { PhaseExecutor, ReplayLLMClient, loadPlan } from '../../src/index.js';
import { projectRoot } from './runCli.js';

/**
 * The greeter example run to the end in `dir` (replayed offline): a retried phase and a clean one. With
 * `failingCheck`, the run also has a health check of that name that fails before the run and after every
 * phase: the baseline excuses it, so the run still succeeds, and its views show a pre-existing failure.
 */
export async function finishedExampleRun(dir: string, { failingCheck }: { failingCheck?: string } = {}): Promise<{ repo: string; dbPath: string; runId: string }> {
  const example = path.join(projectRoot, 'examples', 'greeter');
  const repo = path.join(dir, 'repo');
  fs.cpSync(path.join(example, 'repo'), repo, { recursive: true });
  const plan = loadPlan(path.join(example, 'plan.yaml'));
  const executor = new PhaseExecutor({
    llmClient: ReplayLLMClient.fromFile(path.join(example, 'recording.jsonl')),
    repoRoot: repo,
    healthChecks: [...plan.healthChecks, ...(failingCheck === undefined ? [] : [{ name: failingCheck, command: 'exit 1' }])],
    backoff: { initialMs: 1, maxMs: 2, multiplier: 2 },
  });
  const result = await executor.runPlan({ phases: plan.phases, maxRetries: 3, enableHealthChecks: true, stopOnFailure: true });
  executor.close();
  if (result.status !== 'succeeded') throw new Error(`the example run ended ${result.status}`);
  return { repo, dbPath: executor.dbPath, runId: result.run_id };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PhaseExecutor,
  PhaseOrchestrator,
  createSqliteEventStore,
  toOrchestrationResult,
  type LLMClient,
  type LLMRequest,
  type PhaseSpec,
} from '../../src/index.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { ATTEMPT_OUTCOMES, type AttemptOutcome } from '../support/phaseDriver.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/**
 * A model whose every answer is chosen by the test: each outcome kind is produced the way a real model
 * would cause it, and the real parser, validator, apply step and health check judge it.
 */
class OutcomeModel implements LLMClient {
  calls = 0;
  private readonly script: AttemptOutcome[];
  constructor(script: AttemptOutcome[]) {
    this.script = [...script];
  }
  async complete(_request: LLMRequest) {
    this.calls += 1;
    const outcome = this.script.shift() ?? 'success';
    const usage = { promptTokens: 10 * this.calls, completionTokens: this.calls };
    switch (outcome) {
      case 'llm_error':
        throw new Error('upstream 503');
      case 'unparseable':
        return { content: 'Sorry, I cannot help with that.', finishReason: 'stop', usage };
      case 'invalid':
        return { content: answer('escape', [{ path: '../outside.txt', mode: 'create', new_content: 'x' }]), finishReason: 'stop', usage };
      case 'apply_error':
        // Valid by every rule, but the parent "file.txt" is a regular file, so writing fails on disk.
        return { content: answer('nested', [{ path: 'out.txt', mode: 'create', new_content: 'ok' }, { path: 'file.txt/child.txt', mode: 'create', new_content: 'x' }]), finishReason: 'stop', usage };
      case 'health_fail':
        return { content: answer('wrong', [{ path: 'out.txt', mode: 'create', new_content: 'wrong' }]), finishReason: 'stop', usage };
      // A rejection is a person's answer at an approval gate, not the model's: these runs have no gate.
      case 'rejected':
      case 'success':
        return { content: answer('right', [{ path: 'out.txt', mode: 'create', new_content: 'ok' }]), finishReason: 'stop', usage };
    }
  }
}

const spec = (index: number): PhaseSpec => ({
  id: `p${index}`,
  description: `phase ${index}`,
  category: 'feature',
  complexity: 'low',
  acceptance_criteria: ['out.txt says ok'],
  deliverables: ['out.txt'],
});

describe('live run vs replayed log (property, real SQLite, real files, real health checks)', () => {
  it('counts, tokens and status follow from the outcomes alone, and the machines re-run over the log reproduce it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        fc.array(fc.array(fc.constantFrom<AttemptOutcome>(...ATTEMPT_OUTCOMES), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        async (maxRetries, stopOnFailure, perPhase) => {
          const repo = tempDir();
          writeTree(repo, { 'file.txt': 'a file, not a directory\n' });
          // Which phases succeed, and after how many attempts, follows from the outcomes alone; the model
          // is scripted with exactly the answers those attempts consume.
          const expected: { success: boolean; attempts: number }[] = [];
          for (const outcomes of perPhase) {
            const allowed = outcomes.slice(0, maxRetries + 1);
            const first = allowed.indexOf('success');
            expected.push({ success: first >= 0, attempts: first >= 0 ? first + 1 : allowed.length });
            if (first < 0 && stopOnFailure) break;
          }
          const model = new OutcomeModel(perPhase.flatMap((outcomes, i) => outcomes.slice(0, expected[i]?.attempts ?? 0)));
          const executor = new PhaseExecutor({
            llmClient: model,
            repoRoot: repo,
            backoff: { initialMs: 0, maxMs: 0, multiplier: 2 },
            healthChecks: [{ name: 'says ok', command: 'grep -qx ok out.txt' }],
          });
          const phases = perPhase.map((_, i) => spec(i));
          // Attempts here follow from the outcomes alone: no stuck detection (identical answers fail alike), and no
          // baseline (the check fails before the run, out.txt not being there yet); test/executor/gates.test.ts has both.
          const result = await new PhaseOrchestrator({ executor, maxRetries, stuckAfter: 0, baseline: false }).runPhases(phases, { stopOnFailure });
          expect(result.phase_results.map((p) => ({ success: p.success, attempts: p.retry_count + 1 }))).toEqual(expected);
          expect(result.total_phases).toBe(phases.length);
          expect(result.successful_phases + result.failed_phases).toBe(result.phase_results.length);
          expect(result.successful_phases).toBe(expected.filter((e) => e.success).length);
          expect(model.calls).toBe(expected.reduce((n, e) => n + e.attempts, 0));
          for (const phase of result.phase_results) expect(phase.retry_count).toBeLessThanOrEqual(maxRetries);

          const tree = readTree(repo);
          expect(tree['file.txt']).toBe('a file, not a directory\n');
          expect(tree['out.txt']).toBe(expected.some((e) => e.success) ? 'ok' : undefined);

          // Tokens, from the script alone: call k reports 11k tokens, unless it failed before answering.
          const script = perPhase.flatMap((outcomes, i) => outcomes.slice(0, expected[i]?.attempts ?? 0));
          const tokens = script.reduce((sum, outcome, k) => sum + (outcome === 'llm_error' ? 0 : 11 * (k + 1)), 0);
          expect(result.total_tokens).toBe(tokens);
          expect(result.status).toBe(expected.every((e) => e.success) ? 'succeeded' : 'failed');

          // The machines, re-run over the log with no effect, reproduce every logged transition, and the
          // state they end in is the one computed above from the outcomes alone.
          const store = createSqliteEventStore(executor.dbPath, { readonly: true });
          try {
            const replayed = toOrchestrationResult(await verifyRun(store, result.run_id));
            expect(replayed.phase_results.map((p) => ({ success: p.success, attempts: p.retry_count + 1 }))).toEqual(expected);
            expect(replayed.total_tokens).toBe(tokens);
          } finally {
            store.close();
            executor.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});

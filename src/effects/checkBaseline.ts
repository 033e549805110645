import type { CheckBaselineInput, CheckBaselineOutput } from '../machines/effectContracts.js';
import { runCommandChecks } from '../health/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/**
 * The run's command checks, as the repository stands before the first phase: the same runner as a
 * phase's checks, one at a time in order. There is no deliverables check: nothing is delivered yet.
 */
export function fromCheckBaseline(deps: EffectRuntime & { repoRoot: string }) {
  return fromEffect<CheckBaselineInput, CheckBaselineOutput>(deps, {
    name: 'checkBaseline',
    failureCode: 'HEALTH_CHECK_FAILED',
    retryable: false,
    cancellable: true,
    run: async (input, signal) => ({ results: await runCommandChecks(input.checks, { cwd: deps.repoRoot, signal }) }),
  });
}

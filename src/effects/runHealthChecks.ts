import type { RunHealthChecksInput, RunHealthChecksOutput } from '../machines/effectContracts.js';
import type { HealthCheckResult } from '../model/results.js';
import { checkDeliverables, runCommandChecks } from '../health/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** The deliverables check always runs first; command checks run one at a time, in the order given. */
export function fromRunHealthChecks(deps: EffectRuntime & { repoRoot: string }) {
  return fromEffect<RunHealthChecksInput, RunHealthChecksOutput>(deps, {
    name: 'runHealthChecks',
    failureCode: 'HEALTH_CHECK_FAILED',
    retryable: true,
    cancellable: true,
    run: async (input, signal) => {
      const results: HealthCheckResult[] = [
        checkDeliverables({ repoRoot: deps.repoRoot, deliverables: input.deliverables, writtenPaths: input.writtenPaths }),
        ...(await runCommandChecks(input.checks, { cwd: deps.repoRoot, signal })),
      ];
      return { passed: results.every((r) => r.passed), results };
    },
  });
}

import type { OrchestrationResult } from '../../src/index.js';

/**
 * A result without what differs between any two runs of the same plan: ids, commit shas and wall-clock durations
 * (of the phases and of every check, the baseline's included);
 * with `ignoreTokens`, also tokens and cost, which count a model call made again after a crash twice.
 */
export function comparableResult(result: OrchestrationResult, options: { ignoreTokens?: boolean } = {}) {
  const { run_id: _r, total_duration: _d, phase_results, health_check_results, baseline, ...rest } = result;
  const tokens = options.ignoreTokens === true ? { total_tokens: 0, total_cost_usd: 0 } : {};
  return {
    ...rest,
    ...tokens,
    phase_results: phase_results.map(({ run_id: _pr, duration: _pd, commit: _c, ...p }) => ({ ...p, ...(options.ignoreTokens === true ? { token_usage: 0 } : {}) })),
    health_check_results: health_check_results.map((h) => ({ ...h, checks: h.checks.map(({ duration: _cd, ...c }) => c) })),
    baseline: baseline === null ? null : { ...baseline, checks: baseline.checks.map(({ duration: _bd, ...c }) => c) },
  };
}

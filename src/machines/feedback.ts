import type { HealthCheckResult } from '../model/results.js';

const FEEDBACK_TAIL_CHARS = 1_500;

/**
 * The errors of a failed health-check round, written so the model can correct itself on the next
 * attempt: which check, its exit code, and the end of its output (where compilers and test runners
 * put the summary).
 */
export function healthCheckErrors(results: readonly HealthCheckResult[]): string[] {
  return results
    .filter((result) => !result.passed)
    .map((result) => {
      const status = result.timed_out
        ? 'timed out'
        : result.exit_code === null
          ? 'failed'
          : `exited with code ${result.exit_code}`;
      const tail = result.output_tail.trim().slice(-FEEDBACK_TAIL_CHARS);
      return tail.length > 0
        ? `health check "${result.name}" ${status}:\n${tail}`
        : `health check "${result.name}" ${status} with no output`;
    });
}

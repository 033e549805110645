import type { HealthCheckResult } from '../model/results.js';
import type { StuckVerdict } from './effectContracts.js';

const FEEDBACK_TAIL_CHARS = 1_500;
const STUCK_ERROR_CHARS = 200;

/** The built-in check that every deliverable exists: never excused as pre-existing, since it checks the phase's own work. */
export const DELIVERABLES_CHECK = 'deliverables';

/**
 * The failed checks of a round that already failed before the run (`preExisting`, the baseline's): their
 * failure is not the phase's doing, so it does not fail the phase.
 */
export function excusedFailures(results: readonly HealthCheckResult[], preExisting: readonly string[]): string[] {
  return results.filter((r) => !r.passed && r.name !== DELIVERABLES_CHECK && preExisting.includes(r.name)).map((r) => r.name);
}

/** Whether a round of checks fails the phase: some check failed that was not excused. */
export function checksFailed(results: readonly HealthCheckResult[], excused: readonly string[]): boolean {
  return results.some((r) => !r.passed && !excused.includes(r.name));
}

/**
 * The errors of a failed health-check round, written so the model can correct itself on the next
 * attempt: which check, its exit code, and the end of its output (where compilers and test runners
 * put the summary). Excused checks (failing before the run too) are named as such, without their output.
 */
export function healthCheckErrors(results: readonly HealthCheckResult[], excused: readonly string[] = []): string[] {
  return results
    .filter((result) => !result.passed)
    .map((result) => {
      if (excused.includes(result.name)) return `health check "${result.name}" failed before the run too: pre-existing failure, ignored`;
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

/** What a stuck failure is shown as: its first error on one line, cut short. */
export function stuckExcerpt(errors: readonly string[]): string {
  const line = (errors[0] ?? '').replace(/\s+/g, ' ').trim();
  return line.length > STUCK_ERROR_CHARS ? `${line.slice(0, STUCK_ERROR_CHARS - 1)}…` : line;
}

const listed = (numbers: readonly number[]): string =>
  numbers.length <= 1 ? numbers.join('') : `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`;

/** e.g. "stuck: attempts 2 and 3 failed the same way (CHANGES_INVALID: …); stopped with 1 retry left". */
export function stuckMessage(verdict: StuckVerdict): string {
  const failure = verdict.error === '' ? verdict.code : `${verdict.code}: ${verdict.error}`;
  const left = `${verdict.retriesLeft} retr${verdict.retriesLeft === 1 ? 'y' : 'ies'} left`;
  return `stuck: attempts ${listed(verdict.attempts)} failed the same way (${failure}); stopped with ${left}`;
}

import { z } from 'zod';

export const HealthCheckResultSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  exit_code: z.number().int().nullable(),
  /** seconds */
  duration: z.number().nonnegative(),
  output_tail: z.string(),
  timed_out: z.boolean(),
});
export type HealthCheckResult = z.infer<typeof HealthCheckResultSchema>;

export const PhaseHealthChecksSchema = z.object({
  phase_id: z.string(),
  phase_index: z.number().int().nonnegative(),
  /** The checks of the phase's last attempt that reached health checking. */
  checks: z.array(HealthCheckResultSchema),
});
export type PhaseHealthChecks = z.infer<typeof PhaseHealthChecksSchema>;

export const PhaseResultSchema = z.object({
  success: z.boolean(),
  files_changed: z.array(z.string()),
  summary: z.string(),
  errors: z.array(z.string()),
  token_usage: z.number().int().nonnegative(),
  /** seconds */
  duration: z.number().nonnegative(),
  retry_count: z.number().int().nonnegative(),
  run_id: z.string(),
  phase_id: z.string(),
  /** The phase's commit (git repositories, commits on); null otherwise. */
  commit: z.string().nullable(),
  /** Checks that failed in the phase's last round but failed before the run too (its baseline): ignored. */
  pre_existing: z.array(z.string()),
});
export type PhaseResult = z.infer<typeof PhaseResultSchema>;

/** The health checks as they stood before the run's first phase. */
export const BaselineResultSchema = z.object({
  checks: z.array(HealthCheckResultSchema),
  /** The checks that failed: their failing again fails no phase. */
  pre_existing: z.array(z.string()),
  /** Why the baseline could not be taken (then nothing is excused); empty when it was. */
  errors: z.array(z.string()),
});
export type BaselineResult = z.infer<typeof BaselineResultSchema>;

export const OrchestrationResultSchema = z.object({
  total_phases: z.number().int().nonnegative(),
  successful_phases: z.number().int().nonnegative(),
  failed_phases: z.number().int().nonnegative(),
  phase_results: z.array(PhaseResultSchema),
  /** seconds */
  total_duration: z.number().nonnegative(),
  health_check_results: z.array(PhaseHealthChecksSchema),
  run_id: z.string(),
  /**
   * succeeded | failed | stopped (after a failure) | interrupted (resumable: a signal or a budget) |
   * awaiting_approval (a phase's changes wait for a person: approve or reject, then resume).
   */
  status: z.enum(['empty', 'running', 'awaiting_approval', 'succeeded', 'failed', 'stopped', 'interrupted']),
  /** Why an interrupted run stopped, e.g. which budget it hit. */
  stop_reason: z.string().nullable(),
  /** Every attempt's prompt and completion tokens, failed ones included. */
  total_tokens: z.number().int().nonnegative(),
  /** USD at the price table's rates; null when a model had no known price. */
  total_cost_usd: z.number().nonnegative().nullable(),
  /** The branch holding the run's commits when it ran in a worktree (`--worktree`); null otherwise. */
  branch: z.string().nullable(),
  /** The run's baseline; null when none was taken (`baseline: false`, checks off or none). */
  baseline: BaselineResultSchema.nullable(),
});
export type OrchestrationResult = z.infer<typeof OrchestrationResultSchema>;

export type ValidationResult = [isValid: boolean, errors: string[]];

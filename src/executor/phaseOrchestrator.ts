import { z } from 'zod';
import { DEFAULT_STUCK_AFTER } from '../machines/index.js';
import { AutopackError } from '../model/errors.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { OrchestrationResult } from '../model/results.js';
import { formatZodError } from '../model/formatZodError.js';
import { PhaseExecutor, StuckAfterSchema } from './phaseExecutor.js';

const PhaseOrchestratorOptionsSchema = z.object({
  executor: z.instanceof(PhaseExecutor, { error: 'executor must be a PhaseExecutor' }),
  maxRetries: z.number().int().min(0).max(100).default(3),
  enableHealthChecks: z.boolean().default(true),
  /** Attempts in a row failing the same way that end a phase (STUCK); 0 never. */
  stuckAfter: StuckAfterSchema.default(DEFAULT_STUCK_AFTER),
  /** Take the health checks once before the first phase; a check failing already fails no phase. */
  baseline: z.boolean().default(true),
});
export type PhaseOrchestratorOptions = z.input<typeof PhaseOrchestratorOptionsSchema>;

export interface RunPhasesOptions {
  stopOnFailure?: boolean;
  signal?: AbortSignal;
  onRunStarted?: (runId: string) => void;
  /** Every phase waits for a person's approval before it writes (see RunPlanRequest.requireApproval). */
  requireApproval?: boolean;
  /** At a gate with no decision: wait (default), or return with status `awaiting_approval`. */
  waitForApproval?: boolean;
}

/** Runs phases in order with retries; the result is the fold of the run's event log. */
export class PhaseOrchestrator {
  readonly executor: PhaseExecutor;
  readonly maxRetries: number;
  readonly enableHealthChecks: boolean;
  readonly stuckAfter: number;
  readonly baseline: boolean;

  constructor(options: PhaseOrchestratorOptions) {
    const parsed = PhaseOrchestratorOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new AutopackError('INPUT_INVALID', `PhaseOrchestrator options: ${formatZodError(parsed.error)}`);
    }
    this.executor = parsed.data.executor;
    this.maxRetries = parsed.data.maxRetries;
    this.enableHealthChecks = parsed.data.enableHealthChecks;
    this.stuckAfter = parsed.data.stuckAfter;
    this.baseline = parsed.data.baseline;
  }

  runPhases(phases: readonly PhaseSpec[], options: RunPhasesOptions = {}): Promise<OrchestrationResult> {
    return this.executor.runPlan({
      phases,
      maxRetries: this.maxRetries,
      enableHealthChecks: this.enableHealthChecks,
      stuckAfter: this.stuckAfter,
      baseline: this.baseline,
      stopOnFailure: options.stopOnFailure ?? true,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onRunStarted === undefined ? {} : { onRunStarted: options.onRunStarted }),
      ...(options.requireApproval === undefined ? {} : { requireApproval: options.requireApproval }),
      ...(options.waitForApproval === undefined ? {} : { waitForApproval: options.waitForApproval }),
    });
  }
}

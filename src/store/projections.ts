import type { OrchestrationResult, PhaseHealthChecks, PhaseResult } from '../model/results.js';
import type { StoredRunEvent } from './events.js';
import { foldRunState, runTotals, type PhaseState, type RunState } from './runState.js';

const toSeconds = (ms: number): number => Math.max(0, ms) / 1000;

export function toPhaseResult(phase: PhaseState, runId: string): PhaseResult {
  const success = phase.status === 'succeeded';
  return {
    success,
    files_changed: success ? phase.filesChanged : [],
    summary: phase.summary,
    // A failed phase reports every attempt's errors: the first attempt's are often the real cause.
    errors: success
      ? []
      : phase.failedAttempts
          .slice()
          .sort((a, b) => a.attempt - b.attempt)
          .flatMap((a) => a.errors.map((e) => `attempt ${a.attempt}: ${e}`)),
    token_usage: phase.promptTokens + phase.completionTokens,
    duration: phase.startedAt === null || phase.finishedAt === null ? 0 : toSeconds(phase.finishedAt - phase.startedAt),
    retry_count: Math.max(0, phase.attempts - 1),
    run_id: runId,
    commit: success ? phase.commit : null,
    phase_id: phase.id,
    pre_existing: phase.preExisting,
  };
}

/** Results of the phases that ran (succeeded or failed), in plan order; phases never started are left out. */
export function toOrchestrationResult(state: RunState): OrchestrationResult {
  const runId = state.runId ?? '';
  const ran = state.phases.filter((p) => p.status === 'succeeded' || p.status === 'failed');
  const totals = runTotals(state);
  const healthChecks: PhaseHealthChecks[] = ran.map((p) => ({
    phase_id: p.id,
    phase_index: p.index,
    checks: p.healthChecks,
  }));
  return {
    total_phases: state.phases.length,
    successful_phases: ran.filter((p) => p.status === 'succeeded').length,
    failed_phases: ran.filter((p) => p.status === 'failed').length,
    phase_results: ran.map((p) => toPhaseResult(p, runId)),
    total_duration:
      state.startedAt === null || state.finishedAt === null ? 0 : toSeconds(state.finishedAt - state.startedAt),
    health_check_results: healthChecks,
    run_id: runId,
    status: state.status,
    stop_reason: state.interruption?.message ?? null,
    total_tokens: totals.tokens,
    // Rounded to a millionth of a dollar so sums of floats compare equal across a live run and a replay.
    total_cost_usd: totals.costUnknown ? null : Math.round(totals.costUsd * 1e6) / 1e6,
    branch: state.start?.options.git?.worktree?.branch ?? null,
    baseline: state.baseline === null ? null : { checks: state.baseline.checks, pre_existing: state.baseline.preExisting, errors: state.baseline.errors },
  };
}

/** Where every actor of a run stands: what `autopack state --at` prints and the inspector draws. */
export interface ActorStates {
  /** seq of the last event folded in. */
  seq: number;
  status: RunState['status'];
  orchestrator: { state: string | null };
  phases: {
    actor: string;
    id: string;
    state: string | null;
    status: PhaseState['status'];
    attempt: number;
    tokens: number;
    lastErrors: string[];
    /** Failed checks of the last round excused as pre-existing (failing at the run's baseline too). */
    preExisting: string[];
  }[];
}

export function toActorStates(state: RunState): ActorStates {
  return {
    seq: state.version,
    status: state.status,
    orchestrator: { state: state.orchestratorState },
    phases: state.phases.map((p) => ({
      actor: `phase-${p.index}`,
      id: p.id,
      state: p.machineState,
      status: p.status,
      attempt: p.attempts,
      tokens: p.promptTokens + p.completionTokens,
      lastErrors: p.failedAttempts.at(-1)?.errors ?? [],
      preExisting: p.preExisting,
    })),
  };
}

/** Every actor's state after event `seq`: the fold of the log up to it (`autopack state --at`, the inspector). */
export function stateAt(events: readonly StoredRunEvent[], seq: number): ActorStates {
  return toActorStates(foldRunState(events.filter((e) => e.seq <= seq)));
}

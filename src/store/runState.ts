/**
 * A run's state as a pure fold of its log. The CLI, the results of runPhases and the inspector all read
 * this projection, never the raw rows, so what a live run reports is by construction what a replay gives.
 */
import { healthCheckErrors } from '../machines/feedback.js';
import type { EffectOutcome, InterruptReason } from '../machines/effectContracts.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { HealthCheckResult } from '../model/results.js';
import type { RunStartedData, StoredRunEvent } from './events.js';

export type PhaseStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type RunStatus = 'empty' | 'running' | 'succeeded' | 'failed' | 'stopped' | 'interrupted';

export interface AttemptErrors {
  attempt: number;
  errors: string[];
}

export interface PhaseState {
  index: number;
  id: string;
  spec: PhaseSpec;
  status: PhaseStatus;
  /** The phase machine's state after the last event, null before it started. */
  machineState: string | null;
  /** Attempts started so far (1-based count). */
  attempts: number;
  llmCalls: number;
  /** Summed over every logged attempt, failed and truncated ones included: what was paid for. */
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Whether some attempt used a model with no known price, so costUsd is a lower bound. */
  costUnknown: boolean;
  summary: string;
  filesChanged: string[];
  /** The phase's commit in the repository, once made; null outside git, with commits off, or before it. */
  commit: string | null;
  /** The commit that undid this phase's (`autopack undo`), if any. */
  undoneBy: string | null;
  failedAttempts: AttemptErrors[];
  healthChecks: HealthCheckResult[];
  startedAt: number | null;
  finishedAt: number | null;
}

export interface RunState {
  runId: string | null;
  status: RunStatus;
  start: RunStartedData | null;
  orchestratorState: string | null;
  phases: PhaseState[];
  startedAt: number | null;
  finishedAt: number | null;
  /** Why the run was last interrupted, while it stays interrupted. */
  interruption: { reason: InterruptReason; message: string; at: number } | null;
  /** seq of the last event folded in. */
  version: number;
}

export function initialRunState(): RunState {
  return {
    runId: null,
    status: 'empty',
    start: null,
    orchestratorState: null,
    phases: [],
    startedAt: null,
    finishedAt: null,
    interruption: null,
    version: 0,
  };
}

function newPhaseState(phase: RunStartedData['phases'][number]): PhaseState {
  return {
    index: phase.index,
    id: phase.id,
    spec: phase.spec,
    status: 'pending',
    machineState: null,
    attempts: 0,
    llmCalls: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
    costUnknown: false,
    summary: '',
    filesChanged: [],
    commit: null,
    undoneBy: null,
    failedAttempts: [],
    healthChecks: [],
    startedAt: null,
    finishedAt: null,
  };
}

function withFailure(phase: PhaseState, attempt: number, errors: readonly string[]): PhaseState {
  if (errors.length === 0) return phase;
  const others = phase.failedAttempts.filter((a) => a.attempt !== attempt);
  const existing = phase.failedAttempts.find((a) => a.attempt === attempt)?.errors ?? [];
  return { ...phase, failedAttempts: [...others, { attempt, errors: [...existing, ...errors] }] };
}

function failureErrors(outcome: EffectOutcome<unknown>): string[] {
  return outcome.ok ? [] : outcome.error.errors;
}

function evolvePhase(phase: PhaseState, event: StoredRunEvent): PhaseState {
  const moved: PhaseState = { ...phase, machineState: event.target ?? phase.machineState };
  switch (event.type) {
    case 'phase.started':
      return { ...moved, status: 'running', attempts: 1, startedAt: event.at };
    case 'llm.attempted': {
      const { call } = event.data;
      return {
        ...moved,
        promptTokens: moved.promptTokens + call.usage.promptTokens,
        completionTokens: moved.completionTokens + call.usage.completionTokens,
        costUsd: moved.costUsd + (call.costUsd ?? 0),
        costUnknown: moved.costUnknown || (call.costUsd === null && call.usage.promptTokens + call.usage.completionTokens > 0),
      };
    }
    case 'llm.completed':
    case 'llm.failed': {
      const { outcome, attempt } = event.data;
      return withFailure({ ...moved, llmCalls: moved.llmCalls + 1 }, attempt, failureErrors(outcome));
    }
    case 'response.parsed':
    case 'response.rejected': {
      const { outcome, attempt } = event.data;
      const next = outcome.ok ? { ...moved, summary: outcome.value.summary } : moved;
      return withFailure(next, attempt, failureErrors(outcome));
    }
    case 'changes.applied':
    case 'changes.apply_failed': {
      const { outcome, attempt } = event.data;
      const next = outcome.ok ? { ...moved, filesChanged: outcome.value.files.map((f) => f.path) } : moved;
      return withFailure(next, attempt, failureErrors(outcome));
    }
    case 'health.checked':
    case 'health.check_errored': {
      const { outcome, attempt } = event.data;
      if (!outcome.ok) return withFailure(moved, attempt, failureErrors(outcome));
      return withFailure({ ...moved, healthChecks: outcome.value.results }, attempt, healthCheckErrors(outcome.value.results));
    }
    case 'changes.rolled_back':
      return { ...moved, filesChanged: [] };
    case 'phase.committed':
    case 'phase.commit_failed': {
      const { outcome, attempt } = event.data;
      const next = outcome.ok ? { ...moved, commit: outcome.value.sha } : moved;
      return withFailure(next, attempt, failureErrors(outcome));
    }
    case 'changes.validated':
    case 'changes.rejected':
    case 'changes.rollback_failed':
    case 'backoff.failed': {
      const { outcome, attempt } = event.data;
      return withFailure(moved, attempt, failureErrors(outcome));
    }
    case 'backoff.elapsed':
      return { ...moved, attempts: moved.attempts + 1 };
    case 'changes.prepared':
      return moved;
    case 'run.started':
    case 'run.begun':
    case 'phase.finished':
    case 'run.interrupted':
    case 'run.resumed':
      return phase;
    case 'run.undone':
      return event.data.phaseIds.includes(phase.id) ? { ...phase, undoneBy: event.data.commit } : phase;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

function finishPhase(phase: PhaseState, at: number): PhaseState {
  if (phase.machineState === 'done') return { ...phase, status: 'succeeded', finishedAt: at };
  if (phase.machineState === 'failed') return { ...phase, status: 'failed', finishedAt: at };
  return phase;
}

const RUN_FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'stopped']);

/** The orchestrator reaching a final state ends the run; its status follows from the phases. */
function finishRun(state: RunState, at: number): RunState {
  if (state.orchestratorState === null || !RUN_FINAL_STATES.has(state.orchestratorState)) return state;
  const anyFailed = state.phases.some((p) => p.status === 'failed');
  const allRan = state.phases.every((p) => p.status === 'succeeded' || p.status === 'failed');
  const status: RunStatus = anyFailed ? 'failed' : allRan ? 'succeeded' : 'stopped';
  return { ...state, status, finishedAt: at };
}

/**
 * Folds one event into a state the caller owns: the state and its phases array are updated in place
 * (phase objects are replaced, never changed), so each event costs the same however many phases the run has. For folds that never share intermediate states
 * (foldRunState, store.aggregate); everything else uses the pure evolveRunState.
 */
export function evolveRunStateInPlace(state: RunState, event: StoredRunEvent): RunState {
  state.version = event.seq;
  // An undo comes after the run, from another command: it changes no status.
  if (event.type === 'run.undone') {
    state.phases = state.phases.map((phase) => evolvePhase(phase, event));
    return state;
  }
  // Any event after an interruption means the run was resumed.
  if (state.status === 'interrupted') Object.assign(state, { status: 'running', interruption: null });
  state.version = event.seq;
  switch (event.type) {
    case 'run.started':
      return Object.assign(state, {
        runId: event.data.runId,
        status: 'running',
        start: event.data,
        orchestratorState: event.target,
        phases: event.data.phases.map(newPhaseState),
        startedAt: event.at,
      });
    case 'run.begun':
    case 'phase.finished':
      state.orchestratorState = event.target;
      return Object.assign(state, finishRun(state, event.at));
    case 'run.interrupted':
      return Object.assign(state, { status: 'interrupted', interruption: { reason: event.data.reason, message: event.data.message, at: event.at } });
    case 'run.resumed':
      return Object.assign(state, { status: 'running', interruption: null, finishedAt: null });
    default: {
      const index = event.data.phaseIndex;
      const phase = state.phases[index];
      if (phase !== undefined) state.phases[index] = finishPhase(evolvePhase(phase, event), event.at);
      return state;
    }
  }
}

/** The state after one more event; `state` is left untouched. */
export function evolveRunState(state: RunState, event: StoredRunEvent): RunState {
  return evolveRunStateInPlace({ ...state, phases: [...state.phases] }, event);
}

export function foldRunState(events: Iterable<StoredRunEvent>): RunState {
  let state = initialRunState();
  for (const event of events) state = evolveRunStateInPlace(state, event);
  return state;
}

export interface RunTotals {
  tokens: number;
  costUsd: number;
  /** Some attempt used a model with no known price: costUsd counts only the priced ones. */
  costUnknown: boolean;
}

export function runTotals(state: RunState): RunTotals {
  return state.phases.reduce<RunTotals>(
    (totals, p) => ({
      tokens: totals.tokens + p.promptTokens + p.completionTokens,
      costUsd: totals.costUsd + p.costUsd,
      costUnknown: totals.costUnknown || p.costUnknown,
    }),
    { tokens: 0, costUsd: 0, costUnknown: false },
  );
}

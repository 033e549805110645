/**
 * A run's state as a pure fold of its log. The CLI, the results of runPhases and the inspector all read
 * this projection, never the raw rows, so what a live run reports is by construction what a replay gives.
 */
import { checksFailed, healthCheckErrors, stuckMessage } from '../machines/feedback.js';
import type { EffectFailure, InterruptReason } from '../machines/effectContracts.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { HealthCheckResult } from '../model/results.js';
import type { FileDiff } from '../diff/fileDiff.js';
import { rejectionOf } from '../model/approval.js';
import type { FoldEvent, RunStartedData } from './events.js';

export type PhaseStatus = 'pending' | 'running' | 'succeeded' | 'failed';
/**
 * `awaiting_approval`: a phase's changes wait for a person, whether a process waits with them or the run
 * exited at the gate (`--no-wait`) and is resumed after the decision.
 */
export type RunStatus = 'empty' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'stopped' | 'interrupted';

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
  /** The failed checks of the last round that failed at the run's baseline too, and so did not fail the phase. */
  preExisting: string[];
  /** The last approval gate the phase reached (the latest attempt's), null when it has none. */
  approval: ApprovalState | null;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A phase's approval gate for one attempt: what was proposed, and what a person decided. */
export interface ApprovalState {
  attempt: number;
  summary: string;
  /** Each file's diff against the file as it was when approval was asked for. */
  files: FileDiff[];
  requestedAt: number;
  /** null while it waits. */
  decision: { approved: boolean; by: string; feedback: string | null; at: number } | null;
}

/** The health checks as they stood before the first phase (`baseline.checked`). */
export interface BaselineState {
  /** One per check; empty when the baseline could not be taken. */
  checks: HealthCheckResult[];
  /** The checks that failed: excused in every phase. */
  preExisting: string[];
  /** Why the baseline could not be taken (nothing is excused then); empty when it was. */
  errors: string[];
  at: number;
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
  /** The run's baseline, once taken; null when it has none (off, no checks, or an older log). */
  baseline: BaselineState | null;
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
    baseline: null,
    version: 0,
  };
}

/**
 * A phase before it starts. Built by a constructor, not an object literal: V8 sends every object of a
 * literal whose objects all outlive their first collections straight to the old generation (allocation-
 * site pretenuring), so a replay of many runs would leave each run's phases, and all they point to, to the
 * slow collector: 30 MB more at peak over bench/replay.mjs's 111 runs. A PhaseState in all else.
 */
class PendingPhase implements PhaseState {
  index: number;
  id: string;
  spec: PhaseSpec;
  status: PhaseStatus = 'pending';
  machineState: string | null = null;
  attempts = 0;
  llmCalls = 0;
  promptTokens = 0;
  completionTokens = 0;
  costUsd = 0;
  costUnknown = false;
  summary = '';
  filesChanged: string[] = [];
  commit: string | null = null;
  undoneBy: string | null = null;
  failedAttempts: AttemptErrors[] = [];
  healthChecks: HealthCheckResult[] = [];
  preExisting: string[] = [];
  approval: ApprovalState | null = null;
  startedAt: number | null = null;
  finishedAt: number | null = null;

  constructor(phase: RunStartedData['phases'][number]) {
    this.index = phase.index;
    this.id = phase.id;
    this.spec = phase.spec;
  }
}

const newPhaseState = (phase: RunStartedData['phases'][number]): PhaseState => new PendingPhase(phase);

/**
 * The fold writes into phases it owns: scalars are set, arrays are replaced and never changed, so a
 * shallow copy of a phase is enough to keep the phase as it was (what the pure step does).
 */
function addFailure(phase: PhaseState, attempt: number, errors: readonly string[]): void {
  if (errors.length === 0) return;
  const others = phase.failedAttempts.filter((a) => a.attempt !== attempt);
  const existing = phase.failedAttempts.find((a) => a.attempt === attempt)?.errors ?? [];
  phase.failedAttempts = [...others, { attempt, errors: [...existing, ...errors] }];
}

function failureErrors(outcome: { ok: true } | { ok: false; error: EffectFailure }): string[] {
  return outcome.ok ? [] : outcome.error.errors;
}

/** Events of the whole run; every other event belongs to the phase `data.phaseIndex`. */
type RunLevelType =
  | 'run.started'
  | 'run.begun'
  | 'baseline.checked'
  | 'baseline.check_errored'
  | 'phase.finished'
  | 'run.interrupted'
  | 'run.resumed'
  | 'run.undone'
  | 'approval.decided';
type PhaseEvent = Exclude<FoldEvent, { type: RunLevelType }>;

function evolvePhase(phase: PhaseState, event: PhaseEvent): void {
  if (event.target !== null) phase.machineState = event.target;
  switch (event.type) {
    case 'phase.started':
      phase.status = 'running';
      phase.attempts = 1;
      phase.startedAt = event.at;
      return;
    case 'llm.attempted': {
      const { usage, costUsd } = event.data.call;
      phase.promptTokens += usage.promptTokens;
      phase.completionTokens += usage.completionTokens;
      phase.costUsd += costUsd ?? 0;
      phase.costUnknown ||= costUsd === null && usage.promptTokens + usage.completionTokens > 0;
      return;
    }
    case 'llm.completed':
    case 'llm.failed':
      phase.llmCalls += 1;
      return addFailure(phase, event.data.attempt, failureErrors(event.data.outcome));
    case 'response.parsed':
    case 'response.rejected': {
      const { outcome, attempt } = event.data;
      if (outcome.ok) phase.summary = outcome.value.summary;
      return addFailure(phase, attempt, failureErrors(outcome));
    }
    case 'changes.applied':
    case 'changes.apply_failed': {
      const { outcome, attempt } = event.data;
      if (outcome.ok) phase.filesChanged = outcome.value.files.map((f) => f.path);
      return addFailure(phase, attempt, failureErrors(outcome));
    }
    case 'health.checked':
    case 'health.check_errored': {
      const { outcome, attempt } = event.data;
      if (!outcome.ok) return addFailure(phase, attempt, failureErrors(outcome));
      const excused = ('preExisting' in event.data ? event.data.preExisting : undefined) ?? [];
      phase.healthChecks = outcome.value.results;
      phase.preExisting = excused;
      // A round whose only failures were excused passed: it is no failure of the attempt.
      if (!checksFailed(outcome.value.results, excused)) return;
      return addFailure(phase, attempt, healthCheckErrors(outcome.value.results, excused));
    }
    case 'changes.rolled_back':
      phase.filesChanged = [];
      return;
    case 'phase.committed':
    case 'phase.commit_failed': {
      const { outcome, attempt } = event.data;
      if (outcome.ok) phase.commit = outcome.value.sha;
      return addFailure(phase, attempt, failureErrors(outcome));
    }
    case 'approval.requested': {
      const { attempt, summary, files } = event.data;
      phase.approval = { attempt, summary, files, requestedAt: event.at, decision: null };
      return;
    }
    case 'approval.granted':
    case 'approval.rejected': {
      const { outcome, attempt } = event.data;
      const rejection = outcome.ok ? null : rejectionOf(outcome.error.detail);
      const decision = outcome.ok
        ? { approved: true, by: outcome.value.by, feedback: outcome.value.feedback, at: outcome.value.decidedAt }
        : rejection === null
          ? null
          : { approved: false, by: rejection.by, feedback: rejection.feedback, at: rejection.decidedAt };
      if (phase.approval?.attempt === attempt && decision !== null) phase.approval = { ...phase.approval, decision };
      return addFailure(phase, attempt, failureErrors(outcome));
    }
    case 'changes.validated':
    case 'changes.rejected':
    case 'changes.rollback_failed':
    case 'backoff.failed':
      return addFailure(phase, event.data.attempt, failureErrors(event.data.outcome));
    case 'backoff.elapsed':
      phase.attempts += 1;
      return;
    case 'changes.prepared':
      return;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

function finishPhase(phase: PhaseState, at: number): void {
  if (phase.machineState === 'done') phase.status = 'succeeded';
  else if (phase.machineState === 'failed') phase.status = 'failed';
  else return;
  phase.finishedAt = at;
}

const RUN_FINAL_STATES: ReadonlySet<string> = new Set(['completed', 'stopped']);

/** The orchestrator reaching a final state ends the run; its status follows from the phases. */
function finishRun(state: RunState, at: number): void {
  if (state.orchestratorState === null || !RUN_FINAL_STATES.has(state.orchestratorState)) return;
  const anyFailed = state.phases.some((p) => p.status === 'failed');
  const allRan = state.phases.every((p) => p.status === 'succeeded' || p.status === 'failed');
  state.status = anyFailed ? 'failed' : allRan ? 'succeeded' : 'stopped';
  state.finishedAt = at;
}

/** Gives the step a phase it may write into: the phase itself when the caller owns it, else a copy. */
type OwnPhase = (phase: PhaseState) => PhaseState;

function step(state: RunState, event: FoldEvent, own: OwnPhase): RunState {
  state.version = event.seq;
  // An undo comes after the run, from another command: it changes no status.
  if (event.type === 'run.undone') {
    const { phaseIds, commit } = event.data;
    state.phases.forEach((phase, i) => {
      if (!phaseIds.includes(phase.id)) return;
      const owned = own(phase);
      owned.undoneBy = commit;
      state.phases[i] = owned;
    });
    return state;
  }
  // Any event after an interruption means the run was resumed.
  if (state.interruption !== null) Object.assign(state, { status: 'running', interruption: null });
  switch (event.type) {
    // Only ever in a decisions stream: nothing of a run's state.
    case 'approval.decided':
      return state;
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
      finishRun(state, event.at);
      return state;
    case 'baseline.checked':
    case 'baseline.check_errored': {
      const { outcome, preExisting } = event.data;
      state.baseline = { checks: outcome.ok ? outcome.value.results : [], preExisting, errors: outcome.ok ? [] : outcome.error.errors, at: event.at };
      state.orchestratorState = event.target;
      finishRun(state, event.at);
      return state;
    }
    case 'run.interrupted': {
      const { reason, message } = event.data;
      // A run that exited at an approval gate waits for a decision, not for someone to resume it.
      return Object.assign(state, { status: reason === 'approval' ? 'awaiting_approval' : 'interrupted', interruption: { reason, message, at: event.at } });
    }
    case 'run.resumed':
      return Object.assign(state, { status: 'running', interruption: null, finishedAt: null });
    default: {
      const index = event.data.phaseIndex;
      const phase = state.phases[index];
      if (phase === undefined) return state;
      const owned = own(phase);
      evolvePhase(owned, event);
      // The event that ended the phase because its attempts kept failing alike says so.
      if ('stuck' in event.data && event.data.stuck !== undefined) addFailure(owned, event.data.attempt, [stuckMessage(event.data.stuck)]);
      finishPhase(owned, event.at);
      state.phases[index] = owned;
      if (owned.machineState === 'awaiting_approval') state.status = 'awaiting_approval';
      else if (state.status === 'awaiting_approval') state.status = 'running';
      return state;
    }
  }
}

const owned: OwnPhase = (phase) => phase;
const copied: OwnPhase = (phase) => ({ ...phase });

/**
 * Folds one event into a state the caller owns, which it changes in place (the state, its phases array
 * and the phase the event is about), so an event costs no allocation however many phases the run has.
 * For folds that never share intermediate states (foldRunState, store.aggregate); everything else uses
 * the pure evolveRunState.
 */
export function evolveRunStateInPlace(state: RunState, event: FoldEvent): RunState {
  return step(state, event, owned);
}

/** The state after one more event; `state` is left untouched (the step writes only into copies). */
export function evolveRunState(state: RunState, event: FoldEvent): RunState {
  return step({ ...state, phases: [...state.phases] }, event, copied);
}

export function foldRunState(events: Iterable<FoldEvent>): RunState {
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

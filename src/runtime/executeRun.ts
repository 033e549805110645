import { createActor, toPromise, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { createPhaseEffects, type PhaseEffectsDeps } from '../effects/index.js';
import {
  orchestratorMachine,
  phaseMachine,
  type EffectOutcome,
  type InterruptReason,
  type LoggedLlmAttempt,
  type PhaseEffectName,
  type PhaseMachineInput,
} from '../machines/index.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunStartedData, StoredRunEvent } from '../store/events.js';
import { evolveRunStateInPlace, foldRunState, initialRunState, runTotals, type RunState } from '../store/runState.js';
import os from 'node:os';
import { AutopackError } from '../model/errors.js';
import { crashAfterEvent } from './crashPoint.js';
import { effectOfEvent } from './effectEvents.js';
import { holdLease } from './lease.js';
import type { PreparedFile } from '../workspace/index.js';
import { createRecorder } from './recorder.js';
import { replayPlan } from './replayPlan.js';

export interface ExecuteRunParams
  extends Omit<PhaseEffectsDeps, 'runSignal' | 'llm' | 'spent' | 'onLlmAttempt' | 'interrupt' | 'recorded' | 'onApplyPrepared'> {
  store: EventStore;
  start: RunStartedData;
  /** Aborting it interrupts the run: logged as `run.interrupted`, resumable, no phase failed by it. */
  signal?: AbortSignal;
  onEvent?: (event: StoredRunEvent) => void;
  /**
   * The run's log so far, when continuing it. The machines re-run over it: each logged effect outcome is
   * returned instead of running the effect again, and each logged transition must come out the same.
   */
  history?: StoredRunEvent[];
  /** Re-run the machines over `history` only, appending nothing, and stop where the log ends. */
  verifyOnly?: boolean;
  /** Also told every XState inspection event (e.g. a remote Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
  /** The fold of `history`, when the caller has it already; the run takes it over and folds on into it. */
  historyState?: RunState;
  /**
   * `history` is the run's first event plus the log's tail from the phase in progress on, not the whole
   * log (see PhaseExecutor.resume): totals and the final state are then folded from the store itself.
   */
  historyIsTail?: boolean;
}

export function phaseInputs(start: RunStartedData): PhaseMachineInput[] {
  return start.phases.map((phase) => ({
    phaseIndex: phase.index,
    phaseId: phase.id,
    spec: phase.spec,
    contextFiles: phase.contextFiles,
    protectedPaths: phase.protectedPaths,
    maxRetries: start.options.maxRetries,
    enableHealthChecks: start.options.enableHealthChecks,
    healthChecks: start.options.healthChecks,
    backoff: start.options.backoff,
  }));
}

function interruptMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return `received ${reason}`;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'cancelled';
}

function orchestratorState(snapshot: SnapshotFrom<typeof orchestratorMachine>): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}

/**
 * The composition root of a run: provides the effects to the pure machines, records every transition,
 * and returns the run's state as folded from its log. The run's lease is held throughout, so no other
 * process can drive the same run meanwhile.
 */
export async function executeRun(params: ExecuteRunParams): Promise<RunState> {
  if (params.verifyOnly === true) return drive(params, () => {});
  let onLost = () => {};
  const lease = holdLease(params.store, params.start.runId, params.clock, () => onLost());
  try {
    return await drive(params, (handler) => {
      onLost = handler;
    });
  } finally {
    lease.release();
  }
}

async function drive(params: ExecuteRunParams, onLeaseLost: (handler: () => void) => void): Promise<RunState> {
  const { store, start } = params;
  const runId = start.runId;
  const internal = new AbortController();
  const history = params.history ?? [];
  const verifyOnly = params.verifyOnly === true;
  const plan = replayPlan(history, verifyOnly);
  const loggedOutcomes = plan.outcomes;
  const loggedTransitions = plan.transitions;
  onLeaseLost(() => fail(new AutopackError('RUN_LOCKED', `run ${runId}: another process took over this run's lease; this one stops`)));

  let failure: unknown = null;
  let resolveStopped = () => {};
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  /** Ends the run at once without a trace in the log (the log stays as it was, so the run stays resumable). */
  function fail(error: unknown): void {
    failure ??= error;
    stopRequested = true;
    actor.stop();
    internal.abort();
    resolveStopped();
  }
  const never = new Promise<never>(() => {});
  const recorded = (effect: PhaseEffectName) => {
    const next = loggedOutcomes[0];
    if (next === undefined) {
      if (!verifyOnly) return undefined;
      resolveStopped();
      return never;
    }
    if (effectOfEvent(next.type) !== effect) {
      fail(
        new AutopackError(
          'RESUME_DIVERGED',
          `run ${runId}: event ${next.seq} of the log records the outcome of ${effectOfEvent(next.type) ?? next.type}, but re-running the machines over the log starts ${effect}; the log does not match these machine definitions`,
        ),
      );
      return never;
    }
    loggedOutcomes.shift();
    return Promise.resolve((next.data as { outcome: EffectOutcome<unknown> }).outcome);
  };

  const appendedBeforeStart: StoredRunEvent[] = [];
  if (history.length > 0 && !verifyOnly) {
    const last = history[history.length - 1] as StoredRunEvent;
    const [resumed] = store.append(
      runId,
      [
        {
          type: 'run.resumed',
          actor: 'orchestrator',
          source: null,
          target: null,
          data: { fromSeq: last.seq, pid: process.pid, host: os.hostname(), budget: start.options.llm.budget },
          at: params.clock(),
        },
      ],
      { expectedVersion: last.seq },
    );
    if (resumed !== undefined) {
      appendedBeforeStart.push(resumed);
      params.onEvent?.(resumed);
      crashAfterEvent(resumed.seq);
    }
  }

  // The run's state, folded on as events are appended, so the result needs no second read of the log.
  // From a tail, the whole log is folded before the first effect only when a budget needs the tokens
  // spent so far; otherwise once the run is over, for its result.
  const tailOnly = params.historyIsTail === true;
  const { maxTotalTokens, maxCostUsd } = start.options.llm.budget;
  const needsTotalsNow = maxTotalTokens !== undefined || maxCostUsd !== undefined;
  let state: RunState | null = tailOnly
    ? needsTotalsNow
      ? store.aggregate(runId, evolveRunStateInPlace, initialRunState())
      : null
    : (params.historyState ?? foldRunState(history));
  if (state !== null && !tailOnly) for (const event of appendedBeforeStart) state = evolveRunStateInPlace(state, event);
  // What the log says was spent already (non-zero when continuing a run), kept current as attempts land.
  const spent = (() => {
    const totals = state === null ? { tokens: 0, costUsd: 0 } : runTotals(state);
    return { tokens: totals.tokens, costUsd: totals.costUsd };
  })();
  const onAppended = (event: StoredRunEvent) => {
    if (state !== null) state = evolveRunStateInPlace(state, event);
    if (event.type === 'llm.attempted') {
      spent.tokens += event.data.call.usage.promptTokens + event.data.call.usage.completionTokens;
      spent.costUsd += event.data.call.costUsd ?? 0;
    }
    params.onEvent?.(event);
    crashAfterEvent(event.seq);
  };
  const recorder = createRecorder(
    {
      store,
      runId,
      start,
      clock: params.clock,
      onAppended,
      ...(history.length === 0 ? {} : { replay: { transitions: loggedTransitions, verifyOnly, onCaughtUp: resolveStopped } }),
    },
    (error) => fail(error),
  );

  let stopRequested = false;
  const interrupt = (reason: InterruptReason, message: string) => {
    if (stopRequested || actor.getSnapshot().status !== 'active') return;
    stopRequested = true;
    const snapshot = actor.getSnapshot();
    const state = orchestratorState(snapshot);
    const phaseIndex = state === 'running_phase' ? snapshot.context.currentIndex : null;
    recorder.note({ type: 'run.interrupted', actor: 'orchestrator', source: state, target: state, data: { reason, message, phaseIndex }, at: params.clock() });
    // Stopped before the effects are aborted, so what they do on abort never reaches a machine or the log.
    actor.stop();
    internal.abort();
    resolveStopped();
  };
  // After an interruption the log ends with `run.interrupted`: the cancelled attempt is not recorded.
  const onLlmAttempt = (phaseIndex: number, attempt: number, call: LoggedLlmAttempt) => {
    if (stopRequested) return;
    recorder.note({
      type: 'llm.attempted',
      actor: `phase-${phaseIndex}`,
      source: 'prompting',
      target: 'prompting',
      data: { phaseIndex, attempt, call },
      at: params.clock(),
    });
  };

  const onApplyPrepared = (phaseIndex: number, attempt: number, files: PreparedFile[]) => {
    if (stopRequested) return;
    recorder.note({ type: 'changes.prepared', actor: `phase-${phaseIndex}`, source: 'applying', target: 'applying', data: { phaseIndex, attempt, files }, at: params.clock() });
  };

  const effects = createPhaseEffects({
    ...params,
    runSignal: internal.signal,
    llm: start.options.llm,
    spent: () => ({ ...spent }),
    onLlmAttempt,
    onApplyPrepared,
    interrupt,
    recorded,
  });
  const machine = orchestratorMachine.provide({ actors: { phase: phaseMachine.provide({ actors: effects }) } });
  const actor = createActor(machine, {
    input: {
      phases: phaseInputs(start),
      stopOnFailure: start.options.stopOnFailure,
      ...(plan.resumeAt === undefined ? {} : { resumeAt: plan.resumeAt }),
    },
    inspect:
      params.inspect === undefined
        ? recorder.inspect
        : (event) => {
            recorder.inspect(event);
            params.inspect?.(event);
          },
  });
  const finished = toPromise(actor);
  // A stopped actor's promise may settle late or never; the race below is what the run waits on.
  finished.catch(() => {});
  const onAbort = () => interrupt('signal', interruptMessage(params.signal as AbortSignal));
  actor.start();
  actor.send({ type: 'run.begin' });
  if (params.signal?.aborted === true) onAbort();
  else params.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([finished, stopped]);
  } finally {
    params.signal?.removeEventListener('abort', onAbort);
    actor.stop();
  }
  if (failure !== null) throw failure;
  if (verifyOnly && (loggedTransitions.length > 0 || loggedOutcomes.length > 0)) {
    const next = loggedTransitions[0] ?? loggedOutcomes[0];
    throw new AutopackError(
      'RESUME_DIVERGED',
      `run ${runId}: re-running the machines over the log stopped before event ${next?.seq} (${next?.type}); the log does not match these machine definitions`,
    );
  }
  return state ?? store.aggregate(runId, evolveRunStateInPlace, initialRunState());
}

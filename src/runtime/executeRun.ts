import { createActor, toPromise, type SnapshotFrom } from 'xstate';
import { createPhaseEffects, type PhaseEffectsDeps } from '../effects/index.js';
import {
  orchestratorMachine,
  phaseMachine,
  type InterruptReason,
  type LoggedLlmAttempt,
  type PhaseMachineInput,
} from '../machines/index.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunStartedData, StoredRunEvent } from '../store/events.js';
import { evolveRunState, initialRunState, runTotals, type RunState } from '../store/runState.js';
import { createRecorder } from './recorder.js';

export interface ExecuteRunParams
  extends Omit<PhaseEffectsDeps, 'runSignal' | 'llm' | 'spent' | 'onLlmAttempt' | 'interrupt'> {
  store: EventStore;
  start: RunStartedData;
  /** Aborting it interrupts the run: logged as `run.interrupted`, resumable, no phase failed by it. */
  signal?: AbortSignal;
  onEvent?: (event: StoredRunEvent) => void;
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
 * and returns the run's state as folded from its log.
 */
export async function executeRun(params: ExecuteRunParams): Promise<RunState> {
  const { store, start } = params;
  const runId = start.runId;
  const internal = new AbortController();

  // What the log says was spent already (non-zero when continuing a run), kept current as attempts land.
  const spent = (() => {
    const totals = runTotals(store.aggregate(runId, evolveRunState, initialRunState()));
    return { tokens: totals.tokens, costUsd: totals.costUsd };
  })();
  const onAppended = (event: StoredRunEvent) => {
    if (event.type === 'llm.attempted') {
      spent.tokens += event.data.call.usage.promptTokens + event.data.call.usage.completionTokens;
      spent.costUsd += event.data.call.costUsd ?? 0;
    }
    params.onEvent?.(event);
  };
  const recorder = createRecorder({ store, runId, start, clock: params.clock, onAppended }, () => internal.abort());

  let stopRequested = false;
  let resolveInterrupted = () => {};
  const interrupted = new Promise<void>((resolve) => {
    resolveInterrupted = resolve;
  });
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
    resolveInterrupted();
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

  const effects = createPhaseEffects({
    ...params,
    runSignal: internal.signal,
    llm: start.options.llm,
    spent: () => ({ ...spent }),
    onLlmAttempt,
    interrupt,
  });
  const machine = orchestratorMachine.provide({ actors: { phase: phaseMachine.provide({ actors: effects }) } });
  const actor = createActor(machine, {
    input: { phases: phaseInputs(start), stopOnFailure: start.options.stopOnFailure },
    inspect: recorder.inspect,
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
    await Promise.race([finished, interrupted]);
  } finally {
    params.signal?.removeEventListener('abort', onAbort);
    actor.stop();
  }
  if (recorder.failure !== null) throw recorder.failure;
  return store.aggregate(runId, evolveRunState, initialRunState());
}

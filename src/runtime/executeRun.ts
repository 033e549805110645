import { createActor, toPromise } from 'xstate';
import { createPhaseEffects, type PhaseEffectsDeps } from '../effects/index.js';
import { orchestratorMachine, phaseMachine, type PhaseMachineInput } from '../machines/index.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunStartedData, StoredRunEvent } from '../store/events.js';
import { evolveRunState, initialRunState, type RunState } from '../store/runState.js';
import { createRecorder } from './recorder.js';

export interface ExecuteRunParams extends Omit<PhaseEffectsDeps, 'runSignal'> {
  store: EventStore;
  start: RunStartedData;
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

/**
 * The composition root of a run: provides the effects to the pure machines, records every transition,
 * and returns the run's state as folded from its log.
 */
export async function executeRun(params: ExecuteRunParams): Promise<RunState> {
  const { store, start } = params;
  const runId = start.runId;
  const internal = new AbortController();
  const runSignal = params.signal === undefined ? internal.signal : AbortSignal.any([params.signal, internal.signal]);

  const effects = createPhaseEffects({ ...params, runSignal });
  const machine = orchestratorMachine.provide({ actors: { phase: phaseMachine.provide({ actors: effects }) } });
  const recorder = createRecorder(
    { store, runId, start, clock: params.clock, onAppended: (event) => params.onEvent?.(event) },
    () => internal.abort(),
  );
  const actor = createActor(machine, {
    input: { phases: phaseInputs(start), stopOnFailure: start.options.stopOnFailure },
    inspect: recorder.inspect,
  });
  const finished = toPromise(actor);
  actor.start();
  actor.send({ type: 'run.begin' });
  try {
    await finished;
  } finally {
    actor.stop();
  }
  if (recorder.failure !== null) throw recorder.failure;
  return store.aggregate(runId, evolveRunState, initialRunState());
}

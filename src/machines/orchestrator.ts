import { assign, setup } from 'xstate';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import { RUN_HALTING_CODES } from './failurePolicy.js';
import { effectPlaceholder } from './placeholder.js';
import { phaseMachine, type PhaseMachineInput, type PhaseMachineOutput } from './phase.js';

/** A phase as the plan gives it; the orchestrator adds what the baseline found. */
export type PhasePlan = Omit<PhaseMachineInput, 'preExisting'>;

export interface OrchestratorInput {
  phases: PhasePlan[];
  stopOnFailure: boolean;
  /**
   * Health checks to run once before the first phase (the baseline): those that fail then do not fail a
   * phase by failing again. Empty when there is no baseline (turned off, checks off, or none).
   */
  baselineChecks: HealthCheckSpec[];
  /**
   * Start after the phases a resumed run has finished: the counts (and the baseline's failures) are all
   * the orchestrator keeps of them, so the machines need not run through them again.
   */
  resumeAt?: { currentIndex: number; succeeded: number; failed: number; preExisting: string[] };
}

export interface OrchestratorContext extends Omit<OrchestratorInput, 'resumeAt'> {
  /** Index of the phase running now, or of the next one to run while between phases. */
  currentIndex: number;
  succeeded: number;
  failed: number;
  /** Set when a phase ends in a way that must end the run whatever stopOnFailure says (e.g. an abort). */
  haltRequested: boolean;
  /** The checks that failed at the baseline; null until it is taken (or when there is none to take). */
  preExisting: string[] | null;
}

export interface OrchestratorOutput {
  succeeded: number;
  failed: number;
  stopped: boolean;
}

/** The runtime sends this once its log has recorded the start, so the start is always the first event. */
export interface BeginRunEvent {
  type: 'run.begin';
}

export const orchestratorMachine = setup({
  types: {
    input: {} as OrchestratorInput,
    context: {} as OrchestratorContext,
    events: {} as BeginRunEvent,
    output: {} as OrchestratorOutput,
  },
  actors: {
    phase: phaseMachine,
    checkBaseline: effectPlaceholder('checkBaseline'),
  },
  guards: {
    needsBaseline: ({ context }) => context.preExisting === null && context.baselineChecks.length > 0,
    mustStop: ({ context }) => context.haltRequested || (context.stopOnFailure && context.failed > 0),
    hasNextPhase: ({ context }) => context.currentIndex < context.phases.length,
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => ({
    phases: input.phases,
    stopOnFailure: input.stopOnFailure,
    baselineChecks: input.baselineChecks,
    currentIndex: input.resumeAt?.currentIndex ?? 0,
    succeeded: input.resumeAt?.succeeded ?? 0,
    failed: input.resumeAt?.failed ?? 0,
    haltRequested: false,
    preExisting: input.resumeAt?.preExisting ?? null,
  }),
  initial: 'starting',
  states: {
    starting: {
      on: {
        'run.begin': [{ guard: 'needsBaseline', target: 'checking_baseline' }, { target: 'advancing' }],
      },
    },
    /** The checks as the repository stands before any phase: which already fail. */
    checking_baseline: {
      invoke: {
        id: 'checkBaseline',
        src: 'checkBaseline',
        input: ({ context }) => ({ checks: context.baselineChecks }),
        onDone: {
          target: 'advancing',
          actions: assign(({ event }) => {
            const outcome = event.output;
            // A baseline that could not be taken excuses nothing; one cut short by a stop ends the run.
            if (!outcome.ok) return { preExisting: [], haltRequested: RUN_HALTING_CODES.has(outcome.error.code) };
            return { preExisting: outcome.value.results.filter((r) => !r.passed).map((r) => r.name) };
          }),
        },
      },
    },
    advancing: {
      always: [
        { guard: 'mustStop', target: 'stopped' },
        { guard: 'hasNextPhase', target: 'running_phase' },
        { target: 'completed' },
      ],
    },
    running_phase: {
      invoke: {
        id: 'phase',
        src: 'phase',
        input: ({ context }): PhaseMachineInput => ({ ...(context.phases[context.currentIndex] as PhasePlan), preExisting: context.preExisting ?? [] }),
        onDone: {
          target: 'advancing',
          actions: assign(({ context, event }) => {
            const result: PhaseMachineOutput = event.output;
            return {
              currentIndex: context.currentIndex + 1,
              succeeded: context.succeeded + (result.success ? 1 : 0),
              failed: context.failed + (result.success ? 0 : 1),
              haltRequested: context.haltRequested || (result.failureCode !== null && RUN_HALTING_CODES.has(result.failureCode)),
            };
          }),
        },
      },
    },
    completed: { type: 'final' },
    stopped: { type: 'final' },
  },
  output: ({ context }) => ({
    succeeded: context.succeeded,
    failed: context.failed,
    stopped: context.currentIndex < context.phases.length,
  }),
});

export type OrchestratorMachine = typeof orchestratorMachine;

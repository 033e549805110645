import { assign, setup } from 'xstate';
import { RUN_HALTING_CODES } from './failurePolicy.js';
import { phaseMachine, type PhaseMachineInput, type PhaseMachineOutput } from './phase.js';

export interface OrchestratorInput {
  phases: PhaseMachineInput[];
  stopOnFailure: boolean;
  /**
   * Start after the phases a resumed run has finished: the counts are all the orchestrator keeps of them,
   * so the machines need not run through them again.
   */
  resumeAt?: { currentIndex: number; succeeded: number; failed: number };
}

export interface OrchestratorContext extends OrchestratorInput {
  /** Index of the phase running now, or of the next one to run while between phases. */
  currentIndex: number;
  succeeded: number;
  failed: number;
  /** Set when a phase ends in a way that must end the run whatever stopOnFailure says (e.g. an abort). */
  haltRequested: boolean;
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
  },
  guards: {
    mustStop: ({ context }) => context.haltRequested || (context.stopOnFailure && context.failed > 0),
    hasNextPhase: ({ context }) => context.currentIndex < context.phases.length,
  },
}).createMachine({
  id: 'orchestrator',
  context: ({ input }) => ({
    phases: input.phases,
    stopOnFailure: input.stopOnFailure,
    currentIndex: input.resumeAt?.currentIndex ?? 0,
    succeeded: input.resumeAt?.succeeded ?? 0,
    failed: input.resumeAt?.failed ?? 0,
    haltRequested: false,
  }),
  initial: 'starting',
  states: {
    starting: {
      on: { 'run.begin': 'advancing' },
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
        input: ({ context }) => context.phases[context.currentIndex] as PhaseMachineInput,
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

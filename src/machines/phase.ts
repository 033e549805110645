import { and, assign, fromPromise, setup } from 'xstate';
import type { ErrorCode } from '../model/errors.js';
import type { FileChange } from '../model/fileChange.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { LLMResponse } from '../model/llm.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import type {
  AppliedChangeSet,
  EffectFailure,
  EffectInputOf,
  EffectOutcome,
  EffectOutputOf,
  PhaseEffectName,
} from './effectContracts.js';
import { FINAL_FAILURE_CODES } from './failurePolicy.js';
import { healthCheckErrors } from './feedback.js';

export interface PhaseMachineInput {
  phaseIndex: number;
  phaseId: string;
  spec: PhaseSpec;
  contextFiles: string[];
  protectedPaths: string[];
  /** Retries after the first attempt: at most maxRetries + 1 attempts. */
  maxRetries: number;
  enableHealthChecks: boolean;
  healthChecks: HealthCheckSpec[];
  backoff: BackoffPolicy;
}

export interface PhaseContext extends PhaseMachineInput {
  /** 1-based number of the attempt in progress. */
  attempt: number;
  lastErrors: string[];
  lastFailureCode: ErrorCode | null;
  response: LLMResponse | null;
  /** The parsed answer's summary, for the phase's commit. */
  summary: string;
  changes: FileChange[];
  applied: AppliedChangeSet | null;
  /** Kept as data, not as an `after` timer, because delayed transitions are not restored from snapshots. */
  backoffUntil: number | null;
  outcome: 'succeeded' | 'failed' | null;
}

export interface PhaseMachineOutput {
  phaseIndex: number;
  success: boolean;
  failureCode: ErrorCode | null;
}


function placeholder<K extends PhaseEffectName>(name: K) {
  return fromPromise<EffectOutcome<EffectOutputOf<K>>, EffectInputOf<K>>(() =>
    Promise.reject(new Error(`effect "${name}" was not provided; wire it with machine.provide({ actors })`)),
  );
}

/** Every invoked effect here resolves with an EffectOutcome, so any done event can be read this way. */
function outcomeOf(event: { type: string }): EffectOutcome<unknown> | null {
  const output = (event as { output?: unknown }).output;
  if (typeof output === 'object' && output !== null && 'ok' in output && 'at' in output) {
    return output as EffectOutcome<unknown>;
  }
  return null;
}

function failureOf(event: { type: string }): EffectFailure | null {
  const outcome = outcomeOf(event);
  return outcome !== null && !outcome.ok ? outcome.error : null;
}

/** What every step does when its effect failed: another attempt if allowed, otherwise the phase fails. */
const afterFailedStep = [
  { guard: 'canRetry', target: 'retrying', actions: ['recordFailure', 'scheduleRetry'] },
  { target: 'failed', actions: 'recordFailure' },
] as const;

export const phaseMachine = setup({
  types: {
    input: {} as PhaseMachineInput,
    context: {} as PhaseContext,
    output: {} as PhaseMachineOutput,
  },
  actors: {
    callLlm: placeholder('callLlm'),
    parseResponse: placeholder('parseResponse'),
    validateChanges: placeholder('validateChanges'),
    applyChanges: placeholder('applyChanges'),
    runHealthChecks: placeholder('runHealthChecks'),
    rollbackChanges: placeholder('rollbackChanges'),
    commitChanges: placeholder('commitChanges'),
    sleep: placeholder('sleep'),
  },
  guards: {
    effectSucceeded: ({ event }) => outcomeOf(event)?.ok === true,
    checksPassed: ({ event }) => {
      const outcome = outcomeOf(event);
      return outcome !== null && outcome.ok && (outcome.value as EffectOutputOf<'runHealthChecks'>).passed;
    },
    /** Whether the attempt that just failed may be followed by another. */
    canRetry: ({ context, event }) => {
      const code = failureOf(event)?.code ?? context.lastFailureCode;
      if (code !== null && FINAL_FAILURE_CODES.has(code)) return false;
      return context.attempt <= context.maxRetries;
    },
    rolledBackAndCanRetry: and(['effectSucceeded', 'canRetry']),
  },
  actions: {
    recordFailure: assign(({ event }) => {
      const failure = failureOf(event);
      return failure === null ? {} : { lastErrors: failure.errors, lastFailureCode: failure.code };
    }),
    recordFailedChecks: assign(({ event }) => {
      const outcome = outcomeOf(event);
      if (outcome === null || !outcome.ok) return {};
      const { results } = outcome.value as EffectOutputOf<'runHealthChecks'>;
      const deliverablesMissing = results.some((r) => r.name === 'deliverables' && !r.passed);
      return {
        lastErrors: healthCheckErrors(results),
        lastFailureCode: (deliverablesMissing ? 'DELIVERABLES_MISSING' : 'HEALTH_CHECK_FAILED') as ErrorCode,
      };
    }),
    scheduleRetry: assign(({ context, event }) => {
      const finishedAt = outcomeOf(event)?.at ?? 0;
      return { backoffUntil: finishedAt + backoffDelayMs(context.attempt, context.backoff) };
    }),
    startNextAttempt: assign(({ context }) => ({
      attempt: context.attempt + 1,
      response: null,
      summary: '',
      changes: [],
      applied: null,
      backoffUntil: null,
    })),
    markSucceeded: assign({ outcome: 'succeeded' as const, lastErrors: [], lastFailureCode: null }),
    markFailed: assign({ outcome: 'failed' as const }),
  },
}).createMachine({
  id: 'phase',
  context: ({ input }) => ({
    ...input,
    attempt: 1,
    lastErrors: [],
    lastFailureCode: null,
    response: null,
    summary: '',
    changes: [],
    applied: null,
    backoffUntil: null,
    outcome: null,
  }),
  initial: 'prompting',
  states: {
    prompting: {
      invoke: {
        id: 'callLlm',
        src: 'callLlm',
        input: ({ context }) => ({
          phaseIndex: context.phaseIndex,
          attempt: context.attempt,
          spec: context.spec,
          contextFiles: context.contextFiles,
          protectedPaths: context.protectedPaths,
          previousErrors: context.lastErrors,
        }),
        onDone: [
          {
            guard: 'effectSucceeded',
            target: 'parsing',
            actions: assign({ response: ({ event }) => (event.output.ok ? event.output.value.response : null) }),
          },
          ...afterFailedStep,
        ],
      },
    },
    parsing: {
      invoke: {
        id: 'parseResponse',
        src: 'parseResponse',
        input: ({ context }) => ({ response: context.response as LLMResponse }),
        onDone: [
          {
            guard: 'effectSucceeded',
            target: 'validating',
            actions: assign({
              changes: ({ event }) => (event.output.ok ? event.output.value.files : []),
              summary: ({ event }) => (event.output.ok ? event.output.value.summary : ''),
            }),
          },
          ...afterFailedStep,
        ],
      },
    },
    validating: {
      invoke: {
        id: 'validateChanges',
        src: 'validateChanges',
        input: ({ context }) => ({
          changes: context.changes,
          protectedPaths: context.protectedPaths,
          allowMassDeletion: context.spec.allow_mass_deletion === true,
        }),
        onDone: [
          { guard: 'effectSucceeded', target: 'applying' },
          ...afterFailedStep,
        ],
      },
    },
    applying: {
      invoke: {
        id: 'applyChanges',
        src: 'applyChanges',
        input: ({ context }) => ({ phaseIndex: context.phaseIndex, attempt: context.attempt, changes: context.changes }),
        onDone: [
          {
            guard: 'effectSucceeded',
            target: 'health_checking',
            actions: assign({ applied: ({ event }) => (event.output.ok ? event.output.value : null) }),
          },
          ...afterFailedStep,
        ],
      },
    },
    health_checking: {
      invoke: {
        id: 'runHealthChecks',
        src: 'runHealthChecks',
        input: ({ context }) => ({
          checks: context.enableHealthChecks ? context.healthChecks : [],
          deliverables: context.spec.deliverables,
          writtenPaths: (context.applied?.files ?? []).filter((f) => f.mode !== 'delete').map((f) => f.path),
        }),
        onDone: [
          { guard: 'checksPassed', target: 'committing' },
          { guard: 'effectSucceeded', target: 'rolling_back', actions: 'recordFailedChecks' },
          { target: 'rolling_back', actions: 'recordFailure' },
        ],
      },
    },
    /**
     * The phase's files become one commit (in a git repository, unless commits are off). A commit that
     * cannot be made undoes the attempt like a failed check.
     */
    committing: {
      invoke: {
        id: 'commitChanges',
        src: 'commitChanges',
        input: ({ context }) => ({
          phaseIndex: context.phaseIndex,
          phaseId: context.phaseId,
          summary: context.summary,
          files: (context.applied?.files ?? []).map((f) => f.path),
        }),
        onDone: [
          { guard: 'effectSucceeded', target: 'done' },
          { target: 'rolling_back', actions: 'recordFailure' },
        ],
      },
    },
    /** A failed attempt's changes are undone before the next attempt, so a failed phase leaves no trace. */
    rolling_back: {
      invoke: {
        id: 'rollbackChanges',
        src: 'rollbackChanges',
        input: ({ context }) => ({ applied: context.applied as AppliedChangeSet }),
        onDone: [
          {
            guard: 'rolledBackAndCanRetry',
            target: 'retrying',
            actions: [assign({ applied: null }), 'scheduleRetry'],
          },
          { guard: 'effectSucceeded', target: 'failed', actions: assign({ applied: null }) },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
    },
    retrying: {
      invoke: {
        id: 'sleep',
        src: 'sleep',
        input: ({ context }) => ({ until: context.backoffUntil ?? 0 }),
        onDone: { target: 'prompting', actions: 'startNextAttempt' },
      },
    },
    done: { type: 'final', entry: 'markSucceeded' },
    failed: { type: 'final', entry: 'markFailed' },
  },
  output: ({ context }) => ({
    phaseIndex: context.phaseIndex,
    success: context.outcome === 'succeeded',
    failureCode: context.outcome === 'succeeded' ? null : context.lastFailureCode,
  }),
});

export type PhaseMachine = typeof phaseMachine;

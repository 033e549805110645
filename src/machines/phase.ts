import { and, assign, setup } from 'xstate';
import type { ErrorCode } from '../model/errors.js';
import type { FileChange } from '../model/fileChange.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { LLMResponse } from '../model/llm.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import type {
  AppliedChangeSet,
  EffectFailure,
  EffectOutcome,
  EffectOutputOf,
  StuckVerdict,
} from './effectContracts.js';
import { FINAL_FAILURE_CODES } from './failurePolicy.js';
import { DELIVERABLES_CHECK, checksFailed, excusedFailures, healthCheckErrors, stuckExcerpt, stuckMessage } from './feedback.js';
import { effectPlaceholder } from './placeholder.js';

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
  /**
   * This many attempts in a row failing the same way (same code, same errors) end the phase at once, with
   * STUCK, however many retries are left; 0 never does.
   */
  stuckAfter: number;
  /** Health checks that already failed before the run (its baseline): failing again does not fail the phase. */
  preExisting: string[];
  /** Validated changes wait in `awaiting_approval` for a person's decision before anything is written. */
  requireApproval: boolean;
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
  /** How many attempts in a row, up to the last failed one, failed as it did (0 before any failure). */
  repeats: number;
  /** The failed checks of the last round that were excused as pre-existing. */
  excusedChecks: string[];
  /** Set when the phase stopped because its attempts kept failing the same way. */
  stuck: StuckVerdict | null;
  outcome: 'succeeded' | 'failed' | null;
}

export interface PhaseMachineOutput {
  phaseIndex: number;
  success: boolean;
  failureCode: ErrorCode | null;
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

interface Failure {
  code: ErrorCode;
  errors: readonly string[];
}

const sameFailure = (a: Failure, b: Failure): boolean =>
  a.code === b.code && a.errors.length === b.errors.length && a.errors.every((error, i) => error === b.errors[i]);

/** How many attempts in a row will have failed the same way once `failure` is recorded. */
function repeatsAfter(context: PhaseContext, failure: Failure): number {
  const last = context.lastFailureCode;
  return last !== null && context.repeats > 0 && sameFailure({ code: last, errors: context.lastErrors }, failure) ? context.repeats + 1 : 1;
}

/** A failed round of checks as a failure: what the next attempt is told, and what stuck detection compares. */
function checksFailure(results: EffectOutputOf<'runHealthChecks'>['results'], excused: readonly string[]): Failure {
  const deliverablesMissing = results.some((r) => r.name === DELIVERABLES_CHECK && !r.passed);
  return { code: deliverablesMissing ? 'DELIVERABLES_MISSING' : 'HEALTH_CHECK_FAILED', errors: healthCheckErrors(results, excused) };
}

/**
 * What follows a failed attempt: another one, or the end of the phase because the failure is final, the
 * retries are used up, or the last `stuckAfter` attempts failed the same way. The failure is the event's,
 * or, after a rollback, the one recorded before it.
 */
function afterFailure(context: PhaseContext, event: { type: string }): 'retry' | 'final' | 'exhausted' | 'stuck' {
  const failure = failureOf(event);
  const code = failure?.code ?? context.lastFailureCode;
  if (code !== null && FINAL_FAILURE_CODES.has(code)) return 'final';
  if (context.attempt > context.maxRetries) return 'exhausted';
  // A person's rejection is a judgement, not a symptom: two alike are no sign that the model is stuck.
  if (code === 'APPROVAL_REJECTED') return 'retry';
  const repeats = failure === null ? context.repeats : repeatsAfter(context, failure);
  return context.stuckAfter > 0 && repeats >= context.stuckAfter ? 'stuck' : 'retry';
}

/** What every step does when its effect failed: another attempt if allowed, otherwise the phase fails. */
const afterFailedStep = [
  { guard: 'canRetry', target: 'retrying', actions: ['recordFailure', 'scheduleRetry'] },
  { guard: 'isStuck', target: 'failed', actions: ['recordFailure', 'markStuck'] },
  { target: 'failed', actions: 'recordFailure' },
] as const;

export const phaseMachine = setup({
  types: {
    input: {} as PhaseMachineInput,
    context: {} as PhaseContext,
    output: {} as PhaseMachineOutput,
  },
  actors: {
    callLlm: effectPlaceholder('callLlm'),
    parseResponse: effectPlaceholder('parseResponse'),
    validateChanges: effectPlaceholder('validateChanges'),
    awaitApproval: effectPlaceholder('awaitApproval'),
    applyChanges: effectPlaceholder('applyChanges'),
    runHealthChecks: effectPlaceholder('runHealthChecks'),
    rollbackChanges: effectPlaceholder('rollbackChanges'),
    commitChanges: effectPlaceholder('commitChanges'),
    sleep: effectPlaceholder('sleep'),
  },
  guards: {
    effectSucceeded: ({ event }) => outcomeOf(event)?.ok === true,
    needsApproval: ({ context }) => context.requireApproval,
    /** Every check passed, or failed before the run too (the deliverables check excepted). */
    checksPassed: ({ context, event }) => {
      const outcome = outcomeOf(event);
      if (outcome === null || !outcome.ok) return false;
      const { results } = outcome.value as EffectOutputOf<'runHealthChecks'>;
      return !checksFailed(results, excusedFailures(results, context.preExisting));
    },
    /** Whether the attempt that just failed may be followed by another. */
    canRetry: ({ context, event }) => afterFailure(context, event) === 'retry',
    /** Whether the attempt that just failed is the last of `stuckAfter` that failed the same way, with retries left. */
    isStuck: ({ context, event }) => afterFailure(context, event) === 'stuck',
    rolledBackAndCanRetry: and(['effectSucceeded', 'canRetry']),
    rolledBackAndStuck: and(['effectSucceeded', 'isStuck']),
    validAndNeedsApproval: and(['effectSucceeded', 'needsApproval']),
  },
  actions: {
    recordFailure: assign(({ context, event }) => {
      const failure = failureOf(event);
      return failure === null ? {} : { lastErrors: failure.errors, lastFailureCode: failure.code, repeats: repeatsAfter(context, failure) };
    }),
    recordExcusedChecks: assign(({ context, event }) => {
      const outcome = outcomeOf(event);
      if (outcome === null || !outcome.ok) return {};
      return { excusedChecks: excusedFailures((outcome.value as EffectOutputOf<'runHealthChecks'>).results, context.preExisting) };
    }),
    recordFailedChecks: assign(({ context, event }) => {
      const outcome = outcomeOf(event);
      if (outcome === null || !outcome.ok) return {};
      const { results } = outcome.value as EffectOutputOf<'runHealthChecks'>;
      const excused = excusedFailures(results, context.preExisting);
      const failure = checksFailure(results, excused);
      return { lastErrors: [...failure.errors], lastFailureCode: failure.code, repeats: repeatsAfter(context, failure), excusedChecks: excused };
    }),
    /** The phase ends with STUCK; its errors say which attempts failed alike, how, and what was left. */
    markStuck: assign(({ context }) => {
      const stuck: StuckVerdict = {
        attempts: Array.from({ length: context.repeats }, (_, i) => context.attempt - context.repeats + 1 + i),
        code: context.lastFailureCode ?? 'INTERNAL',
        error: stuckExcerpt(context.lastErrors),
        retriesLeft: context.maxRetries + 1 - context.attempt,
      };
      return { stuck, lastFailureCode: 'STUCK' as ErrorCode, lastErrors: [stuckMessage(stuck)] };
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
      excusedChecks: [],
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
    repeats: 0,
    excusedChecks: [],
    stuck: null,
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
          { guard: 'validAndNeedsApproval', target: 'awaiting_approval' },
          { guard: 'effectSucceeded', target: 'applying' },
          ...afterFailedStep,
        ],
      },
    },
    /**
     * The validated changes wait for a person, with nothing written yet. The wait is a state in the log,
     * not a process: a run may exit here and be resumed once someone has decided. A rejection is a failed
     * attempt whose error is the person's feedback.
     */
    awaiting_approval: {
      invoke: {
        id: 'awaitApproval',
        src: 'awaitApproval',
        input: ({ context }) => ({
          phaseIndex: context.phaseIndex,
          phaseId: context.phaseId,
          attempt: context.attempt,
          summary: context.summary,
          changes: context.changes,
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
          { guard: 'checksPassed', target: 'committing', actions: 'recordExcusedChecks' },
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
          { guard: 'rolledBackAndStuck', target: 'failed', actions: [assign({ applied: null }), 'markStuck'] },
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

import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { phaseMachine, type PhaseMachineInput } from '../../src/machines/phase.js';
import type { EffectOutcome } from '../../src/machines/effectContracts.js';
import { DEFAULT_BACKOFF } from '../../src/machines/backoff.js';

/** `rejected`: a person rejects the attempt at its approval gate (only reached with `requireApproval`). */
export type AttemptOutcome = 'llm_error' | 'unparseable' | 'invalid' | 'apply_error' | 'health_fail' | 'rejected' | 'success';
export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = [
  'llm_error',
  'unparseable',
  'invalid',
  'apply_error',
  'health_fail',
  'success',
];

export function phaseInput(overrides: Partial<PhaseMachineInput> = {}): PhaseMachineInput {
  return {
    phaseIndex: 0,
    phaseId: 'p1',
    spec: {
      description: 'do it',
      category: 'feature',
      complexity: 'low',
      acceptance_criteria: ['works'],
      deliverables: ['a.txt'],
    },
    contextFiles: [],
    protectedPaths: ['.git/'],
    maxRetries: 3,
    enableHealthChecks: true,
    healthChecks: [],
    backoff: DEFAULT_BACKOFF,
    // Off unless a test is about them: the retry properties count every attempt.
    stuckAfter: 0,
    preExisting: [],
    requireApproval: false,
    ...overrides,
  };
}

const ok = <T>(value: T, at: number): EffectOutcome<T> => ({ ok: true, value, at });
const fail = (code: 'LLM_FAILED' | 'RESPONSE_UNPARSEABLE' | 'CHANGES_INVALID' | 'APPLY_FAILED', at: number) =>
  ({ ok: false, error: { code, errors: [`${code} at ${at}`], retryable: true }, at }) as const;

const response = { content: '{}', finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 5 } };
const applied = { backupDir: '/b', files: [{ path: 'a.txt', mode: 'create' as const, existedBefore: false, beforeSha256: null, afterSha256: 'x', bytes: 1 }], createdDirs: [] };

type PhaseEvent = EventFromLogic<typeof phaseMachine>;
const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as PhaseEvent;

export interface DriveTrace {
  states: string[];
  llmCalls: number;
  attempts: number;
  backoffDelays: number[];
  previousErrorsSeen: string[][];
  final: 'done' | 'failed';
}

/**
 * Runs the pure phase machine with `transition()` alone, answering each invoked effect from the given
 * per-attempt outcomes, as the runtime would. Time advances by 1 s per effect.
 */
export function drivePhase(input: PhaseMachineInput, outcomes: readonly AttemptOutcome[], options: { commitFails?: boolean } = {}): DriveTrace {
  let [snapshot] = initialTransition(phaseMachine, input);
  let now = 1_000_000;
  const trace: DriveTrace = { states: [], llmCalls: 0, attempts: 1, backoffDelays: [], previousErrorsSeen: [], final: 'failed' };
  for (let step = 0; step < 1_000; step += 1) {
    const state = String(snapshot.value);
    trace.states.push(state);
    if (snapshot.status === 'done') {
      trace.final = state === 'done' ? 'done' : 'failed';
      return trace;
    }
    const outcome = outcomes[snapshot.context.attempt - 1] ?? 'success';
    now += 1_000;
    let event: PhaseEvent;
    switch (state) {
      case 'prompting':
        trace.llmCalls += 1;
        trace.previousErrorsSeen.push(snapshot.context.lastErrors);
        event = done('callLlm', outcome === 'llm_error' ? fail('LLM_FAILED', now) : ok({ request: {}, response, latencyMs: 1, context: [] }, now));
        break;
      case 'parsing':
        event = done('parseResponse', outcome === 'unparseable' ? fail('RESPONSE_UNPARSEABLE', now) : ok({ summary: 's', files: [{ path: 'a.txt', mode: 'create', new_content: 'x' }] }, now));
        break;
      case 'validating':
        event = done('validateChanges', outcome === 'invalid' ? fail('CHANGES_INVALID', now) : ok({ checked: 1 }, now));
        break;
      case 'awaiting_approval':
        event = done(
          'awaitApproval',
          outcome === 'rejected'
            ? ({ ok: false, error: { code: 'APPROVAL_REJECTED', errors: ['a reviewer (ana) rejected these changes: same words'], retryable: true }, at: now } as const)
            : ok({ by: 'ana', via: 'cli', decidedAt: now, feedback: null }, now),
        );
        break;
      case 'applying':
        event = done('applyChanges', outcome === 'apply_error' ? fail('APPLY_FAILED', now) : ok(applied, now));
        break;
      case 'health_checking': {
        const passed = outcome !== 'health_fail';
        const results = [{ name: 'test', passed, exit_code: passed ? 0 : 1, duration: 0.1, output_tail: passed ? '' : 'boom', timed_out: false }];
        event = done('runHealthChecks', ok({ passed, results }, now));
        break;
      }
      case 'committing':
        event = done(
          'commitChanges',
          options.commitFails === true
            ? ({ ok: false, error: { code: 'GIT_FAILED', errors: ['HEAD moved'], retryable: false }, at: now } as const)
            : ok({ sha: 'c0ffee', files: ['a.txt'] }, now),
        );
        break;
      case 'rolling_back':
        event = done('rollbackChanges', ok({ restored: ['a.txt'] }, now));
        break;
      case 'retrying': {
        const until = snapshot.context.backoffUntil ?? 0;
        trace.backoffDelays.push(until - now + 1_000);
        now = Math.max(now, until);
        event = done('sleep', ok({ sleptMs: 0 }, now));
        trace.attempts += 1;
        break;
      }
      default:
        throw new Error(`unexpected state ${state}`);
    }
    [snapshot] = transition(phaseMachine, snapshot, event);
  }
  throw new Error('phase machine did not finish in 1000 steps');
}

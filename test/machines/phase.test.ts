import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { phaseMachine } from '../../src/machines/phase.js';
import { backoffDelayMs } from '../../src/machines/backoff.js';
import { ATTEMPT_OUTCOMES, drivePhase, phaseInput, type AttemptOutcome } from '../support/phaseDriver.js';

type PhaseEvent = EventFromLogic<typeof phaseMachine>;

describe('phase machine (pure, via transition())', () => {
  it('starts by invoking callLlm with the phase data and no previous errors', () => {
    const [snapshot, actions] = initialTransition(phaseMachine, phaseInput());
    expect(snapshot.value).toBe('prompting');
    const spawn = actions.find((a) => a.type === 'xstate.spawnChild') as { params?: { src?: unknown; input?: { attempt: number; previousErrors: string[] } } } | undefined;
    expect(spawn?.params?.src).toBe('callLlm');
    expect(spawn?.params?.input).toMatchObject({ attempt: 1, previousErrors: [] });
  });

  it('walks prompting → parsing → validating → applying → health_checking → done on success', () => {
    const trace = drivePhase(phaseInput(), ['success']);
    expect(trace.states).toEqual(['prompting', 'parsing', 'validating', 'applying', 'health_checking', 'committing', 'done']);
    expect(trace.final).toBe('done');
  });

  it('undoes the attempt and fails the phase, without a retry, when its commit cannot be made', () => {
    const trace = drivePhase(phaseInput({ maxRetries: 3 }), ['success'], { commitFails: true });
    expect(trace.states).toEqual(['prompting', 'parsing', 'validating', 'applying', 'health_checking', 'committing', 'rolling_back', 'failed']);
    expect(trace.llmCalls).toBe(1);
  });

  it('rolls back before retrying when a health check fails, and feeds the output to the next prompt', () => {
    const trace = drivePhase(phaseInput({ maxRetries: 1 }), ['health_fail', 'success']);
    expect(trace.states).toEqual([
      'prompting', 'parsing', 'validating', 'applying', 'health_checking', 'rolling_back', 'retrying',
      'prompting', 'parsing', 'validating', 'applying', 'health_checking', 'committing', 'done',
    ]);
    expect(trace.previousErrorsSeen[1]?.[0]).toContain('health check "test" exited with code 1');
    expect(trace.previousErrorsSeen[1]?.[0]).toContain('boom');
  });

  it('keeps the backoff deadline in context, computed from when the failed effect finished', () => {
    const [start] = initialTransition(phaseMachine, phaseInput({ backoff: { initialMs: 500, maxMs: 10_000, multiplier: 2 } }));
    const failure = { type: 'xstate.done.actor.callLlm', output: { ok: false, error: { code: 'LLM_FAILED', errors: ['down'], retryable: true }, at: 42_000 } } as unknown as PhaseEvent;
    const [next] = transition(phaseMachine, start, failure);
    expect(next.value).toBe('retrying');
    expect(next.context.backoffUntil).toBe(42_500);
    expect(next.context.lastErrors).toEqual(['down']);
  });

  it('does not retry an aborted attempt', () => {
    const [start] = initialTransition(phaseMachine, phaseInput({ maxRetries: 5 }));
    const aborted = { type: 'xstate.done.actor.callLlm', output: { ok: false, error: { code: 'ABORTED', errors: ['cancelled'], retryable: false }, at: 1 } } as unknown as PhaseEvent;
    const [next] = transition(phaseMachine, start, aborted);
    expect(next.value).toBe('failed');
    expect(next.output).toMatchObject({ success: false, failureCode: 'ABORTED' });
  });

  it('does not retry an apply whose undo failed: the next attempt would start from a half-restored tree', () => {
    const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as PhaseEvent;
    const response = { content: '{}', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
    let [snapshot] = initialTransition(phaseMachine, phaseInput({ maxRetries: 5 }));
    for (const event of [
      done('callLlm', { ok: true, value: { request: {}, response, latencyMs: 1, context: [] }, at: 1 }),
      done('parseResponse', { ok: true, value: { summary: 's', files: [] }, at: 2 }),
      done('validateChanges', { ok: true, value: { checked: 0 }, at: 3 }),
    ]) [snapshot] = transition(phaseMachine, snapshot, event);
    expect(snapshot.value).toBe('applying');
    const [next] = transition(phaseMachine, snapshot, done('applyChanges', { ok: false, error: { code: 'ROLLBACK_FAILED', errors: ['a.txt could not be restored'], retryable: false }, at: 4 }));
    expect(next.value).toBe('failed');
    expect(next.output).toMatchObject({ success: false, failureCode: 'ROLLBACK_FAILED' });
  });

  it('does not retry a repository file that cannot be read', () => {
    const [start] = initialTransition(phaseMachine, phaseInput({ maxRetries: 5 }));
    const unreadable = { type: 'xstate.done.actor.callLlm', output: { ok: false, error: { code: 'FILE_UNREADABLE', errors: ['cannot read a.txt'], retryable: false }, at: 1 } } as unknown as PhaseEvent;
    const [next] = transition(phaseMachine, start, unreadable);
    expect(next.value).toBe('failed');
    expect(next.output).toMatchObject({ success: false, failureCode: 'FILE_UNREADABLE' });
  });
});

const outcomeArb = fc.constantFrom<AttemptOutcome>(...ATTEMPT_OUTCOMES);

describe('retry logic (properties)', () => {
  it('bounds attempts, succeeds iff a success comes in time, calls the model once per attempt', () => {
    fc.assert(
      // Six or more outcomes: always enough for the 1..6 attempts that maxRetries 0..5 allows.
      fc.property(fc.integer({ min: 0, max: 5 }), fc.array(outcomeArb, { minLength: 6, maxLength: 8 }), (maxRetries, outcomes) => {
        const trace = drivePhase(phaseInput({ maxRetries }), outcomes);
        const firstSuccess = outcomes.slice(0, maxRetries + 1).indexOf('success');
        expect(trace.attempts).toBeLessThanOrEqual(maxRetries + 1);
        expect(trace.final).toBe(firstSuccess >= 0 ? 'done' : 'failed');
        expect(trace.attempts).toBe(firstSuccess >= 0 ? firstSuccess + 1 : maxRetries + 1);
        expect(trace.llmCalls).toBe(trace.attempts);
        expect(trace.backoffDelays.length).toBe(trace.attempts - 1);
      }),
    );
  });

  it('backoff never decreases and never exceeds its cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (initialMs, maxMs, multiplier, retries) => {
          const policy = { initialMs, maxMs, multiplier };
          let previous = 0;
          for (let retry = 1; retry <= retries; retry += 1) {
            const delay = backoffDelayMs(retry, policy);
            expect(delay).toBeGreaterThanOrEqual(previous);
            expect(delay).toBeLessThanOrEqual(maxMs);
            previous = delay;
          }
        },
      ),
    );
  });

  it('the machine sleeps exactly the policy delays between attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), (maxRetries) => {
        const policy = { initialMs: 1_000, maxMs: 5_000, multiplier: 2 };
        const trace = drivePhase(phaseInput({ maxRetries, backoff: policy }), Array(maxRetries + 1).fill('llm_error'));
        expect(trace.backoffDelays).toEqual(Array.from({ length: maxRetries }, (_, i) => backoffDelayMs(i + 1, policy)));
      }),
    );
  });
});

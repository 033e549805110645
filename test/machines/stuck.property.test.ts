import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type EventFromLogic, type SnapshotFrom } from 'xstate';
import type { EffectOutcome } from '../../src/machines/effectContracts.js';
import { phaseMachine, type PhaseMachineInput } from '../../src/machines/phase.js';
import { phaseInput } from '../support/phaseDriver.js';

type PhaseEvent = EventFromLogic<typeof phaseMachine>;
type Snapshot = SnapshotFrom<typeof phaseMachine>;

/** How an attempt ends: a failure at one step, with one of two texts (so that two failures can be alike or not), or success. */
type Failure = { step: 'llm' | 'parse' | 'invalid' | 'apply' | 'health'; text: 'a' | 'b' };
type Attempt = Failure | 'success';

const alike = (x: Attempt, y: Attempt): boolean => x !== 'success' && y !== 'success' && x.step === y.step && x.text === y.text;

const done = (id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as PhaseEvent;
const ok = <T>(value: T, at: number): EffectOutcome<T> => ({ ok: true, value, at });
const fail = (code: string, text: string, at: number) => ({ ok: false, error: { code, errors: [`problem ${text}`], retryable: true }, at });
const response = { content: '{}', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
const applied = { backupDir: '/b', files: [{ path: 'a.txt', mode: 'create', existedBefore: false, beforeSha256: null, afterSha256: 'x', bytes: 1 }], createdDirs: [] };

interface Run {
  attempts: number;
  final: string;
  failureCode: string | null;
  lastErrors: string[];
  snapshot: Snapshot;
}

/** Runs the pure machine with transition() alone, answering each effect as the attempt's outcome says. */
function run(input: PhaseMachineInput, attempts: readonly Attempt[]): Run {
  let [snapshot] = initialTransition(phaseMachine, input);
  let now = 1_000;
  for (let step = 0; step < 500 && snapshot.status !== 'done'; step += 1) {
    const outcome = attempts[snapshot.context.attempt - 1] ?? 'success';
    const failing = (at: Failure['step']) => outcome !== 'success' && outcome.step === at;
    const text = outcome === 'success' ? 'a' : outcome.text;
    now += 1_000;
    let event: PhaseEvent;
    switch (snapshot.value) {
      case 'prompting':
        event = done('callLlm', failing('llm') ? fail('LLM_FAILED', text, now) : ok({ request: {}, response, latencyMs: 1, context: [] }, now));
        break;
      case 'parsing':
        event = done('parseResponse', failing('parse') ? fail('RESPONSE_UNPARSEABLE', text, now) : ok({ summary: 's', files: [] }, now));
        break;
      case 'validating':
        event = done('validateChanges', failing('invalid') ? fail('CHANGES_INVALID', text, now) : ok({ checked: 1 }, now));
        break;
      case 'applying':
        event = done('applyChanges', failing('apply') ? fail('APPLY_FAILED', text, now) : ok(applied, now));
        break;
      case 'health_checking': {
        const passed = !failing('health');
        const results = [
          { name: 'deliverables', passed: true, exit_code: null, duration: 0, output_tail: '', timed_out: false },
          // The duration differs every time: only what is fed back to the model counts as the failure.
          { name: 'tests', passed, exit_code: passed ? 0 : 1, duration: now / 1e6, output_tail: passed ? '' : `failed: ${text}`, timed_out: false },
        ];
        event = done('runHealthChecks', ok({ passed, results }, now));
        break;
      }
      case 'committing':
        event = done('commitChanges', ok({ sha: 'c0ffee', files: ['a.txt'] }, now));
        break;
      case 'rolling_back':
        event = done('rollbackChanges', ok({ restored: ['a.txt'] }, now));
        break;
      case 'retrying':
        now = Math.max(now, snapshot.context.backoffUntil ?? 0);
        event = done('sleep', ok({ sleptMs: 0 }, now));
        break;
      default:
        throw new Error(`unexpected state ${String(snapshot.value)}`);
    }
    [snapshot] = transition(phaseMachine, snapshot, event);
  }
  const output = snapshot.output as { failureCode: string | null } | undefined;
  return { attempts: snapshot.context.attempt, final: String(snapshot.value), failureCode: output?.failureCode ?? null, lastErrors: snapshot.context.lastErrors, snapshot };
}

const failureArb: fc.Arbitrary<Failure> = fc.record({
  step: fc.constantFrom<Failure['step']>('llm', 'parse', 'invalid', 'apply', 'health'),
  text: fc.constantFrom<Failure['text']>('a', 'b'),
});
const attemptArb: fc.Arbitrary<Attempt> = fc.oneof({ weight: 6, arbitrary: failureArb }, { weight: 1, arbitrary: fc.constant<Attempt>('success') });

/** Drops each attempt that fails just like the one before it: consecutive failures then always differ. */
const differing = (attempts: readonly Attempt[]): Attempt[] => attempts.filter((a, i) => i === 0 || !alike(a, attempts[i - 1] as Attempt));

const fast = { initialMs: 1, maxMs: 1, multiplier: 1 };

describe('stuck detection (properties, pure machine)', () => {
  it('never ends a phase whose consecutive failures differ: it runs exactly as with stuck detection off', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 2, max: 4 }),
        fc.array(attemptArb, { minLength: 1, maxLength: 10 }),
        (maxRetries, stuckAfter, drawn) => {
          const attempts = differing(drawn);
          const on = run(phaseInput({ maxRetries, stuckAfter, backoff: fast }), attempts);
          const off = run(phaseInput({ maxRetries, stuckAfter: 0, backoff: fast }), attempts);
          expect(on.failureCode).not.toBe('STUCK');
          expect(on.snapshot.context.stuck).toBeNull();
          expect([on.final, on.attempts, on.failureCode, on.lastErrors]).toEqual([off.final, off.attempts, off.failureCode, off.lastErrors]);
        },
      ),
    );
  });

  it('always ends it, with STUCK and retries left, once stuckAfter identical failures come in a row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.array(failureArb, { maxLength: 4 }),
        failureArb,
        fc.array(attemptArb, { maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (stuckAfter, drawnPrefix, repeated, rest, spare) => {
          // Differing failures (none like the repeated one at its end), then stuckAfter alike, then anything.
          const prefix = differing(drawnPrefix).filter((a, i, all) => i < all.length - 1 || !alike(a, repeated)) as Failure[];
          const stuckAt = prefix.length + stuckAfter;
          const attempts: Attempt[] = [...prefix, ...Array.from({ length: stuckAfter }, () => ({ ...repeated })), ...rest];
          // Retries left when it happens: at least one more attempt would be allowed.
          const maxRetries = stuckAt + spare;
          const result = run(phaseInput({ maxRetries, stuckAfter, backoff: fast }), attempts);
          expect(result.final).toBe('failed');
          expect(result.attempts).toBe(stuckAt);
          expect(result.failureCode).toBe('STUCK');
          const retriesLeft = maxRetries + 1 - stuckAt;
          expect(result.snapshot.context.stuck).toMatchObject({
            attempts: Array.from({ length: stuckAfter }, (_, i) => prefix.length + 1 + i),
            retriesLeft,
          });
          expect(result.lastErrors).toHaveLength(1);
          expect(result.lastErrors[0]).toMatch(new RegExp(`^stuck: attempts .* failed the same way \\(.+\\); stopped with ${retriesLeft} retr(y|ies) left$`));
        },
      ),
    );
  });
});

describe('stuck detection (examples)', () => {
  const invalid: Failure = { step: 'invalid', text: 'a' };

  it('says which attempts failed alike, how, and how many retries were left', () => {
    const result = run(phaseInput({ maxRetries: 3, stuckAfter: 2, backoff: fast }), [{ step: 'parse', text: 'a' }, invalid, invalid, 'success']);
    expect(result).toMatchObject({ final: 'failed', attempts: 3, failureCode: 'STUCK' });
    expect(result.lastErrors).toEqual(['stuck: attempts 2 and 3 failed the same way (CHANGES_INVALID: problem a); stopped with 1 retry left']);
  });

  it('ends after a failed check round the same way, through the rollback', () => {
    const health: Failure = { step: 'health', text: 'b' };
    const result = run(phaseInput({ maxRetries: 5, stuckAfter: 3, backoff: fast }), [health, health, health]);
    expect(result).toMatchObject({ final: 'failed', attempts: 3, failureCode: 'STUCK' });
    expect(result.snapshot.context.applied).toBeNull();
    expect(result.lastErrors[0]).toBe('stuck: attempts 1, 2 and 3 failed the same way (HEALTH_CHECK_FAILED: health check "tests" exited with code 1: failed: b); stopped with 3 retries left');
  });

  it('is an ordinary failure when no retry is left, and off with stuckAfter 0', () => {
    expect(run(phaseInput({ maxRetries: 1, stuckAfter: 2, backoff: fast }), [invalid, invalid])).toMatchObject({ attempts: 2, failureCode: 'CHANGES_INVALID' });
    expect(run(phaseInput({ maxRetries: 4, stuckAfter: 0, backoff: fast }), [invalid, invalid, invalid, invalid, invalid])).toMatchObject({
      attempts: 5,
      failureCode: 'CHANGES_INVALID',
    });
  });
});

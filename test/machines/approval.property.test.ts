import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_OUTCOMES, drivePhase, phaseInput, type AttemptOutcome } from '../support/phaseDriver.js';

const outcomes = fc.array(fc.constantFrom<AttemptOutcome>(...ATTEMPT_OUTCOMES, 'rejected'), { maxLength: 8 });
const retries = fc.integer({ min: 0, max: 6 });

describe('the approval gate in the phase machine (fast-check, the pure machine)', () => {
  it('writes nothing before a decision: every apply comes straight after the gate, and only with a gate when one is required', () => {
    fc.assert(
      fc.property(outcomes, retries, fc.boolean(), (attempts, maxRetries, requireApproval) => {
        const trace = drivePhase(phaseInput({ maxRetries, requireApproval, stuckAfter: 2 }), attempts);
        trace.states.forEach((state, i) => {
          if (state === 'applying') expect(trace.states[i - 1]).toBe(requireApproval ? 'awaiting_approval' : 'validating');
          if (state === 'awaiting_approval') expect(requireApproval).toBe(true);
        });
      }),
    );
  });

  it('treats a rejection as a failed attempt: retried while retries are left, never stuck, the feedback told to the next attempt', () => {
    fc.assert(
      fc.property(fc.array(fc.constant<AttemptOutcome>('rejected'), { minLength: 1, maxLength: 8 }), retries, (attempts, maxRetries) => {
        const trace = drivePhase(phaseInput({ maxRetries, requireApproval: true, stuckAfter: 2 }), attempts);
        const rejectedAttempts = Math.min(attempts.length, maxRetries + 1);
        // Alike rejections never end the phase early: it gets every attempt it is allowed.
        expect(trace.llmCalls).toBe(attempts.length > maxRetries ? maxRetries + 1 : attempts.length + 1);
        expect(trace.final).toBe(attempts.length > maxRetries ? 'failed' : 'done');
        for (let attempt = 2; attempt <= Math.min(rejectedAttempts + 1, trace.llmCalls); attempt += 1) {
          expect(trace.previousErrorsSeen[attempt - 1]).toEqual(['a reviewer (ana) rejected these changes: same words']);
        }
      }),
    );
  });
});

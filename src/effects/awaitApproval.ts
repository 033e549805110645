import { setTimeout as delay } from 'node:timers/promises';
import type { AwaitApprovalInput, AwaitApprovalOutput, InterruptReason } from '../machines/effectContracts.js';
import { rejectionError, type ApprovalDecision, type RejectionDetail } from '../model/approval.js';
import { AutopackError } from '../model/errors.js';
import type { FileDiff } from '../diff/fileDiff.js';
import { proposedDiffs } from '../diff/proposedDiffs.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** What `approval.requested` logs: the attempt's proposal as diffs against the files as they are now. */
export interface ApprovalRequest {
  phaseIndex: number;
  attempt: number;
  phaseId: string;
  summary: string;
  files: FileDiff[];
}

/** Where a gate's decisions come from and its requests go; the runtime implements it over the run's streams. */
export interface ApprovalGate {
  /** The decision about this attempt of the phase, once someone has made one. */
  decision(phaseIndex: number, attempt: number): Promise<ApprovalDecision | null>;
  /** Whether this attempt's request is in the log already (a resumed run does not ask twice). */
  requested(phaseIndex: number, attempt: number): boolean;
  /** Logs the request; settles once it is in the log, so nobody is asked about what the log does not show. */
  request(request: ApprovalRequest): Promise<void>;
  /** false: a gate with no decision yet stops the run resumably (`--no-wait`) rather than wait. */
  wait: boolean;
  /** How often a waiting gate looks for the decision. */
  pollMs: number;
}

export interface AwaitApprovalDeps extends EffectRuntime {
  repoRoot: string;
  approvals: ApprovalGate;
  interrupt: (reason: InterruptReason, message: string) => void;
}

/** Settles only by rejecting, when the signal aborts (the run stopping after its interruption is logged). */
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/**
 * Holds a phase's validated changes until a person decides. The first time the attempt reaches the gate
 * it logs the proposal's diffs (`approval.requested`); then it polls the run's decisions until one
 * about this attempt is there, or, told not to wait, stops the run resumably. A rejection fails the
 * attempt with the person's feedback as its error.
 */
export function fromAwaitApproval(deps: AwaitApprovalDeps) {
  const gate = deps.approvals;
  return fromEffect<AwaitApprovalInput, AwaitApprovalOutput>(deps, {
    name: 'awaitApproval',
    failureCode: 'INTERNAL',
    retryable: false,
    cancellable: true,
    run: async ({ phaseIndex, attempt, phaseId, summary, changes }, signal) => {
      let decision = await gate.decision(phaseIndex, attempt);
      if (decision === null && !gate.requested(phaseIndex, attempt)) {
        await gate.request({ phaseIndex, attempt, phaseId, summary, files: proposedDiffs(deps.repoRoot, changes) });
      }
      if (decision === null && !gate.wait) {
        deps.interrupt('approval', `phase ${phaseId} (attempt ${attempt}) waits for approval of its changes`);
        await untilAborted(signal);
      }
      while (decision === null) {
        await delay(gate.pollMs, undefined, { signal });
        decision = await gate.decision(phaseIndex, attempt);
      }
      if (!decision.approved) {
        const detail: RejectionDetail = { by: decision.by, via: decision.via, decidedAt: decision.at, feedback: decision.feedback ?? '' };
        throw new AutopackError('APPROVAL_REJECTED', rejectionError(decision), { retryable: true, detail: JSON.stringify(detail) });
      }
      return { by: decision.by, via: decision.via, decidedAt: decision.at, feedback: decision.feedback };
    },
  });
}

import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { AwaitApprovalInput, AwaitApprovalOutput, InterruptReason } from '../machines/effectContracts.js';
import { rejectionError, type ApprovalDecision, type RejectionDetail } from '../model/approval.js';
import { AutopackError } from '../model/errors.js';
import type { FileDiff } from '../diff/fileDiff.js';
import { proposedDiffs } from '../diff/proposedDiffs.js';
import { isAbsent } from '../model/osError.js';
import { sha256 } from '../workspace/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** What `approval.requested` logs: the attempt's proposal as diffs against the files as they are now. */
export interface ApprovalRequest {
  phaseIndex: number;
  attempt: number;
  phaseId: string;
  summary: string;
  files: FileDiff[];
  /** Each proposed file's sha256 as it was when approval was asked for (null: absent), to see that it has not changed since. */
  hashes: Record<string, string | null>;
}

/** Where a gate's decisions come from and its requests go; the runtime implements it over the run's streams. */
export interface ApprovalGate {
  /** The decision about this attempt of the phase, once someone has made one. */
  decision(phaseIndex: number, attempt: number): Promise<ApprovalDecision | null>;
  /** The hashes this attempt's request logged, or null when it has not asked yet (a resumed run does not ask twice). */
  requested(phaseIndex: number, attempt: number): Record<string, string | null> | null;
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

/** The files' hashes as they are now (null: absent). */
function hashesNow(repoRoot: string, paths: readonly string[]): Record<string, string | null> {
  const hashes: Record<string, string | null> = {};
  for (const relative of paths) {
    try {
      hashes[relative] = sha256(fs.readFileSync(path.join(repoRoot, relative)));
    } catch (error) {
      if (!isAbsent(error)) throw error;
      hashes[relative] = null;
    }
  }
  return hashes;
}

/**
 * A person approved the diff against the files as they were when asked: a file changed since (an edit
 * made during the wait) would be overwritten with changes nobody saw against it. Nothing is written then;
 * the attempt fails, and the model is asked again against the files as they are now.
 */
function refuseIfChanged(repoRoot: string, asked: Record<string, string | null>): void {
  const now = hashesNow(repoRoot, Object.keys(asked));
  const changed = Object.keys(asked).filter((p) => now[p] !== asked[p]);
  if (changed.length === 0) return;
  throw new AutopackError(
    'CHANGES_INVALID',
    `${changed.join(', ')} changed on disk while the proposal waited for approval, so the approved diff no longer shows what would be written; ` +
      'nothing was written, and the model is asked again against the files as they are now',
    { retryable: true },
  );
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
      let asked = gate.requested(phaseIndex, attempt);
      if (decision === null && asked === null) {
        asked = hashesNow(deps.repoRoot, changes.map((c) => c.path));
        await gate.request({ phaseIndex, attempt, phaseId, summary, files: proposedDiffs(deps.repoRoot, changes), hashes: asked });
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
      if (asked !== null) refuseIfChanged(deps.repoRoot, asked);
      return { by: decision.by, via: decision.via, decidedAt: decision.at, feedback: decision.feedback };
    },
  });
}

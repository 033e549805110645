/**
 * What the inspector shows about a run's approval gates: the phase waiting at one, with the diff it
 * proposes, and every decision made, read from the run's log and from its decisions stream (a decision
 * is there before the run reads it, and stays there alone while nothing drives the run).
 */
import type { FileDiff } from '../diff/index.js';
import type { ApprovalDecision } from '../model/approval.js';
import { waitingPhase } from '../runtime/decideApproval.js';
import { isDriven } from '../runtime/lease.js';
import { decisionFor, readDecisions } from '../store/decisions.js';
import { foldRunState, type EventStore, type RunState, type StoredRunEvent } from '../store/index.js';

export interface WaitingGate {
  phaseIndex: number;
  phaseId: string;
  attempt: number;
  summary: string;
  /** Each proposed file's diff against the file as it was when approval was asked for. */
  files: FileDiff[];
  requestedAt: number;
  /** Made already, and not yet read by the run (nothing drives it: `resume` continues it); null while undecided. */
  decision: ApprovalDecision | null;
}

export interface ApprovalView {
  status: RunState['status'];
  /** The phase waiting at its gate; null when none waits. */
  waiting: WaitingGate | null;
  /** Whether a live process drives the run, and so goes on by itself once the gate is decided. */
  driven: boolean;
  /** Every decision about the run, oldest first, with its phase's id. */
  decisions: (ApprovalDecision & { phaseId: string })[];
}

export async function approvalView(store: EventStore, runId: string, events: readonly StoredRunEvent[]): Promise<ApprovalView> {
  const state = foldRunState(events);
  const { decisions } = await readDecisions(store, runId);
  const phase = waitingPhase(state);
  return {
    status: state.status,
    waiting:
      phase === null
        ? null
        : {
            phaseIndex: phase.index,
            phaseId: phase.id,
            attempt: phase.approval.attempt,
            summary: phase.approval.summary,
            files: phase.approval.files,
            requestedAt: phase.approval.requestedAt,
            decision: decisionFor(decisions, phase.index, phase.approval.attempt),
          },
    driven: await isDriven(store, runId),
    decisions: decisions.map((d) => ({ ...d, phaseId: state.phases[d.phaseIndex]?.id ?? `phase-${d.phaseIndex}` })),
  };
}

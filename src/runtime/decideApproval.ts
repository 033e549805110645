import os from 'node:os';
import type { ApprovalDecision, ApprovalSource } from '../model/approval.js';
import { AutopackError } from '../model/errors.js';
import { appendDecision, decisionFor, readDecisions } from '../store/decisions.js';
import { VersionConflictError, type EventStore } from '../store/eventStore.js';
import { foldRunState, type PhaseState, type RunState } from '../store/runState.js';
import { isDriven } from './lease.js';

export interface ApprovalChoice {
  approved: boolean;
  /** Required to reject: what the model should do differently. Optional comment on an approval. */
  feedback?: string;
  /** The phase, by id; needed only to pick among several waiting (never the case in one run today). */
  phaseId?: string;
  /**
   * The attempt whose proposal the person saw: refused when the phase now waits with another, so a
   * decision is never taken for a proposal nobody has seen (the inspector sends it).
   */
  attempt?: number;
  /** Who decides; default user@host. */
  by?: string;
  via: ApprovalSource;
}

export interface DecidedApproval {
  runId: string;
  phaseId: string;
  phaseIndex: number;
  attempt: number;
  decision: ApprovalDecision;
  /** Whether a live process waits at the gate and goes on by itself; otherwise `resume` continues the run. */
  driven: boolean;
}

/** Who is deciding, when the caller does not say: the user on this host. */
export function defaultDecider(): string {
  let user = process.env['USER'] ?? process.env['USERNAME'];
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (a container's arbitrary uid): the environment's name, if any.
  }
  return `${user ?? 'unknown'}@${os.hostname()}`;
}

const describeWhere = (state: RunState): string =>
  state.status === 'running' ? 'it is running, with no phase waiting for approval' : `it is ${state.status}`;

type GatedPhase = PhaseState & { approval: NonNullable<PhaseState['approval']> };

/** The phase waiting at its gate (the one named, else the first) whose gate the run has not seen decided; null when none. */
export function waitingPhase(state: RunState, phaseId?: string): GatedPhase | null {
  const waiting = state.phases.filter((p): p is GatedPhase => p.machineState === 'awaiting_approval' && p.approval !== null && p.approval.decision === null);
  return (phaseId === undefined ? waiting[0] : waiting.find((p) => p.id === phaseId)) ?? null;
}

/** The waiting phase, or a refusal saying where the run (or the phase named) is instead. */
function requireWaitingPhase(state: RunState, runId: string, choice: Pick<ApprovalChoice, 'phaseId' | 'attempt'>): GatedPhase {
  const { phaseId } = choice;
  const phase = waitingPhase(state, phaseId);
  if (phase !== null) {
    if (choice.attempt === undefined || choice.attempt === phase.approval.attempt) return phase;
    throw new AutopackError(
      'APPROVAL_NOT_PENDING',
      `phase ${phase.id} of run ${runId} now waits with attempt ${phase.approval.attempt}, not attempt ${choice.attempt}; look at what it proposes now (nothing was decided)`,
    );
  }
  if (phaseId !== undefined && !state.phases.some((p) => p.id === phaseId)) {
    throw new AutopackError('APPROVAL_NOT_PENDING', `run ${runId} has no phase "${phaseId}"; its phases are ${state.phases.map((p) => p.id).join(', ')}`);
  }
  const what = phaseId === undefined ? `run ${runId} is not awaiting approval` : `phase ${phaseId} of run ${runId} is not awaiting approval`;
  const others = waitingPhase(state);
  const elsewhere = others === null ? '' : `; phase ${others.id} is`;
  throw new AutopackError('APPROVAL_NOT_PENDING', `${what} (${describeWhere(state)})${elsewhere}; nothing was decided`);
}

/**
 * Records a person's decision about the phase waiting at its approval gate, in the run's decisions stream:
 * refused (APPROVAL_NOT_PENDING) when no phase waits, or when this attempt was decided already. Two people
 * deciding at once: the first append wins, the second is told who decided.
 */
export async function decideApproval(store: EventStore, runId: string, choice: ApprovalChoice, now: number): Promise<DecidedApproval> {
  const feedback = choice.feedback?.trim() ?? '';
  if (!choice.approved && feedback === '') {
    throw new AutopackError('INPUT_INVALID', 'a rejection needs feedback: say what the model should change (--feedback TEXT)');
  }
  const events = await store.read(runId);
  if (events.length === 0) throw new AutopackError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)} in this log`);
  const phase = requireWaitingPhase(foldRunState(events), runId, choice);
  const { attempt } = phase.approval;
  const decision: ApprovalDecision = {
    phaseIndex: phase.index,
    attempt,
    approved: choice.approved,
    feedback: feedback === '' ? null : feedback,
    by: choice.by ?? defaultDecider(),
    via: choice.via,
    at: now,
  };
  for (;;) {
    const { decisions, version } = await readDecisions(store, runId);
    const earlier = decisionFor(decisions, phase.index, attempt);
    if (earlier !== null) {
      throw new AutopackError(
        'APPROVAL_NOT_PENDING',
        `phase ${phase.id} of run ${runId} (attempt ${attempt}) was ${earlier.approved ? 'approved' : 'rejected'} already, by ${earlier.by} at ${new Date(earlier.at).toISOString()}`,
      );
    }
    try {
      await appendDecision(store, runId, decision, version);
      break;
    } catch (error) {
      // Someone else decided meanwhile: read again, and say who.
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
  return { runId, phaseId: phase.id, phaseIndex: phase.index, attempt, decision, driven: await isDriven(store, runId) };
}

import { AutopackError } from '../model/errors.js';
import type { EventStore, LeaseFence } from '../store/eventStore.js';
import { decisionFor, readDecisions } from '../store/decisions.js';
import type { RunQueue } from '../store/runQueue.js';
import { foldRunState } from '../store/runState.js';
import { waitingPhase } from '../runtime/decideApproval.js';

export type GateOutcome =
  /** Parked: no worker holds it until a decision is made. */
  | { parked: true; phaseId: string }
  /** A decision came while the run was stopping: handed back, to be taken again at once. */
  | { parked: false; phaseId: string | null };

/**
 * A run that stopped at an approval gate (`waitForApproval: false`) leaves its worker's slot: it is parked
 * in the queue, where a decision makes it claimable again. The decisions stream is read first and its
 * version given to the park, so a decision appended at any moment is either seen here (the run is handed
 * back at once) or moves the stream past that version (the run becomes claimable): none is missed.
 */
export async function parkAtGate(store: EventStore, queue: RunQueue, runId: string, fence: LeaseFence): Promise<GateOutcome> {
  const phase = waitingPhase(foldRunState(await store.read(runId)));
  const { decisions, version } = await readDecisions(store, runId);
  if (phase === null || decisionFor(decisions, phase.index, phase.approval.attempt) !== null) {
    await queue.handBack(runId, fence);
    return { parked: false, phaseId: phase?.id ?? null };
  }
  if (!(await queue.park(runId, fence, version))) {
    throw new AutopackError('LEASE_LOST', `run ${runId}: this worker no longer holds its lease, so another one has it; it was not parked`);
  }
  return { parked: true, phaseId: phase.id };
}

import type { ApprovalGate, ApprovalRequest } from '../effects/index.js';
import { decisionFor, readDecisions } from '../store/decisions.js';
import type { EventStore } from '../store/eventStore.js';
import type { NewRunEvent, StoredRunEvent } from '../store/events.js';

/** How often a waiting gate reads the run's decisions (a decision is a rare, human-paced event). */
export const APPROVAL_POLL_MS = 250;

const key = (phaseIndex: number, attempt: number): string => `${phaseIndex}/${attempt}`;

export interface ApprovalGateOptions {
  store: EventStore;
  runId: string;
  /** The run's log so far: the requests it holds are not made again. */
  history: readonly StoredRunEvent[];
  wait: boolean;
  pollMs?: number;
  clock: () => number;
  /** Records an event that is not a transition; `durable` settles once it is in the log. */
  note: (event: NewRunEvent) => void;
  durable: () => Promise<unknown>;
}

/** The run's approval gates: requests go to its log, decisions come from its decisions stream. */
export function createApprovalGate(options: ApprovalGateOptions): ApprovalGate {
  const asked = new Map<string, Record<string, string | null>>();
  for (const event of options.history) {
    if (event.type === 'approval.requested') asked.set(key(event.data.phaseIndex, event.data.attempt), event.data.hashes);
  }
  return {
    decision: async (phaseIndex, attempt) => decisionFor((await readDecisions(options.store, options.runId)).decisions, phaseIndex, attempt),
    requested: (phaseIndex, attempt) => asked.get(key(phaseIndex, attempt)) ?? null,
    request: async (request: ApprovalRequest) => {
      asked.set(key(request.phaseIndex, request.attempt), request.hashes);
      const state = 'awaiting_approval';
      options.note({ type: 'approval.requested', actor: `phase-${request.phaseIndex}`, source: state, target: state, data: request, at: options.clock() });
      await options.durable();
    },
    wait: options.wait,
    pollMs: options.pollMs ?? APPROVAL_POLL_MS,
  };
}

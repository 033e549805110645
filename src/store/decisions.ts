/**
 * A run's approval decisions live in a stream of their own, `decisions/<run id>`, beside its log: a
 * person may decide while a process drives the run, and an append to the run's own log would move its
 * version under that process (and skip its lease). The waiting phase reads the decision from here and
 * logs it in the run as `approval.granted` / `approval.rejected`.
 */
import { ApprovalDecisionSchema, type ApprovalDecision } from '../model/approval.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore, StreamInfo } from './eventStore.js';

export const DECISIONS_PREFIX = 'decisions/';

export const decisionStream = (runId: string): string => `${DECISIONS_PREFIX}${runId}`;

/** Whether a stream is a run's log, not one of the streams kept beside runs (decisions). */
export const isRunStream = (stream: string): boolean => !stream.startsWith(DECISIONS_PREFIX);

/** The runs in a log, oldest first: its streams without the decision streams. */
export async function listRunStreams(store: EventStore): Promise<StreamInfo[]> {
  return (await store.listStreams()).filter((s) => isRunStream(s.stream));
}

export interface DecisionLog {
  decisions: ApprovalDecision[];
  /** The decisions stream's version: what the next append expects. */
  version: number;
}

/** Every decision made about the run, in order (a stream written by others is read back as untrusted). */
export async function readDecisions(store: EventStore, runId: string): Promise<DecisionLog> {
  const events = await store.read(decisionStream(runId));
  const decisions = events.flatMap((event) => {
    if (event.type !== 'approval.decided') return [];
    const parsed = ApprovalDecisionSchema.safeParse(event.data);
    return parsed.success ? [parsed.data] : [];
  });
  return { decisions, version: events.at(-1)?.seq ?? 0 };
}

/** The first decision about this attempt of this phase: later ones lost a race and do not count. */
export function decisionFor(decisions: readonly ApprovalDecision[], phaseIndex: number, attempt: number): ApprovalDecision | null {
  return decisions.find((d) => d.phaseIndex === phaseIndex && d.attempt === attempt) ?? null;
}

/** Appends a decision after the `expectedVersion` its caller checked; a concurrent one makes it throw STORE_VERSION_CONFLICT. */
export async function appendDecision(store: EventStore, runId: string, decision: ApprovalDecision, expectedVersion: number): Promise<void> {
  const parsed = ApprovalDecisionSchema.safeParse(decision);
  if (!parsed.success) throw new AutopackError('INPUT_INVALID', parsed.error.issues.map((i) => `${i.path.join('.') || 'decision'}: ${i.message}`).join('; '));
  const actor = `phase-${decision.phaseIndex}`;
  await store.append(decisionStream(runId), [{ type: 'approval.decided', actor, source: 'awaiting_approval', target: null, data: parsed.data, at: decision.at }], { expectedVersion });
}

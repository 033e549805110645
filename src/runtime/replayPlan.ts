import type { StoredRunEvent } from '../store/events.js';
import { effectOfEvent, isTransitionEvent } from './effectEvents.js';

export interface ReplayPlan {
  /** Where the orchestrator starts: after the phases the log shows finished. */
  resumeAt?: { currentIndex: number; succeeded: number; failed: number; preExisting: string[] };
  /** The logged effect outcomes the machines will ask for, in order. */
  outcomes: StoredRunEvent[];
  /** The transitions the machines must reproduce, in order. */
  transitions: StoredRunEvent[];
}

/**
 * What the machines re-run when a run continues from its log. With `fromStart`, everything (what
 * `replay --verify` checks). Otherwise only the phase in progress: finished phases leave nothing in the
 * orchestrator but its counts, so it starts at the first unfinished phase, and the transition that
 * scheduled that phase (a `phase.finished`) is reproduced as the new actor's `run.begun`.
 */
export function replayPlan(history: readonly StoredRunEvent[], fromStart: boolean): ReplayPlan {
  const full: ReplayPlan = {
    outcomes: history.filter((e) => effectOfEvent(e.type) !== null),
    transitions: history.filter((e) => isTransitionEvent(e.type)),
  };
  const lastFinished = history.findLast((e) => e.type === 'phase.finished');
  if (fromStart || lastFinished?.type !== 'phase.finished' || lastFinished.data.nextPhaseIndex === null) return full;
  const next = lastFinished.data.nextPhaseIndex;
  // Logs written before the counts were recorded are read whole, so counting them here is exact too.
  const finished = history.filter((e) => e.type === 'phase.finished');
  const succeeded = lastFinished.data.succeeded ?? finished.filter((e) => e.type === 'phase.finished' && e.data.success).length;
  const failed = lastFinished.data.failed ?? finished.length - succeeded;
  // The phase.finished that scheduled the next phase is logged just before that phase's start.
  const from = full.transitions.indexOf(lastFinished);
  const first = full.transitions[0];
  if (from < 0 || first === undefined) return full;
  const begun: StoredRunEvent = { ...lastFinished, type: 'run.begun', source: 'starting', target: 'running_phase', data: { phaseIndex: next } };
  const transitions = [begun, ...full.transitions.slice(from + 1)];
  return {
    // The baseline was taken before the first phase: what it found rides along on every phase.finished.
    resumeAt: { currentIndex: next, succeeded, failed, preExisting: lastFinished.data.preExisting ?? [] },
    outcomes: full.outcomes.filter((e) => 'phaseIndex' in e.data && (e.data.phaseIndex ?? -1) >= next),
    transitions: [first, ...transitions],
  };
}

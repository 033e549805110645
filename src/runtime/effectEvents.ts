import type { EffectName } from '../machines/effectContracts.js';
import type { RunEventType } from '../store/events.js';

/** Which log event a finished effect becomes: [on success, on failure]. */
export const EFFECT_EVENT_TYPES: { [K in EffectName]: [RunEventType, RunEventType] } = {
  callLlm: ['llm.completed', 'llm.failed'],
  parseResponse: ['response.parsed', 'response.rejected'],
  validateChanges: ['changes.validated', 'changes.rejected'],
  awaitApproval: ['approval.granted', 'approval.rejected'],
  applyChanges: ['changes.applied', 'changes.apply_failed'],
  runHealthChecks: ['health.checked', 'health.check_errored'],
  rollbackChanges: ['changes.rolled_back', 'changes.rollback_failed'],
  commitChanges: ['phase.committed', 'phase.commit_failed'],
  sleep: ['backoff.elapsed', 'backoff.failed'],
  checkBaseline: ['baseline.checked', 'baseline.check_errored'],
};

export function isEffectName(name: string): name is EffectName {
  return Object.hasOwn(EFFECT_EVENT_TYPES, name);
}

const EFFECT_BY_EVENT_TYPE = new Map<RunEventType, EffectName>(
  Object.entries(EFFECT_EVENT_TYPES).flatMap(([effect, types]) => types.map((type) => [type, effect as EffectName] as const)),
);

/** The effect whose outcome an event records, or null for events that are not effect outcomes. */
export function effectOfEvent(type: RunEventType): EffectName | null {
  return EFFECT_BY_EVENT_TYPE.get(type) ?? null;
}

/**
 * Events the runtime appends on its own rather than as a machine transition: re-running the machines
 * over a log reproduces every event except these.
 */
const NOTES: ReadonlySet<RunEventType> = new Set<RunEventType>(['llm.attempted', 'changes.prepared', 'run.interrupted', 'run.resumed', 'run.undone', 'approval.requested']);

export function isTransitionEvent(type: RunEventType): boolean {
  return !NOTES.has(type);
}

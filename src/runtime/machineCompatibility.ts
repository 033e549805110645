import { AutopackError } from '../model/errors.js';
import type { RunStartedData } from '../store/events.js';
import { machineVersion } from './machineVersion.js';

/**
 * The machine definitions before stuck detection and the baseline (the orchestrator's `checking_baseline`,
 * the phase's `isStuck` transitions). With both off, the current machines take exactly their transitions:
 * `run.begin` goes straight to the first phase, and a failed attempt is retried while retries are left.
 */
const BEFORE_STUCK_AND_BASELINE = 'ee5d63046b773e6b';

/**
 * The machine definitions before approval gates (the phase's `awaiting_approval`). A run started then has
 * no phase that asks for approval (its plan could not say so), so its phases never enter the new state:
 * the current machines take exactly its transitions, and the run goes on as it began.
 */
const BEFORE_APPROVAL_GATES = '8433f9d6950b0743';

/**
 * A run started before stuck detection and baselines goes on as it began: neither applies to it, so its
 * semantics do not change halfway (a resume replays its log unchanged and continues with the same rules).
 */
function withoutStuckAndBaseline(start: RunStartedData): RunStartedData {
  return { ...start, options: { ...start.options, stuckAfter: 0, baseline: false } };
}

/**
 * Migrations of logs written by earlier machine definitions, by the version they were written with: each
 * rewrites a run's start (and, if needed, its events) into what the current machines expect, and is
 * documented in docs/durability.md.
 */
export const MACHINE_MIGRATIONS: Readonly<Record<string, (start: RunStartedData) => RunStartedData>> = {
  [BEFORE_STUCK_AND_BASELINE]: withoutStuckAndBaseline,
  [BEFORE_APPROVAL_GATES]: (start) => ({ ...start, options: { ...start.options, approveAll: false } }),
};

/** The run's start as the current machines need it, or a clear refusal when its log cannot be continued. */
export function compatibleStart(start: RunStartedData): RunStartedData {
  const current = machineVersion();
  if (start.machineVersion === current) return start;
  const migrate = MACHINE_MIGRATIONS[start.machineVersion];
  if (migrate !== undefined) return migrate(start);
  throw new AutopackError(
    'MACHINE_VERSION_MISMATCH',
    `run ${start.runId} was written by machine definitions ${start.machineVersion}, and this autopack has ${current}; ` +
      'no migration between them exists, so the run cannot be continued safely. Finish it with the autopack version that started it, ' +
      'or start a new run (its log stays readable: status, log and replay still work)',
  );
}

import type { LLMClient } from '../llm/types.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunState } from '../store/runState.js';
import { executeRun } from './executeRun.js';
import { compatibleStart } from './machineCompatibility.js';
import { backupRootFor, runStartOf } from './runStart.js';

/** Verification never runs an effect, so no model is needed; one that is asked anyway says so. */
const NO_MODEL: LLMClient = {
  complete: () => Promise.reject(new AutopackError('INTERNAL', 'verifying a run never calls the model')),
};

/**
 * Re-runs the machines over a run's log, feeding them the logged effect outcomes and running no effect,
 * and checks that they reproduce every logged transition in order. Appends nothing; a read-only store
 * will do. Throws RESUME_DIVERGED (or MACHINE_VERSION_MISMATCH) at the first difference.
 */
export async function verifyRun(store: EventStore, runId: string): Promise<RunState> {
  const history = await store.read(runId);
  const start = compatibleStart(runStartOf(history[0], runId, 'this log'));
  return executeRun({
    store,
    start,
    history,
    verifyOnly: true,
    llmClient: NO_MODEL,
    repoRoot: start.repoRoot,
    backupRoot: backupRootFor(start.repoRoot, runId),
    clock: Date.now,
    commits: { skip: 'disabled' },
    uncommittedPaths: new Set(start.options.git?.uncommitted ?? []),
  });
}

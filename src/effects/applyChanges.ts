import path from 'node:path';
import type { AppliedChangeSet, ApplyChangesInput } from '../machines/effectContracts.js';
import { applyChangeSet } from '../workspace/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

export interface ApplyChangesDeps extends EffectRuntime {
  repoRoot: string;
  /** Where pre-images are kept, one folder per attempt, so a failed attempt can be rolled back. */
  backupRoot: string;
}

export function fromApplyChanges(deps: ApplyChangesDeps) {
  return fromEffect<ApplyChangesInput, AppliedChangeSet>(deps, {
    name: 'applyChanges',
    failureCode: 'APPLY_FAILED',
    retryable: true,
    run: (input) =>
      applyChangeSet({
        repoRoot: deps.repoRoot,
        changes: input.changes,
        backupDir: path.join(deps.backupRoot, `phase-${input.phaseIndex}-attempt-${input.attempt}`),
      }),
  });
}

import path from 'node:path';
import type { AppliedChangeSet, ApplyChangesInput } from '../machines/effectContracts.js';
import { applyChangeSet, type PreparedFile, type WriteDurability } from '../workspace/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

export interface ApplyChangesDeps extends EffectRuntime {
  repoRoot: string;
  /** What a write must survive: a process crash (`normal`) or also a power cut (`full`, fsynced). */
  durability?: WriteDurability;
  /** Where pre-images are kept, one folder per attempt, so a failed attempt can be rolled back. */
  backupRoot: string;
  /** Logs the files' before and after hashes once pre-images are safe, before any file is replaced. */
  onApplyPrepared?: (phaseIndex: number, attempt: number, files: PreparedFile[]) => void | Promise<void>;
}

export function fromApplyChanges(deps: ApplyChangesDeps) {
  return fromEffect<ApplyChangesInput, AppliedChangeSet>(deps, {
    name: 'applyChanges',
    failureCode: 'APPLY_FAILED',
    retryable: true,
    writes: true,
    run: (input) =>
      applyChangeSet({
        repoRoot: deps.repoRoot,
        changes: input.changes,
        backupDir: path.join(deps.backupRoot, `phase-${input.phaseIndex}-attempt-${input.attempt}`),
        ...(deps.durability === undefined ? {} : { durability: deps.durability }),
        onPrepared: (files) => deps.onApplyPrepared?.(input.phaseIndex, input.attempt, files),
      }),
  });
}

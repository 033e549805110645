import path from 'node:path';
import type { AppliedChangeSet, ApplyChangesInput } from '../machines/effectContracts.js';
import type { StoredRunEvent } from '../store/index.js';
import { applyChangeSet, type PreparedFile, type WriteDurability } from '../workspace/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

export interface ApplyChangesDeps extends EffectRuntime {
  repoRoot: string;
  /** What a write must survive: a process crash (`normal`) or also a power cut (`full`, fsynced). */
  durability?: WriteDurability;
  /** Where pre-images are kept, one folder per attempt (only for attempts that replace or delete a file). */
  backupRoot: string;
  /** Logs the files' before and after hashes once pre-images are safe, before any file is staged or replaced. */
  onApplyPrepared?: (phaseIndex: number, attempt: number, files: PreparedFile[]) => void | Promise<void>;
  /**
   * The run's log so far, when it is continued (as the run passes it in): an apply that a dead process
   * began is undone from its `changes.prepared` there, since an apply of new files keeps no backup folder.
   */
  history?: readonly StoredRunEvent[];
}

const attemptKey = (phaseIndex: number, attempt: number): string => `${phaseIndex}/${attempt}`;

/** Each attempt's last logged `changes.prepared`: what a process that died mid-apply may have written. */
function preparedIn(history: readonly StoredRunEvent[]): Map<string, PreparedFile[]> {
  const prepared = new Map<string, PreparedFile[]>();
  for (const event of history) {
    if (event.type === 'changes.prepared') prepared.set(attemptKey(event.data.phaseIndex, event.data.attempt), event.data.files);
  }
  return prepared;
}

export function fromApplyChanges(deps: ApplyChangesDeps) {
  let logged: Map<string, PreparedFile[]> | null = null;
  return fromEffect<ApplyChangesInput, AppliedChangeSet>(deps, {
    name: 'applyChanges',
    failureCode: 'APPLY_FAILED',
    retryable: true,
    writes: true,
    run: (input) => {
      // Read once, on the first apply that runs for real: a new run's history is empty.
      logged ??= preparedIn(deps.history ?? []);
      const preparedBefore = logged.get(attemptKey(input.phaseIndex, input.attempt));
      return applyChangeSet({
        repoRoot: deps.repoRoot,
        changes: input.changes,
        backupDir: path.join(deps.backupRoot, `phase-${input.phaseIndex}-attempt-${input.attempt}`),
        ...(deps.durability === undefined ? {} : { durability: deps.durability }),
        ...(preparedBefore === undefined ? {} : { preparedBefore }),
        onPrepared: (files) => deps.onApplyPrepared?.(input.phaseIndex, input.attempt, files),
      });
    },
  });
}

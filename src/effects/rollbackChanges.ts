import type { RollbackChangesInput, RollbackChangesOutput } from '../machines/effectContracts.js';
import { rollbackChangeSet, type WriteDurability } from '../workspace/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

export function fromRollbackChanges(deps: EffectRuntime & { repoRoot: string; durability?: WriteDurability }) {
  return fromEffect<RollbackChangesInput, RollbackChangesOutput>(deps, {
    name: 'rollbackChanges',
    failureCode: 'ROLLBACK_FAILED',
    retryable: false,
    writes: true,
    run: (input) => rollbackChangeSet({ repoRoot: deps.repoRoot, applied: input.applied, ...(deps.durability === undefined ? {} : { durability: deps.durability }) }),
  });
}

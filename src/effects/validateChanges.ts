import type { ValidateChangesInput, ValidateChangesOutput } from '../machines/effectContracts.js';
import { AutopackError } from '../model/errors.js';
import { validateChanges } from '../validation/index.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** Reads the tree, writes nothing: it runs without waiting for the log (see `pure`). */
export function fromValidateChanges(deps: EffectRuntime & { repoRoot: string; uncommittedPaths: ReadonlySet<string> }) {
  return fromEffect<ValidateChangesInput, ValidateChangesOutput>(deps, {
    name: 'validateChanges',
    failureCode: 'CHANGES_INVALID',
    retryable: true,
    pure: true,
    run: async (input) => {
      const [valid, errors] = validateChanges(input.changes, {
        repoRoot: deps.repoRoot,
        protectedPaths: input.protectedPaths,
        allowMassDeletion: input.allowMassDeletion,
        uncommittedPaths: deps.uncommittedPaths,
      });
      if (!valid) {
        throw new AutopackError('CHANGES_INVALID', errors[0] ?? 'the changes are invalid', { retryable: true, errors });
      }
      return { checked: input.changes.length };
    },
  });
}

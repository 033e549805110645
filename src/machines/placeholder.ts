import { fromPromise } from 'xstate';
import type { EffectInputOf, EffectName, EffectOutcome, EffectOutputOf } from './effectContracts.js';

/** An effect a machine names but does not implement: the composition root provides it. */
export function effectPlaceholder<K extends EffectName>(name: K) {
  return fromPromise<EffectOutcome<EffectOutputOf<K>>, EffectInputOf<K>>(() =>
    Promise.reject(new Error(`effect "${name}" was not provided; wire it with machine.provide({ actors })`)),
  );
}

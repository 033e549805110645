import { setTimeout as delay } from 'node:timers/promises';
import type { SleepInput, SleepOutput } from '../machines/effectContracts.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** Sleeps until a deadline, so a resumed run only waits for what is left of its backoff. */
export function fromSleep(runtime: EffectRuntime) {
  return fromEffect<SleepInput, SleepOutput>(runtime, {
    name: 'sleep',
    failureCode: 'ABORTED',
    retryable: false,
    cancellable: true,
    run: async ({ until }, signal) => {
      const remaining = Math.max(0, until - runtime.clock());
      if (remaining > 0) await delay(remaining, undefined, { signal });
      return { sleptMs: remaining };
    },
  });
}

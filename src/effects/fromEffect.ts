import { fromPromise } from 'xstate';
import type { EffectFailure, EffectName, EffectOutcome } from '../machines/effectContracts.js';
import { AutopackError, toErrorData, type ErrorCode } from '../model/errors.js';

export interface EffectRuntime {
  /** Stamps when each effect finished; the only clock the machines ever see. */
  clock: () => number;
  /** Aborted when the whole run is cancelled (Ctrl-C, a failed log append). */
  runSignal?: AbortSignal;
  /**
   * When continuing a run from its log: the outcome the log recorded for the effect about to run, which
   * is returned instead of running it again; undefined once the log is used up and effects run for real.
   */
  recorded?: (effect: EffectName) => Promise<EffectOutcome<unknown>> | undefined;
  /**
   * Asked right before an effect that writes to the repository runs, unless `durable` just confirmed the
   * lease: false when this process may no longer write (its lease on the run is gone), and the run is
   * being stopped.
   */
  mayWrite?: () => Promise<boolean>;
  /**
   * Settles once the events that led to the effect about to run are in the log (the recorder commits a
   * step's events as one batch); an effect that acts awaits it first. Absent, effects act after one yield.
   * True when that append was fenced by the run's lease, which it thereby confirmed.
   */
  durable?: () => Promise<boolean>;
}

export interface EffectDefinition<I, O> {
  name: EffectName;
  /** Code for failures that are not already AutopackErrors. */
  failureCode: ErrorCode;
  /** Whether such failures are worth another attempt. */
  retryable: boolean;
  /** Writes to the repository: runs only while the run's lease is held (`EffectRuntime.mayWrite`). */
  writes?: boolean;
  /**
   * Acts on nothing outside this process (parsing, checking): it need not wait for the log, so its
   * events and the next ones share a transaction. Lost in a crash, it is simply done again.
   */
  pure?: boolean;
  /**
   * Stops mid-flight when aborted (a model call, a command, a wait): `run` gets a signal that also follows
   * the whole run's. Other effects are short and get the actor's own signal (a combined one costs an
   * AbortSignal.any per effect); a stopped run is still noticed before and after them.
   */
  cancellable?: boolean;
  run: (input: I, signal: AbortSignal) => Promise<O>;
}

function toFailure(error: unknown, definition: { failureCode: ErrorCode; retryable: boolean }): EffectFailure {
  if (error instanceof AutopackError) {
    const data = error.toData();
    const errors = error.errors;
    return data.detail === undefined
      ? { code: data.code, errors, retryable: data.retryable }
      : { code: data.code, errors, retryable: data.retryable, detail: data.detail };
  }
  const data = toErrorData(error, definition.failureCode);
  const retryable = data.code === 'ABORTED' ? false : definition.retryable;
  return data.detail === undefined
    ? { code: data.code, errors: [data.message], retryable }
    : { code: data.code, errors: [data.message], retryable, detail: data.detail };
}

/**
 * Actor logic for one effect: resolves with an EffectOutcome and never rejects, so the machine branches
 * on data. Errors are converted here, at the boundary, from whatever the effect threw.
 */
export function fromEffect<I, O>(runtime: EffectRuntime, definition: EffectDefinition<I, O>) {
  return fromPromise<EffectOutcome<O>, I>(async ({ input, signal }) => {
    // No effect acts before the transition that started it is in the log.
    let leaseConfirmed = false;
    if (definition.pure === true || runtime.durable === undefined) await Promise.resolve();
    else leaseConfirmed = await runtime.durable();
    const recorded = runtime.recorded?.(definition.name);
    if (recorded !== undefined) return (await recorded) as EffectOutcome<O>;
    const runSignal = runtime.runSignal;
    const combined = runSignal === undefined || definition.cancellable !== true ? signal : AbortSignal.any([signal, runSignal]);
    const aborted = (): boolean => combined.aborted || runSignal?.aborted === true;
    try {
      if (aborted()) throw new AutopackError('ABORTED', 'the run was cancelled');
      if (definition.writes === true && !leaseConfirmed && runtime.mayWrite !== undefined && !(await runtime.mayWrite())) {
        throw new AutopackError('LEASE_LOST', `${definition.name}: this process no longer holds the run's lease; nothing was written`);
      }
      const value = await definition.run(input, combined);
      return { ok: true, value, at: runtime.clock() };
    } catch (error) {
      const failure = aborted()
        ? { code: 'ABORTED' as const, errors: ['the run was cancelled'], retryable: false }
        : toFailure(error, definition);
      return { ok: false, error: failure, at: runtime.clock() };
    }
  });
}

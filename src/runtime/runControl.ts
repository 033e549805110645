/**
 * How a run ends early, in one place: an interruption (Ctrl-C, a budget) that the log records and that
 * leaves the run resumable, or a failure (a lost lease, a log that diverges, an append that failed) that
 * ends the run at once without a trace, so the log stays as it was.
 */
export interface RunControl {
  /** Aborted when the run stops early: effects in flight give up. */
  readonly signal: AbortSignal;
  /** Settles when the run stops early, or when a verification has consumed the whole log. */
  readonly stopped: Promise<void>;
  /** Whether the run is stopping (later notes and effect outcomes are dropped). */
  readonly stopping: boolean;
  /** The first failure, thrown by the run once its actors have stopped; null if none. */
  readonly failure: unknown;
  /** Ends the run with this error; the first failure wins. */
  fail(error: unknown): void;
  /**
   * Starts a clean stop once: false when the run is already stopping. The caller records why, then calls
   * `finishStop`, so the reason is logged before effects see the abort.
   */
  beginStop(): boolean;
  /**
   * Stops the actors at once (nothing more is recorded); once `logged` (the flush of the reason) has
   * landed, aborts the effects in flight and settles `stopped`.
   */
  finishStop(logged?: Promise<void>): void;
  /** Settles `stopped` without stopping anything (a verification that reached the end of the log). */
  caughtUp(): void;
}

export function createRunControl(stopActors: () => void): RunControl {
  const internal = new AbortController();
  let failure: unknown = null;
  let stopping = false;
  let settle = () => {};
  const stopped = new Promise<void>((resolve) => {
    settle = resolve;
  });

  function finishStop(logged?: Promise<void>): void {
    // Stopped before the effects are aborted, so what they do on abort never reaches a machine or the log.
    stopActors();
    const abort = (): void => {
      internal.abort();
      settle();
    };
    if (logged === undefined) abort();
    else void logged.then(abort, abort);
  }

  return {
    signal: internal.signal,
    stopped,
    get stopping() {
      return stopping;
    },
    get failure() {
      return failure;
    },
    fail(error) {
      failure ??= error;
      stopping = true;
      finishStop();
    },
    beginStop() {
      if (stopping) return false;
      stopping = true;
      return true;
    },
    finishStop,
    caughtUp: () => settle(),
  };
}

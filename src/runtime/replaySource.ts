import type { EffectName, EffectOutcome } from '../machines/index.js';
import { AutopackError } from '../model/errors.js';
import type { StoredRunEvent } from '../store/events.js';
import { effectOfEvent } from './effectEvents.js';

export interface ReplaySource {
  /**
   * The logged outcome of the effect about to run, in log order, instead of running it again; undefined
   * once the log is used up (effects then run for real). In a verification, a promise that never
   * settles: the machines stop where the log ends.
   */
  recorded(effect: EffectName): Promise<EffectOutcome<unknown>> | undefined;
  /** The first logged outcome not consumed, if any (a verification must consume them all). */
  leftover(): StoredRunEvent | undefined;
}

const never = new Promise<never>(() => {});

/**
 * Serves the logged effect outcomes to the re-run machines, checking that each one answers the effect the
 * machines start: a log whose outcomes come in another order was not written by these machines.
 */
export function createReplaySource(
  runId: string,
  outcomes: StoredRunEvent[],
  options: { verifyOnly: boolean; onCaughtUp: () => void; onDiverged: (error: AutopackError) => void },
): ReplaySource {
  return {
    recorded(effect) {
      const next = outcomes[0];
      if (next === undefined) {
        if (!options.verifyOnly) return undefined;
        options.onCaughtUp();
        return never;
      }
      const logged = effectOfEvent(next.type);
      if (logged !== effect) {
        options.onDiverged(
          new AutopackError(
            'RESUME_DIVERGED',
            `run ${runId}: event ${next.seq} of the log records the outcome of ${logged ?? next.type}, but re-running the machines over the log starts ${effect}; ` +
              'the log does not match these machine definitions',
          ),
        );
        return never;
      }
      outcomes.shift();
      return Promise.resolve((next.data as { outcome: EffectOutcome<unknown> }).outcome);
    },
    leftover: () => outcomes[0],
  };
}

import { AutopackError } from '../model/errors.js';
import type { RunStartedData } from '../store/events.js';
import { machineVersion } from './machineVersion.js';

/**
 * Migrations of logs written by earlier machine definitions, by the version they were written with.
 * None exist yet: each would rewrite a run's start (and, if needed, its events) into what the current
 * machines expect, and be documented in docs/durability.md.
 */
export const MACHINE_MIGRATIONS: Readonly<Record<string, (start: RunStartedData) => RunStartedData>> = {};

/** The run's start as the current machines need it, or a clear refusal when its log cannot be continued. */
export function compatibleStart(start: RunStartedData): RunStartedData {
  const current = machineVersion();
  if (start.machineVersion === current) return start;
  const migrate = MACHINE_MIGRATIONS[start.machineVersion];
  if (migrate !== undefined) return migrate(start);
  throw new AutopackError(
    'MACHINE_VERSION_MISMATCH',
    `run ${start.runId} was written by machine definitions ${start.machineVersion}, and this autopack has ${current}; ` +
      'no migration between them exists, so the run cannot be continued safely. Finish it with the autopack version that started it, ' +
      'or start a new run (its log stays readable: status, log and replay still work)',
  );
}

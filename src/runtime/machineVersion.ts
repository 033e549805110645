import { createHash } from 'node:crypto';
import { FINAL_FAILURE_CODES, RUN_HALTING_CODES, orchestratorMachine, phaseMachine } from '../machines/index.js';

/**
 * A hash of the machine definitions' structure (states, transitions, guard and actor names) and of the
 * failure codes their guards branch on. A log
 * written under one version replays under another only through a documented migration.
 */
export function machineVersion(): string {
  const shape = JSON.stringify([
    orchestratorMachine.definition,
    phaseMachine.definition,
    [...FINAL_FAILURE_CODES],
    [...RUN_HALTING_CODES],
  ]);
  return createHash('sha256').update(shape).digest('hex').slice(0, 16);
}

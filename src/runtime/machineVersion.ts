import { createHash } from 'node:crypto';
import { FINAL_FAILURE_CODES, RUN_HALTING_CODES, orchestratorMachine, phaseMachine } from '../machines/index.js';

/**
 * How the recorder orders a log: 2 since a parent's transition is logged before the first transition of
 * the children it starts (a `phase.finished` before the next `phase.started`); 1 logged the child first.
 */
export const LOG_ORDER = 2;

/**
 * A hash of the machine definitions' structure (states, transitions, guard and actor names), of the
 * failure codes their guards branch on, and of the log's order. A log
 * written under one version replays under another only through a documented migration.
 */
export function machineVersion(): string {
  const shape = JSON.stringify([
    LOG_ORDER,
    orchestratorMachine.definition,
    phaseMachine.definition,
    [...FINAL_FAILURE_CODES],
    [...RUN_HALTING_CODES],
  ]);
  return createHash('sha256').update(shape).digest('hex').slice(0, 16);
}

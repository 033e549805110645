import { createHash } from 'node:crypto';
import { orchestratorMachine, phaseMachine } from '../machines/index.js';

/**
 * A hash of the machine definitions' structure (states, transitions, guard and actor names). A log
 * written under one version replays under another only through a documented migration.
 */
export function machineVersion(): string {
  const shape = JSON.stringify([orchestratorMachine.definition, phaseMachine.definition]);
  return createHash('sha256').update(shape).digest('hex').slice(0, 16);
}

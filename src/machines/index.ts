export { phaseMachine } from './phase.js';
export type { PhaseMachine, PhaseMachineInput, PhaseMachineOutput, PhaseContext } from './phase.js';
export { orchestratorMachine } from './orchestrator.js';
export type { OrchestratorMachine, OrchestratorInput, OrchestratorOutput, BeginRunEvent } from './orchestrator.js';
export { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { healthCheckErrors } from './feedback.js';
export type * from './effectContracts.js';
export { FINAL_FAILURE_CODES, RUN_HALTING_CODES } from './failurePolicy.js';

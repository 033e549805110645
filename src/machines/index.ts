export { phaseMachine } from './phase.js';
export type { PhaseMachine, PhaseMachineInput, PhaseMachineOutput, PhaseContext } from './phase.js';
export { orchestratorMachine } from './orchestrator.js';
export type { OrchestratorMachine, OrchestratorInput, OrchestratorOutput, BeginRunEvent, PhasePlan } from './orchestrator.js';
export { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.js';
export type { BackoffPolicy } from './backoff.js';
export { healthCheckErrors, stuckMessage } from './feedback.js';
export type * from './effectContracts.js';
export { DEFAULT_STUCK_AFTER, FINAL_FAILURE_CODES, RUN_HALTING_CODES } from './failurePolicy.js';

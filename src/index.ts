export { PhaseExecutor, PhaseExecutorOptionsSchema } from './executor/phaseExecutor.js';
export type { ApprovalOptions, ExecutePhaseOptions, PhaseExecutorOptions, ResumeOptions, RunPlanRequest } from './executor/phaseExecutor.js';
export type { DecidedApproval } from './runtime/decideApproval.js';
export { ApprovalDecisionSchema } from './model/approval.js';
export type { ApprovalDecision, ApprovalSource } from './model/approval.js';
export type { UndoOutcome } from './runtime/undoRun.js';
export { PhaseOrchestrator } from './executor/phaseOrchestrator.js';
export type { PhaseOrchestratorOptions, RunPhasesOptions } from './executor/phaseOrchestrator.js';

export { PhaseSpecSchema, ComplexitySchema } from './model/phaseSpec.js';
export type { PhaseSpec, Complexity } from './model/phaseSpec.js';
export { FileChangeSchema, ChangeModeSchema, ModelResponseSchema } from './model/fileChange.js';
export type { FileChange, ChangeMode, ModelResponse } from './model/fileChange.js';
export {
  PhaseResultSchema,
  OrchestrationResultSchema,
  HealthCheckResultSchema,
  PhaseHealthChecksSchema,
  BaselineResultSchema,
} from './model/results.js';
export type {
  PhaseResult,
  OrchestrationResult,
  HealthCheckResult,
  PhaseHealthChecks,
  BaselineResult,
  ValidationResult,
} from './model/results.js';
export { HealthCheckSpecSchema } from './model/healthCheck.js';
export type { HealthCheckSpec } from './model/healthCheck.js';
export { AutopackError, ERROR_CODES } from './model/errors.js';
export type { ErrorCode, ErrorData } from './model/errors.js';

export type { LLMClient, LLMRequest, LLMResponse, LLMMessage, LLMUsage, LLMAttempt, FinishReason } from './llm/types.js';
export { OpenAIClient, OpenAIClientOptionsSchema, DEFAULT_MODEL } from './llm/openai/openaiClient.js';
export type { OpenAIClientOptions } from './llm/openai/openaiClient.js';
export { RecordingLLMClient } from './llm/recordingClient.js';
export { ReplayLLMClient, loadRecording } from './llm/replayClient.js';
export { RecordedExchangeSchema, requestKey } from './llm/recording.js';
export type { RecordedExchange } from './llm/recording.js';
export { DEFAULT_PRICES, priceFor } from './llm/prices.js';
export type { ModelPrice, PriceTable } from './llm/prices.js';
export type { RunBudget } from './llm/budget.js';
export { DEFAULT_OUTPUT_TOKENS, DEFAULT_MAX_PROMPT_TOKENS } from './model/llmSettings.js';
export { ScriptedLLMClient, ScriptedStepSchema, loadScript } from './llm/scriptedClient.js';
export type { ScriptedStep } from './llm/scriptedClient.js';

export { loadPlan } from './plan/loadPlan.js';
export type { LoadedPlan } from './plan/loadPlan.js';
export { PlanSchema } from './plan/planSchema.js';
export type { Plan } from './plan/planSchema.js';

export {
  createSqliteEventStore,
  createPostgresEventStore,
  openPostgresLog,
  createMemoryEventStore,
  foldRunState,
  evolveRunState,
  evolveRunStateInPlace,
  initialRunState,
  toOrchestrationResult,
  toPhaseResult,
  runTotals,
  VersionConflictError,
  LeaseConflictError,
  LeaseLostError,
  RUN_EVENT_TYPES,
} from './store/index.js';
export type { ApprovalState, EventStore, FoldEvent, StoredRunEvent, NewRunEvent, RunEventType, RunState, PhaseState, RunTotals } from './store/index.js';
export type { PostgresEventStoreOptions, LeaseClaim, LeaseFence, LeaseHolder, QueuedRun, QueuedRunSpec, RunQueue } from './store/index.js';
export { appliedDiffs, diffFile, formatFileDiff, MAX_DIFF_BYTES, MAX_DIFF_EDIT_LINES } from './diff/index.js';
export type { AppliedFileDiff, DiffHunk, DiffLine, DiffOptions, FileDiff, FileStatus, TextDiff } from './diff/index.js';
export { runWorker } from './worker/runWorker.js';
export type { WorkerOptions, WorkerSummary } from './worker/runWorker.js';
export { orchestratorMachine, phaseMachine, backoffDelayMs, DEFAULT_BACKOFF } from './machines/index.js';
export type { BackoffPolicy } from './machines/index.js';
export { DEFAULT_PROTECTED_PATHS } from './validation/index.js';

/**
 * What the phase machine needs from the outside world, as data. The machine only names these effects;
 * src/effects/ implements them and the composition root provides them. Types only: no values cross here.
 */
import type { ErrorCode } from '../model/errors.js';
import type { FileChange, ModelResponse } from '../model/fileChange.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { HealthCheckResult } from '../model/results.js';
import type { LLMAttempt, LLMMessage, LLMResponse } from '../model/llm.js';
import type { ApprovalGranted } from '../model/approval.js';

export interface EffectFailure {
  code: ErrorCode;
  /** One line per problem, written for both the user and the model's next attempt. */
  errors: string[];
  retryable: boolean;
  detail?: string;
}

/**
 * Effects resolve, never reject: a failure is data the machine branches on by code. `at` is the wall
 * clock when the effect finished, stamped by the effect runner so that machines never read a clock.
 */
export type EffectOutcome<T> = { ok: true; value: T; at: number } | { ok: false; error: EffectFailure; at: number };

export interface CallLlmInput {
  phaseIndex: number;
  attempt: number;
  spec: PhaseSpec;
  contextFiles: string[];
  protectedPaths: string[];
  previousErrors: string[];
}
export interface ContextFileUsed {
  path: string;
  /** null when the file does not exist (yet). */
  bytes: number | null;
  /** Tokens of the whole file, as counted for the prompt budget. */
  tokens?: number;
  /** Set when the prompt budget left the file out or cut it short. */
  cut?: { kind: 'dropped' | 'truncated'; keptTokens: number; reason: string };
}
export interface CallLlmOutput {
  request: {
    promptId: string;
    promptVersion: number;
    messages: LLMMessage[];
    maxOutputTokens: number;
    /** Counted before sending, with `tokenizer`; what the budget was checked against. */
    promptTokens: number;
    maxPromptTokens: number;
    tokenizer: string;
  };
  response: LLMResponse;
  latencyMs: number;
  context: ContextFileUsed[];
}

/** A model call's attempt as logged: what the client reported, priced (null when the model has no known price). */
export type LoggedLlmAttempt = LLMAttempt & { costUsd: number | null };

/** Why a run was stopped from outside the machines, resumably. */
export type InterruptReason = 'signal' | 'budget' | 'approval';

export interface ParseResponseInput {
  response: LLMResponse;
}
export type ParseResponseOutput = ModelResponse;

export interface ValidateChangesInput {
  changes: FileChange[];
  protectedPaths: string[];
  allowMassDeletion: boolean;
}
export interface ValidateChangesOutput {
  checked: number;
}

/**
 * A phase's validated changes, held at its approval gate until a person decides. A rejection is the
 * effect's failure (APPROVAL_REJECTED), its feedback the attempt's error.
 */
export interface AwaitApprovalInput {
  phaseIndex: number;
  phaseId: string;
  attempt: number;
  summary: string;
  changes: FileChange[];
}
export type AwaitApprovalOutput = ApprovalGranted;

export interface ApplyChangesInput {
  phaseIndex: number;
  attempt: number;
  changes: FileChange[];
}
export interface AppliedFile {
  path: string;
  mode: FileChange['mode'];
  existedBefore: boolean;
  beforeSha256: string | null;
  afterSha256: string | null;
  bytes: number;
}
export interface AppliedChangeSet {
  backupDir: string;
  files: AppliedFile[];
  /** Repo-relative directories the apply created, deepest first, so rollback can remove them. */
  createdDirs: string[];
}

export interface RunHealthChecksInput {
  checks: HealthCheckSpec[];
  deliverables: string[];
  writtenPaths: string[];
}
export interface RunHealthChecksOutput {
  passed: boolean;
  results: HealthCheckResult[];
}

export interface RollbackChangesInput {
  applied: AppliedChangeSet;
}
export interface RollbackChangesOutput {
  restored: string[];
}

export interface CommitChangesInput {
  phaseIndex: number;
  phaseId: string;
  /** The model's summary of the successful attempt: the commit's subject after the phase id. */
  summary: string;
  /** The files the phase changed (repo-relative), exactly what the commit holds. */
  files: string[];
}
/** The phase's commit, or why none was made. */
export type CommitChangesOutput =
  | {
      sha: string;
      files: string[];
      /** The commit stands, but git could not bring the index along (e.g. a locked index): what to run. */
      warning?: string;
    }
  | { sha: null; skipped: 'disabled' | 'not-a-git-repository' | 'nothing-changed' };

export interface SleepInput {
  /** Epoch ms; a deadline rather than a duration so that a resumed run sleeps only what is left. */
  until: number;
}
export interface SleepOutput {
  sleptMs: number;
}

/** The run's health checks once before its first phase, so that checks already failing are known. */
export interface CheckBaselineInput {
  checks: HealthCheckSpec[];
}
export interface CheckBaselineOutput {
  /** One per check, in the order given (no deliverables check: there is nothing to deliver yet). */
  results: HealthCheckResult[];
}

/**
 * Why a phase stopped with retries left: its last attempts failed the same way (same code, same errors),
 * so another attempt would most likely fail so too.
 */
export interface StuckVerdict {
  /** The attempts that failed the same way, in order; the last is the one that ended the phase. */
  attempts: number[];
  code: ErrorCode;
  /** The failure's first error on one line, cut short: what the attempts kept getting. */
  error: string;
  retriesLeft: number;
}

/** Effect name → [input, output]; the single list both the machine and the composition root agree on. */
export interface PhaseEffects {
  callLlm: [CallLlmInput, CallLlmOutput];
  parseResponse: [ParseResponseInput, ParseResponseOutput];
  validateChanges: [ValidateChangesInput, ValidateChangesOutput];
  awaitApproval: [AwaitApprovalInput, AwaitApprovalOutput];
  applyChanges: [ApplyChangesInput, AppliedChangeSet];
  runHealthChecks: [RunHealthChecksInput, RunHealthChecksOutput];
  rollbackChanges: [RollbackChangesInput, RollbackChangesOutput];
  commitChanges: [CommitChangesInput, CommitChangesOutput];
  sleep: [SleepInput, SleepOutput];
}
export type PhaseEffectName = keyof PhaseEffects;

/** The orchestrator's own effects, in the same form. */
export interface OrchestratorEffects {
  checkBaseline: [CheckBaselineInput, CheckBaselineOutput];
}
export type OrchestratorEffectName = keyof OrchestratorEffects;

type Effects = PhaseEffects & OrchestratorEffects;
export type EffectName = keyof Effects;
export type EffectInputOf<K extends EffectName> = Effects[K][0];
export type EffectOutputOf<K extends EffectName> = Effects[K][1];

import type { ErrorCode } from '../model/errors.js';

/**
 * Failures after which another attempt of the same phase cannot help: the same request would fail the
 * same way (bad key, unknown model, a prompt that does not fit, a repository file that cannot be read), or
 * must not run (cancelled, a rollback that left the tree in an unknown state).
 */
export const FINAL_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ABORTED',
  'ROLLBACK_FAILED',
  'LLM_AUTH_FAILED',
  'LLM_MODEL_NOT_FOUND',
  'LLM_CONTEXT_TOO_LONG',
  'LLM_REPLAY_MISS',
  'PROMPT_TOO_LARGE',
  'FILE_UNREADABLE',
  'GIT_FAILED',
]);

/** Failures that would recur in every later phase too, so the run stops whatever stopOnFailure says. */
export const RUN_HALTING_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ABORTED',
  'GIT_FAILED',
  'LLM_AUTH_FAILED',
  'LLM_MODEL_NOT_FOUND',
  'LLM_REPLAY_MISS',
]);

/** Attempts in a row that fail the same way before a phase stops with STUCK, unless a run says otherwise. */
export const DEFAULT_STUCK_AFTER = 2;

/**
 * Every failure that crosses an effect boundary becomes an AutopackError with a stable code, so machines
 * branch on codes and never on message text.
 */
export const ERROR_CODES = [
  'LLM_FAILED',
  'LLM_TRUNCATED',
  'LLM_EMPTY_RESPONSE',
  'LLM_AUTH_FAILED',
  'LLM_MODEL_NOT_FOUND',
  'LLM_CONTEXT_TOO_LONG',
  'LLM_REPLAY_MISS',
  'PROMPT_TOO_LARGE',
  'BUDGET_EXHAUSTED',
  'RESPONSE_UNPARSEABLE',
  'CHANGES_INVALID',
  'APPLY_FAILED',
  /** A repository file is there but cannot be read (EACCES, EIO, ELOOP…): not absent, and not fixed by retrying. */
  'FILE_UNREADABLE',
  'HEALTH_CHECK_FAILED',
  'DELIVERABLES_MISSING',
  /** Attempts in a row failed the same way (same code, same errors): the phase stopped with retries left (`stuckAfter`). */
  'STUCK',
  'ROLLBACK_FAILED',
  'ABORTED',
  'PLAN_INVALID',
  'INPUT_INVALID',
  'STORE_VERSION_CONFLICT',
  'RUN_NOT_FOUND',
  'RUN_LOCKED',
  /** This process's lease on the run was taken over or expired: its appends are refused and it stops. */
  'LEASE_LOST',
  'MACHINE_VERSION_MISMATCH',
  'RESUME_DIVERGED',
  'INTERNAL',
  /** A git command failed (or HEAD moved under a compare-and-swap); the message names the command and quotes git's stderr. */
  'GIT_FAILED',
  /** Files the run would write hold the user's uncommitted changes (docs/git.md). */
  'UNCOMMITTED_CHANGES',
  /** A person rejected the phase's proposed changes at its approval gate; their feedback goes to the next attempt. */
  'APPROVAL_REJECTED',
  /** An approval or rejection for a run, or a phase, that is not awaiting one (or was decided already). */
  'APPROVAL_NOT_PENDING',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Plain data form of an error, as recorded in the event log. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** Long form for logs: stderr tail, model excerpt, stack. */
  detail?: string;
}

export class AutopackError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly detail: string | undefined;
  /** Several problems found at once (e.g. one per invalid change); defaults to the message alone. */
  readonly errors: string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { retryable?: boolean; detail?: string; cause?: unknown; errors?: string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AutopackError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.detail = options.detail;
    this.errors = options.errors ?? [message];
  }

  toData(): ErrorData {
    return this.detail === undefined
      ? { code: this.code, message: this.message, retryable: this.retryable }
      : { code: this.code, message: this.message, retryable: this.retryable, detail: this.detail };
  }
}

export function toErrorData(error: unknown, fallbackCode: ErrorCode = 'INTERNAL'): ErrorData {
  if (error instanceof AutopackError) return error.toData();
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'ABORTED', message: 'aborted', retryable: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = error instanceof Error ? error.stack : undefined;
  return detail === undefined
    ? { code: fallbackCode, message, retryable: false }
    : { code: fallbackCode, message, retryable: false, detail };
}

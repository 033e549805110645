import OpenAI from 'openai';
import type { ErrorCode } from '../../model/errors.js';

export type FailureKind =
  /** Worth the same request again after a wait. */
  | 'transient'
  /** The server does not take `response_format: json_schema`; ask again without it. */
  | 'structured_output_unsupported'
  /** The server wants the other output-limit parameter (max_tokens vs max_completion_tokens). */
  | 'output_limit_param_unsupported'
  | 'aborted'
  | 'final';

export interface ClassifiedFailure {
  kind: FailureKind;
  code: ErrorCode;
  status?: number;
  headers?: Headers;
  /** Says what happened and what to do about it. */
  message: string;
}

export interface RequestTarget {
  baseURL: string;
  model: string;
}

const CONTEXT_TOO_LONG = /context[_ ]length|maximum context|context window|too many tokens|prompt is too long|exceeds? the (?:max|context)/i;
const STRUCTURED_OUTPUT = /response_format|json_schema|structured output|guided/i;
const OUTPUT_LIMIT_PARAM = /max_completion_tokens|max_tokens/;

function serverMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message;
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Sorts an SDK error into what the client does next, with a message that says what to fix. */
export function classifyError(error: unknown, target: RequestTarget): ClassifiedFailure {
  const at = `${target.baseURL} (model "${target.model}")`;
  if (error instanceof OpenAI.APIUserAbortError) {
    return { kind: 'aborted', code: 'ABORTED', message: 'the request was cancelled' };
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { kind: 'transient', code: 'LLM_FAILED', message: `the request to ${at} timed out` };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return {
      kind: 'transient',
      code: 'LLM_FAILED',
      message: `could not reach ${target.baseURL}${cause}; is the server running and the base URL right?`,
    };
  }
  if (!(error instanceof OpenAI.APIError) || error.status === undefined) {
    const text = error instanceof Error ? error.message : String(error);
    return { kind: 'final', code: 'LLM_FAILED', message: `the request to ${at} failed: ${text}` };
  }
  const status = error.status;
  const said = serverMessage(error);
  const base = { status, ...(error.headers === undefined ? {} : { headers: error.headers }) };
  if (status === 401 || status === 403) {
    return {
      ...base,
      kind: 'final',
      code: 'LLM_AUTH_FAILED',
      message: `${target.baseURL} refused the API key (${status}: ${said}); set OPENAI_API_KEY, or the variable named by --api-key-env, to a valid key`,
    };
  }
  if (status === 404) {
    return {
      ...base,
      kind: 'final',
      code: 'LLM_MODEL_NOT_FOUND',
      message: `${target.baseURL} has no model "${target.model}" (404: ${said}); pass --model (or AUTOPACK_MODEL) with a model it serves, and check that the base URL ends in /v1`,
    };
  }
  if (status === 429 && error.code === 'insufficient_quota') {
    return { ...base, kind: 'final', code: 'LLM_AUTH_FAILED', message: `the account behind the API key has no quota left (429: ${said})` };
  }
  if (status === 429 || status === 408 || status === 409 || status >= 500) {
    return { ...base, kind: 'transient', code: 'LLM_FAILED', message: `${at} answered ${status}: ${said}` };
  }
  if (status === 400 || status === 422) {
    if (error.code === 'context_length_exceeded' || CONTEXT_TOO_LONG.test(said)) {
      return {
        ...base,
        kind: 'final',
        code: 'LLM_CONTEXT_TOO_LONG',
        message: `the prompt does not fit the context window of "${target.model}" (${status}: ${said}); lower --max-prompt-tokens so autopack cuts context files to fit, or use a model with a larger window`,
      };
    }
    if (error.param === 'response_format' || STRUCTURED_OUTPUT.test(said)) {
      return { ...base, kind: 'structured_output_unsupported', code: 'LLM_FAILED', message: `${at} rejected structured output: ${said}` };
    }
    if ((error.param !== null && error.param !== undefined && OUTPUT_LIMIT_PARAM.test(error.param)) || /unsupported parameter.*max_(completion_)?tokens/i.test(said)) {
      return { ...base, kind: 'output_limit_param_unsupported', code: 'LLM_FAILED', message: `${at} rejected the output limit parameter: ${said}` };
    }
  }
  return { ...base, kind: 'final', code: 'LLM_FAILED', message: `${at} answered ${status}: ${said}` };
}

/**
 * The one interface autopack needs from a language model. Any object with `complete` works: the
 * OpenAIClient for OpenAI-compatible servers, the replay and scripted clients for offline runs, or your own.
 */
import type { ErrorCode } from './errors.js';

export interface LLMMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  name: string;
  schema: Record<string, unknown>;
}

export interface LLMUsage {
  promptTokens: number;
  completionTokens: number;
}

/** One HTTP request (or its equivalent) made while serving an LLMRequest; failed ones included. */
export interface LLMAttempt {
  /** 1-based, within one LLMRequest. */
  number: number;
  outcome: 'ok' | 'truncated' | 'error';
  model: string;
  maxOutputTokens: number;
  /** Whether the request asked for the answer's JSON schema (structured output). */
  structuredOutput: boolean;
  usage: LLMUsage;
  latencyMs: number;
  /** HTTP status of a failed attempt, when there was a response. */
  status?: number;
  errorCode?: ErrorCode;
  message?: string;
  /** Set when the client will try again after this attempt, with the delay it chose. */
  retryInMs?: number;
}

export interface LLMRequest {
  messages: LLMMessage[];
  maxOutputTokens: number;
  /** The answer's schema; clients that cannot enforce it rely on the prompt and the tolerant parser. */
  responseFormat?: JsonSchemaResponseFormat;
  signal?: AbortSignal;
  /** Told of every attempt as it ends, so each one is logged even if the request as a whole fails. */
  onAttempt?: (attempt: LLMAttempt) => void;
  /**
   * Asked before an extra attempt that costs tokens (a retry with a larger output budget); throws to
   * forbid it, e.g. when the run's budget would be exceeded.
   */
  beforeExtraAttempt?: (maxOutputTokens: number) => void;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | (string & {});

export interface LLMResponse {
  content: string;
  finishReason: FinishReason;
  /** Summed over every attempt the client made for this request. */
  usage: LLMUsage;
  model?: string;
}

export interface LLMClient {
  complete(request: LLMRequest): Promise<LLMResponse>;
  /** The model requests go to, when the client knows it: used for token counting and prices. */
  readonly model?: string;
}

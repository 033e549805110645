import { setTimeout } from 'node:timers/promises';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import { z } from 'zod';
import { AutopackError } from '../../model/errors.js';
import { formatZodError } from '../../model/formatZodError.js';
import type { LLMAttempt, LLMClient, LLMRequest, LLMResponse, LLMUsage } from '../types.js';
import { OPENAI_BASE_URL, resolveConnection, resolveModel } from './defaults.js';
import { classifyError, type ClassifiedFailure } from './classifyError.js';
import { nodeFetch } from './nodeFetch.js';
import { DEFAULT_TRANSIENT_RETRY, jitteredDelayMs, serverRequestedDelayMs, type TransientRetryPolicy } from './retryPolicy.js';

export { DEFAULT_MODEL, OPENAI_BASE_URL } from './defaults.js';
/** The most a truncated answer's retry may ask for; providers' output limits are around this or above. */
export const DEFAULT_MAX_OUTPUT_TOKENS_CAP = 32_768;
const TRUNCATION_GROWTH = 1.25;

const isFunction = (value: unknown): boolean => typeof value === 'function';

export const OpenAIClientOptionsSchema = z.strictObject({
  apiKey: z.string().min(1, 'apiKey is empty').optional(),
  baseURL: z.url({ error: 'baseURL must be a URL such as http://127.0.0.1:11434/v1' }).optional(),
  model: z.string().min(1, 'model is empty').optional(),
  /** Per HTTP attempt. */
  timeoutMs: z.number().int().positive().default(600_000),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(50),
      maxTotalWaitMs: z.number().int().nonnegative(),
      initialDelayMs: z.number().int().nonnegative(),
      maxDelayMs: z.number().int().nonnegative(),
    })
    .partial()
    .default({}),
  maxOutputTokensCap: z.number().int().positive().default(DEFAULT_MAX_OUTPUT_TOKENS_CAP),
  /** `auto` asks for the schema until the server rejects it, then stops asking. */
  structuredOutput: z.enum(['auto', 'never']).default('auto'),
  /** `auto`: max_completion_tokens for api.openai.com, max_tokens elsewhere; switched if the server objects. */
  outputLimitParam: z.enum(['auto', 'max_tokens', 'max_completion_tokens']).default('auto'),
  /** Where OPENAI_API_KEY, OPENAI_BASE_URL and AUTOPACK_MODEL are read; process.env by default. */
  env: z
    .custom<Readonly<Record<string, string | undefined>>>((value) => typeof value === 'object' && value !== null, {
      error: 'env must be an object of environment variables',
    })
    .optional(),
  /** An SDK client to use as it is (its key, base URL and fetch); autopack still drives retries itself. */
  openai: z.custom<OpenAI>((value) => value instanceof OpenAI, { error: 'openai must be an instance of the openai SDK client' }).optional(),
  /** Injected by tests: the wait between attempts and the jitter source. */
  sleep: z.custom<(ms: number, signal?: AbortSignal) => Promise<void>>(isFunction).optional(),
  random: z.custom<() => number>(isFunction).optional(),
});
export type OpenAIClientOptions = z.input<typeof OpenAIClientOptionsSchema>;

async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await setTimeout(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    throw new AutopackError('ABORTED', 'the request was cancelled', { cause: error });
  }
}

function usageOf(completion: OpenAI.Chat.Completions.ChatCompletion): LLMUsage {
  return { promptTokens: completion.usage?.prompt_tokens ?? 0, completionTokens: completion.usage?.completion_tokens ?? 0 };
}

const NO_USAGE: LLMUsage = { promptTokens: 0, completionTokens: 0 };

/**
 * nodeFetch as the SDK's `fetch`. The SDK's type asks for a full Response; what it reads of one (status,
 * headers, url, text(), json(), and a null body to cancel) is what nodeFetch's FetchResponse has.
 */
const sdkFetch = nodeFetch as unknown as NonNullable<NonNullable<ConstructorParameters<typeof OpenAI>[0]>['fetch']>;

/**
 * An LLMClient for OpenAI and any server that speaks its chat-completions API (Ollama, vLLM, LM Studio,
 * llama.cpp, OpenRouter). The SDK's own retries are off: this client retries transient failures itself
 * so that every attempt can be reported and logged, and so that waits respect the run's cancellation.
 */
export class OpenAIClient implements LLMClient {
  readonly model: string;
  readonly baseURL: string;
  private readonly sdk: OpenAI;
  private readonly timeoutMs: number;
  private readonly retry: TransientRetryPolicy;
  private readonly maxOutputTokensCap: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  /** Learned from the server: undefined until it has answered a request that asked for the schema. */
  private structuredOutputSupported: boolean | undefined;
  private outputLimitParam: 'max_tokens' | 'max_completion_tokens';

  constructor(options: OpenAIClientOptions = {}) {
    const parsed = OpenAIClientOptionsSchema.safeParse(options);
    if (!parsed.success) throw new AutopackError('INPUT_INVALID', `OpenAIClient options: ${formatZodError(parsed.error)}`);
    const o = parsed.data;
    const env = o.env ?? process.env;
    if (o.openai !== undefined) {
      this.model = resolveModel(o.model, env);
      this.sdk = o.openai;
      this.baseURL = o.openai.baseURL;
    } else {
      const connection = resolveConnection(o, env);
      this.model = connection.model;
      this.baseURL = connection.baseURL;
      // Local servers ignore the key, but the SDK insists on one.
      this.sdk = new OpenAI({ apiKey: connection.apiKey ?? 'no-key', baseURL: this.baseURL, maxRetries: 0, timeout: o.timeoutMs, fetch: sdkFetch });
    }
    this.timeoutMs = o.timeoutMs;
    this.retry = { ...DEFAULT_TRANSIENT_RETRY, ...o.retry };
    this.maxOutputTokensCap = o.maxOutputTokensCap;
    this.sleep = o.sleep ?? abortableSleep;
    this.random = o.random ?? Math.random;
    this.structuredOutputSupported = o.structuredOutput === 'never' ? false : undefined;
    this.outputLimitParam =
      o.outputLimitParam !== 'auto' ? o.outputLimitParam : this.baseURL === OPENAI_BASE_URL ? 'max_completion_tokens' : 'max_tokens';
  }

  /** Whether this server has accepted (true) or rejected (false) structured output so far in this run. */
  get structuredOutput(): boolean | undefined {
    return this.structuredOutputSupported;
  }

  async complete(request: LLMRequest): Promise<LLMResponse> {
    const usage: LLMUsage = { promptTokens: 0, completionTokens: 0 };
    let maxOutputTokens = request.maxOutputTokens;
    let truncationRetried = false;
    let outputParamSwitched = false;
    let transientFailures = 0;
    let waitedMs = 0;

    for (let number = 1; ; number += 1) {
      const structured = request.responseFormat !== undefined && this.structuredOutputSupported !== false;
      const report = (attempt: Omit<LLMAttempt, 'number' | 'model' | 'maxOutputTokens' | 'structuredOutput'>) =>
        request.onAttempt?.({ number, model: this.model, maxOutputTokens, structuredOutput: structured, ...attempt });
      const startedAt = performance.now();
      const latency = () => Math.round(performance.now() - startedAt);
      let completion: OpenAI.Chat.Completions.ChatCompletion;
      try {
        completion = await this.sdk.chat.completions.create(this.body(request, maxOutputTokens, structured), {
          maxRetries: 0,
          timeout: this.timeoutMs,
          ...(request.signal === undefined ? {} : { signal: request.signal }),
        });
      } catch (error) {
        const failure = classifyError(error, { baseURL: this.baseURL, model: this.model });
        if (failure.kind === 'aborted' || request.signal?.aborted === true) {
          report({ outcome: 'error', usage: NO_USAGE, latencyMs: latency(), errorCode: 'ABORTED', message: 'cancelled' });
          throw new AutopackError('ABORTED', 'the request was cancelled', { cause: error });
        }
        const next = this.nextStep(failure, { structured, outputParamSwitched, transientFailures, waitedMs });
        report({ outcome: 'error', usage: NO_USAGE, latencyMs: latency(), ...failureFields(failure), ...(next === null ? {} : { retryInMs: next.waitMs }) });
        if (next === null) throw this.finalError(failure, number, waitedMs);
        if (failure.kind === 'structured_output_unsupported') this.structuredOutputSupported = false;
        if (failure.kind === 'output_limit_param_unsupported') {
          outputParamSwitched = true;
          this.outputLimitParam = this.outputLimitParam === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
        }
        if (failure.kind === 'transient') transientFailures += 1;
        if (next.waitMs > 0) await this.sleep(next.waitMs, request.signal);
        waitedMs += next.waitMs;
        continue;
      }

      if (structured) this.structuredOutputSupported = true;
      const attemptUsage = usageOf(completion);
      usage.promptTokens += attemptUsage.promptTokens;
      usage.completionTokens += attemptUsage.completionTokens;
      const choice = completion.choices[0];
      const finishReason = choice?.finish_reason ?? 'stop';
      const content = choice?.message.content ?? '';
      const truncated = finishReason === 'length';
      const larger = Math.min(this.maxOutputTokensCap, Math.ceil(maxOutputTokens * TRUNCATION_GROWTH));
      if (truncated && !truncationRetried && larger > maxOutputTokens) {
        report({ outcome: 'truncated', usage: attemptUsage, latencyMs: latency(), retryInMs: 0 });
        request.beforeExtraAttempt?.(larger);
        truncationRetried = true;
        maxOutputTokens = larger;
        continue;
      }
      report({ outcome: truncated ? 'truncated' : 'ok', usage: attemptUsage, latencyMs: latency() });
      return { content, finishReason, usage, model: completion.model || this.model };
    }
  }

  private body(request: LLMRequest, maxOutputTokens: number, structured: boolean): ChatCompletionCreateParamsNonStreaming {
    const body: ChatCompletionCreateParamsNonStreaming = {
      model: this.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      [this.outputLimitParam]: maxOutputTokens,
    };
    if (structured && request.responseFormat !== undefined) {
      body.response_format = {
        type: 'json_schema',
        json_schema: { name: request.responseFormat.name, schema: request.responseFormat.schema, strict: true },
      };
    }
    return body;
  }

  /** The wait before the next attempt, or null when this failure ends the request. */
  private nextStep(
    failure: ClassifiedFailure,
    state: { structured: boolean; outputParamSwitched: boolean; transientFailures: number; waitedMs: number },
  ): { waitMs: number } | null {
    switch (failure.kind) {
      case 'structured_output_unsupported':
        return state.structured ? { waitMs: 0 } : null;
      case 'output_limit_param_unsupported':
        return state.outputParamSwitched ? null : { waitMs: 0 };
      case 'transient': {
        if (state.transientFailures + 1 >= this.retry.maxAttempts) return null;
        const asked = serverRequestedDelayMs(failure.headers, Date.now());
        const waitMs = asked ?? jitteredDelayMs(state.transientFailures + 1, this.retry, this.random);
        return state.waitedMs + waitMs > this.retry.maxTotalWaitMs ? null : { waitMs };
      }
      default:
        return null;
    }
  }

  private finalError(failure: ClassifiedFailure, attempts: number, waitedMs: number): AutopackError {
    const gaveUp =
      failure.kind === 'transient'
        ? ` (gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} and ${(waitedMs / 1000).toFixed(1)} s of waiting)`
        : '';
    return new AutopackError(failure.code, `${failure.message}${gaveUp}`, { retryable: failure.kind === 'transient' });
  }
}

function failureFields(failure: ClassifiedFailure): Pick<LLMAttempt, 'status' | 'errorCode' | 'message'> {
  return {
    errorCode: failure.code,
    message: failure.message,
    ...(failure.status === undefined ? {} : { status: failure.status }),
  };
}

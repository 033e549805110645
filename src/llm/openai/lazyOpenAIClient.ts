import type { LLMClient, LLMRequest, LLMResponse } from '../types.js';
import { resolveConnection, resolveModel } from './defaults.js';
import type { OpenAIClient, OpenAIClientOptions } from './openaiClient.js';

/** What an `openai` SDK client looks like, without loading the SDK to find out. */
export function looksLikeOpenAISdk(value: unknown): value is NonNullable<OpenAIClientOptions['openai']> {
  const chat = (value as { chat?: { completions?: { create?: unknown } } } | null)?.chat;
  return typeof chat?.completions?.create === 'function' && typeof (value as { baseURL?: unknown }).baseURL === 'string';
}

/**
 * An OpenAIClient made on first use, so that the SDK (~60 ms to load) is loaded only by runs that talk
 * to a server, not by every command and every library user.
 */
export class LazyOpenAIClient implements LLMClient {
  readonly model: string | undefined;
  private client: Promise<OpenAIClient> | undefined;

  constructor(private readonly options: OpenAIClientOptions) {
    const env = options.env ?? process.env;
    // Resolved now, so a missing key or a bad URL is refused before a run starts, not at its first call.
    this.model = options.openai === undefined ? resolveConnection(options, env).model : resolveModel(options.model, env);
  }

  /** False when told the server has no structured output (`structuredOutput: 'never'`); undefined: not known yet. */
  get structuredOutput(): boolean | undefined {
    return this.options.structuredOutput === 'never' ? false : undefined;
  }

  async complete(request: LLMRequest): Promise<LLMResponse> {
    this.client ??= import('./openaiClient.js').then(({ OpenAIClient }) => new OpenAIClient(this.options));
    return (await this.client).complete(request);
  }
}

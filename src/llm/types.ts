/**
 * The one interface autopack needs from a language model. Any object with `complete` works: the
 * ScriptedLLMClient for tests and examples, or an adapter over an OpenAI-compatible server.
 */
export interface LLMMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface JsonSchemaResponseFormat {
  type: 'json_schema';
  name: string;
  schema: Record<string, unknown>;
}

export interface LLMRequest {
  messages: LLMMessage[];
  maxOutputTokens: number;
  responseFormat?: JsonSchemaResponseFormat | { type: 'json_object' };
  signal?: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | (string & {});

export interface LLMUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LLMResponse {
  content: string;
  finishReason: FinishReason;
  usage: LLMUsage;
  model?: string;
}

export interface LLMClient {
  complete(request: LLMRequest): Promise<LLMResponse>;
}

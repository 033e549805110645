import fs from 'node:fs';
import { AutopackError } from '../model/errors.js';
import { formatZodError } from '../model/formatZodError.js';
import { RecordedExchangeSchema, requestKey, type RecordedExchange } from './recording.js';
import type { LLMClient, LLMRequest, LLMResponse } from './types.js';

/** Reads a recording, naming the line of any bad entry. */
export function loadRecording(file: string): RecordedExchange[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new AutopackError('INPUT_INVALID', `--llm replay:${file}: cannot read the file; check the path`);
  }
  const exchanges: RecordedExchange[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new AutopackError('INPUT_INVALID', `${file}:${index + 1}: not JSON (${(error as Error).message}); a recording has one JSON object per line`);
    }
    const parsed = RecordedExchangeSchema.safeParse(json);
    if (!parsed.success) {
      throw new AutopackError('INPUT_INVALID', `${file}:${index + 1}: not a recorded exchange: ${formatZodError(parsed.error).split('\n').join('; ')}`);
    }
    exchanges.push(parsed.data);
  });
  return exchanges;
}

function abortError(): AutopackError {
  return new AutopackError('ABORTED', 'the request was cancelled');
}

const preview = (request: LLMRequest): string => {
  const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const flat = user.replace(/\s+/g, ' ').trim();
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat;
};

/**
 * Serves a run from a recording, offline: each request gets the answer recorded for the same request
 * (same messages, same output limit), in recorded order when one was asked more than once. A request
 * never recorded fails the run loudly rather than being answered by a guess.
 */
export class ReplayLLMClient implements LLMClient {
  readonly model: string | undefined;
  private readonly byKey = new Map<string, RecordedExchange[]>();
  private readonly total: number;

  constructor(
    exchanges: readonly RecordedExchange[],
    private readonly source = 'the recording',
  ) {
    for (const exchange of exchanges) {
      const queue = this.byKey.get(exchange.key) ?? [];
      queue.push(exchange);
      this.byKey.set(exchange.key, queue);
    }
    this.total = exchanges.length;
    this.model = exchanges[0]?.model ?? undefined;
  }

  static fromFile(file: string): ReplayLLMClient {
    return new ReplayLLMClient(loadRecording(file), file);
  }

  /** Recorded exchanges not served yet. */
  get unused(): number {
    return [...this.byKey.values()].reduce((n, queue) => n + queue.length, 0);
  }

  async complete(request: LLMRequest): Promise<LLMResponse> {
    if (request.signal?.aborted === true) throw abortError();
    const key = requestKey(request);
    const queue = this.byKey.get(key);
    const exchange = queue?.shift();
    if (exchange === undefined) {
      const why =
        queue === undefined
          ? `has no answer for this request (key ${key.slice(0, 12)}, ${request.maxOutputTokens} output tokens, prompt "${preview(request)}")`
          : `has no answer left for this request (key ${key.slice(0, 12)}): it was asked more often than when recorded`;
      throw new AutopackError(
        'LLM_REPLAY_MISS',
        `${this.source} ${why}; it holds ${this.total} exchange(s). The prompt differs from the recorded run (plan, repository files, ` +
          'options or autopack\'s prompt changed): record again with --record FILE',
      );
    }
    if (exchange.error !== undefined) {
      throw new AutopackError(exchange.error.code, exchange.error.message, { retryable: exchange.error.retryable });
    }
    if (exchange.response === undefined) {
      throw new AutopackError('INPUT_INVALID', `${this.source}: exchange ${key.slice(0, 12)} has neither a response nor an error`);
    }
    return { ...exchange.response };
  }
}

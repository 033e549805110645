import fs from 'node:fs';
import path from 'node:path';
import { AutopackError, toErrorData } from '../model/errors.js';
import { RECORDING_FORMAT_VERSION, requestKey, type RecordedExchange } from './recording.js';
import type { LLMClient, LLMRequest, LLMResponse } from './types.js';

/**
 * Passes requests to another client and appends each exchange to a JSONL file as it completes, so a
 * run interrupted halfway still leaves every answer it paid for. Cancelled requests are not recorded.
 */
export class RecordingLLMClient implements LLMClient {
  readonly model: string | undefined;

  constructor(
    private readonly inner: LLMClient,
    readonly file: string,
  ) {
    this.model = inner.model;
    try {
      fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      fs.appendFileSync(file, '');
    } catch (error) {
      throw new AutopackError('INPUT_INVALID', `--record ${file}: cannot write there (${(error as Error).message})`);
    }
  }

  async complete(request: LLMRequest): Promise<LLMResponse> {
    const base = {
      v: RECORDING_FORMAT_VERSION,
      key: requestKey(request),
      model: this.model ?? null,
      request: { messages: request.messages, maxOutputTokens: request.maxOutputTokens },
    } as const;
    try {
      const response = await this.inner.complete(request);
      this.append({ ...base, response: { ...response }, recordedAt: new Date().toISOString() });
      return response;
    } catch (error) {
      const data = toErrorData(error, 'LLM_FAILED');
      if (data.code !== 'ABORTED') {
        this.append({ ...base, error: { code: data.code, message: data.message, retryable: data.retryable }, recordedAt: new Date().toISOString() });
      }
      throw error;
    }
  }

  private append(exchange: RecordedExchange): void {
    fs.appendFileSync(this.file, `${JSON.stringify(exchange)}\n`);
  }
}

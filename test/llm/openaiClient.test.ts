import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIClient, type OpenAIClientOptions } from '../../src/llm/openai/openaiClient.js';
import { RESPONSE_JSON_SCHEMA } from '../../src/llm/prompts/phasePrompt.js';
import type { LLMAttempt, LLMRequest } from '../../src/llm/types.js';
import { AutopackError } from '../../src/model/errors.js';
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from '../support/fakeOpenAIServer.js';
import { answer } from '../support/repoFixture.js';

let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ANSWER = answer('greet', [{ path: 'a.txt', mode: 'create', new_content: 'hi\n' }]);

async function clientFor(replies: readonly FakeReply[], options: OpenAIClientOptions = {}) {
  server = await startFakeOpenAI(replies);
  const waits: number[] = [];
  const client = new OpenAIClient({
    baseURL: server.baseURL,
    model: 'test-model',
    env: {},
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
  return { client, waits, server };
}

function request(overrides: Partial<LLMRequest> = {}): LLMRequest & { attempts: LLMAttempt[] } {
  const attempts: LLMAttempt[] = [];
  return {
    messages: [
      { role: 'system', content: 'answer in JSON' },
      { role: 'user', content: 'make a.txt' },
    ],
    maxOutputTokens: 1000,
    responseFormat: { type: 'json_schema', name: 'phase_changes', schema: RESPONSE_JSON_SCHEMA },
    onAttempt: (attempt) => attempts.push(attempt),
    attempts,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<AutopackError> {
  const error: unknown = await promise.then(
    () => new Error('expected the request to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AutopackError);
  return error as AutopackError;
}

describe('OpenAIClient against a local OpenAI-compatible server', () => {
  it('sends the model, messages, output limit and schema, and returns content and usage', async () => {
    const { client, server } = await clientFor([{ content: ANSWER, usage: { prompt_tokens: 321, completion_tokens: 45 } }], {
      apiKey: 'sk-test-123',
    });
    const req = request();
    const response = await client.complete(req);

    expect(response).toMatchObject({ content: ANSWER, finishReason: 'stop', usage: { promptTokens: 321, completionTokens: 45 } });
    const sent = server.requests[0];
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test-123');
    expect(sent?.body).toMatchObject({
      model: 'test-model',
      max_tokens: 1000,
      messages: [
        { role: 'system', content: 'answer in JSON' },
        { role: 'user', content: 'make a.txt' },
      ],
      response_format: { type: 'json_schema', json_schema: { name: 'phase_changes', schema: RESPONSE_JSON_SCHEMA, strict: true } },
    });
    expect(req.attempts).toEqual([
      expect.objectContaining({ number: 1, outcome: 'ok', model: 'test-model', structuredOutput: true, usage: { promptTokens: 321, completionTokens: 45 } }),
    ]);
    expect(client.structuredOutput).toBe(true);
  });

  it('waits as long as Retry-After asks after a 429, then succeeds', async () => {
    const { client, waits, server } = await clientFor([
      { status: 429, headers: { 'retry-after': '2' }, error: { message: 'Rate limit reached', type: 'requests' } },
      { content: ANSWER },
    ]);
    const req = request();
    const response = await client.complete(req);

    expect(response.content).toBe(ANSWER);
    expect(waits).toEqual([2000]);
    expect(server.requests).toHaveLength(2);
    expect(req.attempts.map((a) => [a.outcome, a.status, a.retryInMs])).toEqual([
      ['error', 429, 2000],
      ['ok', undefined, undefined],
    ]);
  });

  it('honours retry-after-ms over retry-after', async () => {
    const { client, waits } = await clientFor([
      { status: 429, headers: { 'retry-after-ms': '250', 'retry-after': '9' }, error: { message: 'slow down' } },
      { content: ANSWER },
    ]);
    await client.complete(request());
    expect(waits).toEqual([250]);
  });

  it('retries 500 twice with growing jittered waits, then succeeds', async () => {
    const { client, waits, server } = await clientFor(
      [{ status: 500, error: { message: 'boom' } }, { status: 502, error: { message: 'bad gateway' } }, { content: ANSWER }],
      { retry: { initialDelayMs: 1000, maxDelayMs: 30_000 } },
    );
    const req = request();
    await client.complete(req);

    // random() = 0.5 of the exponential cap: 1 s then 2 s.
    expect(waits).toEqual([500, 1000]);
    expect(server.requests).toHaveLength(3);
    expect(req.attempts.map((a) => a.status ?? a.outcome)).toEqual([500, 502, 'ok']);
  });

  it('gives up on transient failures after maxAttempts, as a retryable LLM_FAILED', async () => {
    const { client, server } = await clientFor(
      Array.from({ length: 5 }, () => ({ status: 503, error: { message: 'overloaded' } })),
      { retry: { maxAttempts: 3 } },
    );
    const error = await failureOf(client.complete(request()));
    expect(error.code).toBe('LLM_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/503.*overloaded.*gave up after 3 attempts/);
    expect(server.requests).toHaveLength(3);
  });

  it('does not wait longer than the total retry budget, even when the server asks', async () => {
    const { client, waits } = await clientFor(
      [{ status: 429, headers: { 'retry-after': '600' }, error: { message: 'come back in ten minutes' } }, { content: ANSWER }],
      { retry: { maxTotalWaitMs: 60_000 } },
    );
    const error = await failureOf(client.complete(request()));
    expect(error.message).toMatch(/gave up after 1 attempt/);
    expect(waits).toEqual([]);
  });

  it('fails a 401 at once, saying which key to set', async () => {
    const { client, server } = await clientFor([{ status: 401, error: { message: 'Incorrect API key provided' } }, { content: ANSWER }]);
    const req = request();
    const error = await failureOf(client.complete(req));
    expect(error.code).toBe('LLM_AUTH_FAILED');
    expect(error.message).toMatch(/refused the API key \(401: Incorrect API key provided\).*OPENAI_API_KEY/);
    expect(server.requests).toHaveLength(1);
    expect(req.attempts).toEqual([expect.objectContaining({ outcome: 'error', status: 401, errorCode: 'LLM_AUTH_FAILED' })]);
  });

  it('fails a 404 as model-not-found, naming the model and the flag', async () => {
    const { client } = await clientFor([{ status: 404, error: { message: 'model "test-model" not found, try pulling it first' } }]);
    const error = await failureOf(client.complete(request()));
    expect(error.code).toBe('LLM_MODEL_NOT_FOUND');
    expect(error.message).toContain('no model "test-model"');
    expect(error.message).toContain('--model');
  });

  it('fails a context-length 400 without retrying', async () => {
    const { client, server } = await clientFor([
      {
        status: 400,
        error: { message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.", code: 'context_length_exceeded' },
      },
    ]);
    const error = await failureOf(client.complete(request()));
    expect(error.code).toBe('LLM_CONTEXT_TOO_LONG');
    expect(error.message).toContain('--max-prompt-tokens');
    expect(server.requests).toHaveLength(1);
  });

  it('falls back to plain JSON when the server rejects json_schema, and remembers it', async () => {
    const { client, server, waits } = await clientFor([
      { status: 400, error: { message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", param: 'response_format' } },
      { content: ANSWER },
      { content: ANSWER },
    ]);
    const first = request();
    expect((await client.complete(first)).content).toBe(ANSWER);
    await client.complete(request());

    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false, false]);
    expect(waits).toEqual([]);
    expect(client.structuredOutput).toBe(false);
    expect(first.attempts.map((a) => [a.outcome, a.structuredOutput])).toEqual([
      ['error', true],
      ['ok', false],
    ]);
  });

  it('switches to max_completion_tokens when the server rejects max_tokens', async () => {
    const { client, server } = await clientFor([
      {
        status: 400,
        error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", param: 'max_tokens' },
      },
      { content: ANSWER },
    ]);
    await client.complete(request());
    expect(server.requests[0]?.body).toHaveProperty('max_tokens', 1000);
    expect(server.requests[1]?.body).toHaveProperty('max_completion_tokens', 1000);
    expect(server.requests[1]?.body).not.toHaveProperty('max_tokens');
  });

  it('retries a truncated answer once with 1.25x the output budget, then reports the truncation', async () => {
    const { client, server } = await clientFor([
      { content: '{"summary": "cut', finishReason: 'length', usage: { prompt_tokens: 100, completion_tokens: 1000 } },
      { content: '{"summary": "still cut', finishReason: 'length', usage: { prompt_tokens: 100, completion_tokens: 1250 } },
    ]);
    const allowed: number[] = [];
    const req = request({ beforeExtraAttempt: (tokens) => allowed.push(tokens) });
    const response = await client.complete(req);

    expect(server.requests.map((r) => r.body['max_tokens'])).toEqual([1000, 1250]);
    expect(allowed).toEqual([1250]);
    expect(response.finishReason).toBe('length');
    expect(response.usage).toEqual({ promptTokens: 200, completionTokens: 2250 });
    expect(req.attempts.map((a) => a.outcome)).toEqual(['truncated', 'truncated']);
  });

  it('does not retry a truncation when the larger budget is refused', async () => {
    const { client, server } = await clientFor([{ content: '{"summary": "cut', finishReason: 'length' }, { content: ANSWER }]);
    const refusal = new AutopackError('BUDGET_EXHAUSTED', 'no budget left');
    const error = await failureOf(
      client.complete(
        request({
          beforeExtraAttempt: () => {
            throw refusal;
          },
        }),
      ),
    );
    expect(error).toBe(refusal);
    expect(server.requests).toHaveLength(1);
  });

  it('caps the enlarged output budget', async () => {
    const { client, server } = await clientFor([{ content: 'x', finishReason: 'length' }, { content: ANSWER }], { maxOutputTokensCap: 1100 });
    await client.complete(request());
    expect(server.requests.map((r) => r.body['max_tokens'])).toEqual([1000, 1100]);
  });

  it('aborts a slow response when the signal fires', async () => {
    const { client, server } = await clientFor([{ content: ANSWER, delayMs: 30_000 }]);
    const controller = new AbortController();
    const req = request({ signal: controller.signal });
    const pending = client.complete(req);
    setTimeout(() => controller.abort(), 100);
    const startedAt = Date.now();
    const error = await failureOf(pending);

    expect(error.code).toBe('ABORTED');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    await expect.poll(() => server.abandoned).toBe(1);
    expect(req.attempts).toEqual([expect.objectContaining({ outcome: 'error', errorCode: 'ABORTED' })]);
  });

  it('gives up an attempt that takes longer than timeoutMs, as a retryable failure that says it timed out', async () => {
    const { client, server, waits } = await clientFor([{ content: ANSWER, delayMs: 30_000 }, { content: ANSWER }], { timeoutMs: 200 });
    const req = request();
    const response = await client.complete(req);

    expect(response.content).toBe(ANSWER);
    expect(req.attempts.map((a) => [a.outcome, a.errorCode, a.message])).toEqual([
      ['error', 'LLM_FAILED', expect.stringMatching(/timed out/)],
      ['ok', undefined, undefined],
    ]);
    expect(waits).toHaveLength(1);
    await expect.poll(() => server.abandoned).toBe(1);
  });

  it('retries a server it cannot reach, then says which address and what to check', async () => {
    // A port that was just free: nothing listens there.
    const closed = await startFakeOpenAI([]);
    const baseURL = closed.baseURL;
    await closed.close();
    const client = new OpenAIClient({ baseURL, model: 'test-model', env: {}, sleep: async () => {}, random: () => 0.5, retry: { maxAttempts: 2 } });
    const req = request();
    const error = await failureOf(client.complete(req));

    expect(error.code).toBe('LLM_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(`could not reach ${baseURL}: connect ECONNREFUSED`);
    expect(error.message).toMatch(/is the server running and the base URL right\? \(gave up after 2 attempts/);
    expect(req.attempts).toHaveLength(2);
  });

  it('needs no key for a local server, but does for api.openai.com', async () => {
    const { client, server } = await clientFor([{ content: ANSWER }]);
    await client.complete(request());
    expect(server.requests).toHaveLength(1);

    expect(() => new OpenAIClient({ env: {} })).toThrow(/no API key for api.openai.com: set OPENAI_API_KEY/);
  });

  it('reads the key, base URL and model from the environment', async () => {
    server = await startFakeOpenAI([{ content: ANSWER }]);
    const client = new OpenAIClient({ env: { OPENAI_API_KEY: 'sk-env', OPENAI_BASE_URL: server.baseURL, AUTOPACK_MODEL: 'env-model' } });
    await client.complete(request());
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-env');
    expect(server.requests[0]?.body['model']).toBe('env-model');
  });

  it('wraps a caller-built OpenAI SDK instance', async () => {
    server = await startFakeOpenAI([{ content: ANSWER }]);
    const sdk = new OpenAI({ apiKey: 'sk-own', baseURL: server.baseURL });
    const client = new OpenAIClient({ openai: sdk, model: 'own-model' });
    await client.complete(request());
    expect(client.baseURL).toBe(server.baseURL);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-own');
  });

  it('rejects bad options by field', () => {
    expect(() => new OpenAIClient({ baseURL: 'not a url', env: {} })).toThrow(/baseURL/);
  });
});

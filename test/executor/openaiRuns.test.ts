import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OpenAIClient,
  PhaseExecutor,
  RecordingLLMClient,
  ReplayLLMClient,
  createSqliteEventStore,
  foldRunState,
  type StoredRunEvent,
} from '../../src/index.js';
import { countMessageTokens, tokenCounterFor, upperBoundCounterFor } from '../../src/llm/tokenCount.js';
import { startFakeOpenAI, type FakeOpenAIServer, type FakeReply } from '../support/fakeOpenAIServer.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { comparableResult } from '../support/comparableResult.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const create = (file: string, content: string): FakeReply => ({
  content: answer(`write ${file}`, [{ path: file, mode: 'create', new_content: content }]),
  usage: { prompt_tokens: 1000, completion_tokens: 200 },
});

/** A client that never really waits: retries are spaced by the policy, not by wall time, in these tests. */
const noWait = { sleep: async () => {}, random: () => 0 };

async function setup(replies: readonly FakeReply[], options: { model?: string; maxTokens?: number; repo?: Record<string, string> } = {}) {
  server = await startFakeOpenAI(replies);
  const repo = tempDir();
  writeTree(repo, options.repo ?? { 'README.md': '# demo\n' });
  const client = new OpenAIClient({ baseURL: server.baseURL, model: options.model ?? 'gpt-4o-mini', env: {}, ...noWait });
  const executor = new PhaseExecutor({
    llmClient: client,
    repoRoot: repo,
    backoff: { initialMs: 1, maxMs: 2, multiplier: 2 },
    ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
  });
  return { repo, client, executor, server };
}

async function logOf(executor: PhaseExecutor, runId: string): Promise<StoredRunEvent[]> {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return (await store.read(runId));
  } finally {
    store.close();
  }
}

describe('runs against a local OpenAI-compatible server', () => {
  it('logs every HTTP attempt, totals tokens and cost from them, and does not spend a phase retry on a 429', async () => {
    const { executor, server } = await setup([
      { status: 429, headers: { 'retry-after-ms': '5' }, error: { message: 'slow down' } },
      create('a.txt', 'A\n'),
    ]);
    const result = await executor.runPlan({ phases: [spec('one', ['a.txt'])], maxRetries: 2, enableHealthChecks: true, stopOnFailure: true });

    expect(result).toMatchObject({ status: 'succeeded', successful_phases: 1, total_tokens: 1200 });
    expect(result.phase_results[0]).toMatchObject({ retry_count: 0, token_usage: 1200 });
    // gpt-4o-mini at $0.15 / $0.60 per million tokens.
    expect(result.total_cost_usd).toBeCloseTo((1000 * 0.15 + 200 * 0.6) / 1e6, 9);
    const attempts = (await logOf(executor, result.run_id)).filter((e) => e.type === 'llm.attempted');
    expect(attempts.map((e) => (e.type === 'llm.attempted' ? [e.data.call.outcome, e.data.call.status ?? null] : null))).toEqual([
      ['error', 429],
      ['ok', null],
    ]);
    expect(server.requests).toHaveLength(2);
    executor.close();
  });

  it('accepts a raw OpenAI SDK instance as llmClient', async () => {
    server = await startFakeOpenAI([create('a.txt', 'A\n')]);
    const repo = tempDir();
    const executor = new PhaseExecutor({ llmClient: new OpenAI({ apiKey: 'sk-raw', baseURL: server.baseURL }), repoRoot: repo });
    const result = await executor.executePhase(spec('one', ['a.txt']));
    expect(result.success).toBe(true);
    expect(server.requests[0]?.headers.authorization).toBe('Bearer sk-raw');
    executor.close();
  });

  it('stops the whole run on a 401, without retrying the phase or starting the next one', async () => {
    const { executor, server } = await setup([{ status: 401, error: { message: 'Incorrect API key provided' } }, create('a.txt', 'A\n')]);
    const result = await executor.runPlan({
      phases: [spec('one', ['a.txt']), spec('two', ['b.txt'])],
      maxRetries: 3,
      enableHealthChecks: true,
      stopOnFailure: false,
    });
    expect(result).toMatchObject({ status: 'failed', failed_phases: 1, successful_phases: 0 });
    expect(result.phase_results).toHaveLength(1);
    expect(result.phase_results[0]?.retry_count).toBe(0);
    expect(result.phase_results[0]?.errors[0]).toMatch(/^attempt 1: .*refused the API key \(401/);
    expect(server.requests).toHaveLength(1);
    executor.close();
  });

  it('parses fenced, prose-wrapped JSON from a server without structured output', async () => {
    const fenced = `Sure! Here is the change:\n\n\`\`\`json\n${answer('fenced', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }])}\n\`\`\`\nLet me know if you need more.`;
    const { executor, repo, server } = await setup([
      { status: 400, error: { message: 'response_format json_schema is not supported', param: 'response_format' } },
      { content: fenced },
    ]);
    const result = await executor.executePhase(spec('one', ['a.txt']));
    expect(result).toMatchObject({ success: true, summary: 'fenced' });
    expect(readTree(repo)['a.txt']).toBe('A\n');
    expect(server.requests.map((r) => 'response_format' in r.body)).toEqual([true, false]);
    executor.close();
  });

  it('fails an attempt whose answer stays truncated, then retries the phase with the error fed back', async () => {
    const cut = { content: '{"summary": "half', finishReason: 'length', usage: { prompt_tokens: 500, completion_tokens: 4096 } };
    const { executor, server } = await setup([cut, { ...cut, usage: { prompt_tokens: 500, completion_tokens: 5120 } }, create('a.txt', 'A\n')]);
    const result = await executor.executePhase(spec('one', ['a.txt']), [], [], { maxRetries: 1 });

    expect(result.success).toBe(true);
    expect(result.retry_count).toBe(1);
    expect(server.requests.map((r) => r.body['max_tokens'])).toEqual([4096, 5120, 4096]);
    const retryPrompt = JSON.stringify(server.requests[2]?.body['messages']);
    expect(retryPrompt).toMatch(/truncated/i);
    expect(result.token_usage).toBe(500 + 4096 + 500 + 5120 + 1200);
    executor.close();
  });

  it('keeps deliverables whole and cuts low-priority context files to fit the prompt budget, and logs the cuts', async () => {
    const big = `${'const filler = "lorem ipsum dolor sit amet";\n'.repeat(400)}`;
    const { executor, server } = await setup([create('a.txt', 'A\n')], {
      maxTokens: 3000,
      repo: { 'a.txt': 'old A\n', 'docs/important.md': 'IMPORTANT CONTEXT\n', 'docs/big.js': big, 'docs/later.md': 'LATER CONTEXT\n' },
    });
    const result = await executor.executePhase(spec('one', ['a.txt']), ['docs/important.md', 'docs/big.js', 'docs/later.md']);
    expect(result.success).toBe(true);

    const sent = JSON.stringify(server.requests[0]?.body['messages']);
    expect(sent).toContain('old A');
    expect(sent).toContain('IMPORTANT CONTEXT');
    expect(sent).toContain('file truncated to fit the prompt budget');
    expect(sent).not.toContain('LATER CONTEXT');

    const completed = (await logOf(executor, result.run_id)).find((e) => e.type === 'llm.completed');
    if (completed?.type !== 'llm.completed' || !completed.data.outcome.ok) throw new Error('expected a completed call');
    const { request, context } = completed.data.outcome.value;
    expect(request.promptTokens).toBeLessThanOrEqual(3000);
    expect(request.tokenizer).toBe('o200k_base');
    expect(context.map((c) => [c.path, c.cut?.kind ?? 'kept'])).toEqual([
      ['a.txt', 'kept'],
      ['docs/important.md', 'kept'],
      ['docs/big.js', 'truncated'],
      ['docs/later.md', 'dropped'],
    ]);
    executor.close();
  });

  it('counts a prompt far below its budget by an upper bound, not the tokenizer, and records so', async () => {
    const { executor } = await setup([create('a.txt', 'A\n')]);
    const result = await executor.executePhase(spec('one', ['a.txt']));
    const completed = (await logOf(executor, result.run_id)).find((e) => e.type === 'llm.completed');
    if (completed?.type !== 'llm.completed' || !completed.data.outcome.ok) throw new Error('expected a completed call');
    const { request } = completed.data.outcome.value;
    expect(request.tokenizer).toMatch(/^utf-8 bytes \(an upper bound of o200k_base/);
    const exact = countMessageTokens(await tokenCounterFor('gpt-4o-mini'), request.messages);
    expect(request.promptTokens).toBeGreaterThanOrEqual(exact);
    expect(request.promptTokens).toBe(countMessageTokens(upperBoundCounterFor('gpt-4o-mini'), request.messages));
    executor.close();
  });

  it('fails clearly when the deliverables alone exceed the prompt budget, without calling the model', async () => {
    const { executor, server } = await setup([create('a.txt', 'A\n')], { maxTokens: 500, repo: { 'a.txt': 'word '.repeat(2000) } });
    const result = await executor.executePhase(spec('one', ['a.txt']), [], [], { maxRetries: 3 });
    expect(result.success).toBe(false);
    expect(result.retry_count).toBe(0);
    expect(result.errors[0]).toMatch(/prompt needs \d+ tokens .*a\.txt \(\d+ tokens\).* budget is 500; raise maxTokens/);
    expect(server.requests).toHaveLength(0);
    executor.close();
  });

  it('stops the run before a call that could pass --max-total-tokens; the run is interrupted, not failed', async () => {
    const { executor, server } = await setup([create('a.txt', 'A\n'), create('b.txt', 'B\n')]);
    // Each call may take its prompt (~400 tokens) + 4096 output tokens: the first fits in 5000, and after it
    // (1200 spent) the second's worst case does not.
    const result = await executor.runPlan({
      phases: [spec('one', ['a.txt']), spec('two', ['b.txt'])],
      maxRetries: 0,
      enableHealthChecks: true,
      stopOnFailure: true,
      budget: { maxTotalTokens: 5000 },
    });
    expect(result).toMatchObject({ status: 'interrupted', successful_phases: 1, failed_phases: 0, total_tokens: 1200 });
    expect(result.stop_reason).toMatch(/token budget would be exceeded: 1200 tokens used of 5000, and the next call may use up to \d+ \(\d+ prompt \+ 4096 output limit\)/);
    expect(server.requests).toHaveLength(1);
    const log = (await logOf(executor, result.run_id));
    expect(log.at(-1)).toMatchObject({ type: 'run.interrupted', data: { reason: 'budget', phaseIndex: 1 } });
    expect(foldRunState(log).phases[1]?.status).toBe('running');
    executor.close();
  });

  it('refuses a cost budget for a model without a price, before writing anything', async () => {
    const { executor, repo } = await setup([], { model: 'llama3.1:8b' });
    await expect(
      executor.runPlan({ phases: [spec('one', ['a.txt'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true, budget: { maxCostUsd: 1 } }),
    ).rejects.toThrow(/a cost budget needs the model's price, and there is none for model "llama3.1:8b"; add it under prices: in the plan/);
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
    executor.close();
  });

  it('stops the run on the cost budget with prices from the plan', async () => {
    const { executor } = await setup([create('a.txt', 'A\n'), create('b.txt', 'B\n')], { model: 'local-model' });
    const result = await executor.runPlan({
      phases: [spec('one', ['a.txt']), spec('two', ['b.txt'])],
      maxRetries: 0,
      enableHealthChecks: true,
      stopOnFailure: true,
      prices: { 'local-model': { input_per_mtok: 100, output_per_mtok: 100 } },
      budget: { maxCostUsd: 0.5 },
    });
    // A call's worst case is ~4500 tokens at $100/M, ~$0.45: the first fits in $0.50; after it ($0.12 spent) the second does not.
    expect(result).toMatchObject({ status: 'interrupted', successful_phases: 1, total_cost_usd: 0.12 });
    expect(result.stop_reason).toMatch(/cost budget would be exceeded: \$0\.1200 spent of \$0\.5, and the next call may cost up to \$0\.4\d+/);
    executor.close();
  });

  it('records a run and replays it offline to the same results and the same tree', async () => {
    const replies = [
      { status: 500, error: { message: 'flaky' } },
      { content: 'no json at all' },
      create('a.txt', 'A\n'),
      create('b.txt', 'B\n'),
    ];
    const { executor, client, repo } = await setup(replies);
    const recordingFile = path.join(tempDir(), 'run.jsonl');
    const recordingExecutor = new PhaseExecutor({ llmClient: new RecordingLLMClient(client, recordingFile), repoRoot: repo, backoff: { initialMs: 1, maxMs: 2, multiplier: 2 } });
    const initialTree = readTree(repo);
    const phases = [spec('one', ['a.txt']), spec('two', ['b.txt'])];
    const recorded = await recordingExecutor.runPlan({ phases, maxRetries: 2, enableHealthChecks: true, stopOnFailure: true });
    expect(recorded.phase_results.map((p) => p.retry_count)).toEqual([1, 0]);
    executor.close();
    recordingExecutor.close();
    await server?.close();
    server = undefined;

    const text = fs.readFileSync(recordingFile, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(3);
    expect(text).not.toMatch(/authorization|bearer|no-key/i);

    const replayRepo = tempDir();
    writeTree(replayRepo, initialTree);
    const replayer = ReplayLLMClient.fromFile(recordingFile);
    const replayExecutor = new PhaseExecutor({ llmClient: replayer, repoRoot: replayRepo, backoff: { initialMs: 1, maxMs: 2, multiplier: 2 } });
    const replayed = await replayExecutor.runPlan({ phases, maxRetries: 2, enableHealthChecks: true, stopOnFailure: true });
    replayExecutor.close();

    expect(comparableResult(replayed)).toEqual(comparableResult(recorded));
    expect(readTree(replayRepo)).toEqual(readTree(repo));
    expect(replayer.unused).toBe(0);
  });

  it('fails loudly and stops the run when a replayed request was never recorded', async () => {
    const repo = tempDir();
    const recordingFile = path.join(tempDir(), 'empty.jsonl');
    fs.writeFileSync(recordingFile, '');
    const executor = new PhaseExecutor({ llmClient: ReplayLLMClient.fromFile(recordingFile), repoRoot: repo });
    const result = await executor.runPlan({
      phases: [spec('one', ['a.txt']), spec('two', ['b.txt'])],
      maxRetries: 3,
      enableHealthChecks: true,
      stopOnFailure: false,
    });
    expect(result).toMatchObject({ status: 'failed', failed_phases: 1 });
    expect(result.phase_results[0]?.errors[0]).toMatch(/has no answer for this request .*record again with --record FILE/);
    executor.close();
  });
});

import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OrchestrationResultSchema } from '../../src/index.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const PLAN = `phases:
  - id: write-a
    description: Create a.txt saying hello.
    category: feature
    complexity: low
    acceptance_criteria: [a.txt says hello]
    deliverables: [a.txt]
  - id: write-b
    description: Create b.txt saying bye.
    category: feature
    complexity: low
    acceptance_criteria: [b.txt says bye]
    deliverables: [b.txt]
`;

const reply = (file: string, content: string) => ({
  content: answer(`write ${file}`, [{ path: file, mode: 'create', new_content: content }]),
  usage: { prompt_tokens: 800, completion_tokens: 100 },
});

function workspace(): { repo: string; plan: string; dir: string } {
  const dir = tempDir();
  const repo = path.join(dir, 'repo');
  writeTree(repo, { 'README.md': '# demo\n' });
  fs.writeFileSync(path.join(dir, 'plan.yaml'), PLAN);
  return { repo, plan: path.join(dir, 'plan.yaml'), dir };
}

describe('autopack run with an OpenAI-compatible server (child process)', () => {
  it('uses --base-url, --model and --api-key-env, keeps stdout pure JSON, and records a run that replays offline', async () => {
    server = await startFakeOpenAI([reply('a.txt', 'hello\n'), reply('b.txt', 'bye\n')]);
    const { repo, plan, dir } = workspace();
    const recording = path.join(dir, 'run.jsonl');
    const run = await runCli(
      ['run', plan, '--repo', repo, '--base-url', server.baseURL, '--model', 'my-model', '--api-key-env', 'MY_KEY', '--record', recording, '--json'],
      { env: { MY_KEY: 'sk-from-my-key' } },
    );
    expect(run.stderr).toContain('[1/2] write-a');
    expect(run.code).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(run.stdout));
    expect(result).toMatchObject({ status: 'succeeded', successful_phases: 2, total_tokens: 1800, total_cost_usd: null });
    expect(server.requests.map((r) => [r.headers.authorization, r.body['model']])).toEqual([
      ['Bearer sk-from-my-key', 'my-model'],
      ['Bearer sk-from-my-key', 'my-model'],
    ]);
    expect(fs.readFileSync(recording, 'utf8')).not.toContain('sk-from-my-key');

    const offline = workspace();
    const replay = await runCli(['run', offline.plan, '--repo', offline.repo, '--llm', `replay:${recording}`, '--json']);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout)).toMatchObject({ status: 'succeeded', total_tokens: 1800 });
    expect(readTree(offline.repo)).toEqual(readTree(repo));
    expect(server.requests).toHaveLength(2);
  });

  it("sends its model requests without loading node's fetch engine (undici, ~35 ms of a resume) or its web streams", async () => {
    server = await startFakeOpenAI([reply('a.txt', 'hello\n'), reply('b.txt', 'bye\n')]);
    const { repo, plan, dir } = workspace();
    const builtins = path.join(dir, 'builtins.txt');
    const run = await runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL, '--json'], {
      env: { NODE_OPTIONS: `--require ${path.join(projectRoot, 'test', 'support', 'reportBuiltins.cjs')}`, AUTOPACK_TEST_BUILTINS_FILE: builtins },
    });
    expect(run.code).toBe(0);
    expect(server.requests).toHaveLength(2);
    const loaded = fs.readFileSync(builtins, 'utf8').split('\n');
    expect(loaded).toContain('http');
    expect(loaded.filter((m) => m.includes('undici') || m.includes('webstreams/readablestream'))).toEqual([]);
  });

  it('exits 3 on SIGINT during a slow model call: the request is aborted and the log ends interrupted', async () => {
    server = await startFakeOpenAI([{ ...reply('a.txt', 'hello\n'), delayMs: 60_000 }]);
    const { repo, plan } = workspace();
    let child: ChildProcess | undefined;
    const running = runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL], {
      onStderr: (_stderr, spawned) => {
        child = spawned;
      },
    });
    // Interrupt only once the model call is really in flight.
    await expect.poll(() => server?.requests.length, { timeout: 10_000 }).toBe(1);
    child?.kill('SIGINT');
    const run = await running;
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/interrupted: received SIGINT/);
    await expect.poll(() => server?.abandoned).toBe(1);

    const runId = /Run (run-\S+)/.exec(run.stdout)?.[1] ?? '';
    const status = await runCli(['status', runId, '--repo', repo]);
    expect(status.stdout).toMatch(/interrupted/);
    const log = await runCli(['log', runId, '--repo', repo]);
    expect(log.stdout.trim().split('\n').at(-1)).toMatch(/run\.interrupted.*received SIGINT/);
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n' });
  });

  it('exits 3 with the reason when --max-total-tokens would be passed', async () => {
    server = await startFakeOpenAI([reply('a.txt', 'hello\n'), reply('b.txt', 'bye\n')]);
    const { repo, plan } = workspace();
    const run = await runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL, '--max-total-tokens', '5000']);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/interrupted: the token budget would be exceeded: 900 tokens used of 5000/);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects contradictory or missing model settings with exit 2 and a pointed message', async () => {
    const { repo, plan, dir } = workspace();
    const recording = path.join(dir, 'r.jsonl');
    fs.writeFileSync(recording, '');
    const modelWithReplay = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`, '--model', 'x']);
    expect(modelWithReplay.code).toBe(2);
    expect(modelWithReplay.stderr).toContain('--model only apply to --llm openai, not to --llm replay');

    const missingKey = await runCli(['run', plan, '--repo', repo, '--base-url', 'http://127.0.0.1:9/v1', '--api-key-env', 'NOT_SET_ANYWHERE']);
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toContain('--api-key-env NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set');

    const badUrl = await runCli(['run', plan, '--repo', repo, '--base-url', 'localhost-ish']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--base-url: expected a URL');

    fs.writeFileSync(recording, '{"v":1}\n');
    const badRecording = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`]);
    expect(badRecording.code).toBe(2);
    expect(badRecording.stderr).toContain(`${recording}:1: not a recorded exchange`);
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
  });
});

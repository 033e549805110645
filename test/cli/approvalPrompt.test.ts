import { PassThrough } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PhaseExecutor, ScriptedLLMClient, createSqliteEventStore } from '../../src/index.js';
import { askAtGates } from '../../src/cli/approvalPrompt.js';
import { readDecisions } from '../../src/store/decisions.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const greet = (text: string) => ({ content: answer(`greet ${text}`, [{ path: 'greet.txt', mode: 'modify', new_content: `${text}\n` }]) });

/** A terminal's two ends: what the user types, and everything the prompt printed so far. */
function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  return {
    streams: { input, output },
    type: (line: string) => input.write(`${line}\n`),
    printed: () => printed,
    /** Waits until the prompt has printed `text` `times` times in all. */
    async until(text: string, times = 1): Promise<void> {
      for (let i = 0; i < 800 && printed.split(text).length - 1 < times; i += 1) await delay(25);
      expect(printed.split(text).length - 1, printed).toBeGreaterThanOrEqual(times);
    },
  };
}

function setup(answers: { content: string }[]) {
  const repo = tempDir();
  writeTree(repo, { 'README.md': '# demo\n', 'greet.txt': 'hello\n' });
  const executor = new PhaseExecutor({ llmClient: new ScriptedLLMClient(answers), repoRoot: repo, backoff: { initialMs: 1, maxMs: 5, multiplier: 2 } });
  const plan = { phases: [spec('greet', ['greet.txt'])], maxRetries: 2, enableHealthChecks: true, stopOnFailure: true, requireApproval: true };
  return { repo, executor, plan };
}

async function decisions(executor: PhaseExecutor, runId: string) {
  const store = createSqliteEventStore(executor.dbPath, { readonly: true });
  try {
    return (await readDecisions(store, runId)).decisions;
  } finally {
    store.close();
  }
}

describe('the inline approval prompt of `autopack run` (real streams, a real run waiting at its gate)', () => {
  it('shows the diff, takes n plus feedback as a rejection, then y as an approval', async () => {
    const { repo, executor, plan } = setup([greet('hi'), greet('hello, world')]);
    const tty = terminal();
    const prompt = askAtGates(executor, tty.streams);
    const running = executor.runPlan(plan);
    await tty.until('Apply these changes?');
    expect(tty.printed()).toContain('Phase greet (attempt 1) waits for your approval before writing 1 file(s): greet hi\n--- a/greet.txt\n+++ b/greet.txt\n@@ -1,1 +1,1 @@\n-hello\n+hi');
    tty.type('n');
    await tty.until('What should the model change?');
    tty.type('greet the whole world');
    await tty.until('Apply these changes?', 2);
    expect(tty.printed()).toContain('+hello, world');
    tty.type('y');
    const result = await running;
    prompt.close();
    expect(result.status).toBe('succeeded');
    expect(readTree(repo)['greet.txt']).toBe('hello, world\n');
    expect((await decisions(executor, result.run_id)).map((d) => [d.attempt, d.approved, d.feedback, d.via])).toEqual([
      [1, false, 'greet the whole world', 'terminal'],
      [2, true, null, 'terminal'],
    ]);
    await executor.close();
  });

  it('takes any other answer as the feedback of a rejection, and stops asking when someone decides elsewhere', async () => {
    const { repo, executor, plan } = setup([greet('hi'), greet('hello, world')]);
    const tty = terminal();
    const prompt = askAtGates(executor, tty.streams);
    let runId = '';
    const running = executor.runPlan({ ...plan, onRunStarted: (id) => (runId = id) });
    await tty.until('Apply these changes?');
    tty.type('use a comma');
    await tty.until('Apply these changes?', 2);
    const other = new PhaseExecutor({ llmClient: new ScriptedLLMClient([]), repoRoot: repo });
    await other.approve(runId, { by: 'ben', via: 'cli' });
    const result = await running;
    await other.close();
    // Answered after the decision was made elsewhere: nothing more is recorded.
    tty.type('y');
    await delay(50);
    prompt.close();
    expect(tty.printed()).not.toMatch(/autopack: |approved; applying/);
    expect(result.status).toBe('succeeded');
    expect((await decisions(executor, runId)).map((d) => [d.approved, d.feedback, d.by])).toEqual([
      [false, 'use a comma', expect.any(String)],
      [true, null, 'ben'],
    ]);
    await executor.close();
  });
});

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createActor, toPromise } from 'xstate';
import { describe, expect, it } from 'vitest';
import { fromCallLlm } from '../../src/effects/callLlm.js';
import { ScriptedLLMClient } from '../../src/llm/scriptedClient.js';
import type { CallLlmInput } from '../../src/machines/effectContracts.js';
import { DEFAULT_MAX_PROMPT_TOKENS, DEFAULT_OUTPUT_TOKENS } from '../../src/model/llmSettings.js';
import { spec } from '../support/phaseSpecs.js';
import { answer, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** Runs the real callLlm effect once against a scripted model, returning its outcome and what was sent. */
async function callOnce(repoRoot: string, deliverables: string[], contextFiles: string[] = []) {
  const llmClient = new ScriptedLLMClient([{ content: answer('ok', []) }]);
  const logic = fromCallLlm({
    clock: () => 0,
    llmClient,
    repoRoot,
    llm: { maxPromptTokens: DEFAULT_MAX_PROMPT_TOKENS, outputTokens: DEFAULT_OUTPUT_TOKENS, budget: {}, prices: {} },
    spent: () => ({ tokens: 0, costUsd: 0 }),
    onLlmAttempt: () => {},
    interrupt: () => {},
  });
  const input: CallLlmInput = { phaseIndex: 0, attempt: 1, spec: spec('p', deliverables), contextFiles, protectedPaths: [], previousErrors: [] };
  const outcome = await toPromise(createActor(logic, { input }).start());
  return { outcome, prompt: JSON.stringify(llmClient.requests[0]?.messages ?? null), requests: llmClient.requests.length };
}

describe('callLlm reads deliverables and context files', () => {
  it('sends an existing deliverable, and treats a missing one or one under a regular file (ENOTDIR) as absent', async () => {
    const repo = tempDir();
    writeTree(repo, { 'src/a.ts': 'export const marker = 41;\n', 'plain.txt': 'p\n' });
    const { outcome, prompt } = await callOnce(repo, ['src/a.ts', 'src/new.ts', 'plain.txt/x.ts']);
    expect(outcome.ok).toBe(true);
    expect(prompt).toContain('export const marker = 41;');
  });

  it('fails, final, naming the file and the OS error, when a deliverable is there but unreadable (a symlink loop: ELOOP)', async () => {
    const repo = tempDir();
    writeTree(repo, { 'src/a.ts': 'a\n' });
    fs.symlinkSync('loop.ts', path.join(repo, 'src', 'loop.ts'));
    const { outcome, requests } = await callOnce(repo, ['src/a.ts', 'src/loop.ts']);
    expect(outcome).toMatchObject({
      ok: false,
      error: {
        code: 'FILE_UNREADABLE',
        retryable: false,
        errors: [expect.stringMatching(/^cannot read src\/loop\.ts, a deliverable of this phase \(ELOOP: too many symbolic links encountered\); fix it on disk/)],
      },
    });
    expect(requests).toBe(0);
  });

  it('fails the same way for a context file whose name the OS refuses (ENAMETOOLONG)', async () => {
    const repo = tempDir();
    const long = `${'n'.repeat(300)}.md`;
    const { outcome } = await callOnce(repo, [], [long]);
    expect(outcome).toMatchObject({ ok: false, error: { code: 'FILE_UNREADABLE' } });
    if (!outcome.ok) expect(outcome.error.errors[0]).toContain('a context file of this phase (ENAMETOOLONG: name too long)');
  });

  it('does not read a FIFO deliverable (it would block): it is not a file', async () => {
    const repo = tempDir();
    execFileSync('mkfifo', [path.join(repo, 'pipe')]);
    const { outcome } = await callOnce(repo, ['pipe']);
    expect(outcome.ok).toBe(true);
  });
});

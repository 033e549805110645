import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FakeReply, ReceivedRequest } from './fakeOpenAIServer.js';
import { answer, writeTree } from './repoFixture.js';

/**
 * A two-phase plan that exercises every step a crash can hit: a rejected answer and a retry after a
 * backoff, applies of two files each (a modify, a create, a delete), and a command health check.
 */
export const CRASH_PLAN = `health_checks:
  - name: files in place
    command: test -f a.txt
phases:
  - id: write-a
    description: Create a.txt and update the README.
    category: feature
    complexity: low
    acceptance_criteria: [a.txt exists]
    deliverables: [a.txt, README.md]
  - id: write-b
    description: Create b.txt and remove old.txt.
    category: feature
    complexity: low
    acceptance_criteria: [b.txt exists, old.txt is gone]
    deliverables: [b.txt]
`;

export const INITIAL_TREE = { 'README.md': '# demo\n', 'old.txt': 'old\n', 'src/keep.txt': 'keep\n' };

/** The model: answers are a function of the prompt, so a re-issued request gets the same answer. */
export function crashModel(request: ReceivedRequest): FakeReply {
  const prompt = JSON.stringify(request.body['messages']);
  const usage = { prompt_tokens: 600, completion_tokens: 120 };
  if (prompt.includes('Create a.txt')) {
    if (!prompt.includes('Your previous attempt failed')) {
      return { content: answer('a, lazily', [{ path: 'a.txt', mode: 'create', new_content: 'A\n// ... rest of the code unchanged\n' }]), usage };
    }
    return {
      content: answer('a and README', [
        { path: 'a.txt', mode: 'create', new_content: 'A\n'.repeat(2000) },
        { path: 'README.md', mode: 'modify', new_content: '# demo\n\nNow with a.txt.\n' },
      ]),
      usage,
    };
  }
  return {
    content: answer('b, and old.txt gone', [
      { path: 'b.txt', mode: 'create', new_content: 'B\n'.repeat(2000) },
      { path: 'old.txt', mode: 'delete', new_content: null },
    ]),
    usage,
  };
}

export function promptKey(request: ReceivedRequest): string {
  return createHash('sha256').update(JSON.stringify(request.body['messages'])).digest('hex');
}

export function writeScenario(dir: string): { repo: string; plan: string } {
  const repo = path.join(dir, 'repo');
  writeTree(repo, INITIAL_TREE);
  const plan = path.join(dir, 'plan.yaml');
  fs.writeFileSync(plan, CRASH_PLAN);
  return { repo, plan };
}

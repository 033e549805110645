import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FakeReply, ReceivedRequest } from './fakeOpenAIServer.js';
import { answer, writeTree } from './repoFixture.js';

/**
 * A four-phase plan that exercises every step a crash can hit: a rejected answer and a retry after a
 * backoff, applies that modify, create (in a new directory) and delete files, a command health check,
 * and phase boundaries after the first (where a resume starts from the log's tail).
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
  - id: write-c
    description: Create lib/c.txt in a new directory.
    category: feature
    complexity: low
    acceptance_criteria: [lib/c.txt exists]
    deliverables: [lib/c.txt]
  - id: extend-c
    description: Extend lib/c.txt and add d.txt.
    category: feature
    complexity: low
    acceptance_criteria: [lib/c.txt has two lines, d.txt exists]
    deliverables: [lib/c.txt, d.txt]
`;

export const INITIAL_TREE = { 'README.md': '# demo\n', 'old.txt': 'old\n', 'src/keep.txt': 'keep\n' };

/** The tree after the plan, written down independently of any run. */
export const FINAL_TREE = {
  'README.md': '# demo\n\nNow with a.txt.\n',
  'a.txt': 'A\n'.repeat(2000),
  'b.txt': 'B\n'.repeat(2000),
  'd.txt': 'D\n',
  'lib/c.txt': 'C\nC2\n',
  'src/keep.txt': 'keep\n',
};

/** The files each phase's successful attempt changes, in the order the model lists them. */
export const FILES_CHANGED = [['a.txt', 'README.md'], ['b.txt', 'old.txt'], ['lib/c.txt'], ['lib/c.txt', 'd.txt']];

/** Commits over the whole run, one per phase: one crash point each (after HEAD moved, before it is logged). */
export const COMMIT_COUNT = FILES_CHANGED.length;

/** Files renamed into place (or deleted) over the whole run: one crash point each. */
export const APPLIED_FILE_COUNT = FILES_CHANGED.flat().length;

type Answer = { summary: string; files: Parameters<typeof answer>[1] };

const LAZY_A: Answer = { summary: 'a, lazily', files: [{ path: 'a.txt', mode: 'create', new_content: 'A\n// ... rest of the code unchanged\n' }] };
const ANSWERS: Answer[] = [
  {
    summary: 'a and README',
    files: [
      { path: 'a.txt', mode: 'create', new_content: FINAL_TREE['a.txt'] },
      { path: 'README.md', mode: 'modify', new_content: FINAL_TREE['README.md'] },
    ],
  },
  {
    summary: 'b, and old.txt gone',
    files: [
      { path: 'b.txt', mode: 'create', new_content: FINAL_TREE['b.txt'] },
      { path: 'old.txt', mode: 'delete', new_content: null },
    ],
  },
  { summary: 'c in lib', files: [{ path: 'lib/c.txt', mode: 'create', new_content: 'C\n' }] },
  {
    summary: 'c extended, d added',
    files: [
      { path: 'lib/c.txt', mode: 'modify', new_content: FINAL_TREE['lib/c.txt'] },
      { path: 'd.txt', mode: 'create', new_content: FINAL_TREE['d.txt'] },
    ],
  },
];
const MARKERS = ['Create a.txt', 'Create b.txt', 'Create lib/c.txt', 'Extend lib/c.txt'];
const USAGE = { prompt_tokens: 600, completion_tokens: 120 };

/** The model: answers are a function of the prompt, so a re-issued request gets the same answer. */
export function crashModel(request: ReceivedRequest): FakeReply {
  const prompt = JSON.stringify(request.body['messages']);
  const phase = MARKERS.findIndex((marker) => prompt.includes(marker));
  const chosen = phase === 0 && !prompt.includes('Your previous attempt failed') ? LAZY_A : ANSWERS[phase];
  if (chosen === undefined) return { status: 400, error: { message: `the crash model has no answer for: ${prompt.slice(0, 200)}` } };
  return { content: answer(chosen.summary, chosen.files), usage: USAGE };
}

/** The same answers as a `--llm scripted:FILE` script: in the order a run asks for them. */
export function crashScript(): { content: string; usage: { promptTokens: number; completionTokens: number } }[] {
  const usage = { promptTokens: USAGE.prompt_tokens, completionTokens: USAGE.completion_tokens };
  return [LAZY_A, ...ANSWERS].map((a) => ({ content: answer(a.summary, a.files), usage }));
}

export function promptKey(request: ReceivedRequest): string {
  return createHash('sha256').update(JSON.stringify(request.body['messages'])).digest('hex');
}

/**
 * A git repository holding INITIAL_TREE in one commit, so each phase of the plan commits on top of it; or,
 * with `git: false`, a plain directory (no commits: cheaper where commits are not what is tested).
 */
export function writeScenario(dir: string, options: { git?: boolean } = {}): { repo: string; plan: string } {
  const repo = path.join(dir, 'repo');
  writeTree(repo, INITIAL_TREE);
  const plan = path.join(dir, 'plan.yaml');
  fs.writeFileSync(plan, CRASH_PLAN);
  if (options.git === false) return { repo, plan };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Crash Test');
  git('config', 'user.email', 'crash@example.com');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return { repo, plan };
}

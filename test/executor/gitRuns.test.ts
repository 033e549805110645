import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PhaseExecutor, ScriptedLLMClient, createSqliteEventStore, type ScriptedStep } from '../../src/index.js';
import { git, makeRepo, read, statusLines, useHermeticGit } from '../support/gitFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
useHermeticGit();

const write = (summary: string, files: Record<string, string | null>): ScriptedStep => ({
  response: {
    summary,
    files: Object.entries(files).map(([p, content]) => (content === null ? { path: p, mode: 'delete' as const, new_content: null } : { path: p, mode: 'create' as const, new_content: content })),
  },
});

/** A repository with a commit, the user's staged change to one file and an unstaged change to another. */
function userRepo(): string {
  const repo = makeRepo(tempDir(), { committed: { 'README.md': '# lib\n', 'src/lib.js': 'export const v = 1;\n', 'notes.txt': 'notes\n', 'old.txt': 'old\n' } });
  fs.writeFileSync(path.join(repo, 'notes.txt'), 'notes, staged\n');
  git(repo, 'add', 'notes.txt');
  fs.writeFileSync(path.join(repo, 'README.md'), '# lib, being edited\n');
  return repo;
}

function executorFor(repo: string, steps: ScriptedStep[], options: Partial<{ commit: boolean; allowDirty: boolean; worktree: boolean }> = {}) {
  const client = new ScriptedLLMClient(steps);
  const executor = new PhaseExecutor({ llmClient: client, repoRoot: repo, backoff: { initialMs: 0, maxMs: 0, multiplier: 2 }, ...options });
  return { executor, client };
}

const userWork = (repo: string) => ({ staged: git(repo, 'diff', '--cached', '--', 'notes.txt'), unstaged: git(repo, 'diff', '--', 'README.md') });

describe('git-native runs (real git repositories)', () => {
  it('commits each succeeded phase with exactly its files, its message and trailers, and leaves the user\'s work as it was', async () => {
    const repo = userRepo();
    const before = userWork(repo);
    const base = git(repo, 'rev-parse', 'HEAD').trim();
    const { executor } = executorFor(repo, [write('Add a\n\nWith details.', { 'a.txt': 'A\n' }), write('Add b, drop old', { 'lib/b.txt': 'B\n', 'old.txt': null })]);
    const result = await executor.runPlan({ phases: [spec('add-a', ['a.txt']), spec('add-b', ['lib/b.txt'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true });
    executor.close();
    expect(result.status).toBe('succeeded');

    const commits = git(repo, 'rev-list', `${base}..HEAD`).trim().split('\n').reverse();
    expect(commits).toHaveLength(2);
    expect(result.phase_results.map((p) => p.commit)).toEqual(commits);
    expect(git(repo, 'log', '-1', '--format=%B', commits[0] as string).trim()).toBe(
      `add-a: Add a\n\nWith details.\n\nAutopack-Run: ${result.run_id}\nAutopack-Phase: add-a`,
    );
    expect(git(repo, 'log', '-1', '--format=%s', commits[1] as string).trim()).toBe('add-b: Add b, drop old');
    expect(git(repo, 'show', '--name-status', '--format=', commits[0] as string).trim()).toBe('A\ta.txt');
    expect(git(repo, 'show', '--name-status', '--format=', commits[1] as string).trim().split('\n').sort()).toEqual(['A\tlib/b.txt', 'D\told.txt']);
    // The user's staged change is still staged, the unstaged one unstaged, and nothing else shows.
    expect(userWork(repo)).toEqual(before);
    expect(statusLines(repo)).toEqual([' M README.md', 'M  notes.txt']);
    expect(fs.readFileSync(path.join(repo, '.autonomous_runs', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('stops before any model call or write when a deliverable has uncommitted changes, naming it', async () => {
    const repo = userRepo();
    const { executor, client } = executorFor(repo, [write('x', { 'README.md': '# overwritten\n' })]);
    await expect(executor.runPlan({ phases: [spec('docs', ['README.md'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true })).rejects.toMatchObject({
      code: 'UNCOMMITTED_CHANGES',
      message: expect.stringContaining('phase docs: README.md'),
    });
    executor.close();
    expect(client.remaining).toBe(1);
    expect(read(repo, 'README.md')).toBe('# lib, being edited\n');
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
  });

  it('refuses a change to another file with uncommitted changes, feeding it back to the model', async () => {
    const repo = userRepo();
    const { executor } = executorFor(repo, [write('a and notes', { 'a.txt': 'A\n', 'notes.txt': 'mine now\n' }), write('a only', { 'a.txt': 'A\n' })]);
    const result = await executor.executePhase(spec('add-a', ['a.txt']), [], [], { maxRetries: 1 });
    executor.close();
    expect(result).toMatchObject({ success: true, retry_count: 1, files_changed: ['a.txt'] });
    expect(read(repo, 'notes.txt')).toBe('notes, staged\n');
    const store = createSqliteEventStore(path.join(repo, '.autonomous_runs', 'autopack.db'), { readonly: true });
    const rejected = (await store.read(result.run_id)).find((e) => e.type === 'changes.rejected');
    store.close();
    expect(rejected?.type === 'changes.rejected' && !rejected.data.outcome.ok ? rejected.data.outcome.error.errors : []).toEqual([
      'files[1] "notes.txt": the user has uncommitted changes in this file, which must not be overwritten; leave it unchanged',
    ]);
  });

  it('with allowDirty overwrites a dirty deliverable; with commit off makes no commit', async () => {
    const repo = userRepo();
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const { executor } = executorFor(repo, [write('docs', { 'README.md': '# new\n' })], { allowDirty: true, commit: false });
    const result = await executor.executePhase(spec('docs', ['README.md']));
    executor.close();
    expect(result).toMatchObject({ success: true, commit: null });
    expect(read(repo, 'README.md')).toBe('# new\n');
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(head);
  });

  it('works outside a git repository as before, making no commit', async () => {
    const repo = tempDir();
    writeTree(repo, { 'README.md': '# plain\n' });
    const { executor } = executorFor(repo, [write('a', { 'a.txt': 'A\n' })]);
    const result = await executor.executePhase(spec('add-a', ['a.txt']));
    executor.close();
    expect(result).toMatchObject({ success: true, commit: null, files_changed: ['a.txt'] });
    expect(read(repo, 'a.txt')).toBe('A\n');
  });

  it('undo puts the run\'s files back in one commit, keeps the user\'s work, and says so when there is nothing left', async () => {
    const repo = userRepo();
    const { executor } = executorFor(repo, [write('a', { 'a.txt': 'A\n', 'src/lib.js': 'export const v = 2;\n' }), write('b', { 'b.txt': 'B\n', 'old.txt': null })]);
    const result = await executor.runPlan({ phases: [spec('add-a', ['a.txt']), spec('add-b', ['b.txt'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true });
    const before = userWork(repo);

    const second = await executor.undo(result.run_id, { phaseId: 'add-b' });
    expect(second).toMatchObject({ undone: true, phases: ['add-b'], files: ['b.txt', 'old.txt'] });
    expect(fs.existsSync(path.join(repo, 'b.txt'))).toBe(false);
    expect(read(repo, 'old.txt')).toBe('old\n');
    expect(read(repo, 'a.txt')).toBe('A\n');

    const rest = await executor.undo(result.run_id);
    expect(rest).toMatchObject({ undone: true, phases: ['add-a'], files: ['a.txt', 'src/lib.js'] });
    expect(read(repo, 'src/lib.js')).toBe('export const v = 1;\n');
    expect(fs.existsSync(path.join(repo, 'a.txt'))).toBe(false);
    expect(git(repo, 'log', '-1', '--format=%s').trim()).toBe(`Undo autopack run ${result.run_id}`);
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort()).toEqual(['a.txt', 'src/lib.js']);
    expect(userWork(repo)).toEqual(before);
    expect(statusLines(repo)).toEqual([' M README.md', 'M  notes.txt']);

    expect(await executor.undo(result.run_id)).toEqual({ undone: false, reason: `nothing to undo: run ${result.run_id} has been undone already` });
    executor.close();
  });

  it('undo of a later phase, then of an earlier one that changed the same file, takes both back', async () => {
    const repo = makeRepo(tempDir(), { committed: { 'a.txt': 'A0\n' } });
    const { executor } = executorFor(repo, [write('one', { 'a.txt': 'A1\n' }), write('two', { 'a.txt': 'A2\n' })]);
    const result = await executor.runPlan({ phases: [spec('p1', ['a.txt']), spec('p2', ['a.txt'])], maxRetries: 0, enableHealthChecks: true, stopOnFailure: true });
    await expect(executor.undo(result.run_id, { phaseId: 'p1' })).rejects.toMatchObject({ message: expect.stringContaining('Undo the later phases first') });
    expect(await executor.undo(result.run_id, { phaseId: 'p2' })).toMatchObject({ undone: true, phases: ['p2'] });
    expect(read(repo, 'a.txt')).toBe('A1\n');
    expect(await executor.undo(result.run_id, { phaseId: 'p1' })).toMatchObject({ undone: true, phases: ['p1'] });
    expect(read(repo, 'a.txt')).toBe('A0\n');
    expect(await executor.undo(result.run_id)).toMatchObject({ undone: false, reason: expect.stringContaining('undone already') });
    executor.close();
  });

  it('keeps a commit that landed when git could not update the index afterwards, instead of rolling the phase back', async () => {
    const repo = makeRepo(tempDir(), { committed: { 'README.md': '# lib\n' } });
    const client = new ScriptedLLMClient([write('a', { 'a.txt': 'A\n' })]);
    // A health check that leaves git's index locked, as an editor's background `git status` can.
    const executor = new PhaseExecutor({ llmClient: client, repoRoot: repo, healthChecks: [{ name: 'locks', command: 'touch .git/index.lock' }] });
    const result = await executor.executePhase(spec('add-a', ['a.txt']));
    executor.close();
    expect(result).toMatchObject({ success: true, files_changed: ['a.txt'] });
    expect(result.commit).toBe(git(repo, 'rev-parse', 'HEAD').trim());
    expect(read(repo, 'a.txt')).toBe('A\n');
    const store = createSqliteEventStore(path.join(repo, '.autonomous_runs', 'autopack.db'), { readonly: true });
    const committed = (await store.read(result.run_id)).find((e) => e.type === 'phase.committed');
    store.close();
    expect(committed?.type === 'phase.committed' && committed.data.outcome.ok ? committed.data.outcome.value : null).toMatchObject({
      warning: expect.stringContaining('index.lock'),
    });
  });

  it('refuses --worktree with commits off, before anything is written', async () => {
    const repo = userRepo();
    const { executor } = executorFor(repo, [write('a', { 'a.txt': 'A\n' })], { worktree: true, commit: false });
    await expect(executor.executePhase(spec('add-a', ['a.txt']))).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('--worktree with --no-commit') });
    executor.close();
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
  });

  it('undo refuses over uncommitted changes and over a later commit of someone else', async () => {
    const repo = makeRepo(tempDir(), { committed: { 'README.md': '# lib\n' } });
    const { executor } = executorFor(repo, [write('a', { 'a.txt': 'A\n' })]);
    const result = await executor.executePhase(spec('add-a', ['a.txt']));
    fs.writeFileSync(path.join(repo, 'a.txt'), 'A, edited\n');
    await expect(executor.undo(result.run_id)).rejects.toMatchObject({ code: 'UNCOMMITTED_CHANGES', message: expect.stringContaining('a.txt') });
    git(repo, 'commit', '-q', '-am', 'my edit');
    const mine = git(repo, 'rev-parse', '--short=12', 'HEAD').trim();
    await expect(executor.undo(result.run_id)).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining(`changed after the run in commit(s) ${mine}`) });
    expect(read(repo, 'a.txt')).toBe('A, edited\n');
    executor.close();
  });

  it('--worktree works on its own branch and leaves a dirty checkout exactly as it was', async () => {
    const repo = userRepo();
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const before = { work: userWork(repo), status: statusLines(repo), readme: read(repo, 'README.md') };
    // The deliverable is dirty in the checkout: in a worktree that does not matter.
    const { executor } = executorFor(repo, [write('docs', { 'README.md': '# rewritten\n' })], { worktree: true });
    const result = await executor.executePhase(spec('docs', ['README.md']));
    executor.close();
    const branch = `autopack/${result.run_id}`;
    expect(result).toMatchObject({ success: true });
    expect(git(repo, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect({ work: userWork(repo), status: statusLines(repo), readme: read(repo, 'README.md') }).toEqual(before);
    expect(git(repo, 'show', `${branch}:README.md`)).toBe('# rewritten\n');
    expect(git(repo, 'rev-parse', `${branch}~1`).trim()).toBe(head);
    expect(result.commit).toBe(git(repo, 'rev-parse', branch).trim());
    expect(fs.existsSync(path.join(repo, '.autonomous_runs', 'worktrees', result.run_id))).toBe(false);
  });
});

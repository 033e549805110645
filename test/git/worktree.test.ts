import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addWorktree, branchExists, commitFiles, openGitRepo, removeWorktree, type GitRepo } from '../../src/git/index.js';
import { AutopackError } from '../../src/model/errors.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, read, useHermeticGit } from '../support/gitFixture.js';

async function open(dir: string): Promise<GitRepo> {
  return (await openGitRepo(dir))!;
}

describe('worktrees', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('adds a worktree on a new branch, commits there without moving the main branch, removes it, and re-adds it from the branch', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const start = git(dir, 'rev-parse', 'HEAD').trim();
    const wt = path.join(tempDir(), 'run-1');
    expect(await branchExists(repo, 'autopack/run-1')).toBe(false);

    await addWorktree(repo, wt, 'autopack/run-1', start);
    expect(await branchExists(repo, 'autopack/run-1')).toBe(true);
    expect(read(wt, 'a.txt')).toBe('a\n');
    const inside = await open(wt);
    expect(inside.top).toBe(fs.realpathSync(wt));
    writeTree(wt, { 'a.txt': 'a in worktree\n' });
    const sha = (await commitFiles(inside, { files: ['a.txt'], message: 'in worktree', trailers: {} }))!.sha;
    expect(git(dir, 'rev-parse', 'autopack/run-1').trim()).toBe(sha);
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(start);
    expect(read(dir, 'a.txt')).toBe('a\n');

    await removeWorktree(repo, wt);
    expect(fs.existsSync(wt)).toBe(false);
    expect(await branchExists(repo, 'autopack/run-1')).toBe(true);

    // The branch exists now: re-adding checks it out (the start point is ignored).
    await addWorktree(repo, wt, 'autopack/run-1', start);
    expect(read(wt, 'a.txt')).toBe('a in worktree\n');
    expect(git(wt, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/autopack/run-1');
  });

  it('re-adds a worktree whose directory was deleted by hand, and forgets one on remove', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const wt = path.join(tempDir(), 'wt');
    await addWorktree(repo, wt, 'b1', 'HEAD');
    fs.rmSync(wt, { recursive: true, force: true });
    await addWorktree(repo, wt, 'b1', 'HEAD');
    expect(read(wt, 'a.txt')).toBe('a\n');
    fs.rmSync(wt, { recursive: true, force: true });
    await removeWorktree(repo, wt);
    expect(git(dir, 'worktree', 'list', '--porcelain')).not.toContain(path.join(fs.realpathSync(path.dirname(wt)), 'wt'));
  });

  it('refuses to remove a worktree holding uncommitted or untracked work, and keeps it', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const wt = path.join(tempDir(), 'wt');
    await addWorktree(repo, wt, 'b2', 'HEAD');
    writeTree(wt, { 'notes.txt': 'precious, untracked\n' });
    const error = await removeWorktree(repo, wt).catch((e: unknown) => e);
    expect((error as AutopackError).code).toBe('GIT_FAILED');
    expect((error as AutopackError).message).toContain('was kept');
    expect(read(wt, 'notes.txt')).toBe('precious, untracked\n');
  });

  it('refuses an invalid branch name, and a branch checked out elsewhere, with GIT_FAILED naming it', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const bad = await addWorktree(repo, path.join(tempDir(), 'x'), 'no..dots', 'HEAD').catch((e: unknown) => e);
    expect((bad as AutopackError).code).toBe('INPUT_INVALID');
    const busy = await addWorktree(repo, path.join(tempDir(), 'y'), 'main', 'HEAD').catch((e: unknown) => e);
    expect((busy as AutopackError).code).toBe('GIT_FAILED');
    expect((busy as AutopackError).message).toContain('main');
  });
});

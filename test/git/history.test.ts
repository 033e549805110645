import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, commitsTouching, filesOfCommit, findCommitWithTrailers, openGitRepo, type GitRepo } from '../../src/git/index.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, useHermeticGit } from '../support/gitFixture.js';

async function open(dir: string): Promise<GitRepo> {
  return (await openGitRepo(dir))!;
}

/** Writes `files` and commits them through commitFiles with `trailers`; returns the sha. */
async function phaseCommit(repo: GitRepo, files: Record<string, string>, trailers: Record<string, string>): Promise<string> {
  writeTree(repo.root, files);
  const result = await commitFiles(repo, { files: Object.keys(files), message: `phase ${trailers['Autopack-Phase'] ?? ''}`, trailers });
  return result!.sha;
}

describe('findCommitWithTrailers', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('finds the newest commit carrying all the trailers, and null when none does', async () => {
    const repo = await open(makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } }));
    const p1 = await phaseCommit(repo, { 'a.txt': 'a1\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p1' });
    const p2 = await phaseCommit(repo, { 'b.txt': 'b\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p2' });
    // A user's commit on top, with a trailer of its own.
    writeTree(repo.root, { 'c.txt': 'c\n' });
    git(repo.root, 'add', 'c.txt');
    git(repo.root, 'commit', '-q', '-m', 'user work\n\nCo-authored-by: Someone <s@example.com>');

    expect(await findCommitWithTrailers(repo, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p1' })).toBe(p1);
    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p2' })).toBe(p2);
    expect(await findCommitWithTrailers(repo, { 'Autopack-Run': 'r1' })).toBe(p2);
    expect(await findCommitWithTrailers(repo, { 'Autopack-Run': 'r2', 'Autopack-Phase': 'p1' })).toBeNull();
    expect(await findCommitWithTrailers(repo, { 'Autopack-Run': 'r' })).toBeNull();
  });

  it('stops at `since` (exclusive) and after maxCount commits', async () => {
    const repo = await open(makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } }));
    const p1 = await phaseCommit(repo, { 'a.txt': 'a1\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p1' });
    const p2 = await phaseCommit(repo, { 'a.txt': 'a2\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p2' });
    await phaseCommit(repo, { 'a.txt': 'a3\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p3' });

    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p1' }, { since: p1 })).toBeNull();
    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p2' }, { since: p1 })).toBe(p2);
    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p1' }, { since: null })).toBe(p1);
    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p2' }, { maxCount: 1 })).toBeNull();
    expect(await findCommitWithTrailers(repo, { 'Autopack-Phase': 'p2' }, { maxCount: 2 })).toBe(p2);
  });

  it('is null on an unborn branch', async () => {
    const repo = await open(makeRepo(tempDir()));
    expect(await findCommitWithTrailers(repo, { 'Autopack-Run': 'r1' })).toBeNull();
  });
});

describe('filesOfCommit', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('lists added, modified and deleted files against the first parent, and every file of a root commit', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n', 'gone.txt': 'g\n', 'sp ace/ü.txt': 'u\n' } });
    const repo = await open(dir);
    const root = git(dir, 'rev-parse', 'HEAD').trim();
    expect((await filesOfCommit(repo, root)).sort()).toEqual(['a.txt', 'gone.txt', 'sp ace/ü.txt']);
    writeTree(dir, { 'a.txt': 'a2\n', 'new/n.txt': 'n\n' });
    fs.rmSync(path.join(dir, 'gone.txt'));
    const sha = (await commitFiles(repo, { files: ['a.txt', 'new/n.txt', 'gone.txt'], message: 'm', trailers: {} }))!.sha;
    expect((await filesOfCommit(repo, sha)).sort()).toEqual(['a.txt', 'gone.txt', 'new/n.txt']);
  });

  it('lists a merge’s files against its first parent', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    git(dir, 'checkout', '-q', '-b', 'side');
    writeTree(dir, { 'side.txt': 's\n' });
    git(dir, 'add', 'side.txt');
    git(dir, 'commit', '-q', '-m', 'side');
    git(dir, 'checkout', '-q', 'main');
    writeTree(dir, { 'main.txt': 'm\n' });
    git(dir, 'add', 'main.txt');
    git(dir, 'commit', '-q', '-m', 'main');
    git(dir, 'merge', '-q', '--no-edit', 'side');
    expect(await filesOfCommit(await open(dir), 'HEAD')).toEqual(['side.txt']);
  });

  it('from a subdirectory, lists only files under it, relative to it', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'app/a.txt': 'a\n', 'lib/b.txt': 'b\n' } });
    expect(await filesOfCommit(await open(path.join(dir, 'app')), 'HEAD')).toEqual(['a.txt']);
  });
});

describe('commitsTouching', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('lists the commits after `since` that touch any of the paths, newest first, with their trailers', async () => {
    const repo = await open(makeRepo(tempDir(), { committed: { 'a.txt': 'a\n', 'b.txt': 'b\n' } }));
    const p1 = await phaseCommit(repo, { 'a.txt': 'a1\n', 'b.txt': 'b1\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p1' });
    const p2 = await phaseCommit(repo, { 'a.txt': 'a2\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p2' });
    await phaseCommit(repo, { 'c.txt': 'c\n' }, { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p3' });
    writeTree(repo.root, { 'b.txt': 'b by user\n' });
    git(repo.root, 'commit', '-q', '-am', 'user edits b');
    const user = git(repo.root, 'rev-parse', 'HEAD').trim();

    expect(await commitsTouching(repo, p1, ['a.txt', 'b.txt'])).toEqual([
      { sha: user, trailers: {} },
      { sha: p2, trailers: { 'Autopack-Run': 'r1', 'Autopack-Phase': 'p2' } },
    ]);
    expect(await commitsTouching(repo, p1, ['c.txt', 'missing.txt'])).toHaveLength(1);
    expect(await commitsTouching(repo, p1, [])).toEqual([]);
    expect(await commitsTouching(repo, user, ['a.txt', 'b.txt'])).toEqual([]);
  });
});

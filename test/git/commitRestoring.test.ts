import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, commitRestoring, headSha, openGitRepo, type GitRepo } from '../../src/git/index.js';
import { AutopackError } from '../../src/model/errors.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, read, statusLines, useHermeticGit } from '../support/gitFixture.js';

async function open(dir: string): Promise<GitRepo> {
  return (await openGitRepo(dir))!;
}

describe('commitRestoring', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('undoes a phase commit: content and mode as at `from`, files it added deleted, other user changes untouched', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n', 'run.sh': '#!/bin/sh\n', 'gone.txt': 'g\n', 'keep.txt': 'k\n', 'mine.txt': 'm\n' } });
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    git(dir, 'commit', '-q', '-am', 'exec bit');
    const repo = await open(dir);
    const before = (await headSha(repo))!;

    // The phase: modifies a.txt, makes run.sh non-executable, deletes gone.txt, adds new/dir/n.txt.
    writeTree(dir, { 'a.txt': 'a by phase\n', 'new/dir/n.txt': 'n\n' });
    fs.chmodSync(path.join(dir, 'run.sh'), 0o644);
    fs.rmSync(path.join(dir, 'gone.txt'));
    const files = ['a.txt', 'run.sh', 'gone.txt', 'new/dir/n.txt'];
    const phase = (await commitFiles(repo, { files, message: 'phase', trailers: { 'Autopack-Phase': 'p1' } }))!.sha;

    // The user's own work meanwhile, on other files.
    writeTree(dir, { 'keep.txt': 'k staged\n' });
    git(dir, 'add', 'keep.txt');
    writeTree(dir, { 'mine.txt': 'm unstaged\n', 'untracked.txt': 'u\n' });
    const cached = git(dir, 'diff', '--cached');
    const unstaged = git(dir, 'diff');

    const undo = await commitRestoring(repo, {
      files: files.map((p) => ({ path: p, from: before })),
      message: 'Undo phase p1',
      trailers: { 'Autopack-Undo': phase },
      expectedHead: phase,
    });

    expect(undo).not.toBeNull();
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(undo!.sha);
    expect(git(dir, 'rev-parse', 'HEAD^').trim()).toBe(phase);
    expect(git(dir, 'log', '-1', '--format=%B')).toBe(`Undo phase p1\n\nAutopack-Undo: ${phase}\n\n`);
    // The tree is the one before the phase.
    expect(git(dir, 'rev-parse', 'HEAD^{tree}').trim()).toBe(git(dir, 'rev-parse', `${before}^{tree}`).trim());
    // The working tree too.
    expect(read(dir, 'a.txt')).toBe('a\n');
    expect(read(dir, 'gone.txt')).toBe('g\n');
    expect(fs.statSync(path.join(dir, 'run.sh')).mode & 0o111).not.toBe(0);
    expect(fs.existsSync(path.join(dir, 'new'))).toBe(false);
    // The user's work, as it was.
    expect(git(dir, 'diff', '--cached')).toBe(cached);
    expect(git(dir, 'diff')).toBe(unstaged);
    expect(statusLines(dir)).toEqual(['?? untracked.txt', 'M  keep.txt', ' M mine.txt'].sort());
  });

  it('restores each path from its own commit, from a subdirectory', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'app/a.txt': 'a0\n', 'app/b.txt': 'b0\n', 'lib/c.txt': 'c0\n' } });
    const c0 = git(dir, 'rev-parse', 'HEAD').trim();
    writeTree(dir, { 'app/a.txt': 'a1\n', 'app/b.txt': 'b1\n' });
    git(dir, 'commit', '-q', '-am', 'one');
    const c1 = git(dir, 'rev-parse', 'HEAD').trim();
    writeTree(dir, { 'app/a.txt': 'a2\n', 'app/b.txt': 'b2\n', 'lib/c.txt': 'c2\n' });
    git(dir, 'commit', '-q', '-am', 'two');
    const repo = await open(path.join(dir, 'app'));
    const undo = await commitRestoring(repo, {
      files: [
        { path: 'a.txt', from: c0 },
        { path: 'b.txt', from: c1.slice(0, 12) },
      ],
      message: 'restore',
      trailers: {},
    });
    expect(git(dir, 'show', '--format=', '--name-only', undo!.sha).split('\n').filter(Boolean).sort()).toEqual(['app/a.txt', 'app/b.txt']);
    expect(read(dir, 'app/a.txt')).toBe('a0\n');
    expect(read(dir, 'app/b.txt')).toBe('b1\n');
    expect(read(dir, 'lib/c.txt')).toBe('c2\n');
    expect(statusLines(dir)).toEqual([]);
  });

  it('returns null and changes nothing when every path is already as at `from`', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const head = (await headSha(repo))!;
    expect(await commitRestoring(repo, { files: [{ path: 'a.txt', from: head }, { path: 'never.txt', from: head }], message: 'noop', trailers: {} })).toBeNull();
    expect(await headSha(repo)).toBe(head);
  });

  it('fails saying HEAD moved, leaving working tree and index alone, when HEAD is not at expectedHead', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const c0 = (await headSha(repo))!;
    writeTree(dir, { 'a.txt': 'a1\n' });
    const phase = (await commitFiles(repo, { files: ['a.txt'], message: 'phase', trailers: {} }))!.sha;
    writeTree(dir, { 'b.txt': 'b\n' });
    git(dir, 'add', 'b.txt');
    git(dir, 'commit', '-q', '-m', 'user');
    const error = await commitRestoring(repo, { files: [{ path: 'a.txt', from: c0 }], message: 'undo', trailers: {}, expectedHead: phase }).catch((e: unknown) => e);
    expect((error as AutopackError).code).toBe('GIT_FAILED');
    expect((error as AutopackError).message).toContain('HEAD moved meanwhile');
    expect(read(dir, 'a.txt')).toBe('a1\n');
    expect(statusLines(dir)).toEqual([]);
  });
});

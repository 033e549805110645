import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { commitFiles, headSha, openGitRepo, type GitRepo } from '../../src/git/index.js';
import { AutopackError } from '../../src/model/errors.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, read, statusLines, useHermeticGit } from '../support/gitFixture.js';

const trailers = { 'Autopack-Run': 'run-1', 'Autopack-Phase': 'p1' };

async function open(dir: string): Promise<GitRepo> {
  const repo = await openGitRepo(dir);
  if (repo === null) throw new Error(`${dir} is not a repository`);
  return repo;
}

/** `git show --name-status` of a commit: "M\tpath" lines, sorted. */
function nameStatus(dir: string, sha: string): string[] {
  return git(dir, '-c', 'core.quotepath=off', 'show', '--format=', '--name-status', '--no-renames', sha)
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

describe('commitFiles', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('commits exactly the listed files with the message and trailers; the user’s staged and unstaged changes to other files stay as they were', async () => {
    const dir = makeRepo(tempDir(), {
      committed: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'user-staged.txt': 's\n', 'user-unstaged.txt': 'u\n', 'partly.txt': '1\n' },
    });
    const before = git(dir, 'rev-parse', 'HEAD').trim();
    // The user's own work: one staged change, one unstaged change, one file with both, one untracked file.
    writeTree(dir, { 'user-staged.txt': 's staged\n', 'partly.txt': '1 staged\n' });
    git(dir, 'add', 'user-staged.txt', 'partly.txt');
    writeTree(dir, { 'user-unstaged.txt': 'u unstaged\n', 'partly.txt': '1 staged then more\n', 'user-untracked.txt': 'mine\n' });
    const cachedBefore = git(dir, 'diff', '--cached');
    const unstagedBefore = git(dir, 'diff');
    // The phase's changes.
    writeTree(dir, { 'a.txt': 'a changed\n', 'new/dir/c.txt': 'c\n' });
    fs.rmSync(path.join(dir, 'b.txt'));

    const result = await commitFiles(await open(dir), {
      files: ['a.txt', 'b.txt', 'new/dir/c.txt'],
      message: 'Phase p1: change a, drop b, add c',
      trailers,
    });

    expect(result).not.toBeNull();
    const sha = result!.sha;
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(sha);
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(sha);
    expect(git(dir, 'rev-parse', `${sha}^`).trim()).toBe(before);
    expect(git(dir, 'log', '-1', '--format=%B')).toBe(
      'Phase p1: change a, drop b, add c\n\nAutopack-Run: run-1\nAutopack-Phase: p1\n\n',
    );
    expect(git(dir, 'log', '-1', '--format=%(trailers:key=Autopack-Run,valueonly)').trim()).toBe('run-1');
    expect(nameStatus(dir, sha)).toEqual(['A\tnew/dir/c.txt', 'D\tb.txt', 'M\ta.txt']);
    expect(git(dir, 'show', `${sha}:a.txt`)).toBe('a changed\n');
    // The user's work, exactly as it was.
    expect(git(dir, 'diff', '--cached')).toBe(cachedBefore);
    expect(git(dir, 'diff')).toBe(unstagedBefore);
    expect(statusLines(dir)).toEqual(['?? user-untracked.txt', 'M  user-staged.txt', 'MM partly.txt', ' M user-unstaged.txt'].sort());
    expect(read(dir, 'partly.txt')).toBe('1 staged then more\n');
    // Nothing stale about the committed paths, even for plumbing that does not refresh the index.
    expect(git(dir, 'diff-files', '--name-only', '--', 'a.txt', 'b.txt', 'new/dir/c.txt')).toBe('');
  });

  it('works from a subdirectory: paths are repoRoot-relative, files outside repoRoot are not touched', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'app/a.txt': 'a\n', 'lib/b.txt': 'b\n' } });
    writeTree(dir, { 'app/a.txt': 'a2\n', 'lib/b.txt': 'b2\n' });
    const result = await commitFiles(await open(path.join(dir, 'app')), { files: ['a.txt'], message: 'sub', trailers: {} });
    expect(nameStatus(dir, result!.sha)).toEqual(['M\tapp/a.txt']);
    expect(statusLines(dir)).toEqual([' M lib/b.txt']);
  });

  it('keeps the executable bit and commits symlinks as symlinks', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'run.sh': '#!/bin/sh\n' } });
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    writeTree(dir, { 'tool.sh': 'echo hi\n' });
    fs.chmodSync(path.join(dir, 'tool.sh'), 0o755);
    fs.symlinkSync('run.sh', path.join(dir, 'link'));
    const result = await commitFiles(await open(dir), { files: ['run.sh', 'tool.sh', 'link'], message: 'modes', trailers: {} });
    const tree = git(dir, 'ls-tree', result!.sha).split('\n').filter(Boolean);
    expect(tree.find((l) => l.endsWith('\trun.sh'))).toMatch(/^100755 blob /);
    expect(tree.find((l) => l.endsWith('\ttool.sh'))).toMatch(/^100755 blob /);
    expect(tree.find((l) => l.endsWith('\tlink'))).toMatch(/^120000 blob /);
    expect(git(dir, 'cat-file', '-p', `${result!.sha}:link`)).toBe('run.sh');
    expect(statusLines(dir)).toEqual([]);
  });

  it('commits names with spaces, unicode and glob characters as those exact files', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'x.txt': 'x\n' } });
    writeTree(dir, { 'a b/ünï.txt': 'u\n', '*.txt': 'star\n', 'other.txt': 'not listed\n' });
    const result = await commitFiles(await open(dir), { files: ['a b/ünï.txt', '*.txt'], message: 'odd names', trailers: {} });
    expect(nameStatus(dir, result!.sha)).toEqual(['A\t*.txt', 'A\ta b/ünï.txt']);
    expect(statusLines(dir)).toEqual(['?? other.txt']);
  });

  it('replaces a file by a directory of the same name when both paths are listed', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'conf': 'flat\n' } });
    fs.rmSync(path.join(dir, 'conf'));
    writeTree(dir, { 'conf/main.txt': 'nested\n' });
    const repo = await open(dir);
    const refused = await commitFiles(repo, { files: ['conf/main.txt'], message: 'half', trailers: {} }).catch((e: unknown) => e);
    expect((refused as AutopackError).code).toBe('INPUT_INVALID');
    expect((refused as AutopackError).message).toContain('conf');
    const result = await commitFiles(repo, { files: ['conf/main.txt', 'conf'], message: 'file to dir', trailers: {} });
    expect(nameStatus(dir, result!.sha)).toEqual(['A\tconf/main.txt', 'D\tconf']);
    expect(statusLines(dir)).toEqual([]);
  });

  it('makes the first commit on an unborn branch, leaving what the user staged staged', async () => {
    const dir = makeRepo(tempDir());
    writeTree(dir, { 'mine.txt': 'staged by the user\n', 'a.txt': 'a\n' });
    git(dir, 'add', 'mine.txt');
    const repo = await open(dir);
    expect(await headSha(repo)).toBeNull();
    const result = await commitFiles(repo, { files: ['a.txt'], message: 'first', trailers: { 'Autopack-Run': 'r' }, expectedHead: null });
    expect(git(dir, 'rev-list', '--parents', 'HEAD').trim()).toBe(result!.sha);
    expect(git(dir, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
    expect(nameStatus(dir, result!.sha)).toEqual(['A\ta.txt']);
    expect(statusLines(dir)).toEqual(['A  mine.txt']);
  });

  it('commits a listed file even when .gitignore matches it, and a path listed twice once', async () => {
    const dir = makeRepo(tempDir(), { committed: { '.gitignore': '*.log\n' } });
    writeTree(dir, { 'build.log': 'listed\n', 'other.log': 'not listed\n' });
    const result = await commitFiles(await open(dir), { files: ['build.log', 'build.log'], message: 'log', trailers: {} });
    expect(nameStatus(dir, result!.sha)).toEqual(['A\tbuild.log']);
    expect(statusLines(dir)).toEqual([]);
  });

  it('returns null and changes nothing when no listed file differs from HEAD', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    writeTree(dir, { 'b.txt': 'untracked\n' });
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const repo = await open(dir);
    expect(await commitFiles(repo, { files: ['a.txt', 'never-existed.txt'], message: 'nothing', trailers: {} })).toBeNull();
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(head);
    expect(git(dir, 'reflog').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('moves a detached HEAD', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'checkout', '-q', '--detach');
    writeTree(dir, { 'a.txt': 'a2\n' });
    const result = await commitFiles(await open(dir), { files: ['a.txt'], message: 'detached', trailers: {} });
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(result!.sha);
    expect(git(dir, 'rev-parse', 'main').trim()).toBe(head);
  });

  it('fails with GIT_FAILED saying HEAD moved when HEAD is no longer at expectedHead, touching neither HEAD nor the index', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    const expectedHead = await headSha(repo);
    writeTree(dir, { 'other.txt': 'o\n' });
    git(dir, 'add', 'other.txt');
    git(dir, 'commit', '-q', '-m', 'someone else');
    const moved = git(dir, 'rev-parse', 'HEAD').trim();
    writeTree(dir, { 'a.txt': 'a2\n' });
    const error = await commitFiles(repo, { files: ['a.txt'], message: 'late', trailers: {}, expectedHead }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutopackError);
    expect((error as AutopackError).code).toBe('GIT_FAILED');
    expect((error as AutopackError).message).toMatch(/HEAD moved meanwhile: expected [0-9a-f]{40}, found [0-9a-f]{40}/);
    expect((error as AutopackError).message).toContain(moved);
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(moved);
    expect(statusLines(dir)).toEqual([' M a.txt']);
  });

  it('when the user’s index is locked after the commit is made, says so, naming the commit and the command that finishes the job', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    writeTree(dir, { 'a.txt': 'a2\n' });
    fs.writeFileSync(path.join(dir, '.git', 'index.lock'), '');
    const error = await commitFiles(await open(dir), { files: ['a.txt'], message: 'locked', trailers: {} }).catch((e: unknown) => e);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect((error as AutopackError).code).toBe('GIT_FAILED');
    expect((error as AutopackError).message).toContain(`commit ${head} is on HEAD, but then`);
    expect((error as AutopackError).message).toContain('index.lock');
    expect((error as AutopackError).message).toContain('git reset -q -- "a.txt"');
    fs.rmSync(path.join(dir, '.git', 'index.lock'));
    git(dir, 'reset', '-q', '--', 'a.txt');
    expect(statusLines(dir)).toEqual([]);
  });

  it('refuses paths that are absolute, leave repoRoot or are not normalised, naming them', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await open(dir);
    for (const bad of ['/etc/passwd', '../x', './a.txt', 'a//b', '']) {
      const error = await commitFiles(repo, { files: [bad], message: 'bad', trailers: {} }).catch((e: unknown) => e);
      expect((error as AutopackError).code).toBe('INPUT_INVALID');
      expect((error as AutopackError).message).toContain(`"${bad}"`);
    }
  });

  it('refuses trailer keys git would not read back and multi-line values', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    writeTree(dir, { 'a.txt': 'a2\n' });
    const repo = await open(dir);
    const bads: Record<string, string>[] = [{ 'Has Space': 'v' }, { Key: 'two\nlines' }];
    for (const bad of bads) {
      const error = await commitFiles(repo, { files: ['a.txt'], message: 'm', trailers: bad }).catch((e: unknown) => e);
      expect((error as AutopackError).code).toBe('INPUT_INVALID');
    }
  });
});

describe('commitFiles without a configured identity', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('commits as autopack <autopack@localhost> instead of failing', async () => {
    vi.stubEnv('HOME', tempDir());
    vi.stubEnv('XDG_CONFIG_HOME', tempDir());
    const dir = makeRepo(tempDir(), { identity: false });
    // git itself refuses to commit here (unless it can guess an address from the host name).
    const plain = (() => {
      try {
        git(dir, '-c', 'user.useConfigOnly=true', 'commit', '-q', '--allow-empty', '-m', 'x');
        return 'committed';
      } catch {
        return 'refused';
      }
    })();
    expect(plain).toBe('refused');
    writeTree(dir, { 'a.txt': 'a\n' });
    const result = await commitFiles((await openGitRepo(dir))!, { files: ['a.txt'], message: 'anonymous', trailers: {} });
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%cn <%ce>', result!.sha).trim()).toBe(
      'autopack <autopack@localhost>|autopack <autopack@localhost>',
    );
  });

  it('uses the repository’s identity when it has one', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    writeTree(dir, { 'a.txt': 'a2\n' });
    const result = await commitFiles((await openGitRepo(dir))!, { files: ['a.txt'], message: 'named', trailers: {} });
    expect(git(dir, 'log', '-1', '--format=%an <%ae>', result!.sha).trim()).toBe('Test User <test@example.com>');
  });
});

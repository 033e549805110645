import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { headSha, openGitRepo } from '../../src/git/index.js';
import { AutopackError } from '../../src/model/errors.js';
import { useTempDirs } from '../support/tempDir.js';
import { git, makeRepo, useHermeticGit } from '../support/gitFixture.js';

describe('openGitRepo', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('opens the top of a working tree with an empty prefix', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'a.txt': 'a\n' } });
    const repo = await openGitRepo(dir);
    expect(repo).toEqual({ top: fs.realpathSync(dir), prefix: '', root: dir });
  });

  it('opens a subdirectory with its prefix, through a symlinked path, and the top as a real path', async () => {
    const dir = makeRepo(tempDir(), { committed: { 'pkg/app/x.txt': 'x\n' } });
    const link = path.join(tempDir(), 'link');
    fs.symlinkSync(dir, link);
    const root = path.join(link, 'pkg', 'app');
    const repo = await openGitRepo(root);
    expect(repo).toEqual({ top: fs.realpathSync(dir), prefix: 'pkg/app', root });
  });

  it('is null outside any repository and inside .git', async () => {
    const dir = tempDir();
    expect(await openGitRepo(dir)).toBeNull();
    makeRepo(dir);
    expect(await openGitRepo(path.join(dir, '.git'))).toBeNull();
  });

  it('is null when git is not installed', async () => {
    const dir = makeRepo(tempDir());
    vi.stubEnv('PATH', tempDir());
    expect(await openGitRepo(dir)).toBeNull();
  });

  it('refuses a repoRoot that does not exist, naming it', async () => {
    const missing = path.join(tempDir(), 'nope');
    const error = await openGitRepo(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AutopackError);
    expect((error as AutopackError).code).toBe('INPUT_INVALID');
    expect((error as AutopackError).message).toContain(missing);
  });
});

describe('headSha', () => {
  useHermeticGit();
  const tempDir = useTempDirs();

  it('is null on an unborn branch and the commit after the first commit', async () => {
    const dir = makeRepo(tempDir());
    const repo = (await openGitRepo(dir))!;
    expect(await headSha(repo)).toBeNull();
    fs.writeFileSync(path.join(dir, 'a'), 'a');
    git(dir, 'add', 'a');
    git(dir, 'commit', '-q', '-m', 'one');
    expect(await headSha(repo)).toBe(git(dir, 'rev-parse', 'HEAD').trim());
  });
});

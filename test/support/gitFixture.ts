import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, vi } from 'vitest';
import { writeTree } from './repoFixture.js';

/**
 * Keeps the developer's own git configuration out of these tests, for the module under test and for the
 * helpers alike (both inherit process.env): no global or system config (no identity, hooks path, signing,
 * default branch), no identity or repository location from the environment.
 */
export function useHermeticGit(): void {
  beforeEach(() => {
    vi.stubEnv('GIT_CONFIG_GLOBAL', '/dev/null');
    vi.stubEnv('GIT_CONFIG_NOSYSTEM', '1');
    for (const name of [
      'GIT_AUTHOR_NAME',
      'GIT_AUTHOR_EMAIL',
      'GIT_COMMITTER_NAME',
      'GIT_COMMITTER_EMAIL',
      'EMAIL',
      'GIT_DIR',
      'GIT_WORK_TREE',
      'GIT_INDEX_FILE',
    ]) {
      vi.stubEnv(name, undefined);
    }
    return () => {
      vi.unstubAllEnvs();
    };
  });
}

/** Runs git synchronously in `cwd` and returns its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface MakeRepoOptions {
  /** Files of the first commit; no commit when omitted (unborn HEAD). */
  committed?: Record<string, string>;
  /** Configure user.name/user.email in the repository (default true). */
  identity?: boolean;
}

/** `git init` in `dir`, with an identity and a first commit of `committed` unless told otherwise. */
export function makeRepo(dir: string, options: MakeRepoOptions = {}): string {
  git(dir, 'init', '-q', '-b', 'main');
  if (options.identity !== false) {
    git(dir, 'config', 'user.name', 'Test User');
    git(dir, 'config', 'user.email', 'test@example.com');
  }
  if (options.committed !== undefined) {
    writeTree(dir, options.committed);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'initial');
  }
  return dir;
}

export function read(dir: string, relative: string): string {
  return fs.readFileSync(path.join(dir, relative), 'utf8');
}

/** `git status --porcelain` as lines, sorted. */
export function statusLines(dir: string): string[] {
  return git(dir, '-c', 'core.quotepath=off', 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter((l) => l !== '')
    .sort();
}

import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import type { GitRepo } from './gitRepo.js';

/**
 * Checks one repoRoot-relative path as the caller passed it: '/'-separated, normalised, inside repoRoot.
 * Every path has one spelling, so the sets compared against git's output match exactly.
 */
export function checkRelativePath(relative: string, what: string): string {
  const problem =
    relative === '' || relative === '.'
      ? 'it is empty'
      : relative.includes('\0')
        ? 'it contains a NUL byte'
        : path.posix.isAbsolute(relative)
          ? 'it is absolute'
          : relative === '..' || relative.startsWith('../')
            ? 'it leaves repoRoot'
            : path.posix.normalize(relative) !== relative || relative.endsWith('/')
              ? `it is not normalised (expected "${path.posix.normalize(relative).replace(/\/$/, '')}")`
              : null;
  if (problem !== null) {
    throw new AutopackError('INPUT_INVALID', `${what}: "${relative}" is not a repoRoot-relative file path: ${problem}; pass a path like "src/a.ts"`);
  }
  return relative;
}

/** A repoRoot-relative path as git sees it: relative to the working tree's top. */
export function toTopPath(repo: GitRepo, relative: string): string {
  return repo.prefix === '' ? relative : `${repo.prefix}/${relative}`;
}

/** A path git printed (top-relative) as repoRoot-relative, or null when it lies outside repoRoot. */
export function fromTopPath(repo: GitRepo, topRelative: string): string | null {
  if (repo.prefix === '') return topRelative;
  return topRelative.startsWith(`${repo.prefix}/`) ? topRelative.slice(repo.prefix.length + 1) : null;
}

/** The pathspec that limits a git command to repoRoot (commands run with `cwd` the top, pathspecs literal). */
export function rootPathspec(repo: GitRepo): string {
  return repo.prefix === '' ? '.' : repo.prefix;
}

import type { GitRepo } from './gitRepo.js';
import { readLog, type LoggedCommit } from './readLog.js';
import { checkRelativePath, toTopPath } from './repoPaths.js';

/**
 * Commits reachable from HEAD and not from `since` that touch any of `paths` (repoRoot-relative), newest
 * first, with their full sha and trailers. History is not simplified (`--full-history`): a commit on a
 * merged side branch that touched a path is listed too. No paths, no commits.
 */
export async function commitsTouching(repo: GitRepo, since: string, paths: readonly string[]): Promise<LoggedCommit[]> {
  if (paths.length === 0) return [];
  const topPaths = paths.map((p) => toTopPath(repo, checkRelativePath(p, 'commitsTouching: paths')));
  return readLog(repo, { since, topPaths });
}

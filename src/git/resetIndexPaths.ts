import type { GitRepo } from './gitRepo.js';
import { checkRelativePath, toTopPath } from './repoPaths.js';
import { runGit } from './runGit.js';

/**
 * Sets the user's index entries of `paths` (repoRoot-relative) to HEAD's, and nothing else: after a commit
 * of those paths whose index update did not happen (a crash, a locked index), so `git status` shows them
 * clean instead of as a staged revert.
 */
export async function resetIndexPaths(repo: GitRepo, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const topPaths = paths.map((p) => toTopPath(repo, checkRelativePath(p, 'resetIndexPaths: paths')));
  await runGit(repo.top, ['reset', '-q', 'HEAD', '--', ...topPaths]);
}

import type { GitRepo } from './gitRepo.js';
import { fromTopPath, rootPathspec } from './repoPaths.js';
import { runGit } from './runGit.js';

/**
 * The files (repoRoot-relative, those under repoRoot only) a commit changed relative to its first parent, or
 * relative to nothing for a root commit. A rename counts as its two paths.
 */
export async function filesOfCommit(repo: GitRepo, sha: string): Promise<string[]> {
  const { stdout: parents } = await runGit(repo.top, ['rev-list', '--parents', '-n', '1', '--end-of-options', sha]);
  const [commit = sha, firstParent] = parents.trim().split(' ');
  const range = firstParent === undefined ? ['--root', commit] : [firstParent, commit];
  const { stdout } = await runGit(repo.top, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', '--no-commit-id', ...range, '--', rootPathspec(repo)]);
  return stdout
    .split('\0')
    .filter((p) => p !== '')
    .map((p) => fromTopPath(repo, p))
    .filter((p): p is string => p !== null);
}

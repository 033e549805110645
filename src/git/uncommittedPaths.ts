import type { GitRepo } from './gitRepo.js';
import { fromTopPath, rootPathspec } from './repoPaths.js';
import { runGit } from './runGit.js';

/**
 * The paths in `git status --porcelain=v1 -z` output (top-relative, raw bytes decoded as UTF-8). Each entry is
 * `XY PATH\0`; a rename or copy (R or C in X or Y) is followed by its source path as one more `\0`-ended field.
 * Both sides of a rename are returned: each is a path whose committed state differs from the working tree.
 */
export function parsePorcelainV1Z(output: string): string[] {
  const fields = output.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field === '') continue;
    const status = field.slice(0, 2);
    // A nested repository is listed as its directory, with a trailing '/'.
    paths.push(field.slice(3).replace(/\/$/, ''));
    if (/[RC]/.test(status)) {
      const source = fields[++i];
      if (source !== undefined && source !== '') paths.push(source);
    }
  }
  return paths;
}

/**
 * The repoRoot-relative paths (under repoRoot only) with uncommitted changes: staged or unstaged
 * modifications, deletions, both sides of renames, unmerged paths, and untracked files, each file listed (not
 * collapsed to its directory). Ignored files are not listed. Reads the status without taking the index lock.
 */
export async function uncommittedPaths(repo: GitRepo): Promise<Set<string>> {
  const { stdout } = await runGit(repo.top, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', rootPathspec(repo)]);
  const paths = new Set<string>();
  for (const topPath of parsePorcelainV1Z(stdout)) {
    const relative = fromTopPath(repo, topPath);
    if (relative !== null) paths.add(relative);
  }
  return paths;
}

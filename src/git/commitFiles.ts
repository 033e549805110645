import { crashAfterCommit } from '../runtime/crashPoint.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { GitRepo } from './gitRepo.js';
import { headSha } from './headSha.js';
import { afterCommit, recordCommit } from './recordCommit.js';
import { checkRelativePath, toTopPath } from './repoPaths.js';
import { runGit } from './runGit.js';
import { syncUserIndex } from './syncUserIndex.js';
import { withTempIndex } from './tempIndex.js';

export interface CommitRequest {
  /** repoRoot-relative paths, exactly the files to record: each is taken from the working tree as it is now (a path that no longer exists is recorded as deleted). */
  files: readonly string[];
  /** First line(s) of the message; trailers are appended after a blank line as `Key: value` lines. */
  message: string;
  trailers: Readonly<Record<string, string>>;
  /** The commit HEAD must still be at (compare-and-swap on update-ref); null for an unborn branch. Omit to use the current HEAD. */
  expectedHead?: string | null;
}

/**
 * Whether git should take `topPath` from the working tree (a file, a symlink, or a nested repository that
 * is recorded as a submodule) or record it as deleted (absent, or a plain directory: a file replaced by a
 * directory of the same name, whose files the caller lists on their own).
 */
async function presentInWorkingTree(repo: GitRepo, topPath: string): Promise<boolean> {
  const absolute = path.join(repo.top, topPath);
  try {
    const stat = await fs.lstat(absolute);
    if (!stat.isDirectory()) return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
  try {
    await fs.lstat(path.join(absolute, '.git'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Commits exactly `files`, as they are in the working tree, on top of HEAD, and returns the new sha; null,
 * committing nothing, when none of them differs from HEAD.
 *
 * The commit is built in a temporary index seeded from the expected HEAD (`read-tree`), never in the user's
 * index, so whatever the user has staged for other paths is not swept in; `commit-tree` makes the commit (no
 * hooks run) and `update-ref` moves HEAD only if it is still at the expected commit. Only then is the user's
 * index updated, for the committed paths alone, so `git status` shows them clean while every other staged or
 * unstaged change stays exactly as it was. A committed path the user had staged something else for gets the
 * committed content in the index (callers guard against committing such paths). The executable bit and
 * symlinks are kept (update-index reads them from the working tree). Paths are not checked against
 * .gitignore: a listed file is committed even if ignored.
 */
export async function commitFiles(repo: GitRepo, request: CommitRequest): Promise<{ sha: string } | null> {
  const relative = [...new Set(request.files.map((f) => checkRelativePath(f, 'commitFiles: files')))];
  const topPaths = relative.map((f) => toTopPath(repo, f));
  const parent = request.expectedHead === undefined ? await headSha(repo) : request.expectedHead;
  return withTempIndex(repo, parent, async (env) => {
    const present: string[] = [];
    const gone: string[] = [];
    for (const topPath of topPaths) ((await presentInWorkingTree(repo, topPath)) ? present : gone).push(topPath);
    if (gone.length > 0) await runGit(repo.top, ['update-index', '-z', '--force-remove', '--stdin'], { env, input: `${gone.join('\0')}\0` });
    if (present.length > 0) await runGit(repo.top, ['update-index', '-z', '--add', '--replace', '--stdin'], { env, input: `${present.join('\0')}\0` });
    const recorded = await recordCommit(repo, { env, parent, allowed: new Set(topPaths), message: request.message, trailers: request.trailers });
    if (recorded === null) return null;
    // HEAD has moved; the user's index has not caught up yet: the narrowest window a crash can hit.
    crashAfterCommit();
    await afterCommit(recorded.sha, recorded.changed, 'git reset -q', () => syncUserIndex(repo, env, recorded.changed, recorded.sha.length));
    return { sha: recorded.sha };
  });
}

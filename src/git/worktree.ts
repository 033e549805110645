import fs from 'node:fs';
import path from 'node:path';
import { AutopackError } from '../model/errors.js';
import { branchExists } from './branchExists.js';
import type { GitRepo } from './gitRepo.js';
import { runGit } from './runGit.js';

/** The directories of the worktrees git has registered, as `git worktree list --porcelain -z` names them. */
async function registeredWorktrees(repo: GitRepo): Promise<string[]> {
  const { stdout } = await runGit(repo.top, ['worktree', 'list', '--porcelain', '-z']);
  return stdout
    .split('\0')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

/** `dir` as git records it: absolute, with the real path of its nearest existing ancestor. */
function comparablePath(dir: string): string {
  let existing = path.resolve(dir);
  const rest: string[] = [];
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(fs.realpathSync(existing), ...rest);
}

/**
 * Forgets a worktree whose directory is gone but which git still lists (git refuses to add one there again).
 * Only that entry: `git worktree remove` of a missing directory deletes nothing on disk.
 */
async function forgetMissing(repo: GitRepo, dir: string): Promise<void> {
  if (fs.existsSync(dir)) return;
  const registered = (await registeredWorktrees(repo)).find((w) => comparablePath(w) === comparablePath(dir));
  if (registered !== undefined) await runGit(repo.top, ['worktree', 'remove', registered]);
}

/**
 * Adds a worktree at `dir` on a NEW branch `branch` starting at `startPoint`; when the branch exists already,
 * checks that branch out there instead (to recreate a removed worktree), ignoring `startPoint`. Git refuses a
 * branch checked out in another worktree, and a `dir` that exists and is not empty. `git worktree add` runs
 * the repository's post-checkout hook.
 */
export async function addWorktree(repo: GitRepo, dir: string, branch: string, startPoint: string): Promise<void> {
  const target = path.resolve(dir);
  const check = await runGit(repo.top, ['check-ref-format', '--branch', branch], { allowExitCodes: [1, 128] });
  if (check.exitCode !== 0 || branch.startsWith('-')) {
    throw new AutopackError('INPUT_INVALID', `worktree branch "${branch}" is not a valid branch name; use a name like "autopack/run-1"`);
  }
  if (startPoint.startsWith('-') || startPoint === '') {
    throw new AutopackError('INPUT_INVALID', `worktree start point "${startPoint}" is not a commit; pass a sha or a branch name`);
  }
  await forgetMissing(repo, target);
  const args = (await branchExists(repo, branch))
    ? ['worktree', 'add', target, branch]
    : ['worktree', 'add', '-b', branch, target, startPoint];
  await runGit(repo.top, args);
}

/**
 * Removes the worktree at `dir`, never by force: git refuses when it holds modified or untracked files,
 * and that refusal is passed on (GIT_FAILED) with what to do, so a user's work there is never deleted. Its
 * ignored files are deleted with it. A worktree whose directory is already gone is only forgotten. The branch
 * stays.
 */
export async function removeWorktree(repo: GitRepo, dir: string): Promise<void> {
  const target = path.resolve(dir);
  if (!fs.existsSync(target)) {
    await forgetMissing(repo, target);
    return;
  }
  try {
    await runGit(repo.top, ['worktree', 'remove', target]);
  } catch (error) {
    if (!(error instanceof AutopackError)) throw error;
    throw new AutopackError(
      'GIT_FAILED',
      `${error.message}; the worktree at ${target} was kept. Commit or move its changes (git -C ${JSON.stringify(target)} status), then remove it again`,
      { cause: error, detail: error.detail ?? error.message },
    );
  }
}

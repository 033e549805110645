import fs from 'node:fs';
import path from 'node:path';
import type { RunCommits } from '../effects/index.js';
import { addWorktree, branchExists, headSha, openGitRepo, removeWorktree, uncommittedPaths, type GitRepo } from '../git/index.js';
import { AutopackError } from '../model/errors.js';
import type { RunGitSettings, RunStartedData } from '../store/events.js';
import { normalizeRepoPath } from '../validation/protectedPaths.js';
import { ensureRunsDir } from './runsDir.js';

export interface GitRunOptions {
  commit: boolean;
  allowDirty: boolean;
  worktree: boolean;
}

export interface PreparedGitRun {
  settings: RunGitSettings;
  /** Where the run changes files: the user's repoRoot, or the run's worktree. */
  runRoot: string;
}

export function worktreeBranch(runId: string): string {
  return `autopack/${runId}`;
}

function worktreeDir(repoRoot: string, runId: string): string {
  return path.join(repoRoot, '.autonomous_runs', 'worktrees', runId);
}

/** The run's root inside a worktree: the same place relative to the top-level as the user's repoRoot. */
function rootInWorktree(repo: GitRepo, dir: string): string {
  return repo.prefix === '' ? dir : path.join(dir, ...repo.prefix.split('/'));
}

/**
 * Before a new run writes anything: whether and how it uses git, the guard that keeps the user's
 * uncommitted work from being overwritten, and the run's worktree when one is asked for.
 */
export async function prepareGitRun(
  repoRoot: string,
  runId: string,
  phases: readonly { id: string; deliverables: readonly string[] }[],
  options: GitRunOptions,
): Promise<PreparedGitRun> {
  const repo = await openGitRepo(repoRoot);
  if (repo === null) {
    if (options.worktree) {
      throw new AutopackError('INPUT_INVALID', `--worktree needs a git repository, and ${repoRoot} is not inside one; drop --worktree or run git init`);
    }
    const settings = { repository: false, commit: false, allowDirty: options.allowDirty, baseSha: null, uncommitted: [], worktree: null };
    return { settings, runRoot: repoRoot };
  }
  const baseSha = await headSha(repo);
  if (options.worktree) {
    if (baseSha === null) {
      throw new AutopackError('INPUT_INVALID', `--worktree starts a branch from HEAD, and ${repo.top} has no commit yet; commit once first`);
    }
    const dir = worktreeDir(repoRoot, runId);
    ensureRunsDir(repoRoot);
    await addWorktree(repo, dir, worktreeBranch(runId), baseSha);
    const runRoot = rootInWorktree(repo, dir);
    ensureRunsDir(runRoot);
    const worktree = { path: dir, branch: worktreeBranch(runId), checkout: repoRoot };
    return { settings: { repository: true, commit: options.commit, allowDirty: options.allowDirty, baseSha, uncommitted: [], worktree }, runRoot };
  }
  const dirty = [...(await uncommittedPaths(repo))].filter((p) => !p.startsWith('.autonomous_runs/')).sort();
  if (!options.allowDirty) guardDeliverables(repoRoot, phases, new Set(dirty));
  const settings = { repository: true, commit: options.commit, allowDirty: options.allowDirty, baseSha, uncommitted: options.allowDirty ? [] : dirty, worktree: null };
  return { settings, runRoot: repoRoot };
}

/** A phase whose deliverables hold uncommitted work stops the run before anything is written. */
function guardDeliverables(repoRoot: string, phases: readonly { id: string; deliverables: readonly string[] }[], dirty: ReadonlySet<string>): void {
  const problems = phases.flatMap((phase) => {
    const files = phase.deliverables.map((d) => normalizeRepoPath(d) ?? d).filter((d) => dirty.has(d));
    return files.length === 0 ? [] : [`phase ${phase.id}: ${files.join(', ')}`];
  });
  if (problems.length === 0) return;
  throw new AutopackError(
    'UNCOMMITTED_CHANGES',
    `deliverables with uncommitted changes in ${repoRoot}, which the run would overwrite:\n  ${problems.join('\n  ')}\n` +
      'Nothing was written and no model was called. Commit or stash those changes, or run with --worktree to work on a branch of ' +
      'its own, or pass --allow-dirty to let the run overwrite them (their pre-images are kept under .autonomous_runs/backups/)',
  );
}

/** How the run's phases are committed, for the run being driven (new or resumed); recreates a removed worktree. */
export async function runCommits(start: RunStartedData): Promise<RunCommits> {
  const git = start.options.git;
  if (git === undefined || !git.commit) return { skip: 'disabled' };
  if (!git.repository) return { skip: 'not-a-git-repository' };
  // A worktree's checkout has a `.git` file; without it the folder is gone or was emptied.
  if (git.worktree !== null && !fs.existsSync(path.join(git.worktree.path, '.git'))) {
    const main = await openGitRepo(git.worktree.checkout);
    if (main === null || !(await branchExists(main, git.worktree.branch))) {
      throw new AutopackError(
        'GIT_FAILED',
        `run ${start.runId} worked on branch ${git.worktree.branch}, which is gone from ${git.worktree.checkout}; it cannot be resumed`,
      );
    }
    await addWorktree(main, git.worktree.path, git.worktree.branch, git.worktree.branch);
    ensureRunsDir(start.repoRoot);
  }
  const repo = await openGitRepo(start.repoRoot);
  if (repo === null) throw new AutopackError('GIT_FAILED', `run ${start.runId} changes ${start.repoRoot}, which is no longer a git repository`);
  return { repo, runId: start.runId, baseSha: git.baseSha };
}

/** When a worktree run is over: the worktree goes, the branch with the run's commits stays. */
export async function finishWorktree(start: RunStartedData): Promise<void> {
  const worktree = start.options.git?.worktree;
  if (worktree === null || worktree === undefined || !fs.existsSync(worktree.path)) return;
  const main = await openGitRepo(worktree.checkout);
  if (main !== null) await removeWorktree(main, worktree.path);
}

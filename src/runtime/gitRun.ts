import fs from 'node:fs';
import path from 'node:path';
import type { RunCommits } from '../effects/index.js';
import { addWorktree, branchExists, headSha, openGitRepo, removeWorktree, uncommittedPaths, type GitRepo } from '../git/index.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore } from '../store/eventStore.js';
import type { RunGitSettings, RunStartedData, StoredRunEvent } from '../store/events.js';
import { normalizeRepoPath } from '../validation/protectedPaths.js';
import { ensureRunsDir, runsDirOf } from './runsDir.js';

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

/** Where a `--worktree` run of `repoRoot` works. */
export function worktreeDir(repoRoot: string, runId: string): string {
  return path.join(runsDirOf(repoRoot), 'worktrees', runId);
}

/**
 * Installed dependencies are ignored by git, so a new worktree has none and a health check such as
 * `npm test` could not run there. These folders of the user's checkout are linked into the worktree.
 */
export const LINKED_DEPENDENCY_DIRS = ['node_modules', '.venv'] as const;

function linkDependencies(checkout: string, runRoot: string): void {
  for (const name of LINKED_DEPENDENCY_DIRS) {
    const source = path.join(checkout, name);
    const link = path.join(runRoot, name);
    if (fs.existsSync(source) && !fs.existsSync(link)) fs.symlinkSync(source, link, 'dir');
  }
}

function unlinkDependencies(runRoot: string): void {
  for (const name of LINKED_DEPENDENCY_DIRS) {
    const link = path.join(runRoot, name);
    if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() === true) fs.unlinkSync(link);
  }
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
  if (options.worktree && !options.commit) {
    throw new AutopackError('INPUT_INVALID', "--worktree with --no-commit would leave the run's work in a folder that is removed when it ends; drop one of them");
  }
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
    linkDependencies(repoRoot, runRoot);
    const worktree = { path: dir, branch: worktreeBranch(runId), checkout: repoRoot };
    return { settings: { repository: true, commit: options.commit, allowDirty: options.allowDirty, baseSha, uncommitted: [], worktree }, runRoot };
  }
  const dirty = [...(await uncommittedPaths(repo))].filter((p) => !p.startsWith('.autonomous_runs/')).sort();
  if (!options.allowDirty) guardDeliverables(repoRoot, phases, new Set(dirty));
  const settings = { repository: true, commit: options.commit, allowDirty: options.allowDirty, baseSha, uncommitted: options.allowDirty ? [] : dirty, worktree: null };
  return { settings, runRoot: repoRoot };
}

/** A phase whose deliverables hold uncommitted work stops the run before anything is written. */
function guardDeliverables(
  repoRoot: string,
  phases: readonly { id: string; deliverables: readonly string[] }[],
  dirty: ReadonlySet<string>,
  when = 'Nothing was written and no model was called',
): void {
  const problems = phases.flatMap((phase) => {
    const files = phase.deliverables.map((d) => normalizeRepoPath(d) ?? d).filter((d) => dirty.has(d));
    return files.length === 0 ? [] : [`phase ${phase.id}: ${files.join(', ')}`];
  });
  if (problems.length === 0) return;
  throw new AutopackError(
    'UNCOMMITTED_CHANGES',
    `deliverables with uncommitted changes in ${repoRoot}, which the run would overwrite:\n  ${problems.join('\n  ')}\n` +
      `${when}. Commit or stash those changes, or run with --worktree to work on a branch of ` +
      'its own, or pass --allow-dirty to let the run overwrite them (their pre-images are kept under .autonomous_runs/backups/)',
  );
}

/**
 * Before a resumed run goes on: the user may have changed files while it was down. Files with uncommitted
 * changes now, other than the run's own not yet committed, are guarded as at the start: a deliverable of a
 * phase still to run stops the resume, any other is refused to the model. Returns the full set to refuse.
 * `history` is what the resume read (the log's tail from the phase in progress, or all of it): with commits
 * on, every earlier phase's files are committed, so the tail holds all the run's own uncommitted changes.
 */
export async function uncommittedOnResume(
  store: EventStore,
  start: RunStartedData,
  history: readonly StoredRunEvent[],
  nextPhaseIndex: number,
): Promise<string[]> {
  const git = start.options.git;
  if (git === undefined || !git.repository || git.allowDirty || git.worktree !== null) return git?.uncommitted ?? [];
  const repo = await openGitRepo(start.repoRoot);
  if (repo === null) return git.uncommitted;
  // The run's own changes not in a commit yet: an apply cut short, or every phase's with commits off.
  const prepared = new Map<number, string[]>();
  const committed = new Set<number>();
  for (const event of git.commit ? history : await store.read(start.runId)) {
    if (event.type === 'changes.prepared') prepared.set(event.data.phaseIndex, [...(prepared.get(event.data.phaseIndex) ?? []), ...event.data.files.map((f) => f.path)]);
    if (event.type === 'phase.committed' && event.data.outcome.ok && event.data.outcome.value.sha !== null) committed.add(event.data.phaseIndex);
  }
  const own = new Set([...prepared].filter(([index]) => !git.commit || !committed.has(index)).flatMap(([, files]) => files));
  const dirty = [...(await uncommittedPaths(repo))].filter((p) => !p.startsWith('.autonomous_runs/') && !own.has(p));
  const remaining = start.phases.slice(nextPhaseIndex).map((p) => ({ id: p.id, deliverables: p.spec.deliverables }));
  guardDeliverables(start.repoRoot, remaining, new Set(dirty), `These changed while run ${start.runId} was stopped; nothing more was written`);
  return [...new Set([...git.uncommitted, ...dirty])].sort();
}

/** How the run's phases are committed, for the run being driven (new or resumed); recreates a removed worktree. */
export async function runCommits(start: RunStartedData): Promise<RunCommits> {
  const git = start.options.git;
  if (git === undefined || !git.repository) return { skip: 'not-a-git-repository' };
  if (!git.commit) return { skip: 'disabled' };
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
    linkDependencies(git.worktree.checkout, start.repoRoot);
  }
  const repo = await openGitRepo(start.repoRoot);
  if (repo === null) throw new AutopackError('GIT_FAILED', `run ${start.runId} changes ${start.repoRoot}, which is no longer a git repository`);
  return { repo, runId: start.runId, baseSha: git.baseSha };
}

/**
 * When a worktree run is over: the worktree goes, the branch with the run's commits stays. A worktree git
 * will not remove (a health check left untracked files in it) is kept rather than forced away; the run's
 * summary says so. Returns why it was kept, or null.
 */
export async function finishWorktree(start: RunStartedData): Promise<string | null> {
  const worktree = start.options.git?.worktree;
  if (worktree === null || worktree === undefined || !fs.existsSync(worktree.path)) return null;
  const main = await openGitRepo(worktree.checkout);
  if (main === null) return null;
  unlinkDependencies(start.repoRoot);
  try {
    await removeWorktree(main, worktree.path);
    return null;
  } catch (error) {
    linkDependencies(worktree.checkout, start.repoRoot);
    return error instanceof Error ? error.message : String(error);
  }
}

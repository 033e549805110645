import { AutopackError } from '../model/errors.js';
import type { GitRepo } from './gitRepo.js';
import { headSha } from './headSha.js';
import { identityEnv } from './identity.js';
import { fromTopPath } from './repoPaths.js';
import { runGit } from './runGit.js';
import type { TempIndexEnv } from './tempIndex.js';
import { formatCommitMessage } from './trailers.js';

export interface RecordCommitInput {
  /** The temporary index holding the tree to commit. */
  env: TempIndexEnv;
  /** The commit the temporary index was seeded from and HEAD must still be at; null for an unborn branch. */
  parent: string | null;
  /** Top-relative paths the commit may change; a change to any other path is refused. */
  allowed: ReadonlySet<string>;
  message: string;
  trailers: Readonly<Record<string, string>>;
}

export interface RecordedCommit {
  sha: string;
  /** Top-relative paths whose entry differs between the parent and the new commit. */
  changed: string[];
}

async function treeOf(repo: GitRepo, commit: string | null): Promise<string> {
  if (commit !== null) return (await runGit(repo.top, ['rev-parse', '--verify', `${commit}^{tree}`])).stdout.trim();
  // The empty tree's id (sha1 or sha256, as the repository uses), known to git without being stored.
  return (await runGit(repo.top, ['hash-object', '-t', 'tree', '--stdin'])).stdout.trim();
}

/**
 * Turns a prepared temporary index into a commit on HEAD: `write-tree`, then `commit-tree` and
 * `update-ref HEAD <new> <parent>` as a compare-and-swap, so HEAD's branch (or a detached HEAD) moves only if
 * it is still at `parent`. `commit-tree` runs no hooks (no pre-commit, commit-msg or post-commit): autopack's
 * commits record what a phase already checked, and a hook that rewrote or refused them would break the
 * one-commit-per-phase record. Returns null, making nothing, when the tree equals the parent's.
 */
export async function recordCommit(repo: GitRepo, input: RecordCommitInput): Promise<RecordedCommit | null> {
  const message = formatCommitMessage(input.message, input.trailers);
  const { env } = input;
  const tree = (await runGit(repo.top, ['write-tree'], { env })).stdout.trim();
  const parentTree = await treeOf(repo, input.parent);
  if (tree === parentTree) return null;

  const diff = await runGit(repo.top, ['diff-tree', '-r', '-z', '--name-only', '--no-renames', parentTree, tree]);
  const changed = diff.stdout.split('\0').filter((p) => p !== '');
  const outside = changed.filter((p) => !input.allowed.has(p));
  if (outside.length > 0) {
    const shown = outside.map((p) => fromTopPath(repo, p) ?? `${p} (outside repoRoot)`);
    throw new AutopackError(
      'INPUT_INVALID',
      `committing ${[...input.allowed].join(', ')} would also change ${shown.join(', ')}, which were not listed (a file and a directory of the same name cannot both be in a tree); list those paths too`,
    );
  }

  const parentArgs = input.parent === null ? [] : ['-p', input.parent];
  const sha = (await runGit(repo.top, ['commit-tree', tree, ...parentArgs], { input: message, env: await identityEnv(repo) })).stdout.trim();

  const expected = input.parent ?? '0'.repeat(sha.length);
  const subject = message.split('\n', 1)[0] ?? '';
  try {
    await runGit(repo.top, ['update-ref', '-m', `autopack: ${subject}`, 'HEAD', sha, expected]);
  } catch (error) {
    const now = await headSha(repo).catch(() => undefined);
    if (now !== undefined && now !== input.parent) {
      throw new AutopackError(
        'GIT_FAILED',
        `HEAD moved meanwhile: expected ${input.parent ?? 'an unborn branch'}, found ${now ?? 'an unborn branch'}; commit ${sha} was made but not recorded on the branch and the index was not touched. Check what moved HEAD (git log), then run again from the new HEAD`,
        { cause: error, detail: error instanceof AutopackError ? error.detail : String(error) },
      );
    }
    throw error;
  }
  return { sha, changed };
}

/**
 * Runs a step that follows a recorded commit (updating the user's index or working tree). If it fails, HEAD
 * has already moved: the error says so, names the commit and the paths, and gives the git command that
 * finishes the job by hand.
 */
export async function afterCommit(sha: string, topPaths: readonly string[], repair: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    const quoted = topPaths.map((p) => JSON.stringify(p)).join(' ');
    throw new AutopackError(
      'GIT_FAILED',
      `commit ${sha} is on HEAD, but then ${error instanceof Error ? error.message : String(error)}; to bring ${topPaths.join(', ')} in line with it, run from the repository's top: ${repair} -- ${quoted}`,
      { cause: error, detail: error instanceof AutopackError ? error.detail : undefined },
    );
  }
}

import type { CommitChangesInput, CommitChangesOutput } from '../machines/effectContracts.js';
import { commitFiles, filesOfCommit, findCommitWithTrailers, headSha, resetIndexPaths, type GitRepo } from '../git/index.js';
import { AutopackError } from '../model/errors.js';
import { fromEffect, type EffectRuntime } from './fromEffect.js';

/** Where a run's phases are committed, or why they are not. */
export type RunCommits =
  | {
      repo: GitRepo;
      runId: string;
      baseSha: string | null;
      /**
       * Makes a phase's commit known beyond this machine (a worker pushes its branch) before the commit is
       * logged; the run's lease is confirmed right before. A failure fails the commit. May return the commit
       * that holds the phase now, when an equal one was there already (it is the one logged).
       */
      publish?: (commit: { sha: string; phaseId: string }) => Promise<string | void>;
    }
  | { skip: 'disabled' | 'not-a-git-repository' };

export interface CommitChangesDeps extends EffectRuntime {
  commits: RunCommits;
}

export function phaseTrailers(runId: string, phaseId: string): Record<string, string> {
  return { 'Autopack-Run': runId, 'Autopack-Phase': phaseId };
}

/** `<phase id>: <first line of the summary>`, the rest of the summary as the body. */
export function phaseCommitMessage(phaseId: string, summary: string): string {
  const [first = '', ...rest] = summary.trim().split('\n');
  const subject = `${phaseId}: ${first.trim() === '' ? 'changes' : first.trim()}`;
  const body = rest.join('\n').trim();
  return body === '' ? subject : `${subject}\n\n${body}`;
}

/** The phase's files as one commit (see commitPhase), published when the run publishes its commits. */
export function fromCommitChanges(deps: CommitChangesDeps) {
  return fromEffect<CommitChangesInput, CommitChangesOutput>(deps, {
    name: 'commitChanges',
    failureCode: 'GIT_FAILED',
    retryable: false,
    writes: true,
    run: async (input) => {
      const { commits } = deps;
      if ('skip' in commits) return { sha: null, skipped: commits.skip };
      const made = await commitPhase(commits, input);
      if (made.sha !== null && commits.publish !== undefined) {
        if (deps.mayWrite !== undefined && !(await deps.mayWrite())) {
          throw new AutopackError('LEASE_LOST', `commitChanges: this process no longer holds run ${commits.runId}'s lease; commit ${made.sha} was not published`);
        }
        const published = await commits.publish({ sha: made.sha, phaseId: input.phaseId });
        if (typeof published === 'string' && published !== made.sha) return { ...made, sha: published };
      }
      return made;
    },
  });
}

/**
 * Idempotent across a crash: a commit this run already made for this phase (found by its trailers since
 * the run's base) is returned instead of being made twice.
 */
async function commitPhase(commits: Exclude<RunCommits, { skip: string }>, input: CommitChangesInput): Promise<CommitChangesOutput> {
  const trailers = phaseTrailers(commits.runId, input.phaseId);
  const existing = await findCommitWithTrailers(commits.repo, trailers, { since: commits.baseSha });
  if (existing !== null) {
    // Made by a process that died before logging it, perhaps before the index caught up.
    const files = await filesOfCommit(commits.repo, existing);
    if ((await headSha(commits.repo)) === existing) await resetIndexPaths(commits.repo, files);
    return { sha: existing, files };
  }
  let made: { sha: string } | null;
  try {
    made = await commitFiles(commits.repo, { files: input.files, message: phaseCommitMessage(input.phaseId, input.summary), trailers });
  } catch (error) {
    // HEAD may have moved before a later step failed: then the commit stands, only the index lags.
    const landed = await findCommitWithTrailers(commits.repo, trailers, { since: commits.baseSha });
    if (landed === null) throw error;
    return { sha: landed, files: [...input.files], warning: error instanceof Error ? error.message : String(error) };
  }
  if (made === null) return { sha: null, skipped: 'nothing-changed' };
  return { sha: made.sha, files: [...input.files] };
}

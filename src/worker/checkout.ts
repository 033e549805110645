import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { runGit } from '../git/runGit.js';
import { AutopackError } from '../model/errors.js';
import { worktreeBranch } from '../runtime/gitRun.js';

const SHA = /^[0-9a-f]{40}$/;

/**
 * The commit `ref` names in the remote repository (`HEAD` for its default branch), asked of the remote
 * itself so a run starts where it was submitted, whatever is pushed later. A full sha is taken as given.
 */
export async function resolveRemoteRef(repo: string, ref: string): Promise<string> {
  if (SHA.test(ref)) return ref;
  const { stdout, exitCode, stderr } = await runGit(process.cwd(), ['ls-remote', '--', repo, ref], { allowExitCodes: [1, 2, 128] });
  if (exitCode !== 0) {
    throw new AutopackError('INPUT_INVALID', `--repo ${repo}: git cannot read it (${stderr.trim().split('\n')[0] ?? `exit ${exitCode}`}); pass a URL every worker can clone`);
  }
  const lines = stdout.split('\n').filter((line) => line !== '');
  // `main` matches refs/heads/main and refs/remotes/x/main alike: take the branch, then the tag, as git does.
  const named = (full: string) => lines.find((line) => line.endsWith(`\t${full}`));
  const line = named(ref) ?? named(`refs/heads/${ref}`) ?? named(`refs/tags/${ref}^{}`) ?? named(`refs/tags/${ref}`);
  const sha = line?.split('\t')[0];
  if (sha === undefined || !SHA.test(sha)) {
    throw new AutopackError('INPUT_INVALID', `--ref ${ref}: no such branch, tag or ref in ${repo}; pass one that exists there (git ls-remote ${repo})`);
  }
  return sha;
}

/** One bare clone per repository in the worker's folder; each run gets a worktree of it. */
export interface RunCheckout {
  /** The run's worktree: its files, on branch `autopack/<run id>`. */
  dir: string;
  branch: string;
  /** The branch as the remote has it (null: not pushed yet): what the next push expects to replace. */
  remoteHead: string | null;
  /** The bare clone the worktree belongs to, shared by this worker's runs of the same repository. */
  mirror: string;
}

/**
 * The git commands that change a bare clone's refs or worktree list (fetch, worktree add and remove, a push,
 * which updates the remote-tracking ref) run one at a time per clone: git takes a lock on each ref it
 * updates and fails, rather than waits, when another command holds it.
 */
const mirrorTurns = new Map<string, Promise<unknown>>();

async function inTurn<T>(mirror: string, work: () => Promise<T>): Promise<T> {
  const before = mirrorTurns.get(mirror) ?? Promise.resolve();
  const mine = before.catch(() => {}).then(work);
  mirrorTurns.set(mirror, mine);
  try {
    return await mine;
  } finally {
    if (mirrorTurns.get(mirror) === mine) mirrorTurns.delete(mirror);
  }
}

async function fetchMirror(mirror: string, repo: string): Promise<void> {
  if (!fs.existsSync(path.join(mirror, 'HEAD'))) {
    fs.rmSync(mirror, { recursive: true, force: true });
    fs.mkdirSync(mirror, { recursive: true });
    await runGit(mirror, ['init', '--quiet', '--bare']);
    // A remote with the usual refspec: the remote's branches land in refs/remotes/origin/*, never on the
    // local branches the run worktrees have checked out.
    await runGit(mirror, ['remote', 'add', 'origin', repo]);
    // No automatic gc while runs commit in its worktrees: it would repack refs under them.
    await runGit(mirror, ['config', 'gc.auto', '0']);
  }
  await runGit(mirror, ['fetch', '--quiet', '--prune', '--tags', 'origin']);
}

/**
 * The run's worktree in `workdir`, made afresh: from the run's branch as the remote has it (a run taken
 * over: every phase committed before is there), or else from the commit it was submitted at.
 */
export async function checkoutRun(workdir: string, repo: string, runId: string, baseSha: string): Promise<RunCheckout> {
  const mirror = path.join(workdir, 'repos', createHash('sha256').update(repo).digest('hex').slice(0, 16));
  return inTurn(mirror, () => checkoutInTurn(mirror, workdir, repo, runId, baseSha));
}

async function checkoutInTurn(mirror: string, workdir: string, repo: string, runId: string, baseSha: string): Promise<RunCheckout> {
  await fetchMirror(mirror, repo);
  const branch = worktreeBranch(runId);
  const remote = await runGit(mirror, ['rev-parse', '--verify', '--quiet', `refs/remotes/origin/${branch}^{commit}`], { allowExitCodes: [1] });
  const remoteHead = remote.exitCode === 0 ? remote.stdout.trim() : null;
  if (remoteHead === null) {
    const known = await runGit(mirror, ['cat-file', '-e', `${baseSha}^{commit}`], { allowExitCodes: [1, 128] });
    if (known.exitCode !== 0) await runGit(mirror, ['fetch', '--quiet', 'origin', baseSha]);
  }
  const dir = path.join(workdir, 'runs', runId);
  // This worker's own folder for the run, from an earlier claim of it: what matters is pushed, so it goes.
  if (fs.existsSync(dir)) await runGit(mirror, ['worktree', 'remove', '--force', dir], { allowExitCodes: [128] });
  fs.rmSync(dir, { recursive: true, force: true });
  await runGit(mirror, ['worktree', 'prune']);
  await runGit(mirror, ['worktree', 'add', '--quiet', '-B', branch, dir, remoteHead ?? baseSha]);
  return { dir, branch, remoteHead, mirror };
}

/**
 * Pushes the run's branch to `sha`, only if the remote still has it where this worker last saw it
 * (`--force-with-lease`): a worker that lost the run and pushes late cannot overwrite the next one's work.
 * Returns the commit now at the head of the branch: `sha`, or an equal commit adopted (adoptLatePush).
 */
export async function pushRun(checkout: RunCheckout, sha: string): Promise<string> {
  const ref = `refs/heads/${checkout.branch}`;
  const lease = `--force-with-lease=${ref}:${checkout.remoteHead ?? ''}`;
  if (checkout.remoteHead === sha) return sha;
  const pushed = await inTurn(checkout.mirror, () =>
    runGit(checkout.dir, ['push', '--quiet', '--porcelain', lease, 'origin', `${sha}:${ref}`], { allowExitCodes: [1] }),
  );
  if (pushed.exitCode === 0) {
    checkout.remoteHead = sha;
    return sha;
  }
  const adopted = await adoptLatePush(checkout, sha);
  if (adopted !== null) return adopted;
  throw new AutopackError(
    'GIT_FAILED',
    `git push of ${checkout.branch} was refused: the remote's branch is not at ${checkout.remoteHead ?? '(absent)'} any more, so another worker has the run; ${pushed.stderr.trim() || pushed.stdout.trim()}`,
  );
}

/** What makes two commits the same phase's commit: parent, files and the run's trailers. */
async function commitIdentity(dir: string, sha: string): Promise<string> {
  const { stdout } = await runGit(dir, ['log', '-1', '--format=%P %T%n%(trailers:key=Autopack-Run,key=Autopack-Phase)', sha]);
  return stdout.trim();
}

/**
 * A worker that lost the run can have pushed one commit late: frozen past its lease between confirming the
 * lease and pushing, with the new worker not yet pushed. That commit is the phase in progress's, made from
 * the same logged answer, so it has the same parent, files and trailers as this worker's: it is taken as
 * the phase's commit (the branch keeps one commit per phase) instead of failing the phase. Anything else
 * on the branch is refused.
 */
async function adoptLatePush(checkout: RunCheckout, sha: string): Promise<string | null> {
  const tracking = `refs/remotes/origin/${checkout.branch}`;
  const remote = await inTurn(checkout.mirror, async () => {
    await runGit(checkout.mirror, ['fetch', '--quiet', 'origin', `+refs/heads/${checkout.branch}:${tracking}`], { allowExitCodes: [128] });
    const head = await runGit(checkout.mirror, ['rev-parse', '--verify', '--quiet', `${tracking}^{commit}`], { allowExitCodes: [1] });
    return head.exitCode === 0 ? head.stdout.trim() : null;
  });
  if (remote === null || (await commitIdentity(checkout.dir, remote)) !== (await commitIdentity(checkout.dir, sha))) return null;
  // Same tree: the worktree's files and index stay as they are, only the branch moves to the remote's commit.
  await runGit(checkout.dir, ['reset', '--quiet', '--soft', remote]);
  checkout.remoteHead = remote;
  return remote;
}

/** The run's worktree goes once it ended; its branch is on the remote. */
export async function removeCheckout(checkout: RunCheckout): Promise<void> {
  await inTurn(checkout.mirror, async () => {
    await runGit(checkout.mirror, ['worktree', 'remove', '--force', checkout.dir], { allowExitCodes: [128] }).catch(() => {});
    fs.rmSync(checkout.dir, { recursive: true, force: true });
  });
}

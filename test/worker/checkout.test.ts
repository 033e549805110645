import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkoutRun, pushRun, removeCheckout, resolveRemoteRef } from '../../src/worker/checkout.js';
import { git, makeRepo, useHermeticGit } from '../support/gitFixture.js';
import { useTempDirs } from '../support/tempDir.js';

useHermeticGit();
const tempDir = useTempDirs();

function origin(): { bare: string; base: string } {
  const seed = makeRepo(tempDir(), { committed: { 'README.md': '# demo\n' } });
  const bare = path.join(tempDir(), 'origin.git');
  git(path.dirname(bare), 'clone', '-q', '--bare', seed, bare);
  return { bare, base: git(bare, 'rev-parse', 'main').trim() };
}

/** A commit on the run's worktree branch, as a phase makes one (with its trailers when it names the phase). */
function commitIn(dir: string, file: string, phase?: { runId: string; phaseId: string; when: string }): string {
  fs.writeFileSync(path.join(dir, file), `${file}\n`);
  git(dir, 'add', file);
  const message = phase === undefined ? ['-m', file] : ['-m', file, '-m', `Autopack-Run: ${phase.runId}\nAutopack-Phase: ${phase.phaseId}`];
  const env = phase === undefined ? [] : ['-c', `user.name=worker at ${phase.when}`];
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...env, 'commit', '-q', ...message], {
    cwd: dir,
    env: { ...process.env, ...(phase === undefined ? {} : { GIT_AUTHOR_DATE: phase.when, GIT_COMMITTER_DATE: phase.when }) },
  });
  return git(dir, 'rev-parse', 'HEAD').trim();
}

describe("a worker's checkouts of a repository", () => {
  it('resolves a ref on the remote, and refuses one that is not there, naming it', async () => {
    const { bare, base } = origin();
    expect(await resolveRemoteRef(bare, 'HEAD')).toBe(base);
    expect(await resolveRemoteRef(bare, 'main')).toBe(base);
    await expect(resolveRemoteRef(bare, 'nope')).rejects.toThrow(/--ref nope: no such branch, tag or ref in/);
  });

  it('many runs at once in one clone: each checks out, commits, pushes its branch and goes, none failing on a git lock', async () => {
    const { bare, base } = origin();
    const workdir = tempDir();
    const runs = Array.from({ length: 8 }, (_, i) => `run-20261202-1200${String(i).padStart(2, '0')}-abcdef`);
    await Promise.all(
      runs.map(async (runId) => {
        const checkout = await checkoutRun(workdir, bare, runId, base);
        expect(checkout.remoteHead).toBeNull();
        for (const n of [1, 2]) await pushRun(checkout, commitIn(checkout.dir, `${runId}-${n}.txt`));
        await removeCheckout(checkout);
      }),
    );
    for (const runId of runs) {
      expect(git(bare, 'log', '--format=%s', `${base}..autopack/${runId}`).trim().split('\n')).toEqual([`${runId}-2.txt`, `${runId}-1.txt`]);
    }
    expect(fs.readdirSync(path.join(workdir, 'runs'))).toEqual([]);
  });

  it('takes a run over from its pushed branch, and refuses to push over a branch that moved since', async () => {
    const { bare, base } = origin();
    const runId = 'run-20261202-120000-abcdef';
    const first = await checkoutRun(tempDir(), bare, runId, base);
    const pushed = commitIn(first.dir, 'one.txt');
    await pushRun(first, pushed);
    // Another worker takes over from the branch as pushed, and pushes on.
    const second = await checkoutRun(tempDir(), bare, runId, base);
    expect(second.remoteHead).toBe(pushed);
    expect(fs.readFileSync(path.join(second.dir, 'one.txt'), 'utf8')).toBe('one.txt\n');
    await pushRun(second, commitIn(second.dir, 'two.txt'));
    // The first, late, cannot overwrite it.
    await expect(pushRun(first, commitIn(first.dir, 'late.txt'))).rejects.toThrow(/git push of autopack\/run-20261202-120000-abcdef was refused/);
    expect(git(bare, 'log', '--format=%s', `${base}..autopack/${runId}`).trim().split('\n')).toEqual(['two.txt', 'one.txt']);
  });

  it("takes a late push of the same phase's commit (same parent, files and trailers) as its own, and refuses anything else", async () => {
    const { bare, base } = origin();
    const runId = 'run-20261202-120000-abcdef';
    const phase = (phaseId: string, when: string) => ({ runId, phaseId, when });
    const stale = await checkoutRun(tempDir(), bare, runId, base);
    const fresh = await checkoutRun(tempDir(), bare, runId, base);
    // The worker that lost the run pushes its commit of p1 late, before the new one pushes its own.
    const late = commitIn(stale.dir, 'p1.txt', phase('p1', '2026-12-02T12:00:00Z'));
    expect(await pushRun(stale, late)).toBe(late);
    const mine = commitIn(fresh.dir, 'p1.txt', phase('p1', '2026-12-02T12:05:00Z'));
    expect(mine).not.toBe(late);
    expect(await pushRun(fresh, mine)).toBe(late);
    expect(git(fresh.dir, 'rev-parse', 'HEAD').trim()).toBe(late);
    // It goes on from there; the branch has one commit for p1.
    const next = commitIn(fresh.dir, 'p2.txt', phase('p2', '2026-12-02T12:06:00Z'));
    expect(await pushRun(fresh, next)).toBe(next);
    expect(git(bare, 'log', '--format=%s', `${base}..autopack/${runId}`).trim().split('\n')).toEqual(['p2.txt', 'p1.txt']);
    // A late commit of another phase, or other files, is not adopted: the push is refused.
    const other = await checkoutRun(tempDir(), bare, runId, base);
    const stray = commitIn(stale.dir, 'stray.txt', phase('p3', '2026-12-02T12:07:00Z'));
    await expect(pushRun(stale, stray)).rejects.toThrow(/was refused/);
    const three = commitIn(other.dir, 'p3.txt', phase('p3', '2026-12-02T12:08:00Z'));
    expect(await pushRun(other, three)).toBe(three);
  });
});

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

/** A commit on the run's worktree branch, as a phase makes one. */
function commitIn(dir: string, file: string): string {
  fs.writeFileSync(path.join(dir, file), `${file}\n`);
  git(dir, 'add', file);
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', file);
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
});

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileChange } from '../../src/model/fileChange.js';
import { applyChangeSet, sha256 } from '../../src/workspace/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const LIMIT = 64 * 1024;
const BIG = 'x'.repeat(4 * LIMIT);

/**
 * Runs `body` while this process may write no file beyond `bytes` from the moment `limit()` is called:
 * a real RLIMIT_FSIZE, so a write past it fails with EFBIG, as on a full disk. SIGXFSZ is ignored meanwhile,
 * so the write fails instead of the process dying. The soft limit alone is changed, and put back after.
 */
async function withFileSizeLimit<T>(bytes: number, body: (limit: () => void) => Promise<T>): Promise<T> {
  const pid = String(process.pid);
  const before = execFileSync('prlimit', ['--pid', pid, '--fsize', '--output', 'SOFT', '--noheadings'], { encoding: 'utf8' }).trim();
  const ignore = (): void => {};
  process.on('SIGXFSZ', ignore);
  try {
    return await body(() => execFileSync('prlimit', ['--pid', pid, `--fsize=${bytes}:`]));
  } finally {
    execFileSync('prlimit', ['--pid', pid, `--fsize=${before}:`]);
    process.off('SIGXFSZ', ignore);
  }
}

/** util-linux's prlimit sets another process's limits; Node has no API for its own. */
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
if (!hasPrlimit) console.warn('undo-failure test skipped: no prlimit (util-linux) on this machine');

describe('applyChangeSet when undoing a failed apply fails too', () => {
  it.skipIf(!hasPrlimit)('throws a final ROLLBACK_FAILED naming the file and its pre-image, after undoing every other file', async () => {
    const root = tempDir();
    const repo = path.join(root, 'repo');
    const backupDir = path.join(root, 'backups', 'attempt-1');
    writeTree(repo, { 'top.txt': 'top old\n', 'big/data.txt': BIG, 'dir/inside.txt': 'in\n' });
    const changes: FileChange[] = [
      { path: 'top.txt', mode: 'modify', new_content: 'top new\n' },
      { path: 'big/data.txt', mode: 'modify', new_content: 'small now\n' },
      // A regular file cannot be renamed over a directory (EISDIR): the third rename fails, after two went in.
      { path: 'dir', mode: 'create', new_content: 'x\n' },
    ];

    // Pre-images are saved before onPrepared; from then on no file may grow past LIMIT, so the small new
    // contents go in but putting back big/data.txt's pre-image fails (EFBIG).
    const failure = await withFileSizeLimit(LIMIT, (limit) =>
      applyChangeSet({ repoRoot: repo, changes, backupDir, onPrepared: limit }).then(
        () => null,
        (error: unknown) => error,
      ),
    );

    expect(failure).toMatchObject({ code: 'ROLLBACK_FAILED', retryable: false });
    const message = (failure as Error).message;
    expect(message).toMatch(/^could not write dir: EISDIR.*; undoing the attempt then failed, so the repository is not as it was: /);
    expect(message).toContain(`big/data.txt could not be restored (EFBIG: file too large); its pre-image is ${path.join(backupDir, '1')}`);
    expect(message).toContain(`Put those files back by hand (manifest.json in ${backupDir} lists the attempt's files and their pre-images), then start a new run`);
    expect(message).not.toContain('top.txt');

    // The other file was put back regardless, nothing staged or partial is left, and the pre-image is whole.
    const tree = readTree(repo);
    expect(tree['top.txt']).toBe('top old\n');
    expect(tree['big/data.txt']).toBe('small now\n');
    expect(Object.keys(tree).filter((file) => file.includes('.autopack-'))).toEqual([]);
    expect(fs.readdirSync(repo).filter((name) => name.includes('.autopack-'))).toEqual([]);
    expect(sha256(fs.readFileSync(path.join(backupDir, '1')))).toBe(sha256(BIG));
  });

  it('puts back a file with a long name (230 characters) too: its restore copy is named like its staged copy', async () => {
    const root = tempDir();
    const repo = path.join(root, 'repo');
    const long = `${'n'.repeat(226)}.txt`;
    writeTree(repo, { [long]: 'old\n', 'dir/inside.txt': 'in\n' });
    const changes: FileChange[] = [
      { path: long, mode: 'modify', new_content: 'new\n' },
      { path: 'dir', mode: 'create', new_content: 'x\n' },
    ];
    await expect(applyChangeSet({ repoRoot: repo, changes, backupDir: path.join(root, 'backups', 'a') })).rejects.toMatchObject({
      code: 'APPLY_FAILED',
      message: expect.stringMatching(/the repository was left as it was$/),
    });
    expect(readTree(repo)).toEqual({ [long]: 'old\n', 'dir/inside.txt': 'in\n' });
  });
});

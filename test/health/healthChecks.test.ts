import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { checkDeliverables, runCommandCheck } from '../../src/health/index.js';
import { writeTree } from '../support/repoFixture.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** Running, as opposed to gone or a zombie (a killed orphan waits for a reaper that containers may lack). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('runCommandCheck (real processes)', () => {
  it('passes on exit 0', async () => {
    const result = await runCommandCheck({ name: 'ok', command: 'echo fine' }, { cwd: tempDir() });
    expect(result).toMatchObject({ name: 'ok', passed: true, exit_code: 0, timed_out: false, output_tail: 'fine\n' });
    expect(result.duration).toBeGreaterThan(0);
  });

  it('fails with the exit code and stderr in the output tail', async () => {
    const result = await runCommandCheck({ name: 'bad', command: 'echo out; echo "it broke" >&2; exit 3' }, { cwd: tempDir() });
    expect(result).toMatchObject({ passed: false, exit_code: 3, timed_out: false });
    expect(result.output_tail).toContain('it broke');
  });

  it('keeps only the tail of a large output', async () => {
    const result = await runCommandCheck({ name: 'loud', command: 'yes | head -c 1000000; echo THE-END' }, { cwd: tempDir(), outputTailBytes: 1000 });
    expect(result.passed).toBe(true);
    expect(result.output_tail.length).toBeLessThanOrEqual(1001);
    expect(result.output_tail.trimEnd().endsWith('THE-END')).toBe(true);
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const dir = tempDir();
    const pidFile = path.join(dir, 'pid');
    const result = await runCommandCheck({ name: 'slow', command: `sleep 30 & echo $! > ${pidFile}; wait`, timeoutMs: 300 }, { cwd: dir });
    expect(result).toMatchObject({ passed: false, timed_out: true, exit_code: null });
    expect(result.output_tail).toMatch(/timed out after 300 ms/);
    const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
    for (let i = 0; i < 50 && alive(grandchild); i += 1) await sleep(20);
    expect(alive(grandchild)).toBe(false);
  });

  it('passes on exit 0 without waiting for a background child that holds its output, and ends that child', async () => {
    const started = performance.now();
    const result = await runCommandCheck({ name: 'server', command: 'sleep 6 & echo $!; echo started; exit 0', timeoutMs: 3_000 }, { cwd: tempDir() });
    expect(result).toMatchObject({ passed: true, exit_code: 0, timed_out: false });
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(result.output_tail).toContain('started');
    const background = Number(result.output_tail.split('\n')[0]);
    for (let i = 0; i < 50 && alive(background); i += 1) await sleep(20);
    expect(alive(background)).toBe(false);
  });

  it('fails with the exit code, not a timeout, when the shell exits nonzero leaving a background child', async () => {
    const result = await runCommandCheck({ name: 'server', command: 'sleep 6 & echo $!; echo "port in use" >&2; exit 4', timeoutMs: 3_000 }, { cwd: tempDir() });
    expect(result).toMatchObject({ passed: false, exit_code: 4, timed_out: false });
    expect(result.output_tail).toContain('port in use');
    const background = Number(result.output_tail.split('\n')[0]);
    for (let i = 0; i < 50 && alive(background); i += 1) await sleep(20);
    expect(alive(background)).toBe(false);
  });

  it('does not wait for a background child that ignores SIGTERM, and kills it after the grace', async () => {
    const started = performance.now();
    const result = await runCommandCheck({ name: 'stubborn', command: "(trap '' TERM; exec sleep 8) & echo $!; echo started", timeoutMs: 5_000 }, { cwd: tempDir() });
    expect(result).toMatchObject({ passed: true, exit_code: 0, timed_out: false });
    // Resolved before the SIGKILL that follows the grace: nothing waited on the orphan's pipes.
    expect(performance.now() - started).toBeLessThan(1_900);
    const background = Number(result.output_tail.split('\n')[0]);
    for (let i = 0; i < 200 && alive(background); i += 1) await sleep(25);
    expect(alive(background)).toBe(false);
  });

  it('is cancelled by its signal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(runCommandCheck({ name: 'slow', command: 'sleep 30' }, { cwd: tempDir(), signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('runs in the given directory', async () => {
    const dir = tempDir();
    writeTree(dir, { 'marker.txt': 'here' });
    const result = await runCommandCheck({ name: 'cwd', command: 'cat marker.txt' }, { cwd: dir });
    expect(result.output_tail).toBe('here');
  });
});

describe('checkDeliverables', () => {
  it('passes when every deliverable exists as a file', () => {
    const dir = tempDir();
    writeTree(dir, { 'src/a.ts': 'a', 'b.md': 'b' });
    expect(checkDeliverables({ repoRoot: dir, deliverables: ['src/a.ts', 'b.md'], writtenPaths: [] })).toMatchObject({ name: 'deliverables', passed: true, output_tail: '' });
  });

  it('names each missing deliverable and a same-named file written elsewhere', () => {
    const dir = tempDir();
    writeTree(dir, { 'auth/login.ts': 'x' });
    fs.mkdirSync(path.join(dir, 'src/dir.ts'), { recursive: true });
    const result = checkDeliverables({ repoRoot: dir, deliverables: ['src/auth/login.ts', 'src/dir.ts'], writtenPaths: ['auth/login.ts'] });
    expect(result.passed).toBe(false);
    expect(result.output_tail.split('\n')).toEqual([
      'missing deliverable src/auth/login.ts (a file with that name was written at auth/login.ts; write it at the exact path)',
      'missing deliverable src/dir.ts',
    ]);
  });
});

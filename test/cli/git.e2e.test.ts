import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINAL_TREE, crashScript, writeScenario } from '../support/crashScenario.js';
import { readTree } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

function scenario(options: { git?: boolean } = {}) {
  const dir = tempDir('autopack-git-');
  const { repo, plan } = writeScenario(dir, options);
  const script = path.join(dir, 'script.json');
  fs.writeFileSync(script, JSON.stringify(crashScript()));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  return { repo, plan, model: ['--llm', `scripted:${script}`], git };
}

const runIdOf = (stdout: string) => (JSON.parse(stdout) as { run_id: string }).run_id;

describe('autopack and git (child processes, real repositories)', () => {
  it('refuses a dirty deliverable with exit 2 and writes nothing; then commits each phase, and undo takes the run back once', async () => {
    const { repo, plan, model, git } = scenario();
    fs.writeFileSync(path.join(repo, 'README.md'), '# demo, my edit\n');
    const refused = await runCli(['run', plan, '--repo', repo, ...model]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('phase write-a: README.md');
    expect(refused.stderr).toContain('Nothing was written and no model was called');
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);

    git('checkout', '--', 'README.md');
    const run = await runCli(['run', plan, '--repo', repo, ...model, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const runId = runIdOf(run.stdout);
    expect(git('log', '--format=%s', '-4').trim().split('\n')).toEqual([
      'extend-c: c extended, d added',
      'write-c: c in lib',
      'write-b: b, and old.txt gone',
      'write-a: a and README',
    ]);
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
    const status = await runCli(['status', runId, '--repo', repo]);
    expect(status.stdout).toMatch(new RegExp(`succeeded write-a \\[${git('rev-parse', '--short=12', 'HEAD~3').trim()}\\]`));

    const undo = await runCli(['undo', runId, '--repo', repo]);
    expect(undo.code, undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/^undid write-a, write-b, write-c, extend-c of run .* in commit [0-9a-f]{12}: README.md, a.txt, b.txt, d.txt, lib\/c.txt, old.txt as before the run$/m);
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n', 'old.txt': 'old\n', 'src/keep.txt': 'keep\n' });
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
    const again = await runCli(['undo', runId, '--repo', repo]);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`nothing to undo: run ${runId} has been undone already\n`);
    const log = await runCli(['log', runId, '--repo', repo]);
    expect(log.stdout).toMatch(/run\.undone .*undone: write-a, write-b, write-c, extend-c put back as before the run/);
  });

  it('--worktree leaves a dirty checkout untouched, names the branch, and a resume recreates a removed worktree', async () => {
    const { repo, plan, model, git } = scenario();
    fs.writeFileSync(path.join(repo, 'README.md'), '# demo, my edit\n');
    git('add', 'README.md');
    fs.writeFileSync(path.join(repo, 'old.txt'), 'old, my edit\n');
    const head = git('rev-parse', 'HEAD').trim();
    const before = { status: git('status', '--porcelain', '--untracked-files=all'), tree: readTree(repo) };

    // Killed after phase 2's commit is logged; the worktree is then lost, as after a reboot that cleared it.
    const crashed = await runCli(['run', plan, '--repo', repo, ...model, '--worktree'], { env: { AUTOPACK_CRASH_AT: 'commit:2' } });
    expect(crashed.signal).toBe('SIGKILL');
    expect(crashed.stderr).toMatch(/working in .*\.autonomous_runs\/worktrees\/run-[^ ]+ on branch autopack\/run-/);
    const worktrees = path.join(repo, '.autonomous_runs', 'worktrees');
    const [runId] = fs.readdirSync(worktrees);
    fs.rmSync(path.join(worktrees, runId as string), { recursive: true, force: true });

    const resumed = await runCli(['resume', runId as string, '--repo', repo]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Branch: autopack/${runId} holds the run's commits`);
    const branch = `autopack/${runId}`;
    expect(git('log', '--format=%(trailers:key=Autopack-Phase,valueonly,separator=)', `${head}..${branch}`).split('\n').filter((l) => l !== '').reverse()).toEqual([
      'write-a',
      'write-b',
      'write-c',
      'extend-c',
    ]);
    expect(git('show', `${branch}:lib/c.txt`)).toBe(FINAL_TREE['lib/c.txt']);
    // The user's checkout: same HEAD, same index, same files.
    expect(git('rev-parse', 'HEAD').trim()).toBe(head);
    expect({ status: git('status', '--porcelain', '--untracked-files=all'), tree: readTree(repo) }).toEqual(before);
    expect(fs.existsSync(path.join(worktrees, runId as string))).toBe(false);
    const status = await runCli(['status', runId as string, '--repo', repo]);
    expect(status.stdout).toContain(`branch: ${branch}`);
  });

  it('a resume guards files the user changed while the run was stopped, and does not take the run\'s own for theirs', async () => {
    const { repo, plan, model, git } = scenario();
    // Killed after phase 1's commit moved HEAD, before the index caught up: the run's own files look changed.
    const crashed = await runCli(['run', plan, '--repo', repo, ...model], { env: { AUTOPACK_CRASH_AT: 'commit:1' } });
    expect(crashed.signal).toBe('SIGKILL');
    // Meanwhile the user starts on b.txt, phase 2's deliverable.
    fs.writeFileSync(path.join(repo, 'b.txt'), 'my own b\n');
    const refused = await runCli(['resume', '--last', '--repo', repo]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('phase write-b: b.txt');
    expect(refused.stderr).toContain('changed while run');
    expect(fs.readFileSync(path.join(repo, 'b.txt'), 'utf8')).toBe('my own b\n');

    fs.rmSync(path.join(repo, 'b.txt'));
    const resumed = await runCli(['resume', '--last', '--repo', repo]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(git('log', '--format=%s', '-4').trim().split('\n').at(-1)).toBe('write-a: a and README');
    expect(git('status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('outside a git repository says once that no commits are made', async () => {
    const { repo, plan, model } = scenario({ git: false });
    const run = await runCli(['run', plan, '--repo', repo, ...model]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/is not a git repository: no commits are made/g)).toHaveLength(1);
    expect(readTree(repo)).toEqual(FINAL_TREE);
  });
});

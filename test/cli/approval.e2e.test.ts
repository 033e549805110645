import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { answer, scriptedScratch } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const plan = (gate: string) => `phases:
  - id: greet
    description: Greet the world in greet.txt.
    category: feature
    complexity: low
    acceptance_criteria: [greet.txt greets the world]
    deliverables: [greet.txt]
${gate}`;
const greet = (text: string) => ({ content: answer(`greet ${text}`, [{ path: 'greet.txt', mode: 'modify', new_content: `${text}\n` }]) });
const initial = { 'README.md': '# demo\n', 'greet.txt': 'hello\n' };

const runIdOf = (stdout: string): string => /Run (run-\S+)/.exec(stdout)?.[1] ?? '';
const eventsOf = (stdout: string): { type: string; data: Record<string, unknown> }[] =>
  stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; data: Record<string, unknown> });

describe('autopack approval gates (child processes, real SQLite log)', () => {
  it('run --no-wait exits 5 at the gate; reject feeds the model; resume --no-wait exits 5 again; approve and resume finish with 0', async () => {
    const { repo, plan: planFile, llm } = scriptedScratch(tempDir(), { initial, plan: plan(''), script: [greet('hi'), greet('hello, world')] });
    const first = await runCli(['run', planFile, '--repo', repo, ...llm, '--approve', '--no-wait']);
    expect(first.code, first.stderr).toBe(5);
    const runId = runIdOf(first.stdout);
    expect(first.stdout).toContain(`Run ${runId} awaiting_approval`);
    expect(first.stdout).toContain(`approve ${runId}`);
    // The proposal, as a unified diff, before anything is written.
    expect(first.stderr).toContain('--- a/greet.txt\n+++ b/greet.txt\n@@ -1,1 +1,1 @@\n-hello\n+hi');
    expect(fs.readFileSync(path.join(repo, 'greet.txt'), 'utf8')).toBe('hello\n');

    // Following a run stopped at its gate ends at once, saying how to go on.
    const follow = await runCli(['log', runId, '--repo', repo, '--follow', '--diff']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toContain('-hello\n+hi');
    expect(follow.stderr).toContain(`${runId} stopped at an approval gate; decide with:`);
    const runs = await runCli(['runs', '--repo', repo]);
    expect(runs.stdout).toMatch(new RegExp(`${runId}\\s+awaiting_approval`));
    const status = await runCli(['status', runId, '--repo', repo]);
    expect(status.stdout).toContain('waiting for approval of attempt 1: greet.txt (modified)');

    const bare = await runCli(['reject', runId, '--repo', repo]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("required option '--feedback <text>' not specified");
    const wrongPhase = await runCli(['approve', runId, '--repo', repo, '--phase', 'other']);
    expect(wrongPhase.code).toBe(2);
    expect(wrongPhase.stderr).toContain('has no phase "other"');

    const rejected = await runCli(['reject', runId, '--repo', repo, '--feedback', 'say hello to the world', '--by', 'ana']);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`rejected phase greet (attempt 1) of run ${runId}, as ana; continue the run with:`);
    // The decision's stream is not a run.
    const listed = await runCli(['runs', '--repo', repo, '--json']);
    expect((JSON.parse(listed.stdout) as { run_id: string }[]).map((r) => r.run_id)).toEqual([runId]);
    const decided = await runCli(['status', runId, '--repo', repo]);
    expect(decided.stdout).toContain(`rejected (say hello to the world) by ana;`);

    const second = await runCli(['resume', runId, '--repo', repo, '--no-wait']);
    expect(second.code, second.stderr).toBe(5);
    const afterReject = eventsOf((await runCli(['log', runId, '--repo', repo, '--json'])).stdout);
    const prompts = afterReject.filter((e) => e.type === 'llm.completed').map((e) => JSON.stringify(e.data));
    expect(prompts).toHaveLength(2);
    expect(prompts[0]).not.toContain('say hello to the world');
    expect(prompts[1]).toContain('a reviewer (ana) rejected these changes: say hello to the world');
    expect(fs.readFileSync(path.join(repo, 'greet.txt'), 'utf8')).toBe('hello\n');

    const approved = await runCli(['approve', runId, '--repo', repo]);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approved phase greet (attempt 2) of run ${runId}`);
    const last = await runCli(['resume', runId, '--repo', repo, '--no-wait']);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toContain(`Run ${runId} succeeded`);
    expect(fs.readFileSync(path.join(repo, 'greet.txt'), 'utf8')).toBe('hello, world\n');

    const events = eventsOf((await runCli(['log', runId, '--repo', repo, '--json'])).stdout);
    expect(events.filter((e) => e.type === 'llm.completed')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'approval.requested').map((e) => e.data['attempt'])).toEqual([1, 2]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.rejected', 'approval.granted']));
    const verify = await runCli(['replay', runId, '--repo', repo, '--verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });

  it('refuses to decide a run that is not waiting (exit 2, saying where it is), and a second decision', async () => {
    const { repo, plan: planFile, llm } = scriptedScratch(tempDir(), { initial, plan: plan(''), script: [greet('hi')] });
    const run = await runCli(['run', planFile, '--repo', repo, ...llm]);
    expect(run.code, run.stderr).toBe(0);
    const runId = runIdOf(run.stdout);
    const approve = await runCli(['approve', runId, '--repo', repo]);
    expect(approve.code).toBe(2);
    expect(approve.stderr).toContain(`run ${runId} is not awaiting approval (it is succeeded); nothing was decided`);
    const missing = await runCli(['approve', 'run-20260101-000000-abcdef', '--repo', repo]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no run "run-20260101-000000-abcdef"');

    const gated = scriptedScratch(tempDir(), { initial, plan: plan('    approval: true\n'), script: [greet('hi')] });
    const waiting = await runCli(['run', gated.plan, '--repo', gated.repo, ...gated.llm, '--no-wait']);
    expect(waiting.code, waiting.stderr).toBe(5);
    const waitingId = runIdOf(waiting.stdout);
    expect((await runCli(['approve', waitingId, '--repo', gated.repo, '--by', 'ana'])).code).toBe(0);
    const twice = await runCli(['reject', waitingId, '--repo', gated.repo, '--feedback', 'no']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/was approved already, by ana at/);
  });

  it('a run killed while it waits at the gate keeps its proposal: approve, then resume applies it without asking the model again', async () => {
    const { repo, plan: planFile, llm } = scriptedScratch(tempDir(), { initial, plan: plan('    approval: true\n'), script: [greet('hi')] });
    const killed = await runCli(['run', planFile, '--repo', repo, ...llm], {
      onStderr: (stderr, child) => {
        if (stderr.includes('waiting for a decision')) child.kill('SIGKILL');
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const runId = /run (run-\S+) started/.exec(killed.stderr)?.[1] ?? '';
    expect(fs.readFileSync(path.join(repo, 'greet.txt'), 'utf8')).toBe('hello\n');

    // Resumed with no decision yet: it stops at the same gate, and does not log the request again.
    const stillWaiting = await runCli(['resume', runId, '--repo', repo, '--no-wait']);
    expect(stillWaiting.code, stillWaiting.stderr).toBe(5);
    const approve = await runCli(['approve', runId, '--repo', repo]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain('continue the run with:');
    // The script has one answer: a second model call would fail the run.
    const resumed = await runCli(['resume', runId, '--repo', repo]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(fs.readFileSync(path.join(repo, 'greet.txt'), 'utf8')).toBe('hi\n');
    const events = eventsOf((await runCli(['log', runId, '--repo', repo, '--json'])).stdout);
    expect(events.filter((e) => e.type === 'llm.completed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'approval.requested')).toHaveLength(1);
  });
});

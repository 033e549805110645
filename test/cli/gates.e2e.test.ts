import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema } from '../../src/index.js';
import { answer, scriptedScratch } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const PLAN = `health_checks:
  - name: marker present
    command: test -f marker
phases:
  - id: write-a
    description: Create a.txt.
    category: feature
    complexity: low
    acceptance_criteria: [a.txt exists]
    deliverables: [a.txt]
`;
const writeA = { content: answer('add a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]) };
const escape = { content: answer('escape', [{ path: '../outside.txt', mode: 'create', new_content: 'x' }]) };

describe('autopack run: the baseline and stuck phases (child process)', () => {
  it('ignores a check that failed before the run, says so in the summary and in status; --no-baseline does not', async () => {
    const { repo, plan, llm } = scriptedScratch(tempDir(), { initial: { 'README.md': '# demo\n' }, plan: PLAN, script: [writeA] });
    const run = await runCli(['run', plan, '--repo', repo, ...llm]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('baseline: "marker present" already fails before the run; ignored in every phase');
    expect(run.stdout).toContain('pre-existing failure, ignored: marker present');
    const runId = /Run (run-\S+)/.exec(run.stdout)?.[1] ?? '';
    const status = await runCli(['status', runId, '--repo', repo]);
    expect(status.stdout).toContain('baseline: "marker present" failed before the run: pre-existing, ignored in every phase');
    const json = await runCli(['status', runId, '--repo', repo, '--json']);
    expect(JSON.parse(json.stdout).result.baseline).toMatchObject({ pre_existing: ['marker present'] });

    const strict = scriptedScratch(tempDir(), { initial: { 'README.md': '# demo\n' }, plan: PLAN, script: [writeA] });
    const failed = await runCli(['run', strict.plan, '--repo', strict.repo, ...strict.llm, '--no-baseline', '--max-retries', '0', '--json']);
    expect(failed.code).toBe(1);
    const result = OrchestrationResultSchema.parse(JSON.parse(failed.stdout));
    expect(result.baseline).toBeNull();
    expect(result.phase_results[0]?.errors.join('\n')).toContain('health check "marker present" exited with code 1');
  });

  it("takes the run's settings from the plan (baseline, stuck_after, edit_format, answer_format), and a flag overrides them", async () => {
    const settings = 'baseline: false\nstuck_after: 3\nedit_format: whole\nanswer_format: markdown\n';
    const { repo, plan, llm } = scriptedScratch(tempDir(), { initial: { 'README.md': '# demo\n' }, plan: settings + PLAN, script: [writeA] });
    const failed = await runCli(['run', plan, '--repo', repo, ...llm, '--max-retries', '0']);
    expect(failed.code).toBe(1);
    const runId = /Run (run-\S+)/.exec(failed.stdout)?.[1] ?? '';
    const log = await runCli(['log', runId, '--repo', repo, '--json']);
    const options = JSON.parse(log.stdout.split('\n')[0] ?? '{}').data.options;
    expect(options).toMatchObject({ baseline: false, stuckAfter: 3, llm: { editFormat: 'whole', answerFormat: 'markdown' } });

    const overridden = scriptedScratch(tempDir(), { initial: { 'README.md': '# demo\n' }, plan: settings + PLAN, script: [writeA] });
    const run = await runCli(['run', overridden.plan, '--repo', overridden.repo, ...overridden.llm, '--stuck-after', '0', '--edit-format', 'edits', '--answer-format', 'json']);
    const otherId = /Run (run-\S+)/.exec(run.stdout)?.[1] ?? '';
    const otherLog = await runCli(['log', otherId, '--repo', overridden.repo, '--json']);
    expect(JSON.parse(otherLog.stdout.split('\n')[0] ?? '{}').data.options).toMatchObject({ baseline: false, stuckAfter: 0, llm: { editFormat: 'edits', answerFormat: 'json' } });

    const bad = scriptedScratch(tempDir(), { initial: {}, plan: 'stuck_after: 1\n' + PLAN, script: [] });
    const refused = await runCli(['run', bad.plan, '--repo', bad.repo, ...bad.llm]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/plan\.yaml: stuck_after: must be 0 \(off\) or at least 2/);
  });

  it('stops a phase whose attempts fail alike (exit 1, STUCK said), records --stuck-after, and refuses 1', async () => {
    const { repo, plan, llm } = scriptedScratch(tempDir(), { initial: { 'README.md': '# demo\n' }, plan: 'phases:' + PLAN.split('phases:')[1], script: [escape, escape, escape, writeA] });
    const run = await runCli(['run', plan, '--repo', repo, ...llm, '--max-retries', '3', '--stuck-after', '3']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/attempt 3: stuck: attempts 1, 2 and 3 failed the same way \(CHANGES_INVALID: .*\); stopped with 1 retry left/);
    const runId = /Run (run-\S+)/.exec(run.stdout)?.[1] ?? '';
    const log = await runCli(['log', runId, '--repo', repo, '--json']);
    expect(JSON.parse(log.stdout.split('\n')[0] ?? '{}').data.options).toMatchObject({ stuckAfter: 3, baseline: true });

    const one = await runCli(['run', plan, '--repo', repo, ...llm, '--stuck-after', '1']);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--stuck-after: must be 0 (off) or at least 2');
  });
});

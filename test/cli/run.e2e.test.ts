import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema, createSqliteEventStore, foldRunState, toOrchestrationResult } from '../../src/index.js';
import { readTree } from '../support/repoFixture.js';
import { projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const example = path.join(projectRoot, 'examples', 'greeter');

function scratchExample(): { repo: string; plan: string; recording: string } {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  fs.cpSync(path.join(example, 'repo'), repo, { recursive: true });
  // The plan and answers are copied too, so the test cannot depend on anything outside its temp dir.
  fs.copyFileSync(path.join(example, 'plan.yaml'), path.join(root, 'plan.yaml'));
  fs.copyFileSync(path.join(example, 'recording.jsonl'), path.join(root, 'recording.jsonl'));
  return { repo, plan: path.join(root, 'plan.yaml'), recording: path.join(root, 'recording.jsonl') };
}

describe('autopack run (child process, examples/greeter)', () => {
  it('runs the example plan end to end: retry after a rejected answer, files written, health check passed', async () => {
    const { repo, plan, recording } = scratchExample();
    const run = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`, '--json']);
    expect(run.stderr).toContain('[1/2] add-greet');
    expect(run.stderr).toMatch(/attempt 1 failed \[CHANGES_INVALID\]: .*rest of the code unchanged/);
    expect(run.code).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(run.stdout));
    expect(result).toMatchObject({ total_phases: 2, successful_phases: 2, failed_phases: 0 });
    expect(result.phase_results.map((p) => p.retry_count)).toEqual([1, 0]);
    expect(result.health_check_results[0]?.checks.map((c) => `${c.name}:${c.passed}`)).toEqual(['deliverables:true', 'greet works:true']);

    const tree = readTree(repo);
    expect(tree['src/greet.js']).toContain('export function greet(name = defaultName)');
    expect(tree['README.md']).toContain("greet('Ada')");

    const store = createSqliteEventStore(path.join(repo, '.autonomous_runs', 'autopack.db'), { readonly: true });
    expect(toOrchestrationResult(foldRunState((await store.read(result.run_id))))).toEqual(result);
    store.close();

    const status = await runCli(['status', result.run_id, '--repo', repo]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/succeeded\s+2\/2 ok/);
    const log = await runCli(['log', result.run_id, '--repo', repo]);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/phase-0\s+changes\.rejected\s+validating → retrying/);
    // The log reads in the order things happened: a phase ends, the orchestrator notes it, the next one starts.
    const boundaries = log.stdout
      .split('\n')
      .map((line) => /^\s*\d+ \S+ (\S+)\s+(run\.begun|phase\.started|phase\.committed|phase\.finished) /.exec(line))
      .flatMap((match) => (match === null ? [] : [`${match[1]} ${match[2]}`]));
    expect(boundaries).toEqual([
      'orchestrator run.begun',
      'phase-0 phase.started',
      'phase-0 phase.committed',
      'orchestrator phase.finished',
      'phase-1 phase.started',
      'phase-1 phase.committed',
      'orchestrator phase.finished',
    ]);
  });

  it('exits 1 when a phase fails, with a readable summary', async () => {
    const { repo, plan } = scratchExample();
    const answers = path.join(path.dirname(plan), 'bad.json');
    fs.writeFileSync(answers, JSON.stringify([{ content: 'no json here' }]));
    const run = await runCli(['run', plan, '--repo', repo, '--llm', `scripted:${answers}`, '--max-retries', '0']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/0\/2 phase\(s\) succeeded, 1 failed/);
    expect(run.stdout).toContain('✗ add-greet');
    expect(run.stdout).toContain('1 phase(s) not run');
  });

  it('exits 2 on an invalid plan, naming file, phase and field, and writes nothing', async () => {
    const { repo, recording } = scratchExample();
    const plan = path.join(path.dirname(repo), 'broken.yaml');
    fs.writeFileSync(plan, 'phases:\n  - description: x\n    category: feature\n    complexity: huge\n    acceptance_criteria: []\n    deliverables: ["/etc/passwd"]\n');
    const before = readTree(repo, []);
    const run = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${plan}: phases[0].complexity`);
    expect(run.stderr).toContain(`${plan}: phases[0].deliverables[0]: "/etc/passwd": absolute path; use a path relative to the repository root`);
    expect(readTree(repo, [])).toEqual(before);
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
  });

  it('refuses plan paths that leave the repository when the plan is loaded, before the model configuration (run and submit)', async () => {
    const { repo } = scratchExample();
    const plan = path.join(path.dirname(repo), 'escape.yaml');
    fs.writeFileSync(
      plan,
      'phases:\n  - id: setup\n    description: x\n    category: feature\n    complexity: low\n    acceptance_criteria: []\n' +
        '    deliverables: [src/greet.js, ../etc/passwd]\n    context_files: [src/../../outside.js]\n    protected_paths: ["C:/secrets"]\n',
    );
    const leaves = 'path leaves the repository; use a path relative to the repository root';
    const expected = [
      `${plan}: phases[0] (id "setup").deliverables[1]: "../etc/passwd": ${leaves}`,
      `${plan}: phases[0] (id "setup").context_files[0]: "src/../../outside.js": ${leaves}`,
      `${plan}: phases[0] (id "setup").protected_paths[0]: "C:/secrets": absolute path; use a path relative to the repository root`,
    ];
    // No model is configured: the plan's problem is what the user hears of, not the missing model.
    const run = await runCli(['run', plan, '--repo', repo]);
    expect(run.code).toBe(2);
    for (const line of expected) expect(run.stderr).toContain(line);
    expect(run.stderr).not.toContain('no model configured');
    expect(fs.existsSync(path.join(repo, '.autonomous_runs'))).toBe(false);
    // submit checks the plan before it resolves the ref or connects to the queue (nothing listens on port 1).
    const submit = await runCli(['submit', plan, '--repo', repo, '--db', 'postgres://nobody@127.0.0.1:1/none']);
    expect(submit.code).toBe(2);
    for (const line of expected) expect(submit.stderr).toContain(line);
  });

  it('exits 2 with a clear message for bad flags, a missing LLM, an unknown run, and a missing log', async () => {
    const { repo, plan, recording } = scratchExample();
    const badRetries = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`, '--max-retries', 'lots']);
    expect(badRetries.code).toBe(2);
    expect(badRetries.stderr).toContain('--max-retries');
    const badFormat = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`, '--edit-format', 'diff']);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--edit-format: expected one of whole, edits, auto');
    const badAnswer = await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`, '--answer-format', 'yaml']);
    expect(badAnswer.code).toBe(2);
    expect(badAnswer.stderr).toContain('--answer-format: expected one of json, markdown');
    const noLlm = await runCli(['run', plan, '--repo', repo]);
    expect(noLlm.code).toBe(2);
    expect(noLlm.stderr).toContain('no model configured: set OPENAI_API_KEY, or pass --base-url');
    const noLog = await runCli(['status', '--repo', repo]);
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain('no event log at');
    await runCli(['run', plan, '--repo', repo, '--llm', `replay:${recording}`]);
    const unknown = await runCli(['log', 'run-nope', '--repo', repo]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no run "run-nope"/);
  });

  it('explains itself with --help', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--continue-on-failure');
    expect(help.stdout).toContain('Exit codes');
  });

  it('lets commander wrap the help: no sentence broken by hand, wide when COLUMNS is wide, narrow when it is narrow', async () => {
    const wide = await runCli(['--help'], { env: { COLUMNS: '200' } });
    expect(wide.code).toBe(0);
    expect(wide.stdout).toContain('autopack validates, applies, health-checks and retries them, and logs every step to SQLite so a run can be inspected and resumed.');
    const undoWide = await runCli(['undo', '--help'], { env: { COLUMNS: '200' } });
    expect(undoWide.stdout).toContain('Refused (exit 2) when those files have uncommitted changes');
    // The text after the options is wrapped too: commander prints addHelpText as given.
    for (const command of ['run', 'undo', 'resume', 'submit', 'worker']) {
      const narrow = await runCli([command, '--help'], { env: { COLUMNS: '72' } });
      expect(narrow.code).toBe(0);
      expect(narrow.stdout.split('\n').filter((line) => line.length > 72)).toEqual([]);
    }
  });
});

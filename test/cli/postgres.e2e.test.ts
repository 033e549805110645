import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema, createPostgresEventStore, foldRunState, toOrchestrationResult } from '../../src/index.js';
import { readTree, writeTree } from '../support/repoFixture.js';
import { useTestDatabase } from '../support/postgresSchema.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
const PLAN = `phases:
  - id: write-a
    description: Create a.txt.
    category: feature
    complexity: low
    acceptance_criteria: [a.txt exists]
    deliverables: [a.txt]
  - id: write-b
    description: Create b.txt.
    category: feature
    complexity: low
    acceptance_criteria: [b.txt exists]
    deliverables: [b.txt]
`;

/** The first answer is refused (a protected path), so phase one retries once. */
const SCRIPT = [
  { response: { summary: 'bad', files: [{ path: '.git/config', mode: 'create', new_content: 'x\n' }] } },
  { response: { summary: 'a', files: [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }] } },
  { response: { summary: 'b', files: [{ path: 'b.txt', mode: 'create', new_content: 'B\n' }] } },
];

function scratch(): { repo: string; plan: string; llm: string[] } {
  const root = tempDir();
  const repo = path.join(root, 'repo');
  writeTree(repo, { 'README.md': '# demo\n' });
  fs.writeFileSync(path.join(root, 'plan.yaml'), PLAN);
  fs.writeFileSync(path.join(root, 'answers.json'), JSON.stringify(SCRIPT));
  return { repo, plan: path.join(root, 'plan.yaml'), llm: ['--llm', `scripted:${path.join(root, 'answers.json')}`] };
}

describe('the CLI on a PostgreSQL log (--db postgres://…, AUTOPACK_DB)', () => {
  it('runs, resumes after a kill, and reads the run back with status, log, replay --verify and state; no SQLite file is made', async () => {
    const db = await useTestDatabase();
    const { repo, plan, llm } = scratch();

    // Killed right after its 12th event is committed, mid-run.
    const killed = await runCli(['run', plan, '--repo', repo, '--db', db, ...llm, '--json'], { env: { AUTOPACK_CRASH_AT: 'event:12' } });
    expect(killed.signal, `${killed.code} ${killed.stderr}`).toBe('SIGKILL');
    const resumed = await runCli(['resume', '--last', '--repo', repo, ...llm, '--json'], { env: { AUTOPACK_DB: db } });
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(resumed.stdout));
    expect(result).toMatchObject({ status: 'succeeded', successful_phases: 2, failed_phases: 0 });
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n', 'a.txt': 'A\n', 'b.txt': 'B\n' });
    expect(fs.existsSync(path.join(repo, '.autonomous_runs', 'autopack.db'))).toBe(false);

    const store = await createPostgresEventStore(db);
    const events = await store.read(result.run_id);
    await store.close();
    expect(toOrchestrationResult(foldRunState(events))).toEqual(result);
    expect(events.filter((e) => e.type === 'run.resumed')).toHaveLength(1);

    const status = await runCli(['status', result.run_id, '--db', db]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/succeeded\s+2\/2 ok/);
    const log = await runCli(['log', result.run_id], { env: { AUTOPACK_DB: db } });
    expect(log.stdout).toMatch(/phase-0\s+changes\.rejected\s+validating → retrying/);
    const replay = await runCli(['replay', result.run_id, '--verify', '--db', db]);
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.stdout).toMatch(/verified: the machines reproduce the log's \d+ transitions/);
    const state = await runCli(['state', result.run_id, '--at', '12', '--db', db, '--json']);
    expect(state.code, state.stderr).toBe(0);
  }, 90_000);

  it('names the database without its password when it cannot be reached', async () => {
    const { repo, plan, llm } = scratch();
    const run = await runCli(['run', plan, '--repo', repo, '--db', 'postgres://someone:s3cret@127.0.0.1:1/nowhere', ...llm]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('postgres://someone:***@127.0.0.1:1/nowhere');
    expect(run.stderr).not.toContain('s3cret');
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n' });
  }, 30_000);
});

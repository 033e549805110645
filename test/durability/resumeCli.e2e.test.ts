import type { ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { crashModel, writeScenario } from '../support/crashScenario.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { readTree } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function lastRunId(repo: string): Promise<string> {
  const runs = await runCli(['runs', '--repo', repo, '--json']);
  const list = JSON.parse(runs.stdout) as { run_id: string }[];
  return list.at(-1)?.run_id ?? '';
}

describe('resume, replay, state, runs and log --follow (child processes)', () => {
  it('refuses a second driver naming the holder, and takes over the lease of a killed one', async () => {
    // The first request hangs, so the first process is busy with the run when the second tries it.
    server = await startFakeOpenAI((request, index) => ({ ...crashModel(request), ...(index === 0 ? { delayMs: 60_000 } : {}) }));
    const { repo, plan } = writeScenario(tempDir());
    let first: ChildProcess | undefined;
    const firstRun = runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL], {
      onStderr: (_text, child) => {
        first = child;
      },
    });
    await expect.poll(() => server?.requests.length, { timeout: 10_000 }).toBe(1);
    const runId = await lastRunId(repo);

    const second = await runCli(['resume', runId, '--repo', repo]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`run ${runId} is being driven by process ${first?.pid} on ${os.hostname()} since`);

    first?.kill('SIGKILL');
    await firstRun;
    const takeover = await runCli(['resume', runId, '--repo', repo]);
    expect(takeover.code, takeover.stderr).toBe(0);
    expect(takeover.stdout).toMatch(/succeeded: 4\/4/);
  });

  it('follows a live run, replays and verifies it, and travels back to any event', async () => {
    server = await startFakeOpenAI((request, index) => ({ ...crashModel(request), ...(index === 0 ? { delayMs: 1_500 } : {}) }));
    const { repo, plan } = writeScenario(tempDir());
    const running = runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL]);
    await expect.poll(() => server?.requests.length, { timeout: 10_000 }).toBe(1);
    const runId = await lastRunId(repo);
    const follow = await runCli(['log', runId, '--repo', repo, '--follow']);
    expect((await running).code).toBe(0);
    expect(follow.code).toBe(0);
    const followed = follow.stdout.trim().split('\n');
    expect(followed.at(-1)).toMatch(/phase\.finished\s+running_phase → completed/);
    expect(followed.length).toBeGreaterThan(20);

    const replay = await runCli(['replay', runId, '--repo', repo, '--verify']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/verified: the machines reproduce the log's \d+ transitions/);

    // Event 8 or so is the first attempt's rejection: the phase is retrying, the second not started.
    const log = (await runCli(['log', runId, '--repo', repo, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number; type: string });
    const rejected = log.find((e) => e.type === 'changes.rejected')?.seq ?? 0;
    const state = await runCli(['state', runId, '--repo', repo, '--at', String(rejected), '--json']);
    expect(JSON.parse(state.stdout)).toMatchObject({
      seq: rejected,
      status: 'running',
      orchestrator: { state: 'running_phase' },
      phases: [
        { actor: 'phase-0', state: 'retrying', status: 'running', attempt: 1 },
        { actor: 'phase-1', state: null, status: 'pending' },
        { actor: 'phase-2', state: null, status: 'pending' },
        { actor: 'phase-3', state: null, status: 'pending' },
      ],
    });
    const end = await runCli(['state', runId, '--repo', repo]);
    expect(end.stdout).toMatch(/phase-0\s+done\s+succeeded attempt 2/);
    const badSeq = await runCli(['state', runId, '--repo', repo, '--at', '9999']);
    expect(badSeq.code).toBe(2);
    expect(badSeq.stderr).toMatch(/--at 9999: expected an event number from 1 to \d+/);

    const runs = await runCli(['runs', '--repo', repo]);
    expect(runs.stdout).toContain(runId);
  });

  it('refuses to resume a run written by other machine definitions, and verify says so', async () => {
    server = await startFakeOpenAI(crashModel);
    const { repo, plan } = writeScenario(tempDir());
    const crashed = await runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL], { env: { AUTOPACK_CRASH_AT: 'event:6' } });
    expect(crashed.code).not.toBe(0);
    const runId = await lastRunId(repo);
    const db = new Database(path.join(repo, '.autonomous_runs', 'autopack.db'));
    db.prepare("UPDATE events SET data = json_set(data, '$.machineVersion', '0123456789abcdef') WHERE stream = ? AND seq = 1").run(runId);
    db.close();

    const resume = await runCli(['resume', '--last', '--repo', repo]);
    expect(resume.code).toBe(2);
    expect(resume.stderr).toContain(`run ${runId} was written by machine definitions 0123456789abcdef`);
    expect(resume.stderr).toContain('no migration between them exists');
    const verify = await runCli(['replay', runId, '--repo', repo, '--verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('verification failed');
    const status = await runCli(['status', runId, '--repo', repo]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/stalled .*\n.*\n\s+no process is driving it/);
  });

  it('refuses to resume or verify a log whose transitions do not follow from the machines', async () => {
    server = await startFakeOpenAI(crashModel);
    // Where the third phase's answer is validated, in an uninterrupted run of the plan.
    const clean = writeScenario(tempDir());
    expect((await runCli(['run', clean.plan, '--repo', clean.repo, '--base-url', server.baseURL])).code).toBe(0);
    const cleanDb = new Database(path.join(clean.repo, '.autonomous_runs', 'autopack.db'), { readonly: true });
    const validated = cleanDb.prepare("SELECT seq FROM events WHERE type = 'changes.validated' AND actor = 'phase-2'").get() as { seq: number };
    cleanDb.close();

    const { repo, plan } = writeScenario(tempDir());
    const crashed = await runCli(['run', plan, '--repo', repo, '--base-url', server.baseURL], { env: { AUTOPACK_CRASH_AT: `event:${validated.seq}` } });
    expect(crashed.signal).toBe('SIGKILL');
    const runId = await lastRunId(repo);
    // The phase in progress, which a resume re-runs: its parse is logged as going straight to applying.
    const db = new Database(path.join(repo, '.autonomous_runs', 'autopack.db'));
    const tampered = db.prepare("UPDATE events SET target = 'applying' WHERE stream = ? AND actor = 'phase-2' AND type = 'response.parsed'").run(runId);
    db.close();
    expect(tampered.changes).toBe(1);
    const before = readTree(repo);

    const resume = await runCli(['resume', runId, '--repo', repo]);
    expect(resume.code).toBe(4);
    expect(resume.stderr).toMatch(/response\.parsed \(phase-2: parsing → applying\), but re-running the machines over the log gives response\.parsed \(phase-2: parsing → validating\)/);
    expect(readTree(repo)).toEqual(before);
    const verify = await runCli(['replay', runId, '--repo', repo, '--verify']);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toMatch(/verification failed: .*response\.parsed \(phase-2: parsing → applying\)/);
  });

  it('says what to do when there is nothing to resume', async () => {
    const { repo } = writeScenario(tempDir());
    const none = await runCli(['resume', '--repo', repo]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no event log at|name the run to resume/);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { foldRunState, openPostgresLog } from '../../src/index.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { git, makeRepo, useHermeticGit } from '../support/gitFixture.js';
import { answer } from '../support/repoFixture.js';
import { useTestDatabase } from '../support/postgresSchema.js';
import { cliPath, projectRoot, runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

useHermeticGit();
const tempDir = useTempDirs();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PHASES = ['p1', 'p2', 'p3'];
const PLAN = `phases:\n${PHASES.map(
  (id) => `  - id: ${id}
    description: Create ${id}.txt.
    category: feature
    complexity: low
    acceptance_criteria: [${id}.txt exists]
    deliverables: [${id}.txt]
`,
).join('')}`;
/** The same plan with a person's approval needed before p2 is applied. */
const GATED_PLAN = PLAN.replace('    deliverables: [p2.txt]\n', '    deliverables: [p2.txt]\n    approval: true\n');

/** Answers each phase's prompt with its file, after `delayMs` (a model that takes a while). */
async function model(delayMs: number): Promise<FakeOpenAIServer> {
  return startFakeOpenAI((request) => {
    const prompt = JSON.stringify(request.body['messages']);
    const id = /# Deliverables \(files that must exist afterwards\)\\n- (p\d)\.txt/.exec(prompt)?.[1] ?? 'unknown';
    return { content: answer(`write ${id}`, [{ path: `${id}.txt`, mode: 'create', new_content: `${id}\n` }]), delayMs };
  });
}

interface Worker {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

const workers: Worker[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGCONT');
      w.child.kill('SIGKILL');
    }
    await w.exited;
  }
});

function startWorker(db: string, baseURL: string, workdir: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Worker {
  const child = spawn(
    process.execPath,
    [cliPath, 'worker', '--db', db, '--workdir', workdir, '--lease-ttl', '3', '--llm', 'openai', '--base-url', baseURL, ...extra],
    { cwd: projectRoot, env: { ...process.env, OPENAI_API_KEY: 'sk-test', ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const worker = { child, stderr: () => stderr, exited };
  workers.push(worker);
  return worker;
}

/** A bare repository the workers clone and push to, with one commit on main. */
function origin(): { url: string; base: string } {
  const seed = makeRepo(tempDir(), { committed: { 'README.md': '# demo\n' } });
  const bare = path.join(tempDir(), 'origin.git');
  git(path.dirname(bare), 'clone', '-q', '--bare', seed, bare);
  return { url: bare, base: git(bare, 'rev-parse', 'main').trim() };
}

async function submit(db: string, url: string, count: number, text = PLAN): Promise<string[]> {
  const plan = path.join(tempDir(), 'plan.yaml');
  fs.writeFileSync(plan, text);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const submitted = await runCli(['submit', plan, '--repo', url, '--db', db, '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    ids.push((JSON.parse(submitted.stdout) as { run_id: string }).run_id);
  }
  return ids;
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every run finished in the queue: its outcomes. */
async function allFinished(db: string, ids: readonly string[]): Promise<Map<string, string | null>> {
  const { store, queue } = await openPostgresLog(db);
  try {
    return await waitFor('every run to finish', async () => {
      const runs = (await queue.list()).filter((r) => ids.includes(r.runId));
      return runs.length === ids.length && runs.every((r) => r.state === 'finished') ? new Map(runs.map((r) => [r.runId, r.outcome])) : null;
    }, 120_000);
  } finally {
    await store.close();
  }
}

/** What each branch holds beyond the base: one phase id per commit, oldest first. */
function phaseCommits(bare: string, base: string, runId: string): string[] {
  const log = git(bare, 'log', '--reverse', '--format=%(trailers:key=Autopack-Phase,valueonly)', `${base}..autopack/${runId}`);
  return log.split('\n').map((line) => line.trim()).filter((line) => line !== '');
}

async function checkRuns(db: string, bare: string, base: string, ids: readonly string[]): Promise<void> {
  const outcomes = await allFinished(db, ids);
  expect([...outcomes.values()]).toEqual(ids.map(() => 'succeeded'));
  const { store } = await openPostgresLog(db);
  try {
    for (const id of ids) {
      const events = await store.read(id);
      expect(foldRunState(events).status, id).toBe('succeeded');
      // Each phase finished once, and its files are on the branch in exactly one commit.
      expect(events.filter((e) => e.type === 'phase.finished').map((e) => e.data.phaseIndex)).toEqual([0, 1, 2]);
      expect(phaseCommits(bare, base, id), id).toEqual(PHASES);
      expect(git(bare, 'show', `autopack/${id}:p3.txt`)).toBe('p3\n');
      const replay = await runCli(['replay', id, '--verify', '--db', db]);
      expect(replay.code, replay.stderr).toBe(0);
    }
  } finally {
    await store.close();
  }
}

interface Scenario {
  db: string;
  url: string;
  base: string;
  server: FakeOpenAIServer;
}

/** A database of its own, a bare remote and a model answering after `delayMs`, for one test. */
async function scenario(delayMs: number, body: (s: Scenario) => Promise<void>): Promise<void> {
  const db = await useTestDatabase();
  const { url, base } = origin();
  const server = await model(delayMs);
  try {
    await body({ db, url, base, server });
  } finally {
    await server.close();
  }
}

describe('workers on a PostgreSQL queue', () => {
  it('run queued runs to the end on their branches, one commit per phase, several at once in one clone; runs lists what is queued', async () => {
    await scenario(0, async ({ db, url, base, server }) => {
      const ids = await submit(db, url, 4);
      const listed = await runCli(['runs', '--db', db, '--json']);
      expect((JSON.parse(listed.stdout) as { run_id: string; status: string }[]).map((r) => [r.run_id, r.status])).toEqual(ids.map((id) => [id, 'queued']));
      // Four runs at once fetch, add worktrees and push in the same bare clone.
      const worker = startWorker(db, server.baseURL, tempDir(), ['--concurrency', '4']);
      await checkRuns(db, url, base, ids);
      expect(server.requests).toHaveLength(ids.length * PHASES.length);
      expect(worker.stderr()).not.toMatch(/errored/);
      // Each run was claimed once, and its end recorded by the worker that ran it.
      const { store, queue } = await openPostgresLog(db);
      const runs = await queue.list();
      await store.close();
      expect(runs.map((r) => [r.claims, r.outcome])).toEqual(ids.map(() => [1, 'succeeded']));
    });
  }, 120_000);

  it('finish every run exactly once when workers are killed (SIGKILL) and frozen (SIGSTOP) mid-run; a thawed worker is fenced off', async () => {
    await scenario(300, async ({ db, url, base, server }) => {
      const ids = await submit(db, url, 4);
      const doomed = startWorker(db, server.baseURL, tempDir());
      const frozen = startWorker(db, server.baseURL, tempDir());
      const steady = startWorker(db, server.baseURL, tempDir());
      // Each has claimed and begun a run.
      await waitFor('three runs under way', async () => (server.requests.length >= 4 ? true : null));
      doomed.child.kill('SIGKILL');
      frozen.child.kill('SIGSTOP');
      const fresh = startWorker(db, server.baseURL, tempDir());
      // Past the lease ttl (3 s) the frozen worker's run goes to another worker, which pushes on.
      await sleep(6_000);
      frozen.child.kill('SIGCONT');
      await checkRuns(db, url, base, ids);
      // Thawed, it found its lease gone at its next append or renewal, and stopped that run.
      await waitFor('the thawed worker to give its run up', async () => (/gave up run-\S+: .*lease/.test(frozen.stderr()) ? true : null), 20_000);
      for (const w of [frozen, steady, fresh]) w.child.kill('SIGTERM');
      expect(await steady.exited, steady.stderr()).toBe(0);
      expect(await fresh.exited, fresh.stderr()).toBe(0);
    });
  }, 180_000);

  it('hands its runs back on SIGTERM, at a safe point, and another worker finishes them', async () => {
    await scenario(400, async ({ db, url, base, server }) => {
      const ids = await submit(db, url, 1);
      const first = startWorker(db, server.baseURL, tempDir());
      await waitFor('a model call', async () => (server.requests.length >= 2 ? true : null));
      first.child.kill('SIGTERM');
      expect(await first.exited, first.stderr()).toBe(0);
      expect(first.stderr()).toMatch(/handed run-\S+ back/);
      startWorker(db, server.baseURL, tempDir());
      await checkRuns(db, url, base, ids);
    });
  }, 120_000);

  it('parks a run at its approval gate, leaving the worker free for others; a decision made from the CLI sends it on', async () => {
    await scenario(0, async ({ db, url, base, server }) => {
      expect(GATED_PLAN).toContain('approval: true');
      const [gated = ''] = await submit(db, url, 1, GATED_PLAN);
      const worker = startWorker(db, server.baseURL, tempDir(), ['--concurrency', '1']);
      const { store, queue } = await openPostgresLog(db);
      const queued = async () => (await queue.list()).find((r) => r.runId === gated);
      const parkedAfter = (claims: number) =>
        waitFor(`the run parked after claim ${claims}`, async () => {
          const run = await queued();
          return run?.state === 'awaiting_approval' && run.claims === claims ? run : null;
        });
      try {
        await parkedAfter(1);
        const runs = await runCli(['runs', '--db', db, '--json']);
        expect((JSON.parse(runs.stdout) as { run_id: string; status: string }[]).find((r) => r.run_id === gated)?.status).toBe('awaiting_approval');
        // Its one slot is free: a run submitted now is driven to the end while the gated one waits.
        const [plain = ''] = await submit(db, url, 1);
        await allFinished(db, [plain]);
        expect((await queued())?.state).toBe('awaiting_approval');
        expect(server.requests).toHaveLength(2 + PHASES.length);

        const rejected = await runCli(['reject', gated, '--feedback', 'say why p2 exists', '--db', db]);
        expect(rejected.code, rejected.stderr).toBe(0);
        expect(rejected.stdout).toMatch(/rejected phase p2 \(attempt 1\) .*it is back in the queue, and the next worker to poll goes on with it/);
        // Taken again, asked again with the feedback, and parked at the new attempt's gate.
        await parkedAfter(2);
        expect(JSON.stringify(server.requests.at(-1)?.body['messages'])).toContain('say why p2 exists');

        const approved = await runCli(['approve', gated, '--db', db]);
        expect(approved.code, approved.stderr).toBe(0);
        await checkRuns(db, url, base, [gated, plain]);
        // p1, p2 twice (rejected, then approved), p3; and the plain run's three: no answer asked twice.
        expect(server.requests).toHaveLength(4 + PHASES.length);
        expect(worker.stderr().match(/parked run-\S+ at phase p2's approval gate/g)).toHaveLength(2);
      } finally {
        await store.close();
      }
    });
  }, 120_000);

  // Killed with a phase's files applied in its worktree but not pushed: the next worker's checkout lacks
  // them, and writes them from the log (roll-forward) instead of asking the model again.
  it.each([
    ['event:9', 'after the first phase applied its files (changes.applied is event 9)'],
    ['commit:2', 'after the second phase committed, before the push and before the commit was logged'],
  ])('takes over a run whose worker was killed %s: no logged answer asked again, one commit per phase', async (crashAt) => {
    await scenario(0, async ({ db, url, base, server }) => {
      const ids = await submit(db, url, 1);
      const crashing = startWorker(db, server.baseURL, tempDir(), [], { AUTOPACK_CRASH_AT: crashAt });
      await crashing.exited;
      expect(crashing.child.signalCode, crashing.stderr()).toBe('SIGKILL');
      const asked = server.requests.length;
      startWorker(db, server.baseURL, tempDir());
      await checkRuns(db, url, base, ids);
      // Every answer the dead worker logged was used: only the phases it had not reached were asked for.
      expect(server.requests.length - asked).toBe(PHASES.length - asked);
      const { store } = await openPostgresLog(db);
      const events = await store.read(ids[0] ?? '');
      await store.close();
      if (crashAt === 'event:9') expect(events[8]?.type).toBe('changes.applied');
      expect(events.filter((e) => e.type === 'run.resumed')).toHaveLength(1);
    });
  }, 120_000);
});

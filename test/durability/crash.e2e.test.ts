import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema, createSqliteEventStore, type OrchestrationResult, type StoredRunEvent } from '../../src/index.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { APPLIED_FILE_COUNT, COMMIT_COUNT, FILES_CHANGED, FINAL_TREE, INITIAL_TREE, crashModel, crashScript, promptKey, writeScenario } from '../support/crashScenario.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { readTree } from '../support/repoFixture.js';
import { runCli, type CliRun } from '../support/runCli.js';
import { comparableResult } from '../support/comparableResult.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/**
 * How the run reaches its model. Each takes its own path through `autopack resume --last`: an
 * OpenAI-compatible server and a replayed recording read the log's tail; a scripted model reads the
 * whole log first (to skip the answers it gave).
 */
type ClientKind = 'openai' | 'replay' | 'scripted';

type KillPoint = { env: string } | { afterMs: number };

interface Model {
  args: string[];
  server: FakeOpenAIServer | null;
}

interface AtKill {
  lastSeq: number;
  /** inode and mtime of every file of the tree when the process died. */
  identity: Map<string, string>;
  /** A model call had an attempt logged and no outcome: it is made again, once. */
  callOpen: boolean;
  /** Prompts whose answer was in the log. */
  answered: Set<string>;
}

interface Outcome {
  kill: string;
  killedBy: NodeJS.Signals | null;
  result: OrchestrationResult;
  tree: Record<string, string>;
  /** `Autopack-Phase` of each commit since the initial one, oldest first, and `git status`. */
  git: { phases: string[]; status: string };
  atKill: AtKill;
  log: StoredRunEvent[];
  /** Requests for prompts whose answer was already in the log when the process died (server only). */
  repeatedAfterCrash: number;
  /** Files found after the kill that were neither as before the run nor as after it. */
  halfWritten: string[];
  /** Files the resumed run rewrote although no event after the kill names them. */
  rewritten: string[];
  dbPath: string;
}

const STAGED = /\.autopack-[0-9a-f]+\.tmp$|\.autopack-restore-[0-9a-f]+\.tmp$/;

async function readLog(dbPath: string): Promise<StoredRunEvent[]> {
  if (!fs.existsSync(dbPath)) return [];
  const store = createSqliteEventStore(dbPath, { readonly: true });
  try {
    const runId = (await store.listStreams()).at(-1)?.stream;
    return runId === undefined ? [] : (await store.read(runId));
  } finally {
    store.close();
  }
}

/** inode and mtime of each file: a file written again (renamed over) changes both, even with the same bytes. */
function identities(repo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of Object.keys(readTree(repo))) {
    if (STAGED.test(file)) continue;
    const stat = fs.statSync(path.join(repo, file), { bigint: true });
    out.set(file, `${stat.ino}:${stat.mtimeNs}`);
  }
  return out;
}

function snapshotAtKill(repo: string, log: StoredRunEvent[]): AtKill {
  const attempted = new Set<string>();
  const answered = new Set<string>();
  for (const event of log) {
    if (event.type === 'llm.attempted') attempted.add(`${event.data.phaseIndex}/${event.data.attempt}`);
    if (event.type === 'llm.completed' || event.type === 'llm.failed') attempted.delete(`${event.data.phaseIndex}/${event.data.attempt}`);
    if (event.type === 'llm.completed' && event.data.outcome.ok) answered.add(promptKey({ body: { messages: event.data.outcome.value.request.messages } } as never));
  }
  return { lastSeq: log.at(-1)?.seq ?? 0, identity: identities(repo), callOpen: attempted.size > 0, answered };
}

const attemptKey = (data: { phaseIndex: number; attempt: number }) => `${data.phaseIndex}/${data.attempt}`;

/**
 * Files the run had reason to write after the kill: those of an apply not yet logged as done (it is
 * undone and done again), and those a rollback not yet logged restored. An apply or rollback the log
 * already showed done is not among them: writing its files again is the bug this looks for.
 */
function writtenAfter(log: readonly StoredRunEvent[], seq: number): Set<string> {
  const doneBefore = (type: StoredRunEvent['type']) =>
    new Set(log.filter((e) => e.seq <= seq && e.type === type).map((e) => attemptKey(e.data as { phaseIndex: number; attempt: number })));
  const appliedBefore = doneBefore('changes.applied');
  const rolledBackBefore = doneBefore('changes.rolled_back');
  const written = new Set<string>();
  for (const event of log) {
    if (event.seq <= seq) continue;
    if (event.type === 'changes.prepared' && !appliedBefore.has(attemptKey(event.data))) for (const file of event.data.files) written.add(file.path);
    if (event.type === 'changes.rolled_back' && event.data.outcome.ok && !rolledBackBefore.has(attemptKey(event.data))) for (const file of event.data.outcome.value.restored) written.add(file);
  }
  return written;
}

async function startModel(kind: ClientKind, dir: string, fixtures: { recording: string }, delayMs = 0): Promise<Model> {
  if (kind === 'openai') {
    const server = await startFakeOpenAI((request) => ({ ...crashModel(request), delayMs }));
    return { args: ['--base-url', server.baseURL], server };
  }
  if (kind === 'replay') return { args: ['--llm', `replay:${fixtures.recording}`], server: null };
  const script = path.join(dir, 'script.json');
  fs.writeFileSync(script, JSON.stringify(crashScript()));
  return { args: ['--llm', `scripted:${script}`], server: null };
}

function runKilled(args: string[], killAfterMs: number): Promise<CliRun> {
  let timer: NodeJS.Timeout | undefined;
  return runCli(args, {
    onStderr: (_text, child) => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    },
  }).finally(() => clearTimeout(timer));
}

async function runWithKill(kind: ClientKind, kill: KillPoint, fixtures: { recording: string }, delayMs: number): Promise<Outcome> {
  const dir = tempDir('autopack-crash-');
  const { repo, plan } = writeScenario(dir);
  const dbPath = path.join(repo, '.autonomous_runs', 'autopack.db');
  const model = await startModel(kind, dir, fixtures, delayMs);
  try {
    const args = ['run', plan, '--repo', repo, ...model.args, '--json'];
    let run = 'env' in kill ? await runCli(args, { env: { AUTOPACK_CRASH_AT: kill.env } }) : await runKilled(args, kill.afterMs);
    const killedBy = run.signal;

    const halfWritten: string[] = [];
    const initial: Record<string, string> = INITIAL_TREE;
    const final: Record<string, string> = FINAL_TREE;
    for (const [file, content] of Object.entries(readTree(repo))) {
      // Staged copies are written before they are renamed in; a resume removes leftovers (the final tree comparison proves it).
      if (STAGED.test(file)) continue;
      if (content !== initial[file] && content !== final[file] && !(file === 'lib/c.txt' && content === 'C\n')) halfWritten.push(file);
    }
    const atKill = snapshotAtKill(repo, await readLog(dbPath));
    const requestsBefore = model.server?.requests.length ?? 0;
    for (let resumes = 0; resumes < 3 && run.code !== 0; resumes += 1) {
      run = await runCli(['resume', '--last', '--repo', repo, '--json']);
    }
    expect(run.code, `${JSON.stringify(kill)}: ${run.stderr}`).toBe(0);
    const log = await readLog(dbPath);
    const written = writtenAfter(log, atKill.lastSeq);
    const after = identities(repo);
    const rewritten = [...atKill.identity].filter(([file, id]) => !written.has(file) && after.has(file) && after.get(file) !== id).map(([file]) => file);
    const repeatedAfterCrash = (model.server?.requests.slice(requestsBefore) ?? []).filter((r) => atKill.answered.has(promptKey(r))).length;
    return {
      kill: JSON.stringify(kill),
      killedBy,
      result: OrchestrationResultSchema.parse(JSON.parse(run.stdout)),
      tree: readTree(repo),
      git: gitState(repo),
      atKill,
      log,
      repeatedAfterCrash,
      halfWritten,
      rewritten,
      dbPath,
    };
  } finally {
    await model.server?.close();
  }
}

function gitState(repo: string): { phases: string[]; status: string } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
  const phases = git('log', '--reverse', '--format=%(trailers:key=Autopack-Phase,valueonly,separator=)', 'HEAD').split('\n').filter((l) => l !== '');
  return { phases, status: git('status', '--porcelain', '--untracked-files=all') };
}

/** Runs the tasks `width` at a time: each is two node processes, mostly waiting (backoff, the model). */
async function inBatches<T, R>(items: readonly T[], width: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(task))));
  return results;
}

/** A fixed-seed generator, so the random-time kills are the same on every run of the test. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const attemptsOf = (log: readonly StoredRunEvent[]) => log.filter((e) => e.type === 'llm.attempted').length;

interface Baseline {
  result: OrchestrationResult;
  log: StoredRunEvent[];
  tree: Record<string, string>;
  /** From the first line on stderr to the exit. */
  durationMs: number;
}

async function baselineRun(kind: ClientKind, fixtures: { recording: string }, delayMs: number, record?: string): Promise<Baseline> {
  const dir = tempDir('autopack-crash-');
  const { repo, plan } = writeScenario(dir);
  const model = await startModel(kind, dir, fixtures, delayMs);
  try {
    let startedAt = 0;
    const run = await runCli(['run', plan, '--repo', repo, ...model.args, ...(record === undefined ? [] : ['--record', record]), '--json'], {
      onStderr: () => {
        startedAt ||= performance.now();
      },
    });
    const durationMs = performance.now() - startedAt;
    expect(run.code, run.stderr).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(run.stdout));
    return { result, log: await readLog(path.join(repo, '.autonomous_runs', 'autopack.db')), tree: readTree(repo), durationMs };
  } finally {
    await model.server?.close();
  }
}

/** What the plan must produce, written down from the scenario rather than taken from a run. */
function expectPlanOutcome(baseline: Baseline): void {
  expect(baseline.tree).toEqual(FINAL_TREE);
  expect(baseline.result).toMatchObject({ status: 'succeeded', total_phases: 4, successful_phases: 4, failed_phases: 0 });
  expect(baseline.result.phase_results.map((p) => [p.phase_id, p.success, p.retry_count, p.files_changed])).toEqual([
    ['write-a', true, 1, FILES_CHANGED[0]],
    ['write-b', true, 0, FILES_CHANGED[1]],
    ['write-c', true, 0, FILES_CHANGED[2]],
    ['extend-c', true, 0, FILES_CHANGED[3]],
  ]);
  // The log's order is causal: each phase.finished comes before the next phase.started.
  const boundaries = baseline.log.filter((e) => e.type === 'phase.started' || e.type === 'phase.finished' || e.type === 'run.begun').map((e) => e.type);
  expect(boundaries).toEqual(['run.begun', ...Array.from({ length: 4 }, () => ['phase.started', 'phase.finished']).flat()]);
}

async function checkOutcomes(baseline: Baseline, outcomes: Outcome[]): Promise<void> {
  const perCall = baseline.result.total_tokens / attemptsOf(baseline.log);
  for (const outcome of outcomes) {
    const where = outcome.kill;
    // The kill landed: the process died of it, before the run was over.
    expect(outcome.killedBy, where).toBe('SIGKILL');
    expect(outcome.halfWritten, where).toEqual([]);
    expect(outcome.tree, where).toEqual(FINAL_TREE);
    // One commit per phase, none lost, none made twice, and nothing left uncommitted or untracked.
    expect(outcome.git, where).toEqual({ phases: ['write-a', 'write-b', 'write-c', 'extend-c'], status: '' });
    expect(comparableResult(outcome.result, { ignoreTokens: true }), where).toEqual(comparableResult(baseline.result, { ignoreTokens: true }));
    // Nothing the log showed applied was written again (same bytes would hide it; the inode does not).
    expect(outcome.rewritten, where).toEqual([]);
    expect(outcome.repeatedAfterCrash, where).toBe(0);
    // Only a call whose answer was not logged is made again, once, and its tokens count again.
    const extra = outcome.atKill.callOpen ? 1 : 0;
    expect(attemptsOf(outcome.log), where).toBe(attemptsOf(baseline.log) + extra);
    expect(outcome.result.total_tokens, where).toBe(baseline.result.total_tokens + extra * perCall);
    // The machines reproduce every transition of the resumed log.
    const store = createSqliteEventStore(outcome.dbPath, { readonly: true });
    try {
      await verifyRun(store, outcome.result.run_id);
    } finally {
      store.close();
    }
  }
}

describe('crash anywhere, resume, same outcome (child processes, SIGKILL, a four-phase plan)', () => {
  const fixtures = { recording: '' };

  it.each<ClientKind>(['openai', 'replay', 'scripted'])(
    '%s model: survives a kill after every event and during every file rename',
    async (kind) => {
      if (kind === 'replay') {
        fixtures.recording = path.join(tempDir('autopack-recording-'), 'recording.jsonl');
        expectPlanOutcome(await baselineRun('openai', fixtures, 0, fixtures.recording));
      }
      const baseline = await baselineRun(kind, fixtures, 0);
      expectPlanOutcome(baseline);
      const kills: KillPoint[] = [
        // After the last event the run is over: there is nothing left to kill.
        ...Array.from({ length: baseline.log.length - 1 }, (_, i) => ({ env: `event:${i + 1}` })),
        ...Array.from({ length: APPLIED_FILE_COUNT }, (_, i) => ({ env: `apply:${i + 1}` })),
        ...Array.from({ length: COMMIT_COUNT }, (_, i) => ({ env: `commit:${i + 1}` })),
      ];
      await checkOutcomes(baseline, await inBatches(kills, 4, (kill) => runWithKill(kind, kill, fixtures, 0)));
    },
    900_000,
  );

  it('openai model: survives kills at random times, each landing before the run ends', async () => {
    // A slow model keeps a request in flight at many of the kills.
    const delayMs = 150;
    const baseline = await baselineRun('openai', fixtures, delayMs);
    expectPlanOutcome(baseline);
    const random = seeded(20261202);
    const kills = Array.from({ length: 6 }, () => ({ afterMs: Math.round(baseline.durationMs * (0.05 + random() * 0.75)) }));
    await checkOutcomes(baseline, await inBatches(kills, 3, (kill) => runWithKill('openai', kill, fixtures, delayMs)));
  }, 300_000);
});

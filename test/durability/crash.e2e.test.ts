import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema, createSqliteEventStore, type OrchestrationResult } from '../../src/index.js';
import { verifyRun } from '../../src/runtime/verifyRun.js';
import { INITIAL_TREE, crashModel, promptKey, writeScenario } from '../support/crashScenario.js';
import { startFakeOpenAI } from '../support/fakeOpenAIServer.js';
import { readTree } from '../support/repoFixture.js';
import { runCli, type CliRun } from '../support/runCli.js';
import { comparableResult } from '../support/comparableResult.js';
import { useTempDirs } from '../support/tempDir.js';
import { createHash } from 'node:crypto';

const tempDir = useTempDirs();

type KillPoint = { env: string } | { afterMs: number };

interface Outcome {
  killed: boolean;
  result: OrchestrationResult;
  tree: Record<string, string>;
  requests: number;
  /** Requests for prompts whose answer was already in the log when the process died. */
  repeatedAfterCrash: number;
  /** Files found after the kill that were neither as before the run nor as after it. */
  halfWritten: string[];
  dbPath: string;
}

const keyOf = (messages: unknown): string => createHash('sha256').update(JSON.stringify(messages)).digest('hex');

function answeredPrompts(dbPath: string): Set<string> {
  if (!fs.existsSync(dbPath)) return new Set();
  const store = createSqliteEventStore(dbPath, { readonly: true });
  try {
    const runId = store.listStreams().at(-1)?.stream;
    if (runId === undefined) return new Set();
    return new Set(
      store
        .read(runId)
        .flatMap((e) => (e.type === 'llm.completed' && e.data.outcome.ok ? [keyOf(e.data.outcome.value.request.messages)] : [])),
    );
  } finally {
    store.close();
  }
}

function runKilled(args: string[], killAfterMs: number): Promise<CliRun> {
  let timer: NodeJS.Timeout | undefined;
  return runCli(args, {
    onStderr: (_text, child) => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    },
  }).finally(() => clearTimeout(timer));
}

async function runWithKill(kill: KillPoint | null, finalTree: Record<string, string> | null): Promise<Outcome> {
  const dir = tempDir('autopack-crash-');
  const { repo, plan } = writeScenario(dir);
  const dbPath = path.join(repo, '.autonomous_runs', 'autopack.db');
  const server = await startFakeOpenAI(crashModel);
  try {
    const args = ['run', plan, '--repo', repo, '--base-url', server.baseURL, '--json'];
    let run: CliRun;
    if (kill === null) run = await runCli(args);
    else if ('env' in kill) run = await runCli(args, { env: { AUTOPACK_CRASH_AT: kill.env } });
    else run = await runKilled(args, kill.afterMs);
    const killed = run.code !== 0;

    const halfWritten: string[] = [];
    if (finalTree !== null) {
      const initial: Record<string, string> = INITIAL_TREE;
      for (const [file, content] of Object.entries(readTree(repo))) {
        // Staged copies are fsynced before they are renamed in; a resume removes leftovers (the final tree comparison proves it).
        if (/\.autopack-[0-9a-f]+\.tmp$/.test(file)) continue;
        if (content !== initial[file] && content !== finalTree[file]) halfWritten.push(file);
      }
    }
    const answered = answeredPrompts(dbPath);
    const requestsBefore = server.requests.length;
    for (let resumes = 0; resumes < 3 && run.code !== 0; resumes += 1) {
      run = await runCli(['resume', '--last', '--repo', repo, '--json']);
    }
    expect(run.code, run.stderr).toBe(0);
    const repeatedAfterCrash = server.requests.slice(requestsBefore).filter((r) => answered.has(promptKey(r))).length;
    return {
      killed,
      result: OrchestrationResultSchema.parse(JSON.parse(run.stdout)),
      tree: readTree(repo),
      requests: server.requests.length,
      repeatedAfterCrash,
      halfWritten,
      dbPath,
    };
  } finally {
    await server.close();
  }
}

/** Runs the tasks two at a time: each is two node processes, and this machine has two cores. */
async function inPairs<T, R>(items: readonly T[], task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += 2) results.push(...(await Promise.all(items.slice(i, i + 2).map(task))));
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

describe('crash anywhere, resume, same outcome (child processes, SIGKILL)', () => {
  it(
    'survives a kill after every event, during every file rename, and at random times',
    async () => {
      const baseline = await runWithKill(null, null);
      expect(baseline.result).toMatchObject({ status: 'succeeded', successful_phases: 2 });
      expect(baseline.result.phase_results[0]?.retry_count).toBe(1);
      const store = createSqliteEventStore(baseline.dbPath, { readonly: true });
      const eventCount = store.read(baseline.result.run_id).length;
      store.close();
      expect(eventCount).toBeGreaterThan(20);

      const random = seeded(20261127);
      const kills: KillPoint[] = [
        ...Array.from({ length: eventCount }, (_, i) => ({ env: `event:${i + 1}` })),
        // Four files are renamed into place in the whole run (two per applied change set).
        ...[1, 2, 3, 4].map((n) => ({ env: `apply:${n}` })),
        ...Array.from({ length: 4 }, () => ({ afterMs: Math.round(300 + random() * 2500) })),
      ];
      const outcomes = await inPairs(kills, (kill) => runWithKill(kill, baseline.tree));

      outcomes.forEach((outcome, i) => {
        const where = JSON.stringify(kills[i]);
        if ('env' in (kills[i] as KillPoint)) expect(outcome.killed, where).toBe(true);
        expect(outcome.halfWritten, where).toEqual([]);
        expect(outcome.tree, where).toEqual(baseline.tree);
        expect(comparableResult(outcome.result, { ignoreTokens: true }), where).toEqual(comparableResult(baseline.result, { ignoreTokens: true }));
        expect(outcome.repeatedAfterCrash, where).toBe(0);
        // At most the one call in flight at the kill is made again, and its tokens are counted again.
        expect(outcome.requests, where).toBeLessThanOrEqual(baseline.requests + 1);
        const perCall = baseline.result.total_tokens / baseline.requests;
        expect(outcome.result.total_tokens, where).toBe(baseline.result.total_tokens + (outcome.requests - baseline.requests) * perCall);
      });
      // The machines reproduce every transition of every resumed log.
      for (const outcome of outcomes) {
        const log = createSqliteEventStore(outcome.dbPath, { readonly: true });
        try {
          await verifyRun(log, outcome.result.run_id);
        } finally {
          log.close();
        }
      }
    },
    600_000,
  );
});

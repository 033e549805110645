import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PhaseExecutor,
  PhaseOrchestrator,
  createSqliteEventStore,
  type EventStore,
  type LLMClient,
  type LLMResponse,
} from '../../src/index.js';
import { answer, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** The log as another process would see it: a second, read-only connection to the same SQLite file. */
async function committedTypes(dbPath: string): Promise<string[]> {
  const reader = createSqliteEventStore(dbPath, { readonly: true });
  try {
    const [run] = (await reader.listStreams());
    return run === undefined ? [] : (await reader.read(run.stream)).map((e) => e.type);
  } finally {
    reader.close();
  }
}

/** Writes f1.txt, then a rejected answer (a protected path), then f2.txt: phase two retries once. */
function modelThatLooksAtTheLog(dbPath: string, seen: string[][]): LLMClient {
  const answers = [
    { path: 'f1.txt', mode: 'create' as const, new_content: 'one\n' },
    { path: '.git/config', mode: 'create' as const, new_content: 'x\n' },
    { path: 'f2.txt', mode: 'create' as const, new_content: 'two\n' },
  ];
  return {
    model: 'gpt-4o-mini',
    async complete(): Promise<LLMResponse> {
      seen.push(await committedTypes(dbPath));
      const file = answers[seen.length - 1] ?? answers[2]!;
      return { content: answer(`write ${file.path}`, [file]), finishReason: 'stop', usage: { promptTokens: 10, completionTokens: 5 } };
    },
  };
}

function countingAppends(inner: EventStore, sizes: number[]): EventStore {
  return {
    ...inner,
    async append(stream, events, options) {
      sizes.push(events.length);
      return (await inner.append(stream, events, options));
    },
  };
}

describe('group commit: a step\'s events are one transaction, and no effect acts before they are durable', () => {
  it('commits the events that lead to each model call before the call, in fewer transactions than events', async () => {
    const repo = tempDir();
    writeTree(repo, { 'README.md': '# demo\n' });
    const dbPath = path.join(tempDir(), 'log.db');
    const sqlite = createSqliteEventStore(dbPath);
    const sizes: number[] = [];
    const seen: string[][] = [];
    const executor = new PhaseExecutor({
      llmClient: modelThatLooksAtTheLog(dbPath, seen),
      repoRoot: repo,
      eventStore: countingAppends(sqlite, sizes),
      backoff: { initialMs: 1, maxMs: 2, multiplier: 2 },
    });
    const result = await new PhaseOrchestrator({ executor }).runPhases([spec('one', ['f1.txt']), spec('two', ['f2.txt'])]);
    executor.close();
    sqlite.close();
    expect(result).toMatchObject({ successful_phases: 2, failed_phases: 0 });

    // Each call saw, committed by another connection, the transition that asked for it.
    expect(seen.map((types) => types.at(-1))).toEqual(['phase.started', 'phase.started', 'backoff.elapsed']);
    // The second phase's first call also saw the first phase through to its end.
    expect(seen[1]).toContain('phase.finished');
    expect(seen[2]).toContain('changes.rejected');

    const events = await committedTypes(dbPath);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(events.length);
    // One transaction per event would be events.length appends; a step's events share one.
    expect(sizes.length).toBeLessThanOrEqual(Math.ceil(events.length * 0.6));
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(3);
  });

  it('has the files\' before and after hashes in the log before the first file is replaced (killed right after it)', async () => {
    const dir = tempDir('autopack-group-');
    const repo = path.join(dir, 'repo');
    writeTree(repo, { 'README.md': '# demo\n' });
    const plan = path.join(dir, 'plan.yaml');
    fs.writeFileSync(
      plan,
      'phases:\n  - id: write-a\n    description: Create a.txt.\n    category: feature\n    complexity: low\n    acceptance_criteria: [a.txt exists]\n    deliverables: [a.txt]\n',
    );
    const script = path.join(dir, 'answers.json');
    fs.writeFileSync(script, JSON.stringify([{ response: { summary: 'a', files: [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }] } }]));
    const dbPath = path.join(dir, 'log.db');

    const killed = await runCli(['run', plan, '--repo', repo, '--db', dbPath, '--llm', `scripted:${script}`], { env: { AUTOPACK_CRASH_AT: 'apply:1' } });
    expect(killed.code, killed.stderr).not.toBe(0);
    expect(fs.readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('A\n');
    expect((await committedTypes(dbPath)).slice(-2)).toEqual(['changes.validated', 'changes.prepared']);
  }, 60_000);
});

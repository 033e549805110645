import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestrationResultSchema, createSqliteEventStore, type StoredRunEvent } from '../../src/index.js';
import { answer, readTree, scriptedScratch } from '../support/repoFixture.js';
import { runCli } from '../support/runCli.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

/** The deliverable is z.txt: the first answer, which only creates other new files, fails its check and is rolled back. */
const PLAN = `phases:
  - id: write-z
    description: Create z.txt.
    category: feature
    complexity: low
    acceptance_criteria: [z.txt exists]
    deliverables: [z.txt]
`;

const INITIAL = { 'README.md': '# demo\n' };
const FINAL = { 'README.md': '# demo\n', 'z.txt': 'Z\n' };

const SCRIPT = [
  { content: answer('x and y', [{ path: 'x.txt', mode: 'create', new_content: 'X\n' }, { path: 'sub/y.txt', mode: 'create', new_content: 'Y\n' }]) },
  { content: answer('z', [{ path: 'z.txt', mode: 'create', new_content: 'Z\n' }]) },
];

async function readLog(dbPath: string): Promise<StoredRunEvent[]> {
  const store = createSqliteEventStore(dbPath, { readonly: true });
  try {
    const runId = (await store.listStreams()).at(-1)?.stream;
    return runId === undefined ? [] : await store.read(runId);
  } finally {
    await store.close();
  }
}

/**
 * An attempt that only creates files keeps no backup folder: what a resumed run knows of a crashed apply
 * of it is the log's `changes.prepared`. Were the files the dead process renamed in not removed from that,
 * the re-applied attempt would take them for pre-existing files, and its rollback would keep them.
 */
describe('a crash mid-apply of new files only (child processes, SIGKILL, no backup folder)', () => {
  it.each([
    ['normal', 1],
    ['normal', 2],
    ['full', 1],
    ['full', 2],
  ])('at durability %s, killed after rename %i: the resumed run removes them and rolls the attempt back to the tree it started from', async (durability, renamed) => {
    const { repo, plan, llm } = scriptedScratch(tempDir('autopack-newfiles-'), { initial: INITIAL, plan: PLAN, script: SCRIPT });
    const args = ['--repo', repo, ...llm, '--json'];

    const killed = await runCli(['run', plan, '--durability', durability, ...args], { env: { AUTOPACK_CRASH_AT: `apply:${renamed}` } });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    // The kill landed mid-apply: x.txt renamed in (and sub/y.txt too after the second rename), no pre-image kept.
    const atKill = readTree(repo);
    expect(atKill['x.txt']).toBe('X\n');
    expect(atKill['sub/y.txt']).toBe(renamed === 2 ? 'Y\n' : undefined);
    const backups = path.join(repo, '.autonomous_runs', 'backups');
    const attemptFolders = fs.existsSync(backups) ? fs.readdirSync(backups).flatMap((run) => fs.readdirSync(path.join(backups, run))) : [];
    expect(attemptFolders).toEqual([]);

    const resumed = await runCli(['resume', '--last', ...args]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = OrchestrationResultSchema.parse(JSON.parse(resumed.stdout));
    expect(result).toMatchObject({ status: 'succeeded', successful_phases: 1 });
    expect(result.phase_results[0]?.retry_count).toBe(1);
    expect(readTree(repo)).toEqual(FINAL);
    expect(fs.readdirSync(repo).filter((name) => name.includes('.autopack-'))).toEqual([]);

    const log = await readLog(path.join(repo, '.autonomous_runs', 'autopack.db'));
    const applied = log.filter((e) => e.type === 'changes.applied').map((e) => e.data.outcome);
    // The first attempt, applied again after the resume, found none of its files: they were the dead process's.
    expect(applied[0]).toMatchObject({
      ok: true,
      value: { files: [{ path: 'x.txt', existedBefore: false }, { path: 'sub/y.txt', existedBefore: false }] },
    });
    const rolledBack = log.find((e) => e.type === 'changes.rolled_back');
    expect(rolledBack?.data.outcome).toMatchObject({ ok: true, value: { restored: ['x.txt', 'sub/y.txt'] } });
  }, 60_000);
});

import path from 'node:path';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { OpenAIClient, PhaseExecutor, createSqliteEventStore, type AutopackError } from '../../src/index.js';
import { holdLease } from '../../src/runtime/lease.js';
import { startFakeOpenAI, type FakeOpenAIServer } from '../support/fakeOpenAIServer.js';
import { answer, readTree, writeTree } from '../support/repoFixture.js';
import { spec } from '../support/phaseSpecs.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();
let server: FakeOpenAIServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the lease heartbeat (real SQLite)', () => {
  it('rides out a busy database: no uncaught error, the lease kept, renewed again once the lock is gone', async () => {
    const dbPath = path.join(tempDir(), 'log.db');
    const store = createSqliteEventStore(dbPath);
    const lost: AutopackError[] = [];
    const lease = await holdLease(store, 'run-1', (error) => lost.push(error), { heartbeatMs: 1_000, ttlMs: 60_000 });
    const beforeBusy = Date.now();
    // Another connection holds the write lock past the store's busy timeout (5 s): the renewal at 1 s
    // waits for it, then fails with SQLITE_BUSY.
    const other = new Database(dbPath);
    other.exec('BEGIN IMMEDIATE');
    await sleep(1_500);
    expect(Date.now() - beforeBusy).toBeGreaterThan(5_000);
    other.exec('COMMIT');
    other.close();
    await sleep(1_200);
    expect(lost).toEqual([]);
    expect(lease.lost).toBe(false);
    expect(await lease.confirm()).toBe(true);
    expect((await store.readLease('run-1'))?.heartbeatAt).toBeGreaterThan(Date.now() - 1_000);
    await lease.release();
    await store.close();
  }, 20_000);

  it('gives the lease up, once and with the reason, when it cannot be renewed for too long (the log closed)', async () => {
    const store = createSqliteEventStore(path.join(tempDir(), 'log.db'));
    const lost: AutopackError[] = [];
    const lease = await holdLease(store, 'run-1', (error) => lost.push(error), { heartbeatMs: 20, ttlMs: 340 });
    await store.close();
    // Within the safe window (ttl less two beats) nobody can take the lease: still ours.
    expect(await lease.confirm()).toBe(true);
    await sleep(500);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ code: 'LEASE_LOST' });
    expect(lost[0]?.message).toMatch(/run run-1: the lease could not be renewed for 0 s \(The database connection is not open\)/);
    expect(await lease.confirm()).toBe(false);
    await lease.release();
  });

  it('says at once when another process has taken the lease over', async () => {
    const dbPath = path.join(tempDir(), 'log.db');
    const store = createSqliteEventStore(dbPath);
    const lost: AutopackError[] = [];
    const lease = await holdLease(store, 'run-1', (error) => lost.push(error), { heartbeatMs: 10_000, ttlMs: 60_000 });
    const other = new Database(dbPath);
    other.prepare("UPDATE leases SET token = 'someone-else', pid = 4242, host = 'elsewhere', epoch = epoch + 1 WHERE stream = 'run-1'").run();
    other.close();
    expect(await lease.confirm()).toBe(false);
    expect(lost.map((e) => e.code)).toEqual(['LEASE_LOST']);
    expect(lost[0]?.message).toMatch(/^run run-1: this process's lease \(epoch 1\) was taken over by process 4242 on elsewhere \(epoch 2\)/);
    await lease.release();
    await store.close();
  });
});

describe('a run that loses its lease', () => {
  it('appends nothing and writes nothing to the repository after the loss, even before the next heartbeat', async () => {
    const repo = tempDir();
    writeTree(repo, { 'README.md': '# demo\n' });
    const dbPath = path.join(repo, '.autonomous_runs', 'autopack.db');
    // While the model is thinking, another process takes the run over (as after a long freeze of this one).
    server = await startFakeOpenAI(() => {
      const thief = new Database(dbPath);
      thief.prepare("UPDATE leases SET token = 'thief', pid = 1, epoch = epoch + 1, heartbeat_at = ?").run(Date.now());
      thief.close();
      return { content: answer('write a', [{ path: 'a.txt', mode: 'create', new_content: 'A\n' }]), usage: { prompt_tokens: 10, completion_tokens: 5 } };
    });
    const executor = new PhaseExecutor({ llmClient: new OpenAIClient({ baseURL: server.baseURL, model: 'gpt-4o-mini', env: {} }), repoRoot: repo });
    await expect(executor.executePhase(spec('one', ['a.txt']), [])).rejects.toMatchObject({
      code: 'LEASE_LOST',
      message: expect.stringContaining('was taken over by process 1'),
    });
    await executor.close();
    expect(readTree(repo)).toEqual({ 'README.md': '# demo\n' });
    const log = createSqliteEventStore(dbPath, { readonly: true });
    const types = (await log.read((await log.listStreams())[0]?.stream ?? '')).map((e) => e.type);
    await log.close();
    // The appends after the takeover were refused (fenced): the log ends where the model was asked.
    expect(types.at(-1)).toBe('phase.started');
    expect(types).not.toContain('llm.attempted');
    expect(types).not.toContain('changes.prepared');
  });
});

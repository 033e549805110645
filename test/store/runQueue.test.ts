import { describe, expect, it } from 'vitest';
import { appendDecision, type QueuedRunSpec } from '../../src/store/index.js';
import { event } from '../support/storeEvents.js';
import { useTestSchema } from '../support/postgresSchema.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const spec = (runId: string): QueuedRunSpec => ({
  runId,
  plan: { phases: [{ id: 'one', description: 'd', deliverables: ['a.txt'] }] },
  planFile: 'plan.yaml',
  repo: 'file:///repo.git',
  ref: 'HEAD',
  baseSha: 'a'.repeat(40),
});
const worker = (name: string, ttlMs = 60_000) => ({ host: name, pid: 1, ttlMs, token: `${name}-${Math.random()}` });

describe('the run queue (PostgreSQL)', () => {
  it('hands each queued run to one worker, takes back a run whose lease expired, and fences the worker it had', async () => {
    const db = await useTestSchema();
    const { store, queue } = await db.openLog();
    await queue.submit(spec('run-1'));
    expect((await queue.list()).map((r) => [r.runId, r.state])).toEqual([['run-1', 'queued']]);
    await expect(queue.submit(spec('run-1'))).rejects.toThrow(/run run-1 is already in the queue/);

    const first = await queue.claim(worker('w1', 300));
    expect(first).toMatchObject({ run: { runId: 'run-1', state: 'running', worker: 'w1:1', claims: 1, plan: spec('run-1').plan }, begun: false });
    expect(first?.fence.epoch).toBe(1);
    // Held: nobody else gets it, and it is not listed among the log's runs until it has events.
    expect(await queue.claim(worker('w2'))).toBeNull();
    expect(await store.listStreams()).toEqual([]);
    if (first === null) throw new Error('claimed');
    await store.append('run-1', [event(1)], { expectedVersion: 0, fence: first.fence });

    // w1 goes silent past its ttl: the run is claimable again, begun, and w1's fence is dead.
    await sleep(500);
    const second = await queue.claim(worker('w2'));
    expect(second).toMatchObject({ run: { runId: 'run-1', worker: 'w2:1', claims: 2 }, begun: true, fence: { epoch: 2 } });
    await expect(store.append('run-1', [event(2)], { expectedVersion: 1, fence: first.fence })).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await queue.finish('run-1', first.fence, 'succeeded')).toBe(false);
    if (second === null) throw new Error('claimed');
    expect(await queue.finish('run-1', second.fence, 'succeeded')).toBe(true);
    expect((await queue.list())[0]).toMatchObject({ state: 'finished', outcome: 'succeeded' });
    // A finished run is not taken again, even once its lease is gone.
    await store.releaseLease('run-1', second.fence);
    expect(await queue.claim(worker('w3'))).toBeNull();
  });

  it('gives concurrent claimers different runs, oldest first (SKIP LOCKED), and a handed-back run at once', async () => {
    const db = await useTestSchema();
    const logs = await Promise.all([1, 2, 3, 4].map(() => db.openLog({ maxConnections: 2 })));
    const queue = logs[0]?.queue;
    if (queue === undefined) throw new Error('a queue');
    for (let i = 1; i <= 6; i++) await queue.submit(spec(`run-${i}`));
    const claims = await Promise.all(logs.map((log, i) => log.queue.claim(worker(`w${i}`))));
    const taken = claims.map((c) => c?.run.runId);
    expect(new Set(taken).size).toBe(4);
    expect([...taken].sort()).toEqual(['run-1', 'run-2', 'run-3', 'run-4']);
    const back = claims.find((c) => c?.run.runId === 'run-2');
    if (back === undefined || back === null) throw new Error('run-2 was claimed');
    await queue.handBack('run-2', back.fence);
    expect((await queue.list()).find((r) => r.runId === 'run-2')?.state).toBe('queued');
    expect((await queue.claim(worker('w9')))?.run.runId).toBe('run-2');
    expect((await queue.claim(worker('w9')))?.run.runId).toBe('run-5');
    expect((await queue.claim(worker('w9')))?.run.runId).toBe('run-6');

    // Rounds of claimers racing for as many runs: each gets one, even the one whose first pick was taken
    // by a claimer that committed between its snapshot and its row lock (it picks again).
    for (let round = 0; round < 10; round++) {
      const ids = logs.map((_, i) => `race-${round}-${i}`);
      for (const id of ids) await queue.submit(spec(id));
      const raced = await Promise.all(logs.map((log, i) => log.queue.claim(worker(`r${round}-${i}`))));
      expect(raced.map((c) => c?.run.runId).sort(), `round ${round}`).toEqual(ids);
    }
  });

  it('keeps a run parked at an approval gate from every worker until a decision is appended, or its log moves; only its lease holder parks it', async () => {
    const db = await useTestSchema();
    const { store, queue } = await db.openLog();
    // Named in submission order: runs submitted within one millisecond are claimed by name.
    await queue.submit(spec('run-a-gated'));
    await queue.submit(spec('run-b-by-hand'));
    const claim = async (name: string) => {
      const claimed = await queue.claim(worker(name));
      if (claimed === null) throw new Error(`${name} claimed nothing`);
      return claimed;
    };
    const gated = await claim('w1');
    const byHand = await claim('w2');
    await store.append('run-a-gated', [event(1)], { expectedVersion: 0, fence: gated.fence });
    await store.append('run-b-by-hand', [event(1)], { expectedVersion: 0, fence: byHand.fence });
    // A decision about an earlier attempt, already there when the worker parks: it does not count.
    const decision = (attempt: number) => ({ phaseIndex: 0, attempt, approved: true, feedback: null, by: 'ann', via: 'cli' as const, at: 5 });
    await appendDecision(store, 'run-a-gated', decision(1), 0);

    const stale = { ...gated.fence, epoch: gated.fence.epoch + 1 };
    expect(await queue.park('run-a-gated', stale, 1)).toBe(false);
    expect(await queue.park('run-a-gated', gated.fence, 1)).toBe(true);
    expect(await queue.park('run-b-by-hand', byHand.fence, 0)).toBe(true);
    expect((await queue.list()).map((r) => [r.runId, r.state])).toEqual([['run-a-gated', 'awaiting_approval'], ['run-b-by-hand', 'awaiting_approval']]);
    // Leases released, yet neither is claimable: nobody has decided.
    expect(await queue.claim(worker('w3'))).toBeNull();

    // Someone resumes one by hand (its log moves on): workers may take it, and see how it stands.
    const resumed = await store.acquireLease('run-b-by-hand', { pid: 7, host: 'laptop', ttlMs: 60_000, token: 'hand' });
    await store.append('run-b-by-hand', [event(2)], { expectedVersion: 1, fence: resumed });
    await store.releaseLease('run-b-by-hand', resumed);
    expect((await claim('w3')).run.runId).toBe('run-b-by-hand');
    expect(await queue.claim(worker('w4'))).toBeNull();

    // The decision about the waiting attempt makes the gated run claimable, begun, with a new epoch.
    await appendDecision(store, 'run-a-gated', decision(2), 1);
    expect(await claim('w4')).toMatchObject({ run: { runId: 'run-a-gated', state: 'running', claims: 2 }, begun: true, fence: { epoch: gated.fence.epoch + 1 } });
  });

  it('upgrades a queue written by schema 3 (before parking) in place, keeping its runs', async () => {
    const db = await useTestSchema();
    const old = await db.openLog();
    await old.queue.submit(spec('run-1'));
    const client = await db.connect();
    const queueTable = `"${db.schema}".run_queue`;
    // The queue as schema 3 made it: three states, no parked versions.
    await client.query(`ALTER TABLE ${queueTable} DROP CONSTRAINT run_queue_state_check,
      ADD CONSTRAINT run_queue_state_check CHECK (state IN ('queued', 'running', 'finished')),
      DROP COLUMN parked_version, DROP COLUMN parked_decisions`);
    await client.query(`UPDATE "${db.schema}".schema_version SET version = 3`);

    const { store, queue } = await db.openLog();
    expect((await client.query<{ version: number }>(`SELECT version FROM "${db.schema}".schema_version`)).rows[0]?.version).toBe(4);
    const claimed = await queue.claim(worker('w1'));
    if (claimed === null) throw new Error('the queued run survives the upgrade');
    await store.append('run-1', [event(1)], { expectedVersion: 0, fence: claimed.fence });
    expect(await queue.park('run-1', claimed.fence, 0)).toBe(true);
    expect((await queue.list()).map((r) => [r.runId, r.state])).toEqual([['run-1', 'awaiting_approval']]);
  });

  it('wakes a listening worker when a run is submitted or handed back', async () => {
    const db = await useTestSchema();
    const { queue } = await db.openLog();
    let wakes = 0;
    const stop = await queue.watch(() => {
      wakes += 1;
    });
    await queue.submit(spec('run-1'));
    for (let i = 0; i < 50 && wakes === 0; i++) await sleep(20);
    expect(wakes).toBe(1);
    await stop();
  });
});

import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMemoryEventStore,
  createSqliteEventStore,
  LeaseConflictError,
  LeaseLostError,
  VersionConflictError,
  type EventStore,
  type NewRunEvent,
} from '../../src/store/index.js';
import { createTestPostgresStore } from '../support/postgresSchema.js';
import { event } from '../support/storeEvents.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();


const implementations: [string, () => EventStore | Promise<EventStore>][] = [
  ['memory', () => createMemoryEventStore()],
  ['sqlite', () => createSqliteEventStore(path.join(tempDir(), 'log.db'))],
  // A schema of its own per test, dropped afterwards; fails (not skips) when there is no PostgreSQL.
  ['postgres', () => createTestPostgresStore()],
];

describe.each(implementations)('EventStore contract: %s', (_name, create) => {
  it('appends with sequence numbers from 1 and reads them back in order', async () => {
    const store = await create();
    const stored = await store.append('run-a', [event(1), event(2)], { expectedVersion: 0 });
    expect(stored.map((e) => e.seq)).toEqual([1, 2]);
    await store.append('run-a', [event(3)], { expectedVersion: 2 });
    expect((await store.read('run-a')).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await store.read('run-a', { from: 2 })).map((e) => (e.data as { phaseId: string }).phaseId)).toEqual(['p2', 'p3']);
    expect(await store.version('run-a')).toBe(3);
    await store.close();
  });

  it('rejects an append at the wrong expected version with a typed conflict, writing nothing', async () => {
    const store = await create();
    await store.append('run-a', [event(1)], { expectedVersion: 0 });
    await expect(store.append('run-a', [event(2), event(3)], { expectedVersion: 0 })).rejects.toThrow(VersionConflictError);
    await expect(store.append('run-a', [event(2)], { expectedVersion: 5 })).rejects.toMatchObject({
      code: 'STORE_VERSION_CONFLICT',
      expectedVersion: 5,
      actualVersion: 1,
    });
    expect(await store.read('run-a')).toHaveLength(1);
    await store.close();
  });

  it('keeps streams apart and orders readAll by global position', async () => {
    const store = await create();
    await store.append('run-a', [event(1)], { expectedVersion: 0 });
    await store.append('run-b', [event(2)], { expectedVersion: 0 });
    await store.append('run-a', [event(3)], { expectedVersion: 1 });
    expect((await store.readAll()).map((e) => `${e.stream}:${e.seq}`)).toEqual(['run-a:1', 'run-b:1', 'run-a:2']);
    const [first] = await store.readAll();
    expect((await store.readAll({ after: first?.position ?? 0 })).map((e) => e.stream)).toEqual(['run-b', 'run-a']);
    expect((await store.listStreams()).map((s) => [s.stream, s.version])).toEqual([['run-a', 2], ['run-b', 1]]);
    expect(await store.aggregate('run-a', (n: number) => n + 1, 0)).toBe(2);
    await store.close();
  });

  it('aggregates every event of a long stream once, in order, and only that stream', async () => {
    const store = await create();
    for (const [stream, count] of [['run-a', 512], ['run-b', 700]] as const) {
      await store.append(stream, Array.from({ length: count }, (_, i) => event(i + 1)), { expectedVersion: 0 });
    }
    const seqs = (stream: string): Promise<number[]> => store.aggregate(stream, (seen: number[], e) => [...seen, e.seq], []);
    for (const [stream, count] of [['run-a', 512], ['run-b', 700], ['run-c', 0]] as const) {
      expect(await seqs(stream)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    }
    await store.close();
  });

  it('round-trips event data exactly', async () => {
    const store = await create();
    await fc.assert(
      fc.asyncProperty(fc.string(), fc.integer({ min: 0, max: 1e12 }), async (phaseId, at) => {
        const version = await store.version('run-x');
        const [stored] = await store.append('run-x', [{ ...event(1, at), data: { phaseIndex: 0, attempt: 1, phaseId } }], { expectedVersion: version });
        const [read] = await store.read('run-x', { from: stored?.seq ?? 0 });
        expect(read).toEqual(stored);
      }),
      { numRuns: 50 },
    );
    await store.close();
  });

  it('grants a run lease to one holder at a time, lets a gone one be taken over, and renews only for its holder', async () => {
    const store = await create();
    const claim = (token: string, pid: number, ttlMs = 60_000) => ({ token, pid, host: `h${pid}`, ttlMs });
    const before = Date.now();
    const a = await store.acquireLease('run-1', claim('a', 101));
    expect(a).toMatchObject({ token: 'a', epoch: 1, pid: 101, host: 'h101', ttlMs: 60_000, expired: false });
    expect(a.heartbeatAt).toBe(a.since);
    expect(a.expiresAt).toBe(a.since + 60_000);
    // The store's clock: for PostgreSQL the server's, here on the same machine.
    expect(Math.abs(a.since - before)).toBeLessThan(5_000);
    expect(await store.readLease('run-1')).toEqual(a);
    await expect(store.acquireLease('run-1', claim('b', 202), () => false)).rejects.toThrow(LeaseConflictError);
    await expect(store.acquireLease('run-1', claim('b', 202))).rejects.toThrow(/run run-1 is being driven by process 101 on h101 since/);
    // Leases are per run.
    expect((await store.acquireLease('run-2', claim('b', 202))).epoch).toBe(1);

    expect(await store.renewLease('run-1', { token: 'a', epoch: 1 })).toBe(true);
    expect(await store.renewLease('run-1', { token: 'a', epoch: 2 })).toBe(false);
    let judged: unknown = null;
    const c = await store.acquireLease('run-1', claim('c', 303), (current) => {
      judged = current;
      return true;
    });
    expect(judged).toMatchObject({ token: 'a', epoch: 1, expired: false });
    expect(c).toMatchObject({ token: 'c', epoch: 2 });
    expect(await store.renewLease('run-1', { token: 'a', epoch: 1 })).toBe(false);
    await store.releaseLease('run-1', { token: 'a', epoch: 1 });
    expect((await store.readLease('run-1'))?.token).toBe('c');
    await store.releaseLease('run-1', { token: 'c', epoch: 2 });
    expect(await store.readLease('run-1')).toBeNull();
    // The epoch outlives a release: the next claim's is still one more.
    expect((await store.acquireLease('run-1', claim('d', 404))).epoch).toBe(3);
    await store.close();
  });

  it('fences appends: a lease taken over, released or expired refuses them in the same transaction, and writes nothing', async () => {
    const store = await create();
    const claim = (token: string, ttlMs = 60_000) => ({ token, pid: 1, host: 'h', ttlMs });
    const first = await store.acquireLease('run-f', claim('first'));
    const fenceA = { token: first.token, epoch: first.epoch };
    await store.append('run-f', [event(1)], { expectedVersion: 0, fence: fenceA });
    const renewedBy = (await store.readLease('run-f'))?.heartbeatAt ?? 0;
    expect(renewedBy).toBeGreaterThanOrEqual(first.heartbeatAt);
    // A version conflict under a good fence is still a version conflict.
    await expect(store.append('run-f', [event(2)], { expectedVersion: 0, fence: fenceA })).rejects.toThrow(VersionConflictError);

    const second = await store.acquireLease('run-f', claim('second'), () => true);
    const refused = store.append('run-f', [event(2)], { expectedVersion: 1, fence: fenceA });
    await expect(refused).rejects.toBeInstanceOf(LeaseLostError);
    await expect(store.append('run-f', [event(2)], { expectedVersion: 1, fence: fenceA })).rejects.toMatchObject({
      code: 'LEASE_LOST',
      message: expect.stringMatching(/^run run-f: this process's lease \(epoch 1\) was taken over by process 1 on h \(epoch 2\)/),
    });
    expect(await store.version('run-f')).toBe(1);
    await store.append('run-f', [event(2)], { expectedVersion: 1, fence: { token: second.token, epoch: second.epoch } });
    expect(await store.version('run-f')).toBe(2);

    await store.releaseLease('run-f', { token: second.token, epoch: second.epoch });
    await expect(store.append('run-f', [event(3)], { expectedVersion: 2, fence: { token: second.token, epoch: second.epoch } })).rejects.toThrow(
      /was released or never taken/,
    );
    // Nobody claimed run-g: a fence for it holds nothing.
    await expect(store.append('run-g', [event(1)], { expectedVersion: 0, fence: fenceA })).rejects.toBeInstanceOf(LeaseLostError);
    expect(await store.version('run-g')).toBe(0);

    const short = await store.acquireLease('run-f', claim('short', 300));
    const shortFence = { token: short.token, epoch: short.epoch };
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await store.readLease('run-f')).toMatchObject({ token: 'short', expired: true });
    await expect(store.append('run-f', [event(3)], { expectedVersion: 2, fence: shortFence })).rejects.toThrow(/expired at/);
    expect(await store.renewLease('run-f', shortFence)).toBe(false);
    // An expired holder is taken over without asking.
    expect((await store.acquireLease('run-f', claim('next'), () => false)).epoch).toBe(short.epoch + 1);
    expect(await store.version('run-f')).toBe(2);
    await store.close();
  });

  it('finds the last event of a type in a stream, for the types a resume asks about and any other', async () => {
    const store = await create();
    const finished = (n: number): NewRunEvent =>
      ({ type: 'phase.finished', actor: 'orchestrator', source: null, target: null, data: { phaseIndex: n, success: true, nextPhaseIndex: n + 1, succeeded: n + 1, failed: 0 }, at: n }) as NewRunEvent;
    const resumed: NewRunEvent = { type: 'run.resumed', actor: 'orchestrator', source: null, target: null, data: { fromSeq: 3, pid: 1, host: 'h' }, at: 9 };
    await store.append('run-a', [event(1), finished(0), event(2), resumed, finished(1), event(3)], { expectedVersion: 0 });
    await store.append('run-b', [finished(7)], { expectedVersion: 0 });
    expect(await store.lastOfType('run-a', 'phase.finished')).toMatchObject({ seq: 5, data: { phaseIndex: 1 } });
    expect(await store.lastOfType('run-a', 'run.resumed')).toMatchObject({ seq: 4, data: { fromSeq: 3 } });
    expect(await store.lastOfType('run-a', 'phase.started')).toMatchObject({ seq: 6, data: { phaseId: 'p3' } });
    expect(await store.lastOfType('run-b', 'run.resumed')).toBeNull();
    expect(await store.lastOfType('run-c', 'phase.finished')).toBeNull();
    await store.close();
  });

  it('lists only streams with events: a run that was only claimed is not one yet', async () => {
    const store = await create();
    await store.acquireLease('run-claimed', { token: 't', pid: 1, host: 'h', ttlMs: 60_000 });
    expect(await store.listStreams()).toEqual([]);
    expect(await store.version('run-claimed')).toBe(0);
    const lease = await store.readLease('run-claimed');
    const [stored] = await store.append('run-claimed', [event(1, 5_000)], { expectedVersion: 0, fence: { token: 't', epoch: lease?.epoch ?? 0 } });
    expect(stored?.seq).toBe(1);
    expect(await store.listStreams()).toEqual([{ stream: 'run-claimed', version: 1, createdAt: 5_000, updatedAt: 5_000 }]);
    await store.close();
  });
});

describe('SQLite event store', () => {
  it('persists across reopen and refuses a second writer that read an old version', async () => {
    const file = path.join(tempDir(), 'log.db');
    const writerA = createSqliteEventStore(file);
    const writerB = createSqliteEventStore(file);
    await writerA.append('run-a', [event(1)], { expectedVersion: 0 });
    await expect(writerB.append('run-a', [event(2)], { expectedVersion: 0 })).rejects.toThrow(VersionConflictError);
    await writerA.close();
    await writerB.close();
    const reader = createSqliteEventStore(file, { readonly: true });
    expect(await reader.read('run-a')).toHaveLength(1);
    await reader.close();
  });

  it('a read-only open of a missing file is a clear error and creates nothing', () => {
    const file = path.join(tempDir(), 'missing.db');
    expect(() => createSqliteEventStore(file, { readonly: true })).toThrow(/no event log at .*missing\.db/);
  });
});

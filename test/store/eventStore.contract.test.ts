import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMemoryEventStore,
  createSqliteEventStore,
  LeaseConflictError,
  VersionConflictError,
  type EventStore,
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

  it('grants a run lease to one holder at a time, lets a stale one be taken over, and renews only for its holder', async () => {
    const store = await create();
    const holder = { token: 'a', pid: 101, host: 'h1', since: 1_000 };
    await store.acquireLease('run-1', holder, () => false);
    expect(await store.readLease('run-1')).toEqual({ ...holder, heartbeatAt: 1_000 });
    await expect(store.acquireLease('run-1', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false)).rejects.toThrow(LeaseConflictError);
    await expect(store.acquireLease('run-1', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false)).rejects.toThrow(
      /run run-1 is being driven by process 101 on h1 since/,
    );
    // Leases are per run.
    await store.acquireLease('run-2', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false);

    expect(await store.renewLease('run-1', 'a', 1_500)).toBe(true);
    expect((await store.readLease('run-1'))?.heartbeatAt).toBe(1_500);
    let judged: unknown = null;
    await store.acquireLease('run-1', { token: 'c', pid: 303, host: 'h3', since: 3_000 }, (current) => {
      judged = current;
      return true;
    });
    expect(judged).toMatchObject({ token: 'a', heartbeatAt: 1_500 });
    expect(await store.renewLease('run-1', 'a', 3_100)).toBe(false);
    await store.releaseLease('run-1', 'a');
    expect((await store.readLease('run-1'))?.token).toBe('c');
    await store.releaseLease('run-1', 'c');
    expect(await store.readLease('run-1')).toBeNull();
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

import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMemoryEventStore,
  createSqliteEventStore,
  LeaseConflictError,
  VersionConflictError,
  type EventStore,
  type NewRunEvent,
} from '../../src/store/index.js';
import { useTempDirs } from '../support/tempDir.js';

const tempDir = useTempDirs();

const event = (n: number, at = 1_000 + n): Extract<NewRunEvent, { type: 'phase.started' }> => ({
  type: 'phase.started',
  actor: 'phase-0',
  source: null,
  target: 'prompting',
  data: { phaseIndex: 0, attempt: 1, phaseId: `p${n}` },
  at,
});

const implementations: [string, () => EventStore][] = [
  ['memory', () => createMemoryEventStore()],
  ['sqlite', () => createSqliteEventStore(path.join(tempDir(), 'log.db'))],
];

describe.each(implementations)('EventStore contract: %s', (_name, create) => {
  it('appends with sequence numbers from 1 and reads them back in order', () => {
    const store = create();
    const stored = store.append('run-a', [event(1), event(2)], { expectedVersion: 0 });
    expect(stored.map((e) => e.seq)).toEqual([1, 2]);
    store.append('run-a', [event(3)], { expectedVersion: 2 });
    expect(store.read('run-a').map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(store.read('run-a', { from: 2 }).map((e) => (e.data as { phaseId: string }).phaseId)).toEqual(['p2', 'p3']);
    expect(store.version('run-a')).toBe(3);
    store.close();
  });

  it('rejects an append at the wrong expected version with a typed conflict, writing nothing', () => {
    const store = create();
    store.append('run-a', [event(1)], { expectedVersion: 0 });
    expect(() => store.append('run-a', [event(2), event(3)], { expectedVersion: 0 })).toThrow(VersionConflictError);
    try {
      store.append('run-a', [event(2)], { expectedVersion: 5 });
    } catch (error) {
      expect(error).toMatchObject({ code: 'STORE_VERSION_CONFLICT', expectedVersion: 5, actualVersion: 1 });
    }
    expect(store.read('run-a')).toHaveLength(1);
    store.close();
  });

  it('keeps streams apart and orders readAll by global position', () => {
    const store = create();
    store.append('run-a', [event(1)], { expectedVersion: 0 });
    store.append('run-b', [event(2)], { expectedVersion: 0 });
    store.append('run-a', [event(3)], { expectedVersion: 1 });
    expect(store.readAll().map((e) => `${e.stream}:${e.seq}`)).toEqual(['run-a:1', 'run-b:1', 'run-a:2']);
    const first = store.readAll()[0];
    expect(store.readAll({ after: first?.position ?? 0 }).map((e) => e.stream)).toEqual(['run-b', 'run-a']);
    expect(store.listStreams().map((s) => [s.stream, s.version])).toEqual([['run-a', 2], ['run-b', 1]]);
    expect(store.aggregate('run-a', (n: number) => n + 1, 0)).toBe(2);
    store.close();
  });

  it('aggregates every event of a long stream once, in order, and only that stream', () => {
    const store = create();
    for (const [stream, count] of [['run-a', 512], ['run-b', 700]] as const) {
      store.append(stream, Array.from({ length: count }, (_, i) => event(i + 1)), { expectedVersion: 0 });
    }
    const seqs = (stream: string): number[] => store.aggregate(stream, (seen: number[], e) => [...seen, e.seq], []);
    for (const [stream, count] of [['run-a', 512], ['run-b', 700], ['run-c', 0]] as const) {
      expect(seqs(stream)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    }
    store.close();
  });

  it('round-trips event data exactly', () => {
    const store = create();
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 1e12 }), (phaseId, at) => {
        const version = store.version('run-x');
        const [stored] = store.append('run-x', [{ ...event(1, at), data: { phaseIndex: 0, attempt: 1, phaseId } }], { expectedVersion: version });
        const [read] = store.read('run-x', { from: stored?.seq ?? 0 });
        expect(read).toEqual(stored);
      }),
      { numRuns: 50 },
    );
    store.close();
  });

  it('grants a run lease to one holder at a time, lets a stale one be taken over, and renews only for its holder', () => {
    const store = create();
    const holder = { token: 'a', pid: 101, host: 'h1', since: 1_000 };
    store.acquireLease('run-1', holder, () => false);
    expect(store.readLease('run-1')).toEqual({ ...holder, heartbeatAt: 1_000 });
    expect(() => store.acquireLease('run-1', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false)).toThrow(LeaseConflictError);
    expect(() => store.acquireLease('run-1', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false)).toThrow(
      /run run-1 is being driven by process 101 on h1 since/,
    );
    // Leases are per run.
    store.acquireLease('run-2', { token: 'b', pid: 202, host: 'h2', since: 2_000 }, () => false);

    expect(store.renewLease('run-1', 'a', 1_500)).toBe(true);
    expect(store.readLease('run-1')?.heartbeatAt).toBe(1_500);
    let judged: unknown = null;
    store.acquireLease('run-1', { token: 'c', pid: 303, host: 'h3', since: 3_000 }, (current) => {
      judged = current;
      return true;
    });
    expect(judged).toMatchObject({ token: 'a', heartbeatAt: 1_500 });
    expect(store.renewLease('run-1', 'a', 3_100)).toBe(false);
    store.releaseLease('run-1', 'a');
    expect(store.readLease('run-1')?.token).toBe('c');
    store.releaseLease('run-1', 'c');
    expect(store.readLease('run-1')).toBeNull();
    store.close();
  });
});

describe('SQLite event store', () => {
  it('persists across reopen and refuses a second writer that read an old version', () => {
    const file = path.join(tempDir(), 'log.db');
    const writerA = createSqliteEventStore(file);
    const writerB = createSqliteEventStore(file);
    writerA.append('run-a', [event(1)], { expectedVersion: 0 });
    expect(() => writerB.append('run-a', [event(2)], { expectedVersion: 0 })).toThrow(VersionConflictError);
    writerA.close();
    writerB.close();
    const reader = createSqliteEventStore(file, { readonly: true });
    expect(reader.read('run-a')).toHaveLength(1);
    reader.close();
  });

  it('a read-only open of a missing file is a clear error and creates nothing', () => {
    const file = path.join(tempDir(), 'missing.db');
    expect(() => createSqliteEventStore(file, { readonly: true })).toThrow(/no event log at .*missing\.db/);
  });
});

import type { AppendOptions, EventStore, LeaseFence, StreamInfo } from './eventStore.js';
import { LeaseLostError, VersionConflictError } from './eventStore.js';
import type { NewRunEvent, StoredRunEvent } from './events.js';
import { toFoldEvent } from './foldData.js';
import { claimOver, currentHolder, fenceHolds, renewedBy, toHolder, type LeaseRecord } from './leaseRules.js';

export interface MemoryEventStoreOptions {
  /** The store's clock, which alone decides when a lease expires; Date.now by default. */
  clock?: () => number;
}

/** The reference implementation of the EventStore contract; the SQLite store must behave the same. */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const clock = options.clock ?? Date.now;
  const all: StoredRunEvent[] = [];
  const streams = new Map<string, { events: StoredRunEvent[]; info: StreamInfo }>();
  const leases = new Map<string, LeaseRecord>();

  const version = (stream: string): number => streams.get(stream)?.info.version ?? 0;

  /** Renews the lease when the fence holds it; throws LeaseLostError otherwise. */
  function checkFence(stream: string, fence: LeaseFence): void {
    const record = leases.get(stream) ?? null;
    const now = clock();
    if (!fenceHolds(record, fence, now) || record === null) throw new LeaseLostError(stream, fence, currentHolder(record, now));
    record.heartbeatAt = now;
    record.expiresAt = now + record.ttlMs;
  }

  return {
    async append(stream: string, events: readonly NewRunEvent[], { expectedVersion, fence }: AppendOptions): Promise<StoredRunEvent[]> {
      const actual = version(stream);
      if (fence !== undefined) checkFence(stream, fence);
      if (actual !== expectedVersion) throw new VersionConflictError(stream, expectedVersion, actual);
      if (events.length === 0) return [];
      let entry = streams.get(stream);
      if (entry === undefined) {
        const at = events[0]?.at ?? 0;
        entry = { events: [], info: { stream, version: 0, createdAt: at, updatedAt: at } };
        streams.set(stream, entry);
      }
      const stored = events.map((event, i) => ({
        ...structuredClone(event),
        stream,
        seq: actual + i + 1,
        position: all.length + i + 1,
      })) as StoredRunEvent[];
      all.push(...stored);
      entry.events.push(...stored);
      entry.info.version = actual + stored.length;
      entry.info.updatedAt = stored[stored.length - 1]?.at ?? entry.info.updatedAt;
      return structuredClone(stored);
    },
    async read(stream, options = {}) {
      const from = options.from ?? 1;
      const matching = (streams.get(stream)?.events ?? []).filter((e) => e.seq >= from);
      return structuredClone(options.limit === undefined ? matching : matching.slice(0, options.limit));
    },
    async readAll(options = {}) {
      const after = options.after ?? 0;
      const matching = all.filter((e) => e.position > after);
      return structuredClone(options.limit === undefined ? matching : matching.slice(0, options.limit));
    },
    async aggregate(stream, evolve, initial) {
      // A copy, as the SQLite store parses its own: a fold may keep the data it is handed.
      return (streams.get(stream)?.events ?? []).reduce((state, event) => evolve(state, toFoldEvent(structuredClone(event))), initial);
    },
    version: async (stream) => version(stream),
    async lastOfType(stream, type) {
      const found = (streams.get(stream)?.events ?? []).findLast((e) => e.type === type);
      return found === undefined ? null : structuredClone(found);
    },
    async listStreams() {
      return [...streams.values()].map((s) => ({ ...s.info }));
    },
    async acquireLease(stream, claim, takeOver) {
      const now = clock();
      const record = claimOver(stream, leases.get(stream) ?? null, claim, now, takeOver);
      leases.set(stream, record);
      return toHolder(record, now);
    },
    async renewLease(stream, fence) {
      return renewedBy(() => checkFence(stream, fence));
    },
    async releaseLease(stream, fence) {
      const record = leases.get(stream);
      if (record !== undefined && record.token === fence.token && record.epoch === fence.epoch) record.released = true;
    },
    async readLease(stream) {
      return currentHolder(leases.get(stream) ?? null, clock());
    },
    async close() {},
  };
}

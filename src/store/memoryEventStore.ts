import type { AppendOptions, EventStore, LeaseHolder, StreamInfo } from './eventStore.js';
import { LeaseConflictError, VersionConflictError } from './eventStore.js';
import type { NewRunEvent, StoredRunEvent } from './events.js';
import { toFoldEvent } from './foldData.js';

/** The reference implementation of the EventStore contract; the SQLite store must behave the same. */
export function createMemoryEventStore(): EventStore {
  const all: StoredRunEvent[] = [];
  const streams = new Map<string, { events: StoredRunEvent[]; info: StreamInfo }>();
  const leases = new Map<string, LeaseHolder>();

  const version = (stream: string): number => streams.get(stream)?.info.version ?? 0;

  return {
    async append(stream: string, events: readonly NewRunEvent[], { expectedVersion }: AppendOptions): Promise<StoredRunEvent[]> {
      const actual = version(stream);
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
    async acquireLease(stream, holder, isStale) {
      const current = leases.get(stream);
      if (current !== undefined && current.token !== holder.token && !isStale({ ...current })) {
        throw new LeaseConflictError(stream, { ...current });
      }
      leases.set(stream, { ...holder, heartbeatAt: holder.since });
    },
    async renewLease(stream, token, now) {
      const current = leases.get(stream);
      if (current?.token !== token) return false;
      current.heartbeatAt = now;
      return true;
    },
    async releaseLease(stream, token) {
      if (leases.get(stream)?.token === token) leases.delete(stream);
    },
    async readLease(stream) {
      const current = leases.get(stream);
      return current === undefined ? null : { ...current };
    },
    async close() {},
  };
}

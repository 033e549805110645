import { AutopackError } from '../model/errors.js';
import type { FoldEvent, NewRunEvent, StoredRunEvent } from './events.js';

export interface AppendOptions {
  /** The stream's version (its last seq, 0 when empty) the writer based its decision on. */
  expectedVersion: number;
  /**
   * The writer's lease: the append is refused with LeaseLostError, in the same transaction, unless this
   * lease still holds the run (same token and epoch, not released, not expired by the store's clock). A
   * fenced append also renews the lease, so a run's appends double as its heartbeat.
   */
  fence?: LeaseFence;
}

export interface StreamInfo {
  stream: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** What a process asks for when it claims a run. */
export interface LeaseClaim {
  /** Random, one per claim: it tells this holder from any other, on any host. */
  token: string;
  pid: number;
  host: string;
  /** The lease expires this long after its last renewal, by the store's clock. */
  ttlMs: number;
}

/** Proof of a claim: what a fenced append or a renewal presents. */
export interface LeaseFence {
  token: string;
  /** Goes up by one with every claim of the run, so an older holder's fence never matches again. */
  epoch: number;
}

/** Who drives a run: one process at a time holds its lease. Times are the store's clock, epoch ms. */
export interface LeaseHolder extends LeaseFence {
  pid: number;
  host: string;
  ttlMs: number;
  /** When the lease was taken, and last renewed. */
  since: number;
  heartbeatAt: number;
  expiresAt: number;
  /** Not renewed within its ttl: any claim takes it over, and its holder's appends are refused. */
  expired: boolean;
}

/**
 * Whether a claim may take the run from its current, unexpired holder anyway (a process on this host that
 * is known to be dead). An expired holder is always taken over; `now` is the store's clock.
 */
export type TakeOver = (current: LeaseHolder, now: number) => boolean;

/**
 * The event log. Asynchronous, so that a store across the network (PostgreSQL) fits the same interface as
 * the embedded ones; the runtime keeps the ordering guarantee itself: it awaits an append before the
 * effect that the appended events lead to may act (see the recorder's group commit).
 */
export interface EventStore {
  append(stream: string, events: readonly NewRunEvent[], options: AppendOptions): Promise<StoredRunEvent[]>;
  read(stream: string, options?: { from?: number; limit?: number }): Promise<StoredRunEvent[]>;
  readAll(options?: { after?: number; limit?: number }): Promise<StoredRunEvent[]>;
  /**
   * Folds the stream from its first event. `evolve` is handed each event's type, seq, target, data and
   * time only (a FoldEvent), which lets the store read no more of a row than a fold needs.
   */
  aggregate<S>(stream: string, evolve: (state: S, event: FoldEvent) => S, initial: S): Promise<S>;
  /** The stream's last event of this type, or null: lets a resume read only the log's tail. */
  lastOfType(stream: string, type: StoredRunEvent['type']): Promise<StoredRunEvent | null>;
  version(stream: string): Promise<number>;
  /** The streams that have events (a run only claimed has none yet). */
  listStreams(): Promise<StreamInfo[]>;
  /**
   * Claims the run: takes its lease with the next epoch, unless a holder that has not expired has it and
   * `takeOver` does not say it is gone (then throws LeaseConflictError). Returns the new holder.
   */
  acquireLease(stream: string, claim: LeaseClaim, takeOver?: TakeOver): Promise<LeaseHolder>;
  /** Extends the lease by its ttl; false when this fence no longer holds it (taken over, released or expired). */
  renewLease(stream: string, fence: LeaseFence): Promise<boolean>;
  releaseLease(stream: string, fence: LeaseFence): Promise<void>;
  /** The run's holder, expired or not; null when nobody claimed it or the last holder released it. */
  readLease(stream: string): Promise<LeaseHolder | null>;
  close(): Promise<void>;
}

export class LeaseConflictError extends AutopackError {
  readonly holder: LeaseHolder;

  constructor(stream: string, holder: LeaseHolder) {
    super(
      'RUN_LOCKED',
      `run ${stream} is being driven by process ${holder.pid} on ${holder.host} since ${new Date(holder.since).toISOString()} ` +
        `(last heartbeat ${new Date(holder.heartbeatAt).toISOString()}); stop that process, or wait for it to finish`,
    );
    this.holder = holder;
  }
}

/** An append or renewal presented a fence that no longer holds the run's lease. */
export class LeaseLostError extends AutopackError {
  readonly stream: string;
  readonly fence: LeaseFence;
  /** Who holds it now (expired or not), or null when nobody does. */
  readonly holder: LeaseHolder | null;

  constructor(stream: string, fence: LeaseFence, holder: LeaseHolder | null) {
    super('LEASE_LOST', `run ${stream}: ${LeaseLostError.why(fence, holder)}; this process stops, and nothing more it does reaches the log`);
    this.stream = stream;
    this.fence = fence;
    this.holder = holder;
  }

  private static why(fence: LeaseFence, holder: LeaseHolder | null): string {
    const mine = `this process's lease (epoch ${fence.epoch})`;
    if (holder === null) return `${mine} was released or never taken`;
    if (holder.token !== fence.token || holder.epoch !== fence.epoch) {
      return `${mine} was taken over by process ${holder.pid} on ${holder.host} (epoch ${holder.epoch}) at ${new Date(holder.since).toISOString()}`;
    }
    return `${mine} expired at ${new Date(holder.expiresAt).toISOString()} (not renewed for ${Math.round(holder.ttlMs / 1000)} s)`;
  }
}

export class VersionConflictError extends AutopackError {
  readonly stream: string;
  readonly expectedVersion: number;
  readonly actualVersion: number;

  constructor(stream: string, expectedVersion: number, actualVersion: number) {
    super(
      'STORE_VERSION_CONFLICT',
      `run ${stream}: expected its log at version ${expectedVersion} but it is at ${actualVersion}; ` +
        'another process is writing this run — stop it before resuming',
    );
    this.stream = stream;
    this.expectedVersion = expectedVersion;
    this.actualVersion = actualVersion;
  }
}

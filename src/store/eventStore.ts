import { AutopackError } from '../model/errors.js';
import type { FoldEvent, NewRunEvent, StoredRunEvent } from './events.js';

export interface AppendOptions {
  /** The stream's version (its last seq, 0 when empty) the writer based its decision on. */
  expectedVersion: number;
}

export interface StreamInfo {
  stream: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** Who drives a run: one process at a time holds its lease. */
export interface LeaseHolder {
  token: string;
  pid: number;
  host: string;
  /** Epoch ms the lease was taken, and last renewed. */
  since: number;
  heartbeatAt: number;
}

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
  listStreams(): Promise<StreamInfo[]>;
  /** Takes the run's lease unless a holder that is not stale has it (then throws LeaseConflictError). */
  acquireLease(stream: string, holder: Omit<LeaseHolder, 'heartbeatAt'>, isStale: (current: LeaseHolder) => boolean): Promise<void>;
  /** Keeps the lease alive; false when this token no longer holds it. */
  renewLease(stream: string, token: string, now: number): Promise<boolean>;
  releaseLease(stream: string, token: string): Promise<void>;
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

import { AutopackError } from '../model/errors.js';
import type { NewRunEvent, StoredRunEvent } from './events.js';

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

/**
 * The event log. Synchronous on purpose: the recorder appends from inside XState's inspection callback,
 * so an event is durable before the effect it enables starts.
 */
export interface EventStore {
  append(stream: string, events: readonly NewRunEvent[], options: AppendOptions): StoredRunEvent[];
  read(stream: string, options?: { from?: number }): StoredRunEvent[];
  readAll(options?: { after?: number; limit?: number }): StoredRunEvent[];
  aggregate<S>(stream: string, evolve: (state: S, event: StoredRunEvent) => S, initial: S): S;
  version(stream: string): number;
  listStreams(): StreamInfo[];
  close(): void;
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

import type { LeaseFence } from './eventStore.js';

/** A run submitted to the queue, for a worker to take: the plan and where the repository is. */
export interface QueuedRunSpec {
  runId: string;
  /** The plan document (what the plan file holds, as JSON), validated again by the worker that takes it. */
  plan: unknown;
  /** The plan file it came from, for messages. */
  planFile: string;
  /** A URL (or path) `git clone` accepts, reachable from every worker. */
  repo: string;
  /** What was asked for (a branch, a tag, HEAD) and the commit it named when submitted: runs start there. */
  ref: string;
  baseSha: string;
}

/** `awaiting_approval`: parked at an approval gate, held by no worker until a decision is made. */
export type QueueState = 'queued' | 'running' | 'awaiting_approval' | 'finished';

export interface QueuedRun extends QueuedRunSpec {
  state: QueueState;
  submittedAt: number;
  /** The worker that took it last (`host:pid`), and how many times it was taken. */
  worker: string | null;
  claims: number;
  /** How the run ended (succeeded, failed, stopped, errored: message), once finished. */
  outcome: string | null;
}

export interface ClaimedRun {
  run: QueuedRun;
  /** The run's lease, taken in the same transaction: what the worker's appends present. */
  fence: LeaseFence;
  /** Whether the run has events already: it was begun by a worker that died, froze or handed it back. */
  begun: boolean;
}

/**
 * The queue of runs that workers on several machines take from (PostgreSQL only). A run is claimable while
 * it is not finished and nobody holds its lease (never taken, released, or expired by the database's
 * clock); claiming takes the lease with the next epoch, so the worker it went to before is fenced off. A run
 * parked at an approval gate is claimable again once a decision about it is appended (or its log moves on).
 */
export interface RunQueue {
  submit(spec: QueuedRunSpec): Promise<QueuedRun>;
  /** Takes the oldest claimable run for this worker, or null; concurrent claims never get the same run. */
  claim(worker: { host: string; pid: number; ttlMs: number; token: string }): Promise<ClaimedRun | null>;
  /** Records how the run ended; only while `fence` still holds its lease (false otherwise). */
  finish(runId: string, fence: LeaseFence, outcome: string): Promise<boolean>;
  /**
   * Parks a run at its approval gate: its lease is released and no worker takes it until its decisions
   * stream moves past `decisionsVersion` (the version at which the caller read it and found no decision
   * for the waiting attempt), or its log moves on. Only while `fence` still holds its lease (false otherwise).
   */
  park(runId: string, fence: LeaseFence, decisionsVersion: number): Promise<boolean>;
  /** Hands a run back (a worker stopping): its lease is released and it is claimable at once. */
  handBack(runId: string, fence: LeaseFence): Promise<void>;
  list(): Promise<QueuedRun[]>;
  /** Calls `onSubmitted` when a run is submitted or handed back (LISTEN/NOTIFY: a hint, not a promise). */
  watch(onSubmitted: () => void): Promise<() => Promise<void>>;
}

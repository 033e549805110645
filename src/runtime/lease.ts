import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { AutopackError } from '../model/errors.js';
import { LeaseLostError, type EventStore, type LeaseFence, type LeaseHolder } from '../store/eventStore.js';

/** A lease not renewed for this long expires, by the store's clock: another process may then take the run. */
export const LEASE_TTL_MS = 30_000;
export const LEASE_HEARTBEAT_MS = 2_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder on this host whose process is gone: its run is taken over at once, without waiting for the ttl. */
export function holderIsDeadHere(holder: LeaseHolder): boolean {
  return holder.host === os.hostname() && holder.pid !== process.pid && !processAlive(holder.pid);
}

export interface HeldLease {
  /** What this process's appends present: the store refuses them once another claim took the run. */
  readonly fence: LeaseFence;
  /** Set when the lease is gone (taken over, expired, or not renewed for too long); the run must stop. */
  readonly lost: boolean;
  /**
   * Renews the lease now and says whether this process still holds it. Called right before an effect
   * writes to the repository when no fenced append has just confirmed it.
   */
  confirm(): Promise<boolean>;
  /** A fenced append sent at `sentAt` (performance.now()) succeeded: it renewed the lease, so the next heartbeat may wait. */
  noteConfirmed(sentAt: number): void;
  release(): Promise<void>;
}

export interface HoldLeaseOptions {
  /** How long the lease lasts without renewal; LEASE_TTL_MS by default. */
  ttlMs?: number;
  /** How often it is renewed when nothing else renews it; a fifth of the ttl, at most LEASE_HEARTBEAT_MS, by default. */
  heartbeatMs?: number;
  /**
   * A lease this process claimed already (a worker's claim from the run queue): held on instead of taking
   * a new one, and not released at the end: the claimer does that once it has recorded the run's end.
   */
  claimed?: LeaseFence;
}

async function claimFence(store: EventStore, runId: string, ttlMs: number): Promise<LeaseFence> {
  const holder = await store.acquireLease(runId, { token: randomUUID(), pid: process.pid, host: os.hostname(), ttlMs }, holderIsDeadHere);
  return { token: holder.token, epoch: holder.epoch };
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Claims a run's lease for this process (the next epoch) and keeps it alive, so a second process gets a
 * clear error naming this one, a process that died leaves a lease the next one can take over, and a
 * process that lost it finds out at its next append, which the store then refuses (fencing).
 *
 * A renewal that fails (the database busy or gone) is tried again at the next beat. The lease is safely
 * this process's while its last confirmation was sent less than the ttl less two beats ago (measured on
 * this process's monotonic clock, as the store's clock may differ); past that it counts as lost, and
 * `onLost` stops the run.
 */
export async function holdLease(
  store: EventStore,
  runId: string,
  onLost: (error: AutopackError) => void,
  options: HoldLeaseOptions = {},
): Promise<HeldLease> {
  const ttlMs = options.ttlMs ?? LEASE_TTL_MS;
  const heartbeatMs = options.heartbeatMs ?? Math.min(LEASE_HEARTBEAT_MS, ttlMs / 5);
  if (!(heartbeatMs > 0) || 2 * heartbeatMs >= ttlMs) {
    throw new AutopackError('INPUT_INVALID', `lease: the heartbeat (${heartbeatMs} ms) must be positive and under half the ttl (${ttlMs} ms)`);
  }
  const safeForMs = ttlMs - 2 * heartbeatMs;
  const fence = options.claimed ?? (await claimFence(store, runId, ttlMs));
  if (options.claimed !== undefined && !(await store.renewLease(runId, fence))) throw new LeaseLostError(runId, fence, await store.readLease(runId));
  let confirmedAt = performance.now();
  let lost = false;
  let released = false;

  function lose(error: AutopackError): void {
    if (lost || released) return;
    lost = true;
    clearInterval(timer);
    onLost(error);
  }

  /** true: held and renewed; false: gone; an error: could not tell. */
  async function renew(): Promise<boolean | Error> {
    const sentAt = performance.now();
    try {
      const held = await store.renewLease(runId, fence);
      if (held) confirmedAt = Math.max(confirmedAt, sentAt);
      return held;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  async function check(): Promise<boolean> {
    if (lost || released) return false;
    const outcome = await renew();
    if (lost || released) return false;
    if (outcome === true) return true;
    if (outcome === false) {
      lose(new LeaseLostError(runId, fence, await store.readLease(runId).catch(() => null)));
      return false;
    }
    const silentFor = performance.now() - confirmedAt;
    if (silentFor < safeForMs) return true;
    lose(
      new AutopackError(
        'LEASE_LOST',
        `run ${runId}: the lease could not be renewed for ${Math.round(silentFor / 1000)} s (${describeError(outcome)}), so another process may ` +
          'take the run over; this one stops. Resume it once the event log is reachable again',
      ),
    );
    return false;
  }

  // A beat that is still waiting on the database is not overtaken by the next one, and a beat right after
  // a fenced append (which renewed the lease) is skipped.
  let beating = false;
  const timer = setInterval(() => {
    if (beating || performance.now() - confirmedAt < heartbeatMs) return;
    beating = true;
    void check().finally(() => {
      beating = false;
    });
  }, heartbeatMs);
  timer.unref();
  return {
    fence,
    get lost() {
      return lost;
    },
    confirm: check,
    noteConfirmed(sentAt) {
      confirmedAt = Math.max(confirmedAt, sentAt);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      // A lease the caller claimed is the caller's to release (a worker records the run's end first).
      if (lost || options.claimed !== undefined) return;
      try {
        await store.releaseLease(runId, fence);
      } catch {
        // The log is unreachable: the lease expires by itself, and a process on this host sees this one gone.
      }
    },
  };
}

/** Whether a live process holds the run's lease: if not, a run the log shows running crashed or was killed. */
export async function isDriven(store: EventStore, runId: string): Promise<boolean> {
  const lease = await store.readLease(runId);
  return lease !== null && !lease.expired && !holderIsDeadHere(lease);
}

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { EventStore, LeaseHolder } from '../store/eventStore.js';

/** A holder that has not renewed its lease for this long is taken to be gone (another host, or a hung process). */
export const LEASE_STALE_AFTER_MS = 30_000;
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

/** On this host a dead pid is stale at once; elsewhere only a silent heartbeat tells. */
export function isStaleLease(holder: LeaseHolder, now: number): boolean {
  if (holder.host === os.hostname() && holder.pid !== process.pid && !processAlive(holder.pid)) return true;
  return now - holder.heartbeatAt > LEASE_STALE_AFTER_MS;
}

export interface HeldLease {
  /** Set when another process took the lease over (this one was presumed dead); the run must stop. */
  readonly lost: boolean;
  release(): void;
}

/**
 * Takes a run's lease for this process and keeps it alive with a heartbeat, so a second process gets a
 * clear error naming this one, and a process that died leaves a lease the next one can take over.
 */
export function holdLease(store: EventStore, runId: string, clock: () => number, onLost: () => void): HeldLease {
  const token = randomUUID();
  store.acquireLease(runId, { token, pid: process.pid, host: os.hostname(), since: clock() }, (holder) => isStaleLease(holder, clock()));
  let lost = false;
  const timer = setInterval(() => {
    if (store.renewLease(runId, token, clock())) return;
    lost = true;
    clearInterval(timer);
    onLost();
  }, LEASE_HEARTBEAT_MS);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    release() {
      clearInterval(timer);
      if (!lost) store.releaseLease(runId, token);
    },
  };
}

/** Whether a live process holds the run's lease: if not, a run the log shows running crashed or was killed. */
export function isDriven(store: EventStore, runId: string, now: number): boolean {
  const lease = store.readLease(runId);
  return lease !== null && !isStaleLease(lease, now);
}

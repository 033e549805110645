import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { AutopackError } from '../model/errors.js';
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
  /** Set when the lease is gone (taken over, or not renewed for too long); the run must stop. */
  readonly lost: boolean;
  /**
   * Renews the lease now and says whether this process still holds it. Called right before an effect
   * writes to the repository, so a process that lost its lease between two heartbeats writes nothing.
   */
  confirm(): Promise<boolean>;
  release(): Promise<void>;
}

export interface HoldLeaseOptions {
  heartbeatMs?: number;
  staleAfterMs?: number;
}

const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Takes a run's lease for this process and keeps it alive with a heartbeat, so a second process gets a
 * clear error naming this one, and a process that died leaves a lease the next one can take over.
 *
 * A renewal that fails (the database busy or gone) is tried again at the next beat. The lease is safely
 * this process's while its last renewal is younger than the stale threshold less two beats (nobody may
 * take it over before then); past that, it counts as lost, and `onLost` stops the run.
 */
export async function holdLease(
  store: EventStore,
  runId: string,
  clock: () => number,
  onLost: (error: AutopackError) => void,
  options: HoldLeaseOptions = {},
): Promise<HeldLease> {
  const heartbeatMs = options.heartbeatMs ?? LEASE_HEARTBEAT_MS;
  const safeForMs = (options.staleAfterMs ?? LEASE_STALE_AFTER_MS) - 2 * heartbeatMs;
  const token = randomUUID();
  await store.acquireLease(runId, { token, pid: process.pid, host: os.hostname(), since: clock() }, (holder) => isStaleLease(holder, clock()));
  let renewedAt = clock();
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
    try {
      const held = await store.renewLease(runId, token, clock());
      if (held) renewedAt = clock();
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
      lose(new AutopackError('RUN_LOCKED', `run ${runId}: another process took over this run's lease; this one stops`));
      return false;
    }
    const silentFor = clock() - renewedAt;
    if (silentFor < safeForMs) return true;
    lose(
      new AutopackError(
        'RUN_LOCKED',
        `run ${runId}: the lease could not be renewed for ${Math.round(silentFor / 1000)} s (${describeError(outcome)}), so another process may ` +
          'take the run over; this one stops. Resume it once the event log is reachable again',
      ),
    );
    return false;
  }

  // A beat that is still waiting on the database is not overtaken by the next one.
  let beating = false;
  const timer = setInterval(() => {
    if (beating) return;
    beating = true;
    void check().finally(() => {
      beating = false;
    });
  }, heartbeatMs);
  timer.unref();
  return {
    get lost() {
      return lost;
    },
    confirm: check,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      if (lost) return;
      try {
        await store.releaseLease(runId, token);
      } catch {
        // The log is unreachable: the lease goes stale by itself, and a process on this host sees this one gone.
      }
    },
  };
}

/** Whether a live process holds the run's lease: if not, a run the log shows running crashed or was killed. */
export async function isDriven(store: EventStore, runId: string, now: number): Promise<boolean> {
  const lease = await store.readLease(runId);
  return lease !== null && !isStaleLease(lease, now);
}

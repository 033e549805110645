import type { LeaseClaim, LeaseFence, LeaseHolder, TakeOver } from './eventStore.js';
import { LeaseConflictError, LeaseLostError } from './eventStore.js';

/**
 * The lease rules every store applies inside its transactions, written once. A lease row outlives its
 * release (marked released), so the next claim's epoch is still one more than the last.
 */
export interface LeaseRecord extends Omit<LeaseHolder, 'expired'> {
  released: boolean;
}

export function toHolder(record: LeaseRecord, now: number): LeaseHolder {
  const { released: _released, ...holder } = record;
  return { ...holder, expired: record.expiresAt <= now };
}

/** The holder a read reports: nobody once released. */
export function currentHolder(record: LeaseRecord | null, now: number): LeaseHolder | null {
  return record === null || record.released ? null : toHolder(record, now);
}

/** Whether this fence holds the lease now: same claim, not released, not expired. */
export function fenceHolds(record: LeaseRecord | null, fence: LeaseFence, now: number): boolean {
  return record !== null && !record.released && record.token === fence.token && record.epoch === fence.epoch && record.expiresAt > now;
}

/** The record a claim writes over `previous`, or throws LeaseConflictError when a live holder keeps it. */
export function claimOver(stream: string, previous: LeaseRecord | null, claim: LeaseClaim, now: number, takeOver?: TakeOver): LeaseRecord {
  const current = currentHolder(previous, now);
  if (current !== null && !current.expired && current.token !== claim.token && takeOver?.(current, now) !== true) {
    throw new LeaseConflictError(stream, current);
  }
  return {
    token: claim.token,
    epoch: (previous?.epoch ?? 0) + 1,
    pid: claim.pid,
    host: claim.host,
    ttlMs: claim.ttlMs,
    since: now,
    heartbeatAt: now,
    expiresAt: now + claim.ttlMs,
    released: false,
  };
}

/** A renewal: runs the store's fence check (which renews, or throws LeaseLostError) and says whether it held. */
export function renewedBy(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof LeaseLostError) return false;
    throw error;
  }
}

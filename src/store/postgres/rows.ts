import type { StreamInfo } from '../eventStore.js';
import type { LeaseRecord } from '../leaseRules.js';
import type { StoredRunEvent } from '../events.js';

/** Rows as node-postgres returns them, with the pool's int8 parser (bigint columns are numbers). */
export interface EventRow {
  position: number;
  stream: string;
  seq: number;
  type: string;
  actor: string;
  source: string | null;
  target: string | null;
  data: string;
  at: number;
}

export interface StreamRow {
  stream: string;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A streams row's lease columns, and the database's clock when it was read. */
export interface LeaseRow {
  lease_token: string | null;
  lease_epoch: number;
  lease_pid: number | null;
  lease_host: string | null;
  lease_ttl_ms: number | null;
  lease_since: number | null;
  lease_heartbeat_at: number | null;
  lease_expires_at: number | null;
  lease_released: boolean;
  now: number;
}

export function toEvent(row: EventRow): StoredRunEvent {
  return {
    position: row.position,
    stream: row.stream,
    seq: row.seq,
    type: row.type,
    actor: row.actor,
    source: row.source,
    target: row.target,
    data: JSON.parse(row.data) as unknown,
    at: row.at,
  } as StoredRunEvent;
}

export function toStreamInfo(row: StreamRow): StreamInfo {
  return { stream: row.stream, version: row.version, createdAt: row.created_at, updatedAt: row.updated_at };
}

/** null when the run was never claimed. */
export function toLeaseRecord(row: LeaseRow): LeaseRecord | null {
  if (row.lease_token === null) return null;
  return {
    token: row.lease_token,
    epoch: row.lease_epoch,
    pid: row.lease_pid ?? 0,
    host: row.lease_host ?? '',
    ttlMs: row.lease_ttl_ms ?? 0,
    since: row.lease_since ?? 0,
    heartbeatAt: row.lease_heartbeat_at ?? 0,
    expiresAt: row.lease_expires_at ?? 0,
    released: row.lease_released,
  };
}

import type { LeaseHolder, StreamInfo } from '../eventStore.js';
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

export interface LeaseRow {
  token: string;
  pid: number;
  host: string;
  since: number;
  heartbeat_at: number;
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

export function toLeaseHolder(row: LeaseRow): LeaseHolder {
  return { token: row.token, pid: row.pid, host: row.host, since: row.since, heartbeatAt: row.heartbeat_at };
}

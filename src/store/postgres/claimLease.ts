import type { PoolClient } from 'pg';
import { AutopackError } from '../../model/errors.js';
import type { LeaseClaim, LeaseHolder, TakeOver } from '../eventStore.js';
import { claimOver, toHolder } from '../leaseRules.js';
import { toLeaseRecord, type LeaseRow } from './rows.js';
import type { PostgresStatements } from './statements.js';

/**
 * Inside a transaction: claims a run's lease (the next epoch). A run nobody touched gets its streams row,
 * at version 0, holding the lease; an existing row's holder is judged under its row lock, by the database's
 * clock, and replaced unless it is live (LeaseConflictError). Also returns the stream's version.
 */
export async function claimLease(
  client: PoolClient,
  sql: PostgresStatements,
  stream: string,
  claim: LeaseClaim,
  takeOver: TakeOver | undefined,
): Promise<{ holder: LeaseHolder; version: number }> {
  const created = (await client.query<LeaseRow>({ ...sql.claimNew, values: [stream, claim.token, claim.pid, claim.host, claim.ttlMs] })).rows[0];
  const createdRecord = created === undefined ? null : toLeaseRecord(created);
  if (created !== undefined && createdRecord !== null) return { holder: toHolder(createdRecord, created.now), version: 0 };
  const row = (await client.query<LeaseRow & { version: number }>({ ...sql.lockLease, values: [stream] })).rows[0];
  if (row === undefined) throw new AutopackError('INTERNAL', `run ${stream}: its streams row vanished while it was being claimed`);
  const record = claimOver(stream, toLeaseRecord(row), claim, row.now, takeOver);
  await client.query({ ...sql.claimOver, values: [stream, record.token, record.epoch, record.pid, record.host, record.ttlMs, record.since] });
  return { holder: toHolder(record, row.now), version: row.version };
}

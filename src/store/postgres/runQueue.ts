import type { Pool, PoolClient } from 'pg';
import { AutopackError } from '../../model/errors.js';
import { DECISIONS_PREFIX } from '../decisions.js';
import { LeaseConflictError } from '../eventStore.js';
import type { ClaimedRun, QueuedRun, RunQueue } from '../runQueue.js';
import { claimLease } from './claimLease.js';
import { inTransaction, isUniqueViolation } from './pool.js';
import type { PostgresStatements } from './statements.js';

interface QueueRow {
  run_id: string;
  plan: string;
  plan_file: string;
  repo: string;
  ref: string;
  base_sha: string;
  state: QueuedRun['state'];
  submitted_at: number;
  worker: string | null;
  claims: number;
  outcome: string | null;
}

function toQueuedRun(row: QueueRow): QueuedRun {
  return {
    runId: row.run_id,
    plan: JSON.parse(row.plan) as unknown,
    planFile: row.plan_file,
    repo: row.repo,
    ref: row.ref,
    baseSha: row.base_sha,
    state: row.state,
    submittedAt: row.submitted_at,
    worker: row.worker,
    claims: row.claims,
    outcome: row.outcome,
  };
}

/**
 * How many runs one claim tries. A pick can find a run whose lease was taken meanwhile: a claimer that
 * committed after this statement's snapshot but before its row lock (the queue row is re-checked then, the
 * streams row it was joined with is not), or `autopack resume` by hand. The next pick, a new statement,
 * sees that lease and passes over the run.
 */
const PICKS = 3;


/** The run queue in the same schema as the log it feeds (statements.ts has the SQL and its reasons). */
export function postgresRunQueue(pool: Pool, sql: PostgresStatements): RunQueue {
  return {
    async submit(spec) {
      try {
        return await inTransaction(pool, async (client) => {
          const values = [spec.runId, JSON.stringify(spec.plan), spec.planFile, spec.repo, spec.ref, spec.baseSha];
          const row = (await client.query<QueueRow>({ ...sql.submitRun, values })).rows[0];
          if (row === undefined) throw new AutopackError('INTERNAL', `run ${spec.runId}: the queue returned no row for it`);
          // Delivered when the transaction commits, to every worker listening.
          await client.query(sql.notifyQueue);
          return toQueuedRun(row);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new AutopackError('INPUT_INVALID', `run ${spec.runId} is already in the queue; submit again for a new id`);
        throw error;
      }
    },

    async claim(worker) {
      return inTransaction(pool, async (client): Promise<ClaimedRun | null> => {
        for (let pick = 1; pick <= PICKS; pick++) {
          const picked = (await client.query<{ run_id: string }>({ ...sql.pickClaimable, values: [DECISIONS_PREFIX] })).rows[0];
          if (picked === undefined) return null;
          let claimed: Awaited<ReturnType<typeof claimLease>>;
          try {
            await client.query('SAVEPOINT claim');
            claimed = await claimLease(client, sql, picked.run_id, worker, undefined);
          } catch (error) {
            if (!(error instanceof LeaseConflictError)) throw error;
            await client.query('ROLLBACK TO SAVEPOINT claim');
            continue;
          }
          const row = (await client.query<QueueRow>({ ...sql.markRunning, values: [picked.run_id, `${worker.host}:${worker.pid}`] })).rows[0];
          if (row === undefined) throw new AutopackError('INTERNAL', `run ${picked.run_id}: its queue row vanished while it was being claimed`);
          return { run: toQueuedRun(row), fence: { token: claimed.holder.token, epoch: claimed.holder.epoch }, begun: claimed.version > 0 };
        }
        return null;
      });
    },

    async finish(runId, fence, outcome) {
      return (await pool.query({ ...sql.finishRun, values: [runId, fence.token, fence.epoch, outcome] })).rowCount === 1;
    },

    async park(runId, fence, decisionsVersion) {
      return inTransaction(pool, async (client) => {
        const parked = await client.query({ ...sql.parkRun, values: [runId, fence.token, fence.epoch, decisionsVersion] });
        if (parked.rowCount !== 1) return false;
        await client.query({ ...sql.releaseLease, values: [runId, fence.token, fence.epoch] });
        return true;
      });
    },

    async handBack(runId, fence) {
      await inTransaction(pool, async (client) => {
        await client.query({ ...sql.requeueRun, values: [runId] });
        await client.query({ ...sql.releaseLease, values: [runId, fence.token, fence.epoch] });
        await client.query(sql.notifyQueue);
      });
    },

    async list() {
      return (await pool.query<QueueRow>(sql.listQueue)).rows.map(toQueuedRun);
    },

    async watch(onSubmitted) {
      const client: PoolClient = await pool.connect();
      const listener = () => onSubmitted();
      client.on('notification', listener);
      await client.query(sql.listenQueue);
      return async () => {
        client.off('notification', listener);
        try {
          await client.query('UNLISTEN *');
        } finally {
          client.release();
        }
      };
    },
  };
}

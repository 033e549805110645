import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { LEASE_TTL_MS } from '../runtime/lease.js';
import { runWorker } from '../worker/runWorker.js';
import { EXIT } from './cliError.js';
import { LlmConnectionFlagsSchema, givenConnection, parseFlags } from './flags.js';
import type { CliIo } from './io.js';
import { llmClientFromFlags } from './llmFlag.js';
import { openQueueLog, queueUrl } from './queueLog.js';

export const WorkerFlagsSchema = z.object({
  db: z.string().optional(),
  concurrency: z.coerce.number().int('must be a whole number').min(1).max(64).default(1),
  workdir: z.string().min(1).optional(),
  leaseTtl: z.coerce.number().min(1, 'must be at least 1 second').max(3_600).default(LEASE_TTL_MS / 1_000),
  maxRetries: z.coerce.number().int('must be a whole number').min(0).max(100).default(3),
  ...LlmConnectionFlagsSchema.shape,
});
export type WorkerFlags = z.input<typeof WorkerFlagsSchema>;

/**
 * `autopack worker`: takes runs from the queue until SIGTERM or Ctrl-C, then lets the runs in progress
 * reach a safe point, hands them back to the queue, and exits 0.
 */
export async function workerCommand(rawFlags: WorkerFlags, io: CliIo): Promise<number> {
  const flags = parseFlags(WorkerFlagsSchema, rawFlags);
  const dbUrl = queueUrl('worker', flags);
  const connection = LlmConnectionFlagsSchema.parse(flags);
  const llmClient = await llmClientFromFlags(connection);
  const workdir = path.resolve(flags.workdir ?? path.join(os.tmpdir(), `autopack-worker-${process.pid}`));
  const { store, queue, url } = await openQueueLog(dbUrl);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) process.exit(EXIT.interrupted);
    io.stderr(`autopack worker: ${signal} received: claiming nothing more; the runs in progress stop at a safe point and go back to the queue`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  io.stderr(`autopack worker: pid ${process.pid} on ${os.hostname()}, up to ${flags.concurrency} run(s) at once, workdir ${workdir}, lease ttl ${flags.leaseTtl} s`);
  try {
    const summary = await runWorker({
      store,
      queue,
      dbUrl: url,
      llmClient,
      llmConnection: givenConnection(connection),
      workdir,
      concurrency: flags.concurrency,
      leaseTtlMs: Math.round(flags.leaseTtl * 1_000),
      maxRetries: flags.maxRetries,
      signal: stop.signal,
      log: io.stderr,
    });
    io.stderr(
      `autopack worker: stopped; ${summary.finished} run(s) finished, ${summary.parked} parked at approval gates, ${summary.handedBack} handed back, ${summary.lost} taken over by others, ${summary.errored} errored`,
    );
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store.close();
  }
}

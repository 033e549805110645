import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { PhaseExecutor } from '../executor/phaseExecutor.js';
import type { LLMClient } from '../llm/types.js';
import { AutopackError } from '../model/errors.js';
import type { OrchestrationResult } from '../model/results.js';
import { planFromDocument } from '../plan/loadPlan.js';
import type { EventStore } from '../store/eventStore.js';
import type { ClaimedRun, RunQueue } from '../store/runQueue.js';
import { checkoutRun, pushRun, removeCheckout, type RunCheckout } from './checkout.js';
import { parkAtGate } from './parkAtGate.js';

export interface WorkerOptions {
  store: EventStore;
  queue: RunQueue;
  /** The log's URL, as runs record it (its password is not logged). */
  dbUrl: string;
  llmClient: LLMClient;
  /** The model flags, recorded in each run's log (never a key). */
  llmConnection?: Record<string, string | number>;
  /** Where this worker keeps its clones and run worktrees; one worker per folder. */
  workdir: string;
  /** Runs driven at once. */
  concurrency: number;
  /** A run's lease lasts this long unrenewed: a dead or frozen worker's runs go to others after it. */
  leaseTtlMs: number;
  maxRetries?: number;
  /** How often the queue is polled when no NOTIFY came; 1 s by default. */
  pollMs?: number;
  /** Aborted: claim nothing more, interrupt the runs in progress at a safe point and hand them back. */
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface WorkerSummary {
  finished: number;
  /** Times a run was parked at an approval gate, leaving this worker for others. */
  parked: number;
  handedBack: number;
  lost: number;
  errored: number;
}

const DEFAULT_POLL_MS = 1_000;
/** A run that errors before it starts (its clone, its plan) is handed back this many times, then finished as errored. */
const MAX_CLAIMS = 3;
const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Takes runs from the queue and drives each in a worktree of its own, pushing the run's branch after every
 * phase commit, until `signal` is aborted. A run taken over from a worker that died or froze resumes from
 * its pushed branch and its log: what was logged is not done again. A run reaching an approval gate is
 * parked, not waited for: the worker goes on with other runs, and the decision makes the run claimable.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerSummary> {
  const summary: WorkerSummary = { finished: 0, parked: 0, handedBack: 0, lost: 0, errored: 0 };
  const active = new Set<Promise<void>>();
  let wake: (() => void) | null = null;
  const stopWatching = await options.queue.watch(() => wake?.());
  const stopped = new Promise<void>((resolve) => options.signal.addEventListener('abort', () => resolve(), { once: true }));
  try {
    while (!options.signal.aborted) {
      if (active.size >= options.concurrency) {
        await Promise.race([...active, stopped]);
        continue;
      }
      const claimed = await claimNext(options);
      if (claimed === null) {
        const woken = new Promise<void>((resolve) => {
          wake = resolve;
        });
        await Promise.race([woken, stopped, delay(options.pollMs ?? DEFAULT_POLL_MS, undefined, { ref: false }), ...active]);
        wake = null;
        continue;
      }
      const job = driveClaimed(options, claimed, summary).finally(() => active.delete(job));
      active.add(job);
    }
    await Promise.allSettled([...active]);
  } finally {
    await stopWatching().catch(() => {});
  }
  return summary;
}

async function claimNext(options: WorkerOptions): Promise<ClaimedRun | null> {
  try {
    return await options.queue.claim({ host: os.hostname(), pid: process.pid, ttlMs: options.leaseTtlMs, token: randomUUID() });
  } catch (error) {
    // The database restarting or out of reach: the next poll tries again.
    options.log(`autopack worker: cannot claim a run: ${describe(error)}`);
    return null;
  }
}

async function driveClaimed(options: WorkerOptions, claimed: ClaimedRun, summary: WorkerSummary): Promise<void> {
  const { run, fence } = claimed;
  const { log } = options;
  log(`autopack worker: ${claimed.begun ? 'took over' : 'claimed'} ${run.runId} (lease epoch ${fence.epoch}, ${run.repo} at ${run.baseSha.slice(0, 12)})`);
  let checkout: RunCheckout | null = null;
  try {
    const plan = planFromDocument(`${run.planFile} (queued run ${run.runId})`, run.plan);
    checkout = await checkoutRun(options.workdir, run.repo, run.runId, run.baseSha);
    const mine = checkout;
    const executor = new PhaseExecutor({
      llmClient: options.llmClient,
      repoRoot: checkout.dir,
      dbPath: options.dbUrl,
      eventStore: options.store,
      healthChecks: plan.healthChecks,
      commit: true,
      // The worktree is this worker's own, made for the run: nobody's uncommitted work is in it.
      allowDirty: true,
      publishCommit: ({ sha }) => pushRun(mine, sha),
      // A queued run's settings are its plan's: the worker's flags are about the model, not the run.
      ...(plan.settings.editFormat === undefined ? {} : { editFormat: plan.settings.editFormat }),
      ...(plan.settings.answerFormat === undefined ? {} : { answerFormat: plan.settings.answerFormat }),
    });
    const lease = { claimed: fence, ttlMs: options.leaseTtlMs };
    // Nobody answers a prompt here, and a person may take days: the run is parked rather than waited for.
    const waitForApproval = false;
    let result: OrchestrationResult;
    try {
      result = claimed.begun
        ? await executor.resume(run.runId, { repoRoot: checkout.dir, rollForward: true, lease, waitForApproval, signal: options.signal })
        : await executor.runPlan({
            runId: run.runId,
            phases: plan.phases,
            maxRetries: options.maxRetries ?? 3,
            enableHealthChecks: true,
            stopOnFailure: true,
            outputTokens: plan.outputTokens,
            prices: plan.prices,
            ...(plan.settings.stuckAfter === undefined ? {} : { stuckAfter: plan.settings.stuckAfter }),
            ...(plan.settings.baseline === undefined ? {} : { baseline: plan.settings.baseline }),
            lease,
            waitForApproval,
            signal: options.signal,
            ...(options.llmConnection === undefined ? {} : { llmConnection: options.llmConnection }),
          });
    } finally {
      await executor.close();
    }
    if (result.status === 'awaiting_approval') {
      const gate = await parkAtGate(options.store, options.queue, run.runId, fence);
      if (gate.parked) {
        summary.parked += 1;
        log(`autopack worker: parked ${run.runId} at phase ${gate.phaseId}'s approval gate; a worker takes it again once it is approved or rejected (autopack approve|reject ${run.runId})`);
      } else {
        summary.handedBack += 1;
        log(`autopack worker: ${run.runId} was decided while it stopped at its gate; handed back to go on`);
      }
      return;
    }
    if (result.status === 'interrupted') {
      await options.queue.handBack(run.runId, fence);
      summary.handedBack += 1;
      log(`autopack worker: handed ${run.runId} back (${result.stop_reason ?? 'interrupted'}); another worker continues it`);
      return;
    }
    const recorded = await options.queue.finish(run.runId, fence, result.status);
    await options.store.releaseLease(run.runId, fence);
    summary.finished += 1;
    log(`autopack worker: ${run.runId} ${result.status}: ${result.successful_phases}/${result.total_phases} phase(s), branch ${checkout.branch}${recorded ? '' : ' (its lease was gone before the queue was told)'}`);
  } catch (error) {
    if (error instanceof AutopackError && error.code === 'LEASE_LOST') {
      summary.lost += 1;
      log(`autopack worker: gave up ${run.runId}: ${error.message}`);
      return;
    }
    // Perhaps passing (the remote or the database briefly out of reach): another claim may succeed.
    if (run.claims < MAX_CLAIMS) {
      summary.handedBack += 1;
      log(`autopack worker: ${run.runId} errored (claim ${run.claims} of ${MAX_CLAIMS}), handed back: ${describe(error)}`);
      await options.queue.handBack(run.runId, fence).catch(() => {});
      return;
    }
    summary.errored += 1;
    log(`autopack worker: ${run.runId} errored on its claim ${run.claims}, finished as errored: ${describe(error)}`);
    await options.queue.finish(run.runId, fence, `errored: ${describe(error)}`).catch(() => {});
    await options.store.releaseLease(run.runId, fence).catch(() => {});
  } finally {
    if (checkout !== null) await removeCheckout(checkout);
  }
}

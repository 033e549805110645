import { isDriven } from '../runtime/lease.js';
import { decisionFor, listRunStreams, readDecisions } from '../store/decisions.js';
import type { ApprovalDecision } from '../model/approval.js';
import { decisionHint } from './approvalPrompt.js';
import {
  foldRunState,
  runTotals,
  toOrchestrationResult,
  type EventStore,
  type PhaseState,
  type QueuedRun,
  type RunQueue,
  type RunState,
} from '../store/index.js';
import { describeBaseline } from './describeEvent.js';
import type { CliIo } from './io.js';
import { openLogReadonly, requireRun, type LogLocation } from './openLog.js';
import { cliCommand } from './commandName.js';

const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));
const seconds = (from: number | null, to: number | null): string =>
  from === null || to === null ? '-' : `${((to - from) / 1000).toFixed(1)} s`;
function spend(state: RunState): string {
  const totals = runTotals(state);
  const cost = totals.costUnknown ? '' : ` $${totals.costUsd.toFixed(2)}`;
  return `${totals.tokens} tok${cost}`;
}

/**
 * `running` in the log but no live process holds the run: it crashed or was killed, and waits for
 * `autopack resume`.
 */
async function shownStatus(state: RunState, store: EventStore): Promise<string> {
  if (state.status !== 'running' || state.runId === null) return state.status;
  return (await isDriven(store, state.runId)) ? 'running' : 'stalled';
}

function runLine(state: RunState, status: string = state.status): string {
  const done = state.phases.filter((p) => p.status === 'succeeded').length;
  const failed = state.phases.filter((p) => p.status === 'failed').length;
  return [
    (state.runId ?? '?').padEnd(28),
    status.padEnd(17),
    `${done}/${state.phases.length} ok${failed > 0 ? `, ${failed} failed` : ''}`.padEnd(16),
    spend(state).padEnd(18),
    time(state.startedAt),
    seconds(state.startedAt, state.finishedAt),
  ].join('  ');
}

/** A phase at its approval gate: what waits, and how to decide, or the decision a resume will act on. */
function approvalLines(state: RunState, phase: PhaseState, decided: readonly ApprovalDecision[]): string[] {
  const approval = phase.approval;
  if (approval === null) return [];
  const runId = state.runId ?? 'RUN';
  const decision = decisionFor(decided, phase.index, approval.attempt);
  const files = approval.files.map((f) => `${f.path} (${f.status})`).join(', ');
  const lines = [`            waiting for approval of attempt ${approval.attempt}: ${files}; ${cliCommand()} log ${runId} --diff shows it`];
  if (decision === null) lines.push(`            ${decisionHint(runId)}`);
  else {
    const what = decision.approved ? 'approved' : `rejected (${decision.feedback ?? ''})`;
    lines.push(`            ${what} by ${decision.by}; ${cliCommand()} resume ${runId} goes on with it`);
  }
  return lines;
}

export function runDetail(state: RunState, status: string = state.status, decided: readonly ApprovalDecision[] = []): string[] {
  const worktree = state.start?.options.git?.worktree ?? null;
  const lines = [runLine(state, status), `  repo: ${worktree === null ? (state.start?.repoRoot ?? '-') : worktree.checkout}`];
  if (worktree !== null) lines.push(`  branch: ${worktree.branch} (worked in ${worktree.path})`);
  if (status === 'stalled') lines.push(`  no process is driving it (it crashed or was killed): ${cliCommand()} resume ${state.runId} continues it`);
  if (state.interruption !== null && state.interruption.reason !== 'approval') lines.push(`  interrupted (${state.interruption.reason}): ${state.interruption.message}`);
  if (state.baseline !== null) lines.push(`  ${describeBaseline(state.baseline)}`);
  for (const phase of state.phases) {
    const where = phase.status === 'running' ? ` (now ${phase.machineState}, attempt ${phase.attempts})` : '';
    const commit = phase.commit === null ? '' : ` [${phase.commit.slice(0, 12)}]`;
    lines.push(`  ${phase.status.padEnd(9)} ${phase.id}${where}${commit}: ${phase.spec.description.split('\n')[0]}`);
    if (phase.preExisting.length > 0) lines.push(`            pre-existing failure, ignored: ${phase.preExisting.join(', ')}`);
    if (phase.machineState === 'awaiting_approval' && phase.approval !== null) lines.push(...approvalLines(state, phase, decided));
    if (phase.status === 'failed') {
      const last = phase.failedAttempts.at(-1);
      for (const error of last?.errors ?? []) lines.push(`            attempt ${last?.attempt}: ${error.split('\n')[0]}`);
    }
  }
  return lines;
}

/** A queued run with no event yet: waiting for a worker (`queued`), or just taken by one (`starting`). */
function queuedEntry(run: QueuedRun) {
  return {
    run_id: run.runId,
    status: run.state === 'queued' ? 'queued' : 'starting',
    submitted_at: new Date(run.submittedAt).toISOString(),
    repo: run.repo,
    ref: run.ref,
    base_sha: run.baseSha,
    worker: run.worker,
  };
}

function queuedLine(entry: ReturnType<typeof queuedEntry>): string {
  return [entry.run_id.padEnd(28), entry.status.padEnd(17), `${entry.repo} at ${entry.ref} (${entry.base_sha.slice(0, 12)})`].join('  ');
}

async function notBegun(queue: RunQueue | null, store: EventStore): Promise<QueuedRun[]> {
  if (queue === null) return [];
  const begun = new Set((await listRunStreams(store)).map((s) => s.stream));
  return (await queue.list()).filter((run) => run.state !== 'finished' && !begun.has(run.runId));
}

export async function statusCommand(runId: string | undefined, flags: LogLocation & { json?: boolean }, io: CliIo): Promise<number> {
  const { store, dbPath, queue } = await openLogReadonly(flags);
  try {
    const waiting = await notBegun(queue, store);
    const queued = waiting.find((run) => run.runId === runId);
    if (queued !== undefined) {
      const entry = queuedEntry(queued);
      io.stdout(flags.json === true ? JSON.stringify(entry, null, 2) : queuedLine(entry));
      return 0;
    }
    if (runId !== undefined) {
      await requireRun(store, runId, dbPath);
      const state = foldRunState(await store.read(runId));
      const status = await shownStatus(state, store);
      const { decisions } = await readDecisions(store, runId);
      io.stdout(flags.json === true ? JSON.stringify({ status, result: toOrchestrationResult(state), decisions }, null, 2) : runDetail(state, status, decisions).join('\n'));
      return 0;
    }
    const runs: { state: RunState; status: string }[] = [];
    for (const { stream } of await listRunStreams(store)) {
      const state = foldRunState(await store.read(stream));
      runs.push({ state, status: await shownStatus(state, store) });
    }
    const entries = waiting.map(queuedEntry);
    if (flags.json === true) {
      const begun = runs.map(({ state, status }) => ({ run_id: state.runId, status, result: toOrchestrationResult(state) }));
      io.stdout(JSON.stringify([...begun, ...entries], null, 2));
    } else if (runs.length === 0 && entries.length === 0) {
      io.stdout(`no runs in ${dbPath}`);
    } else {
      io.stdout([...runs.map(({ state, status }) => runLine(state, status)), ...entries.map(queuedLine)].join('\n'));
    }
    return 0;
  } finally {
    await store.close();
  }
}

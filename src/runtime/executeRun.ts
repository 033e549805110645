import os from 'node:os';
import { createActor, toPromise, type Actor, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { createOrchestratorEffects, createPhaseEffects, type PhaseEffectsDeps } from '../effects/index.js';
import { orchestratorMachine, phaseMachine, type InterruptReason, type LoggedLlmAttempt, type PhasePlan } from '../machines/index.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import { AutopackError } from '../model/errors.js';
import type { EventStore, LeaseFence } from '../store/eventStore.js';
import type { NewRunEvent, RunStartedData, StoredRunEvent } from '../store/events.js';
import type { RunState } from '../store/runState.js';
import type { PreparedFile } from '../workspace/index.js';
import { createApprovalGate } from './approvalGate.js';
import { crashAfterEvent } from './crashPoint.js';
import { holdLease, type HoldLeaseOptions } from './lease.js';
import { createRecorder } from './recorder.js';
import { replayPlan } from './replayPlan.js';
import { createReplaySource } from './replaySource.js';
import { createRunControl } from './runControl.js';
import { createRunStateTracker } from './runStateTracker.js';

export interface ExecuteRunParams
  extends Omit<PhaseEffectsDeps, 'runSignal' | 'llm' | 'spent' | 'onLlmAttempt' | 'interrupt' | 'recorded' | 'onApplyPrepared' | 'mayWrite' | 'durable' | 'approvals'> {
  store: EventStore;
  start: RunStartedData;
  /** Aborting it interrupts the run: logged as `run.interrupted`, resumable, no phase failed by it. */
  signal?: AbortSignal;
  onEvent?: (event: StoredRunEvent) => void;
  /**
   * The run's log so far, when continuing it. The machines re-run over it: each logged effect outcome is
   * returned instead of running the effect again, and each logged transition must come out the same.
   */
  history?: StoredRunEvent[];
  /** Re-run the machines over `history` only, appending nothing, and stop where the log ends. */
  verifyOnly?: boolean;
  /** The run's lease: its ttl and heartbeat (lease.ts has the defaults). */
  lease?: HoldLeaseOptions;
  /** Also told every XState inspection event (e.g. a remote Stately inspector). */
  inspect?: (event: InspectionEvent) => void;
  /** The fold of `history`, when the caller has it already; the run takes it over and folds on into it. */
  historyState?: RunState;
  /**
   * `history` is the run's first event plus the log's tail from the phase in progress on, not the whole
   * log (see PhaseExecutor.resume): totals and the final state are then folded from the store itself.
   */
  historyIsTail?: boolean;
  /**
   * At an approval gate with no decision yet: wait for one (default), or stop the run resumably, logged as
   * `run.interrupted` with reason `approval` (`--no-wait`).
   */
  waitForApproval?: boolean;
  /** How often a waiting gate reads the decisions (default APPROVAL_POLL_MS). */
  approvalPollMs?: number;
}

export function phaseInputs(start: RunStartedData): PhasePlan[] {
  return start.phases.map((phase) => ({
    phaseIndex: phase.index,
    phaseId: phase.id,
    spec: phase.spec,
    contextFiles: phase.contextFiles,
    protectedPaths: phase.protectedPaths,
    maxRetries: start.options.maxRetries,
    enableHealthChecks: start.options.enableHealthChecks,
    healthChecks: start.options.healthChecks,
    backoff: start.options.backoff,
    stuckAfter: start.options.stuckAfter ?? 0,
    requireApproval: start.options.approveAll === true || phase.spec.approval === true,
  }));
}

/**
 * The checks the run takes its baseline with before the first phase: none when it is off or there are none
 * to run, and never a check marked `baseline: false` (one that tests what the run builds).
 */
export function baselineChecks(start: RunStartedData): HealthCheckSpec[] {
  if (start.options.baseline !== true || !start.options.enableHealthChecks) return [];
  return start.options.healthChecks.filter((check) => check.baseline !== false);
}

function interruptMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return `received ${reason}`;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'cancelled';
}

function orchestratorState(snapshot: SnapshotFrom<typeof orchestratorMachine>): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}

/**
 * The composition root of a run: provides the effects to the pure machines, records every transition,
 * and returns the run's state as folded from its log. The run's lease is held throughout, so no other
 * process can drive the same run meanwhile, and checked again right before each effect that writes.
 */
export async function executeRun(params: ExecuteRunParams): Promise<RunState> {
  if (params.verifyOnly === true) return drive(params, null);
  let onLost: (error: AutopackError) => void = () => {};
  const lease = await holdLease(params.store, params.start.runId, (error) => onLost(error), params.lease ?? {});
  try {
    return await drive(params, {
      fence: lease.fence,
      onConfirmed: (sentAt) => lease.noteConfirmed(sentAt),
      mayWrite: () => lease.confirm(),
      onLost: (handler) => {
        onLost = handler;
      },
    });
  } finally {
    await lease.release();
  }
}

interface LeaseHooks {
  fence: LeaseFence;
  onConfirmed: (sentAt: number) => void;
  mayWrite: () => Promise<boolean>;
  onLost: (handler: (error: AutopackError) => void) => void;
}

/** Marks where a process took the run up again; nothing when the run is new or only verified. */
async function appendResumed(params: ExecuteRunParams, history: readonly StoredRunEvent[], fence: LeaseFence | undefined): Promise<StoredRunEvent | undefined> {
  const last = history.at(-1);
  if (last === undefined || params.verifyOnly === true) return undefined;
  const data = { fromSeq: last.seq, pid: process.pid, host: os.hostname(), budget: params.start.options.llm.budget };
  const [resumed] = await params.store.append(
    params.start.runId,
    [{ type: 'run.resumed', actor: 'orchestrator', source: null, target: null, data, at: params.clock() }],
    { expectedVersion: last.seq, ...(fence === undefined ? {} : { fence }) },
  );
  return resumed;
}

async function drive(params: ExecuteRunParams, lease: LeaseHooks | null): Promise<RunState> {
  const { store, start } = params;
  const runId = start.runId;
  const history = params.history ?? [];
  const verifyOnly = params.verifyOnly === true;
  const plan = replayPlan(history, verifyOnly);
  const { maxTotalTokens, maxCostUsd } = start.options.llm.budget;

  let actor: Actor<typeof orchestratorMachine> | null = null;
  const control = createRunControl(() => actor?.stop());
  lease?.onLost((error) => control.fail(error));
  const replay = createReplaySource(runId, plan.outcomes, { verifyOnly, onCaughtUp: control.caughtUp, onDiverged: control.fail });
  const tracker = await createRunStateTracker({
    store,
    runId,
    history,
    ...(params.historyState === undefined ? {} : { historyState: params.historyState }),
    historyIsTail: params.historyIsTail === true,
    needsTotalsNow: maxTotalTokens !== undefined || maxCostUsd !== undefined,
  });
  const onAppended = (event: StoredRunEvent) => {
    tracker.add(event);
    params.onEvent?.(event);
    crashAfterEvent(event.seq);
  };
  const resumed = await appendResumed(params, history, lease?.fence);
  if (resumed !== undefined) onAppended(resumed);
  const version = resumed?.seq ?? (await store.version(runId));

  const recorder = createRecorder(
    {
      store,
      runId,
      start,
      version,
      clock: params.clock,
      onAppended,
      ...(lease === null ? {} : { lease: { fence: lease.fence, onConfirmed: lease.onConfirmed } }),
      failed: () => control.failure !== null,
      ...(history.length === 0 ? {} : { replay: { transitions: plan.transitions, verifyOnly, onCaughtUp: control.caughtUp } }),
    },
    control.fail,
  );
  /** Appends what the runtime observed (not a machine transition), unless the run is stopping. */
  const note = (event: NewRunEvent) => {
    if (!control.stopping) recorder.note(event);
  };
  const interrupt = (reason: InterruptReason, message: string) => {
    if (actor?.getSnapshot().status !== 'active' || !control.beginStop()) return;
    const snapshot = actor.getSnapshot();
    const state = orchestratorState(snapshot);
    const phaseIndex = state === 'running_phase' ? snapshot.context.currentIndex : null;
    recorder.note({ type: 'run.interrupted', actor: 'orchestrator', source: state, target: state, data: { reason, message, phaseIndex }, at: params.clock() });
    control.finishStop(recorder.flush());
  };
  // After an interruption the log ends with `run.interrupted`: the cancelled attempt is not recorded.
  const onLlmAttempt = (phaseIndex: number, attempt: number, call: LoggedLlmAttempt) =>
    note({ type: 'llm.attempted', actor: `phase-${phaseIndex}`, source: 'prompting', target: 'prompting', data: { phaseIndex, attempt, call }, at: params.clock() });
  // In the log before the first file is replaced; a run that stopped meanwhile replaces nothing.
  const onApplyPrepared = async (phaseIndex: number, attempt: number, files: PreparedFile[]) => {
    note({ type: 'changes.prepared', actor: `phase-${phaseIndex}`, source: 'applying', target: 'applying', data: { phaseIndex, attempt, files }, at: params.clock() });
    await recorder.durable();
    if (control.stopping) throw new AutopackError('ABORTED', 'the run is stopping; nothing was written');
  };

  const effects = createPhaseEffects({
    ...params,
    runSignal: control.signal,
    llm: start.options.llm,
    spent: tracker.spent,
    onLlmAttempt,
    onApplyPrepared,
    interrupt,
    recorded: replay.recorded,
    durable: recorder.durable,
    approvals: createApprovalGate({
      store,
      runId,
      history,
      wait: params.waitForApproval !== false,
      ...(params.approvalPollMs === undefined ? {} : { pollMs: params.approvalPollMs }),
      clock: params.clock,
      note,
      durable: recorder.durable,
    }),
    ...(lease === null ? {} : { mayWrite: lease.mayWrite }),
  });
  const baseline = createOrchestratorEffects({ repoRoot: params.repoRoot, clock: params.clock, runSignal: control.signal, recorded: replay.recorded, durable: recorder.durable });
  const machine = orchestratorMachine.provide({ actors: { phase: phaseMachine.provide({ actors: effects }), ...baseline } });
  const running = createActor(machine, {
    input: {
      phases: phaseInputs(start),
      stopOnFailure: start.options.stopOnFailure,
      baselineChecks: baselineChecks(start),
      ...(plan.resumeAt === undefined ? {} : { resumeAt: plan.resumeAt }),
    },
    inspect:
      params.inspect === undefined
        ? recorder.inspect
        : (event) => {
            recorder.inspect(event);
            params.inspect?.(event);
          },
  });
  actor = running;
  await runUntilDone(running, control.stopped, params.signal, () => interrupt('signal', interruptMessage(params.signal as AbortSignal)));
  // The last step's events (the run's end) wait for no effect: committed here.
  await recorder.flush();
  if (control.failure !== null) throw control.failure;
  if (verifyOnly) {
    const next = plan.transitions[0] ?? replay.leftover();
    if (next !== undefined) {
      throw new AutopackError(
        'RESUME_DIVERGED',
        `run ${runId}: re-running the machines over the log stopped before event ${next.seq} (${next.type}); the log does not match these machine definitions`,
      );
    }
  }
  return await tracker.result();
}

/** Starts the orchestrator and waits until it is done or the run stops early; a caller's abort interrupts it. */
async function runUntilDone(
  actor: Actor<typeof orchestratorMachine>,
  stopped: Promise<void>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<void> {
  const finished = toPromise(actor);
  // A stopped actor's promise may settle late or never; the race below is what the run waits on.
  finished.catch(() => {});
  actor.start();
  actor.send({ type: 'run.begin' });
  if (signal?.aborted === true) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.race([finished, stopped]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    actor.stop();
  }
}

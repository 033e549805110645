import type { AnyActorRef, AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { CheckBaselineOutput, EffectOutcome } from '../machines/effectContracts.js';
import type { OrchestratorContext } from '../machines/orchestrator.js';
import type { PhaseContext } from '../machines/phase.js';
import { AutopackError } from '../model/errors.js';
import { performance } from 'node:perf_hooks';
import type { EventStore, LeaseFence } from '../store/eventStore.js';
import type { NewRunEvent, RunStartedData, StoredRunEvent } from '../store/events.js';
import { EFFECT_EVENT_TYPES, isEffectName } from './effectEvents.js';

const DONE_ACTOR_PREFIX = 'xstate.done.actor.';

function stateName(snapshot: AnyMachineSnapshot): string {
  return typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
}

function isMachineSnapshot(snapshot: unknown): snapshot is AnyMachineSnapshot {
  return typeof snapshot === 'object' && snapshot !== null && 'machine' in snapshot && 'value' in snapshot;
}

export interface RecorderOptions {
  store: EventStore;
  runId: string;
  start: RunStartedData;
  /** The stream's version when recording starts (what the next append expects). */
  version: number;
  clock: () => number;
  onAppended: (event: StoredRunEvent) => void;
  /**
   * The run's lease: every append presents it (the store refuses the append once another process claimed
   * the run), and `onConfirmed` hears of each append it renewed, with the time it was sent.
   */
  lease?: { fence: LeaseFence; onConfirmed: (sentAt: number) => void };
  /** True once the run has failed (a lost lease, a failed append): what is still batched is dropped, not written. */
  failed: () => boolean;
  /**
   * When continuing a run: its logged transitions, in order. The machines re-run over the logged effect
   * outcomes must reproduce each of them (nothing is appended for those), after which recording goes on
   * as normal, or, with `verifyOnly`, stops there.
   */
  replay?: { transitions: StoredRunEvent[]; verifyOnly: boolean; onCaughtUp: () => void };
}

const describe = (e: { type: string; actor: string; source: string | null; target: string | null }): string =>
  `${e.type} (${e.actor}: ${e.source ?? '∅'} → ${e.target ?? '∅'})`;

export interface Recorder {
  inspect: (event: InspectionEvent) => void;
  /** Records an event that is not a machine transition (an LLM attempt, an interruption) in log order. */
  note: (event: NewRunEvent) => void;
  /**
   * Settles once every event recorded so far, and any recorded in the current synchronous machine step,
   * is committed to the log: an effect awaits it before it acts. True when that commit was a fenced
   * append, which confirmed the run's lease after the effect began waiting.
   */
  durable: () => Promise<boolean>;
  /** Commits what is waiting now (before the run ends or stops); settles once it is in the log. */
  flush: () => Promise<void>;
}

/**
 * Turns every transition of every machine actor into one log event, in order. Events wait in a batch
 * until something needs them durable: an effect about to act (`durable`), or the run ending (`flush`).
 * A batch is one transaction (group commit), so a step's events, and the pure steps between two effects
 * that act, cost one commit, and still no effect acts before the events that led to it are in the log.
 */
export function createRecorder(options: RecorderOptions, onFailure: (error: unknown) => void): Recorder {
  const previous = new Map<string, AnyMachineSnapshot>();
  let version = options.version;
  let failure: unknown = null;

  function toLogEvent(
    machineId: string,
    xstateEvent: { type: string; output?: unknown },
    before: AnyMachineSnapshot | undefined,
    after: AnyMachineSnapshot,
  ): NewRunEvent | null {
    const at = options.clock();
    const source = before === undefined ? null : stateName(before);
    const target = stateName(after);
    if (machineId === 'orchestrator') {
      const context = after.context as OrchestratorContext;
      const actor = 'orchestrator';
      const nextPhaseIndex = context.currentIndex < context.phases.length ? context.currentIndex : null;
      if (xstateEvent.type === 'xstate.init') {
        return { type: 'run.started', actor, source, target, data: options.start, at };
      }
      if (xstateEvent.type === 'run.begin') {
        return { type: 'run.begun', actor, source, target, data: { phaseIndex: nextPhaseIndex }, at };
      }
      if (xstateEvent.type === `${DONE_ACTOR_PREFIX}phase`) {
        const output = xstateEvent.output as { phaseIndex: number; success: boolean };
        const data = {
          phaseIndex: output.phaseIndex,
          success: output.success,
          nextPhaseIndex,
          succeeded: context.succeeded,
          failed: context.failed,
          ...(context.preExisting === null ? {} : { preExisting: context.preExisting }),
        };
        return { type: 'phase.finished', actor, source, target, data: target === 'running_phase' ? data : { ...data, nextPhaseIndex: null }, at };
      }
      if (xstateEvent.type === `${DONE_ACTOR_PREFIX}checkBaseline`) {
        const outcome = xstateEvent.output as EffectOutcome<CheckBaselineOutput>;
        const [onSuccess, onFailure] = EFFECT_EVENT_TYPES.checkBaseline;
        const data = { outcome, preExisting: context.preExisting ?? [] };
        return { type: outcome.ok ? onSuccess : onFailure, actor, source, target, data, at } as NewRunEvent;
      }
      return null;
    }
    const context = after.context as PhaseContext;
    const actor = `phase-${context.phaseIndex}`;
    if (xstateEvent.type === 'xstate.init') {
      const data = { phaseIndex: context.phaseIndex, attempt: context.attempt, phaseId: context.phaseId };
      return { type: 'phase.started', actor, source, target, data, at };
    }
    if (!xstateEvent.type.startsWith(DONE_ACTOR_PREFIX)) return null;
    const effect = xstateEvent.type.slice(DONE_ACTOR_PREFIX.length);
    if (!isEffectName(effect)) return null;
    const outcome = xstateEvent.output as EffectOutcome<unknown>;
    const [onSuccess, onFailure] = EFFECT_EVENT_TYPES[effect];
    // The attempt the effect belonged to: a finished backoff already counts the next one in `after`.
    const attempt = ((before ?? after).context as PhaseContext).attempt;
    // What the machine decided with the outcome: checks it excused, or that the phase was stuck.
    const excused = effect === 'runHealthChecks' && context.excusedChecks.length > 0 ? { preExisting: context.excusedChecks } : {};
    const stuck = context.stuck === null ? {} : { stuck: context.stuck };
    return {
      type: outcome.ok ? onSuccess : onFailure,
      actor,
      source,
      target,
      data: { phaseIndex: context.phaseIndex, attempt, outcome, ...excused, ...stuck },
      at,
    } as NewRunEvent;
  }

  /** Events delivered to each actor, in mailbox order, waiting for the snapshot they produce. */
  const pending = new Map<string, { type: string; output?: unknown }[]>();

  /** Recorded, not yet committed: written as one transaction by the next flush. */
  let batch: NewRunEvent[] = [];
  let waiters: ((confirmed: boolean) => void)[] = [];
  let scheduled = false;
  /** Appends run one after another, in order: each flush chains on the one before. */
  let landed: Promise<void> = Promise.resolve();

  function append(logEvent: NewRunEvent): void {
    if (failure === null) batch.push(logEvent);
  }

  async function commitBatch(events: NewRunEvent[], settled: ((confirmed: boolean) => void)[]): Promise<void> {
    let confirmed = false;
    if (events.length > 0 && failure === null && !options.failed()) {
      const lease = options.lease;
      const sentAt = performance.now();
      try {
        const stored = await options.store.append(options.runId, events, {
          expectedVersion: version,
          ...(lease === undefined ? {} : { fence: lease.fence }),
        });
        version += events.length;
        if (lease !== undefined) {
          confirmed = true;
          lease.onConfirmed(sentAt);
        }
        for (const event of stored) options.onAppended(event);
      } catch (error) {
        failure ??= error;
        onFailure(error);
      }
    }
    // After a failed append the run is stopping (its signal aborted): the effects waiting see that.
    for (const settle of settled) settle(confirmed);
  }

  function flush(): Promise<void> {
    scheduled = false;
    const events = batch;
    const settled = waiters;
    batch = [];
    waiters = [];
    landed = landed.then(() => commitBatch(events, settled));
    return landed;
  }

  /** A microtask runs after the synchronous step that recorded the events: the whole step goes in one batch. */
  function durable(): Promise<boolean> {
    return new Promise((settle) => {
      waiters.push(settle);
      if (scheduled) return;
      scheduled = true;
      queueMicrotask(() => void flush());
    });
  }

  /** Each actor by its session id, to find a child's parent. */
  const actors = new Map<string, AnyActorRef>();
  /** A parent's snapshot recorded early, before its children's first transitions: its own notice is skipped. */
  const recordedEarly = new Map<string, unknown>();

  /**
   * XState starts the children a transition spawns before it tells the parent's observers of that
   * transition, so a child's first snapshot arrives before its parent's. The log keeps the order things
   * happened in: the parent's transition (e.g. the `phase.finished` that schedules the next phase) first.
   */
  function recordParentFirst(actorRef: AnyActorRef): void {
    const parent = actorRef._parent;
    if (parent === undefined || !actors.has(parent.sessionId)) return;
    const parentKey = parent.sessionId;
    if ((pending.get(parentKey)?.length ?? 0) === 0) return;
    const parentSnapshot = parent.getSnapshot() as unknown;
    if (previous.get(parentKey) === parentSnapshot || recordedEarly.get(parentKey) === parentSnapshot) return;
    recordedEarly.set(parentKey, parentSnapshot);
    record(parentKey, parentSnapshot);
  }

  function record(actorKey: string, snapshot: unknown): void {
    if (recordedEarly.has(actorKey) && recordedEarly.get(actorKey) === snapshot && previous.get(actorKey) === snapshot) {
      recordedEarly.delete(actorKey);
      return;
    }
    const actorRef = actors.get(actorKey);
    if (actorRef !== undefined) recordParentFirst(actorRef);
    const event = pending.get(actorKey)?.shift();
    if (!isMachineSnapshot(snapshot) || event === undefined || failure !== null) return;
    if (snapshot.status === 'done') pending.delete(actorKey);
    const before = previous.get(actorKey);
    previous.set(actorKey, snapshot);
    const logEvent = toLogEvent(snapshot.machine.id, event, before, snapshot);
    if (logEvent !== null) commit(logEvent);
  }

  function commit(logEvent: NewRunEvent): void {
    const replay = options.replay;
    const logged = replay?.transitions.shift();
    if (logged !== undefined) {
      const same =
        logged.type === logEvent.type && logged.actor === logEvent.actor && logged.source === logEvent.source && logged.target === logEvent.target;
      if (!same && failure === null) {
        failure = new AutopackError(
          'RESUME_DIVERGED',
          `run ${options.runId}: event ${logged.seq} of the log is ${describe(logged)}, but re-running the machines over the log gives ${describe(logEvent)}; ` +
            'the log does not match these machine definitions',
        );
        onFailure(failure);
      }
      return;
    }
    if (replay?.verifyOnly === true) {
      replay.onCaughtUp();
      return;
    }
    append(logEvent);
  }

  /**
   * Snapshots are taken from each actor's own observers, which XState notifies before it tells the parent
   * that a child is done, so a phase's last transition is logged before the orchestrator's reaction to it.
   * The inspection stream supplies the event each snapshot answers.
   */
  function inspect(inspectionEvent: InspectionEvent): void {
    if (inspectionEvent.type === '@xstate.actor') {
      const actorRef = inspectionEvent.actorRef as AnyActorRef;
      const key = actorRef.sessionId;
      actors.set(key, actorRef);
      actorRef.subscribe({ next: (snapshot) => record(key, snapshot), error: () => {} });
    } else if (inspectionEvent.type === '@xstate.event') {
      const key = (inspectionEvent.actorRef as AnyActorRef).sessionId;
      const queue = pending.get(key) ?? [];
      queue.push(inspectionEvent.event);
      pending.set(key, queue);
    }
  }

  return { inspect, note: append, durable, flush };
}

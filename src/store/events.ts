/**
 * The closed set of event types in a run's log. Each row is one transition of one actor: `source` and
 * `target` are the actor's state before and after, and the type names what caused it. docs/events.md
 * documents every type; a new type must be added there and to the fold's exhaustive switch.
 */
import type {
  AppliedChangeSet,
  AwaitApprovalOutput,
  CallLlmOutput,
  CheckBaselineOutput,
  CommitChangesOutput,
  EffectFailure,
  EffectOutcome,
  InterruptReason,
  LoggedLlmAttempt,
  ParseResponseOutput,
  RollbackChangesOutput,
  RunHealthChecksOutput,
  SleepOutput,
  StuckVerdict,
  ValidateChangesOutput,
} from '../machines/effectContracts.js';
import type { BackoffPolicy } from '../machines/backoff.js';
import type { LlmSettings } from '../model/llmSettings.js';
import type { RunBudget } from '../model/budget.js';
import type { HealthCheckSpec } from '../model/healthCheck.js';
import type { PhaseSpec } from '../model/phaseSpec.js';
import type { ApprovalDecision } from '../model/approval.js';
import type { FileDiff } from '../diff/fileDiff.js';

export interface RunStartedData {
  runId: string;
  repoRoot: string;
  dbPath: string;
  /** Hash of the machine definitions that wrote this log; a resume under other definitions is refused. */
  machineVersion: string;
  phases: { index: number; id: string; spec: PhaseSpec; contextFiles: string[]; protectedPaths: string[] }[];
  options: {
    maxRetries: number;
    enableHealthChecks: boolean;
    stopOnFailure: boolean;
    healthChecks: HealthCheckSpec[];
    backoff: BackoffPolicy;
    /**
     * Attempts in a row failing the same way that end a phase (STUCK); 0 never. Absent in logs written
     * before stuck detection: off for them.
     */
    stuckAfter?: number;
    /**
     * Whether the health checks run once before the first phase, so that a check failing already does
     * not fail a phase. Absent in logs written before baselines: off for them.
     */
    baseline?: boolean;
    /**
     * Every phase waits for approval before it writes (`--approve`, `requireApproval`), besides those whose
     * spec says `approval: true`. Absent in logs written before approval gates: off.
     */
    approveAll?: boolean;
    llm: LlmSettings;
    /**
     * How the CLI reached the model (`--llm`, `--base-url`, `--model`, `--api-key-env`, `--record`,
     * `--request-timeout`; never a key), so `autopack resume` can reconnect without being told again.
     */
    llmConnection?: Record<string, string | number>;
    /** How the run records its work in git (absent in logs written before runs were git-native). */
    git?: RunGitSettings;
  };
}

export interface RunGitSettings {
  /** Whether repoRoot is inside a git working tree. */
  repository: boolean;
  /** Whether each succeeded phase becomes a commit. */
  commit: boolean;
  /** Whether files with the user's uncommitted changes may be written (their pre-images are kept). */
  allowDirty: boolean;
  /** HEAD when the run started: null outside git or on a branch with no commit yet. */
  baseSha: string | null;
  /** The user's files (repo-relative) with uncommitted changes at the start; a change to one is refused. */
  uncommitted: string[];
  /** Set when the run works in a worktree of its own, on its own branch; `checkout` is the user's repoRoot. */
  worktree: { path: string; branch: string; checkout: string } | null;
}

interface PhaseScoped {
  phaseIndex: number;
  attempt: number;
}

export type EffectEventData<T> = PhaseScoped & {
  outcome: EffectOutcome<T>;
  /** On the event that ended the phase because its last attempts failed the same way (it failed with STUCK). */
  stuck?: StuckVerdict;
};

/** The baseline's outcome, and the checks that failed in it (excused in every phase; none when it failed). */
export interface BaselineEventData {
  outcome: EffectOutcome<CheckBaselineOutput>;
  preExisting: string[];
}

export interface EventDataByType {
  'run.started': RunStartedData;
  'phase.started': PhaseScoped & { phaseId: string };
  /** One HTTP attempt of a model call, failed ones included; the run's token and cost totals sum these. */
  'llm.attempted': PhaseScoped & { call: LoggedLlmAttempt };
  'llm.completed': EffectEventData<CallLlmOutput>;
  'llm.failed': EffectEventData<CallLlmOutput>;
  'response.parsed': EffectEventData<ParseResponseOutput>;
  'response.rejected': EffectEventData<ParseResponseOutput>;
  'changes.validated': EffectEventData<ValidateChangesOutput>;
  'changes.rejected': EffectEventData<ValidateChangesOutput>;
  /**
   * The phase's validated changes wait for a person: each file's diff against the file as it is now. Noted
   * once per attempt, by the process that first reached the gate.
   */
  'approval.requested': PhaseScoped & {
    phaseId: string;
    summary: string;
    files: FileDiff[];
    /** Each proposed file's sha256 when asked (null: absent): an approved change to a file changed since is not written. */
    hashes: Record<string, string | null>;
  };
  /** A person let the changes through: who, how and when (the decision, from the run's decisions stream). */
  'approval.granted': EffectEventData<AwaitApprovalOutput>;
  /** A person rejected the changes (APPROVAL_REJECTED); the error is their feedback, as the next attempt is told it. */
  'approval.rejected': EffectEventData<AwaitApprovalOutput>;
  /**
   * Only in a run's decisions stream (`decisions/<run id>`), never in its log: an approval or rejection,
   * appended by `autopack approve`/`reject`, the inspector or the API, and read by the waiting phase.
   */
  'approval.decided': ApprovalDecision;
  /** An apply's pre-images are fsynced and its files are about to be replaced: each file's hash before and after. */
  'changes.prepared': PhaseScoped & { files: { path: string; beforeSha256: string | null; afterSha256: string | null }[] };
  'changes.applied': EffectEventData<AppliedChangeSet>;
  'changes.apply_failed': EffectEventData<AppliedChangeSet>;
  /** `preExisting`: the failed checks that failed at the baseline too, and so did not fail the phase. */
  'health.checked': EffectEventData<RunHealthChecksOutput> & { preExisting?: string[] };
  'health.check_errored': EffectEventData<RunHealthChecksOutput>;
  'changes.rolled_back': EffectEventData<RollbackChangesOutput>;
  'changes.rollback_failed': EffectEventData<RollbackChangesOutput>;
  /** The phase's files were committed (`sha`), or why no commit was made (`skipped`). */
  'phase.committed': EffectEventData<CommitChangesOutput>;
  'phase.commit_failed': EffectEventData<CommitChangesOutput>;
  'backoff.elapsed': EffectEventData<SleepOutput>;
  'backoff.failed': EffectEventData<SleepOutput>;
  /** The orchestrator left `starting`; its target says whether a phase was scheduled, the plan was empty, or the baseline is next. */
  'run.begun': { phaseIndex: number | null };
  /** The health checks ran once before the first phase. */
  'baseline.checked': BaselineEventData;
  /** The baseline could not be taken (e.g. a check could not be started): nothing is excused. */
  'baseline.check_errored': BaselineEventData;
  /** A phase machine reached a final state; `phaseIndex` is the next phase to run, or null when the run ended. */
  'phase.finished': {
    phaseIndex: number;
    success: boolean;
    nextPhaseIndex: number | null;
    /** The orchestrator's counts after this phase: all a resume needs of the phases before it. */
    succeeded?: number;
    failed?: number;
    /** The checks that failed at the run's baseline, which a resume hands the phases after this one. */
    preExisting?: string[];
  };
  /** The run was stopped from outside the machines (a signal, a budget); it can be resumed. */
  'run.interrupted': { reason: InterruptReason; message: string; phaseIndex: number | null };
  /** A process took the run up again from its log; `fromSeq` is the last event before it. */
  'run.resumed': { fromSeq: number; pid: number; host: string; budget?: RunBudget };
  /** `autopack undo` put these phases' files back as they were before the run, in commit `commit`. */
  'run.undone': { phaseIds: string[]; commit: string; files: string[]; pid: number; host: string };
}

export type RunEventType = keyof EventDataByType;

export const RUN_EVENT_TYPES = [
  'run.started',
  'phase.started',
  'llm.attempted',
  'llm.completed',
  'llm.failed',
  'response.parsed',
  'response.rejected',
  'changes.validated',
  'changes.rejected',
  'approval.requested',
  'approval.granted',
  'approval.rejected',
  'approval.decided',
  'changes.applied',
  'changes.apply_failed',
  'changes.prepared',
  'health.checked',
  'health.check_errored',
  'changes.rolled_back',
  'changes.rollback_failed',
  'phase.committed',
  'phase.commit_failed',
  'backoff.elapsed',
  'backoff.failed',
  'run.begun',
  'baseline.checked',
  'baseline.check_errored',
  'phase.finished',
  'run.interrupted',
  'run.resumed',
  'run.undone',
] as const satisfies readonly RunEventType[];

/** An event before the store gives it a place in its stream. */
export type NewRunEvent = {
  [K in RunEventType]: {
    type: K;
    /** `orchestrator` or `phase-<index>`. */
    actor: string;
    source: string | null;
    target: string | null;
    data: EventDataByType[K];
    /** Epoch ms, stamped by the runtime's clock. */
    at: number;
  };
}[RunEventType];

/** An event as read back: its stream (the run id), its 1-based sequence number in that stream, its global position. */
export type StoredRunEvent = NewRunEvent & { stream: string; seq: number; position: number };

/**
 * What a fold is handed of a model call's event: its place and outcome, not the prompt and the answer,
 * which are most of a log's bytes and which no fold of a run's state reads (read() has them).
 */
export type LlmCallFacts = PhaseScoped & { outcome: { ok: true } | { ok: false; error: EffectFailure }; stuck?: StuckVerdict };

type FoldDataByType = Omit<EventDataByType, 'llm.completed' | 'llm.failed'> & { 'llm.completed': LlmCallFacts; 'llm.failed': LlmCallFacts };

/**
 * What a fold is handed of a stored event (`EventStore.aggregate`): its type, place in the stream, the
 * actor's state after it, time and data, a model call's cut to its facts. A stored event is one, so the
 * same evolve folds read() events; the store leaves the rest out of a fold's read.
 */
export type FoldEvent = {
  [K in RunEventType]: { type: K; seq: number; target: string | null; data: FoldDataByType[K]; at: number };
}[RunEventType];

import path from 'node:path';
import type { InspectionEvent } from 'xstate';
// The one class used, from its own module: the package index loads all of RxJS (~90 ms at startup).
import type { Observable } from 'rxjs';
import { Subject } from 'rxjs/internal/Subject';
import { z } from 'zod';
import { DEFAULT_BACKOFF, DEFAULT_STUCK_AFTER, type BackoffPolicy } from '../machines/index.js';
import { machineVersion } from '../runtime/machineVersion.js';
import { AutopackError } from '../model/errors.js';
import { HealthCheckSpecSchema, type HealthCheckSpec } from '../model/healthCheck.js';
import { PhaseSpecSchema, type Complexity, type PhaseSpec } from '../model/phaseSpec.js';
import type { OrchestrationResult, PhaseResult, ValidationResult } from '../model/results.js';
import type OpenAI from 'openai';
import { RunBudgetSchema, type RunBudget } from '../llm/budget.js';
import { LazyOpenAIClient, looksLikeOpenAISdk } from '../llm/openai/lazyOpenAIClient.js';
import { DEFAULT_PRICES, PriceTableSchema, priceFor, type PriceTable } from '../llm/prices.js';
import type { LLMClient } from '../llm/types.js';
import { StuckAfterSchema } from '../model/runGates.js';
import {
  AnswerFormatSchema,
  DEFAULT_MAX_PROMPT_TOKENS,
  DEFAULT_OUTPUT_TOKENS,
  EditFormatSchema,
  OutputTokensSchema,
  type AnswerFormat,
  type EditFormat,
  type LlmSettings,
} from '../model/llmSettings.js';
import { executeRun, type ExecuteRunParams } from '../runtime/executeRun.js';
import { createRunId, RUN_ID_PATTERN } from '../runtime/runId.js';
import { rollForward } from '../runtime/rollForward.js';
import { compatibleStart } from '../runtime/machineCompatibility.js';
import { backupRootFor, readRunStart, runStartOf } from '../runtime/runStart.js';
import { verifyRun } from '../runtime/verifyRun.js';
import { decideApproval, type DecidedApproval } from '../runtime/decideApproval.js';
import { ApprovalSourceSchema, type ApprovalSource } from '../model/approval.js';
import { finishWorktree, prepareGitRun, runCommits, uncommittedOnResume, type GitRunOptions } from '../runtime/gitRun.js';
import { ensureRunsDir, runsDirOf } from '../runtime/runsDir.js';
import { undoRun, type UndoOutcome } from '../runtime/undoRun.js';
import { describeLocation, isDatabaseUrl, openEventStore, resolveLocation } from '../store/openEventStore.js';
import {
  evolveRunStateInPlace,
  foldRunState,
  initialRunState,
  toOrchestrationResult,
  type RunState,
  type Durability,
  type EventStore,
  type LeaseFence,
  type RunStartedData,
  type StoredRunEvent,
} from '../store/index.js';
import { defaultProtectedPaths, validateChanges } from '../validation/index.js';
import { formatZodError } from '../model/formatZodError.js';

const hasComplete = (value: unknown): value is LLMClient =>
  typeof value === 'object' && value !== null && typeof (value as { complete?: unknown }).complete === 'function';

/** An LLMClient, or an `openai` SDK instance, which is wrapped in an OpenAIClient. */
const LLMClientSchema = z
  .custom<LLMClient | OpenAI>((value) => hasComplete(value) || looksLikeOpenAISdk(value), {
    error: 'llmClient must be an object with a complete(request) method, or an OpenAI SDK client (see docs/llm.md)',
  })
  .transform((value): LLMClient => (looksLikeOpenAISdk(value) ? new LazyOpenAIClient({ openai: value }) : (value as LLMClient)));

/** Markdown for a client that says its server cannot enforce the JSON schema; JSON otherwise. */
function defaultAnswerFormat(client: LLMClient): AnswerFormat {
  return (client as { structuredOutput?: unknown }).structuredOutput === false ? 'markdown' : 'json';
}

export const PhaseExecutorOptionsSchema = z.object({
  llmClient: LLMClientSchema,
  repoRoot: z.string().min(1, 'repoRoot must name the repository directory'),
  /**
   * The event log: a SQLite file (default `<repoRoot>/.autonomous_runs/autopack.db`, relative paths from
   * repoRoot) or a PostgreSQL URL (`postgres://user@host/db`) that runs on several machines share.
   */
  dbPath: z.string().min(1).optional(),
  /** The prompt budget: context files are cut to keep every prompt within it. */
  maxTokens: z.number().int().positive().default(DEFAULT_MAX_PROMPT_TOKENS),
  healthChecks: z.array(HealthCheckSpecSchema).default([]),
  backoff: z
    .object({ initialMs: z.number().nonnegative(), maxMs: z.number().nonnegative(), multiplier: z.number().min(1) })
    .partial()
    .optional(),
  /** Output limit per phase complexity. */
  outputTokens: OutputTokensSchema.partial().optional(),
  /** Run-wide limits; a run that reaches one stops resumably before the call that could pass it. */
  budget: RunBudgetSchema.optional(),
  /** USD per million tokens, by model; overrides and extends the built-in table. */
  prices: PriceTableSchema.optional(),
  durability: z.enum(['normal', 'full']).default('normal'),
  /** How the prompt asks for changes to existing files: `auto` (default) asks for edits above a line threshold (docs/edits.md). */
  editFormat: EditFormatSchema.default('auto'),
  /**
   * What the prompt asks the answer to be written in. Default: JSON, unless the client says its server
   * has no structured output (an OpenAIClient with `structuredOutput: 'never'`), then markdown.
   */
  answerFormat: AnswerFormatSchema.optional(),
  /** In a git repository, commit each succeeded phase (docs/git.md). */
  commit: z.boolean().default(true),
  /** Let a run write files that hold the user's uncommitted changes (their pre-images are kept). */
  allowDirty: z.boolean().default(false),
  /** Work in a git worktree on a new branch `autopack/<run id>`, leaving the user's checkout untouched. */
  worktree: z.boolean().default(false),
  /** A log to use instead of the SQLite file at dbPath (e.g. createMemoryEventStore()); the caller closes it. */
  eventStore: z
    .custom<EventStore>((v) => typeof v === 'object' && v !== null && typeof (v as { append?: unknown }).append === 'function', {
      error: 'eventStore must implement the EventStore interface',
    })
    .optional(),
  /**
   * Called after each phase's commit is made and before it is logged, with the run's lease confirmed just
   * before: a worker pushes the run's branch here. A failure fails the commit. It may return the commit
   * that holds the phase now (an equal one found there), which is then the one logged.
   */
  publishCommit: z.custom<(commit: { runId: string; phaseId: string; sha: string }) => Promise<string | void>>((v) => typeof v === 'function').optional(),
  /** Injected for tests; defaults to Date.now. */
  clock: z.custom<() => number>((v) => typeof v === 'function').optional(),
});

export { StuckAfterSchema };

/** The run-wide gates of a phase's success: stuck detection and the baseline (RunPlanRequest). */
const RunGatesSchema = z.object({
  stuckAfter: StuckAfterSchema.default(DEFAULT_STUCK_AFTER),
  baseline: z.boolean().default(true),
});

/** The run's lease: how long it lasts unrenewed, and a lease claimed already (a worker's, from the run queue). */
export interface RunLeaseOptions {
  ttlMs?: number;
  claimed?: LeaseFence;
}
export type PhaseExecutorOptions = z.input<typeof PhaseExecutorOptionsSchema>;

export interface ExecutePhaseOptions {
  maxRetries?: number;
  enableHealthChecks?: boolean;
  /** See RunPlanRequest. */
  stuckAfter?: number;
  baseline?: boolean;
  signal?: AbortSignal;
}

/** Everything a multi-phase run needs; PhaseOrchestrator and the CLI build one of these. */
export interface RunPlanRequest {
  phases: readonly PhaseSpec[];
  maxRetries: number;
  enableHealthChecks: boolean;
  stopOnFailure: boolean;
  /** This many attempts in a row failing the same way (same code, same errors) end a phase at once with STUCK, even with retries left; 0 never (default 2). */
  stuckAfter?: number;
  /**
   * Run the health checks once before the first phase: a check failing then fails no phase by failing
   * again (the deliverables check is never excused). Default true.
   */
  baseline?: boolean;
  /** Extra protected paths for every phase, on top of the defaults and each phase's own. */
  protectedPaths?: readonly string[];
  /** Added to the executor's health checks. */
  healthChecks?: readonly HealthCheckSpec[];
  /** Per-phase context files, most important first; existing deliverables are always included. */
  contextFiles?: readonly (readonly string[])[];
  /** Override the executor's output limits, budget and prices for this run (a plan's settings). */
  outputTokens?: Partial<Record<Complexity, number>>;
  budget?: RunBudget;
  prices?: PriceTable;
  /** Recorded in the log for `autopack resume` (never an API key). */
  llmConnection?: Record<string, string | number>;
  /** Also told every XState inspection event of the run (e.g. connectRemoteInspector(url).inspect). */
  inspect?: (event: InspectionEvent) => void;
  signal?: AbortSignal;
  /** Called once the run has an id, before its first event. */
  onRunStarted?: (runId: string) => void;
  /** The run's id, when it has one already (a run submitted to the queue); a new one by default. */
  runId?: string;
  lease?: RunLeaseOptions;
  /**
   * Every phase waits for a person's approval once its changes pass validation, before anything is
   * written (`--approve`); a phase whose spec says `approval: true` waits whatever this says. Default false.
   */
  requireApproval?: boolean;
  /** At a gate with no decision yet: wait for one (default), or end the run with status `awaiting_approval` (resume it after the decision). */
  waitForApproval?: boolean;
}

const isOver = (state: RunState): boolean => state.status === 'succeeded' || state.status === 'failed' || state.status === 'stopped';

interface ReadLog {
  /** The whole log, or its first event and its tail from the phase in progress on. */
  events: StoredRunEvent[];
  /** The fold of the whole log; null when only its tail was read. */
  state: RunState | null;
  finished: boolean;
}

function wholeLog(events: StoredRunEvent[]): ReadLog {
  const state = foldRunState(events);
  return { events, state, finished: isOver(state) };
}

/**
 * What a resume needs of a long log, without reading it all: the first event (the run's start) and the
 * tail from the phase in progress on (the machines re-run only that phase; the finished ones are counts).
 */
async function logTail(store: EventStore, runId: string, dbPath: string, known: StoredRunEvent | undefined): Promise<ReadLog> {
  // The run's start is ~300 KB of JSON in a long plan: read and parsed once, by the caller if it has.
  if (known !== undefined && (known.stream !== runId || known.seq !== 1)) {
    throw new AutopackError('INPUT_INVALID', `resume(${JSON.stringify(runId)}): options.first is event ${known.seq} of ${known.stream}, not this run's first event`);
  }
  const first = known ?? (await readRunStart(store, runId, dbPath)).first;
  const lastFinished = await store.lastOfType(runId, 'phase.finished');
  // Without the orchestrator's counts in it (an older log), the tail alone cannot say what came before.
  if (lastFinished?.type !== 'phase.finished' || lastFinished.data.succeeded === undefined) return wholeLog(await store.read(runId));
  if (lastFinished.data.nextPhaseIndex === null) return { events: [first], state: null, finished: true };
  // The next phase's start, and all it did, are logged after the phase.finished that scheduled it.
  return { events: [first, ...(await store.read(runId, { from: Math.max(2, lastFinished.seq) }))], state: null, finished: false };
}


function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new AutopackError('INPUT_INVALID', `${what}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}

export interface ResumeOptions {
  signal?: AbortSignal;
  /** Replaces the run's budget (e.g. a higher one). */
  budget?: RunBudget;
  /** The run's log, if the caller has just read it. */
  history?: StoredRunEvent[];
  /** The run's first event (its run.started), if the caller has just read it. */
  first?: StoredRunEvent;
  /** Where the run's files are now, when not where it started (a worker that took the run over). */
  repoRoot?: string;
  /**
   * The files are a fresh checkout of the run's last published commit (a run taken over on another
   * machine): first write what the phase in progress had applied, from the log (runtime/rollForward.ts).
   */
  rollForward?: boolean;
  lease?: RunLeaseOptions;
  /** See RunPlanRequest.waitForApproval. */
  waitForApproval?: boolean;
}

/** A decision for `PhaseExecutor.approve` / `reject`. */
export interface ApprovalOptions {
  /** The waiting phase, by id (default: the one waiting). */
  phaseId?: string;
  /** Who decides (default user@host). */
  by?: string;
  /** Where the decision was made (default `api`). */
  via?: ApprovalSource;
}

/**
 * Executes build phases: prompt → parse → validate → apply → health checks, retrying with the failure
 * fed back. Each run is an event-sourced orchestrator machine whose every transition is in the log.
 */
export class PhaseExecutor {
  readonly repoRoot: string;
  readonly dbPath: string;
  readonly maxTokens: number;
  private readonly llmClient: LLMClient;
  private readonly healthChecks: HealthCheckSpec[];
  private readonly backoff: BackoffPolicy;
  private readonly outputTokens: Record<Complexity, number>;
  private readonly budget: RunBudget;
  private readonly prices: PriceTable;
  private readonly durability: Durability;
  private readonly editFormat: EditFormat;
  private readonly answerFormat: AnswerFormat;
  private readonly git: GitRunOptions;
  private readonly clock: () => number;
  private readonly publishCommit: PhaseExecutorOptions['publishCommit'];
  private readonly subject = new Subject<StoredRunEvent>();
  private store: EventStore | null = null;
  private readonly ownsStore: boolean;

  /** Every event this executor appends, live, across its runs. */
  readonly events$: Observable<StoredRunEvent> = this.subject.asObservable();

  constructor(options: PhaseExecutorOptions) {
    const parsed = parseOrThrow(PhaseExecutorOptionsSchema, options, 'PhaseExecutor options');
    this.llmClient = parsed.llmClient;
    this.repoRoot = path.resolve(parsed.repoRoot);
    this.dbPath = resolveLocation(parsed.dbPath ?? path.join('.autonomous_runs', 'autopack.db'), this.repoRoot);
    this.maxTokens = parsed.maxTokens;
    this.healthChecks = parsed.healthChecks;
    this.backoff = { ...DEFAULT_BACKOFF, ...parsed.backoff };
    this.outputTokens = { ...DEFAULT_OUTPUT_TOKENS, ...parsed.outputTokens };
    this.budget = parsed.budget ?? {};
    this.prices = parsed.prices ?? {};
    this.durability = parsed.durability;
    this.editFormat = parsed.editFormat;
    this.answerFormat = parsed.answerFormat ?? defaultAnswerFormat(parsed.llmClient);
    this.git = { commit: parsed.commit, allowDirty: parsed.allowDirty, worktree: parsed.worktree };
    this.clock = parsed.clock ?? Date.now;
    this.publishCommit = parsed.publishCommit;
    this.store = parsed.eventStore ?? null;
    this.ownsStore = parsed.eventStore === undefined;
  }

  /** The paths no change may touch: autopack's own state always, plus the caller's. */
  protectedPaths(extra: readonly string[] = []): string[] {
    return [...new Set([...defaultProtectedPaths(this.repoRoot, isDatabaseUrl(this.dbPath) ? undefined : this.dbPath), ...extra])];
  }

  validateChanges(changes: readonly unknown[], protectedPaths?: readonly string[]): ValidationResult {
    return validateChanges(changes, { repoRoot: this.repoRoot, protectedPaths: this.protectedPaths(protectedPaths) });
  }

  async executePhase(
    phaseSpec: PhaseSpec,
    contextFiles: readonly string[] = [],
    protectedPaths: readonly string[] = [],
    options: ExecutePhaseOptions = {},
  ): Promise<PhaseResult> {
    const result = await this.runPlan({
      phases: [phaseSpec],
      maxRetries: options.maxRetries ?? 0,
      enableHealthChecks: options.enableHealthChecks ?? true,
      ...(options.stuckAfter === undefined ? {} : { stuckAfter: options.stuckAfter }),
      ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
      stopOnFailure: true,
      protectedPaths,
      contextFiles: [contextFiles],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const phaseResult = result.phase_results[0];
    if (phaseResult === undefined) throw new AutopackError('INTERNAL', `run ${result.run_id} recorded no result for its phase`);
    return phaseResult;
  }

  async runPlan(request: RunPlanRequest): Promise<OrchestrationResult> {
    const specs = parseOrThrow(z.array(PhaseSpecSchema), request.phases, 'phases');
    const maxRetries = parseOrThrow(z.number().int().min(0).max(100), request.maxRetries, 'maxRetries');
    const gates = parseOrThrow(RunGatesSchema, { stuckAfter: request.stuckAfter, baseline: request.baseline }, 'runPlan');
    const extraChecks = parseOrThrow(z.array(HealthCheckSpecSchema), request.healthChecks ?? [], 'healthChecks');
    const ids = specs.map((spec, index) => spec.id ?? `phase-${index + 1}`);
    const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
    if (duplicate !== undefined) {
      throw new AutopackError('INPUT_INVALID', `phases: two phases have the id "${duplicate}"; give each phase a unique id`);
    }

    const llm = this.llmSettings(request);
    if (request.runId !== undefined && !RUN_ID_PATTERN.test(request.runId)) {
      throw new AutopackError('INPUT_INVALID', `runId: "${request.runId}" is not a run id (run-YYYYMMDD-HHMMSS-xxxxxx); leave it out for a new one`);
    }
    const runId = request.runId ?? createRunId(this.clock());
    // Before anything is written: the guard for the user's uncommitted work, and the worktree if asked for.
    const git = await prepareGitRun(this.repoRoot, runId, specs.map((spec, index) => ({ id: ids[index] as string, deliverables: spec.deliverables })), this.git);
    const start: RunStartedData = {
      runId,
      repoRoot: git.runRoot,
      // Where the log is, as it may be shown: a URL's password is not logged.
      dbPath: describeLocation(this.dbPath),
      machineVersion: machineVersion(),
      phases: specs.map((spec, index) => ({
        index,
        id: ids[index] as string,
        spec,
        contextFiles: [...(request.contextFiles?.[index] ?? []), ...(spec.context_files ?? [])],
        protectedPaths: this.protectedPaths([...(request.protectedPaths ?? []), ...(spec.protected_paths ?? [])]),
      })),
      options: {
        maxRetries,
        ...gates,
        enableHealthChecks: request.enableHealthChecks,
        stopOnFailure: request.stopOnFailure,
        healthChecks: [...this.healthChecks, ...extraChecks],
        backoff: this.backoff,
        llm,
        ...(request.llmConnection === undefined ? {} : { llmConnection: request.llmConnection }),
        approveAll: request.requireApproval === true,
        git: git.settings,
      },
    };
    request.onRunStarted?.(runId);
    return this.drive(start, {
      ...(request.signal === undefined ? {} : { signal: request.signal }),
      ...(request.inspect === undefined ? {} : { inspect: request.inspect }),
      ...(request.lease === undefined ? {} : { lease: request.lease }),
      ...(request.waitForApproval === undefined ? {} : { waitForApproval: request.waitForApproval }),
    });
  }

  /** Runs (or continues) a run in its repository, publishing each event, and returns its result. */
  private async drive(
    start: RunStartedData,
    extra: Pick<ExecuteRunParams, 'signal' | 'inspect' | 'history' | 'historyIsTail' | 'historyState' | 'lease' | 'waitForApproval'>,
  ) {
    const store = await this.openStore();
    // First, since it recreates a worktree run's folder when it is gone.
    const commits = await runCommits(start);
    const publish = this.publishCommit;
    if (publish !== undefined && !('skip' in commits)) commits.publish = (commit) => publish({ runId: start.runId, ...commit });
    ensureRunsDir(start.repoRoot);
    const state = await executeRun({
      store,
      start,
      llmClient: this.llmClient,
      repoRoot: start.repoRoot,
      backupRoot: backupRootFor(start.repoRoot, start.runId),
      clock: this.clock,
      onEvent: (event) => this.subject.next(event),
      commits,
      durability: this.durability,
      uncommittedPaths: new Set(start.options.git?.uncommitted ?? []),
      ...extra,
    });
    if (state.status !== 'running' && state.status !== 'interrupted' && state.status !== 'awaiting_approval') await finishWorktree(start);
    return toOrchestrationResult(state);
  }

  /**
   * Continues an interrupted or crashed run from its log: the machines re-run over the logged outcomes
   * (no model call, apply or check is repeated), then go on live from where the log ends. The repository,
   * phases and options come from the log; `budget` replaces the run's budget (e.g. a higher one).
   */
  async resume(runId: string, options: ResumeOptions = {}): Promise<OrchestrationResult> {
    const store = await this.openStore();
    const read = options.history === undefined ? await logTail(store, runId, describeLocation(this.dbPath), options.first) : wholeLog(options.history);
    const history = read.events;
    const logged = compatibleStart(runStartOf(history[0], runId, describeLocation(this.dbPath)));
    const start = options.repoRoot === undefined ? logged : { ...logged, repoRoot: path.resolve(options.repoRoot) };
    if (options.rollForward === true && !read.finished) rollForward(history, start.repoRoot);
    if (read.finished) return toOrchestrationResult(read.state ?? (await store.aggregate(runId, evolveRunStateInPlace, initialRunState())));
    const lastBudget = (await store.lastOfType(runId, 'run.resumed'))?.data as { budget?: RunBudget } | undefined;
    const budget = parseOrThrow(RunBudgetSchema, options.budget ?? lastBudget?.budget ?? start.options.llm.budget, 'budget');
    const nextPhase = history.findLast((e) => e.type === 'phase.finished');
    const nextPhaseIndex = nextPhase?.type === 'phase.finished' ? (nextPhase.data.nextPhaseIndex ?? start.phases.length) : 0;
    const uncommitted = await uncommittedOnResume(store, start, history, nextPhaseIndex);
    const git = start.options.git === undefined ? {} : { git: { ...start.options.git, uncommitted } };
    const continued: RunStartedData = { ...start, options: { ...start.options, ...git, llm: { ...start.options.llm, budget } } };
    return this.drive(continued, {
      history,
      historyIsTail: read.state === null,
      ...(read.state === null ? {} : { historyState: read.state }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.lease === undefined ? {} : { lease: options.lease }),
      ...(options.waitForApproval === undefined ? {} : { waitForApproval: options.waitForApproval }),
    });
  }

  /**
   * Lets the changes of the phase waiting at its approval gate through (docs/approval.md). A process
   * waiting at the gate goes on by itself; a run that exited there continues with `resume`. Refused with
   * APPROVAL_NOT_PENDING when no phase of the run waits for a decision.
   */
  async approve(runId: string, options: ApprovalOptions & { feedback?: string } = {}): Promise<DecidedApproval> {
    return this.decide(runId, { ...options, approved: true });
  }

  /** Rejects the waiting phase's changes: the phase tries again, told `feedback` as the attempt's error. */
  async reject(runId: string, feedback: string, options: ApprovalOptions = {}): Promise<DecidedApproval> {
    return this.decide(runId, { ...options, approved: false, feedback });
  }

  private async decide(runId: string, choice: ApprovalOptions & { approved: boolean; feedback?: string }): Promise<DecidedApproval> {
    const via = parseOrThrow(ApprovalSourceSchema.default('api'), choice.via, 'via');
    const { via: _via, ...rest } = choice;
    return decideApproval(await this.openStore(), runId, { ...rest, via }, this.clock());
  }

  /**
   * Puts the files of a run's commits (or one phase's) back as they were before the run, as one new
   * commit, logged in the run (docs/git.md). Refuses rather than overwrite anyone's work.
   */
  async undo(runId: string, options: { phaseId?: string } = {}): Promise<UndoOutcome> {
    return undoRun(await this.openStore(), runId, describeLocation(this.dbPath), { ...options, clock: this.clock });
  }

  /**
   * Re-runs the machines over a run's log without any effect and checks that they reproduce every logged
   * transition; throws RESUME_DIVERGED at the first difference. Returns the run's state (a pure fold).
   */
  async verify(runId: string): Promise<RunState> {
    return verifyRun(await this.openStore(), runId);
  }

  /** The model's limits for one run, checked before anything is written. */
  private llmSettings(request: RunPlanRequest): LlmSettings {
    const outputTokens = parseOrThrow(OutputTokensSchema.partial(), request.outputTokens ?? {}, 'outputTokens');
    const budget = parseOrThrow(RunBudgetSchema, { ...this.budget, ...request.budget }, 'budget');
    const prices = parseOrThrow(PriceTableSchema, { ...this.prices, ...request.prices }, 'prices');
    const model = this.llmClient.model;
    if (budget.maxCostUsd !== undefined && priceFor(model, { ...DEFAULT_PRICES, ...prices }) === null) {
      throw new AutopackError(
        'INPUT_INVALID',
        `a cost budget needs the model's price, and there is none for ${model === undefined ? 'this client (it names no model)' : `model "${model}"`}; ` +
          `add it under prices: in the plan, e.g. prices: { "${model ?? 'MODEL'}": { input_per_mtok: 0.5, output_per_mtok: 1.5 } }`,
      );
    }
    return {
      maxPromptTokens: this.maxTokens,
      outputTokens: { ...this.outputTokens, ...outputTokens },
      budget,
      prices,
      editFormat: this.editFormat,
      answerFormat: this.answerFormat,
    };
  }

  /** The event log this executor writes; opened on first use. */
  async openStore(): Promise<EventStore> {
    if (this.store === null && this.dbPath.startsWith(runsDirOf(this.repoRoot) + path.sep)) ensureRunsDir(this.repoRoot);
    this.store ??= await openEventStore(this.dbPath, { durability: this.durability });
    return this.store;
  }

  /** Closes the log if this executor opened it (a SQLite log is closed before this returns). */
  async close(): Promise<void> {
    const store = this.ownsStore ? this.store : null;
    if (this.ownsStore) this.store = null;
    this.subject.complete();
    await store?.close();
  }
}

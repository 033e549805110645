/**
 * What the inspector shows, as plain JSON computed from the log: the same fold and projections the CLI
 * uses, so the page can never disagree with `autopack status` or `autopack state`.
 */
import { describeBaseline, describeEvent } from '../cli/describeEvent.js';
import { appliedDiffs, type AppliedFileDiff, type FileDiff } from '../diff/index.js';
import { MACHINE_MIGRATIONS } from '../runtime/machineCompatibility.js';
import { machineVersion } from '../runtime/machineVersion.js';
import { foldRunState, runTotals, type EventStore, type RunState, type StoredRunEvent } from '../store/index.js';
import { listRunStreams } from '../store/decisions.js';

export interface RunSummary {
  runId: string;
  status: RunState['status'];
  totalPhases: number;
  phasesSucceeded: number;
  phasesFailed: number;
  tokens: number;
  costUsd: number | null;
  startedAt: number | null;
  durationS: number | null;
  events: number;
}

export function summarize(state: RunState): RunSummary {
  const totals = runTotals(state);
  return {
    runId: state.runId ?? '',
    status: state.status,
    totalPhases: state.phases.length,
    phasesSucceeded: state.phases.filter((p) => p.status === 'succeeded').length,
    phasesFailed: state.phases.filter((p) => p.status === 'failed').length,
    tokens: totals.tokens,
    costUsd: totals.costUnknown ? null : Math.round(totals.costUsd * 1e6) / 1e6,
    startedAt: state.startedAt,
    durationS: state.startedAt === null ? null : ((state.finishedAt ?? Date.now()) - state.startedAt) / 1000,
    events: state.version,
  };
}

export async function listRuns(store: EventStore): Promise<RunSummary[]> {
  const runs: RunSummary[] = [];
  for (const { stream } of await listRunStreams(store)) runs.push(summarize(foldRunState(await store.read(stream))));
  return runs.reverse();
}

export interface TimelineEntry {
  seq: number;
  at: number;
  type: string;
  actor: string;
  source: string | null;
  target: string | null;
  text: string;
}

export function timelineEntry(event: StoredRunEvent): TimelineEntry {
  return { seq: event.seq, at: event.at, type: event.type, actor: event.actor, source: event.source, target: event.target, text: describeEvent(event) };
}

export interface RunView {
  summary: RunSummary;
  repoRoot: string | null;
  phases: { index: number; id: string; description: string }[];
  /** Written by other machine definitions with no migration to these: shown read-only, as logged. */
  olderMachines: boolean;
  /** The health checks before the first phase, and which already failed; null when no baseline was taken. */
  baseline: { text: string; checks: { name: string; passed: boolean }[]; preExisting: string[] } | null;
  timeline: TimelineEntry[];
}

export function runView(events: readonly StoredRunEvent[]): RunView {
  const state = foldRunState(events);
  return {
    summary: summarize(state),
    repoRoot: state.start?.repoRoot ?? null,
    phases: state.phases.map((p) => ({ index: p.index, id: p.id, description: p.spec.description })),
    olderMachines: state.start !== null && state.start.machineVersion !== machineVersion() && !Object.hasOwn(MACHINE_MIGRATIONS, state.start.machineVersion),
    baseline:
      state.baseline === null
        ? null
        : {
            text: describeBaseline(state.baseline),
            checks: state.baseline.checks.map((c) => ({ name: c.name, passed: c.passed })),
            preExisting: state.baseline.preExisting,
          },
    timeline: events.map(timelineEntry),
  };
}

export interface EventDetail {
  entry: TimelineEntry;
  /** One of: prompt, response, errors, files, checks: whatever this event carries. */
  prompt?: { promptTokens: number; maxPromptTokens: number; tokenizer: string; messages: { role: string; chars: number; excerpt: string }[]; context: unknown[] };
  response?: { content: string; finishReason: string; usage: unknown; model?: string | undefined };
  errors?: { code: string; errors: string[] };
  /** Each applied file's unified diff against its pre-image, in hunks (or why there is none). */
  files?: AppliedFileDiff[];
  /** What an attempt proposed at its approval gate (`approval.requested`), each file diffed as it was then. */
  proposed?: { attempt: number; summary: string; files: FileDiff[] };
  checks?: { name: string; passed: boolean; exit_code: number | null; duration: number; timed_out: boolean; output_tail: string }[];
  data: unknown;
}

const excerpt = (text: string, max = 600): string => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Everything worth showing about one event, with each applied file's diff against its pre-image. */
export function eventDetail(events: readonly StoredRunEvent[], seq: number): EventDetail | null {
  const event = events.find((e) => e.seq === seq);
  if (event === undefined) return null;
  const detail: EventDetail = { entry: timelineEntry(event), data: event.data };
  if (event.type === 'approval.requested') detail.proposed = { attempt: event.data.attempt, summary: event.data.summary, files: event.data.files };
  if (!('outcome' in event.data)) return detail;
  const outcome = event.data.outcome;
  if (!outcome.ok) {
    detail.errors = { code: outcome.error.code, errors: outcome.error.errors };
    return detail;
  }
  switch (event.type) {
    case 'llm.completed': {
      const { request, response } = event.data.outcome.ok ? event.data.outcome.value : ({} as never);
      detail.prompt = {
        promptTokens: request.promptTokens,
        maxPromptTokens: request.maxPromptTokens,
        tokenizer: request.tokenizer,
        messages: request.messages.map((m) => ({ role: m.role, chars: m.content.length, excerpt: excerpt(m.content) })),
        context: event.data.outcome.ok ? event.data.outcome.value.context : [],
      };
      detail.response = { content: excerpt(response.content, 20_000), finishReason: response.finishReason, usage: response.usage, model: response.model };
      break;
    }
    case 'changes.applied':
      detail.files = appliedDiffs(events, event);
      break;
    case 'health.checked':
      detail.checks = event.data.outcome.ok ? event.data.outcome.value.results : [];
      break;
    case 'baseline.checked':
      detail.checks = event.data.outcome.ok ? event.data.outcome.value.results : [];
      break;
    default:
      break;
  }
  return detail;
}

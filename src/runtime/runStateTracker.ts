import type { LlmSpend } from '../llm/budget.js';
import type { EventStore } from '../store/eventStore.js';
import type { StoredRunEvent } from '../store/events.js';
import { evolveRunStateInPlace, foldRunState, initialRunState, runTotals, type RunState } from '../store/runState.js';

export interface RunStateTracker {
  /** Folds an appended event in. */
  add(event: StoredRunEvent): void;
  /** What the log says was spent on the model so far, this run's attempts included. */
  spent(): LlmSpend;
  /** The run's state once it is over. */
  result(): Promise<RunState>;
}

export interface RunStateTrackerOptions {
  store: EventStore;
  runId: string;
  /** The log so far, when continuing a run. */
  history: readonly StoredRunEvent[];
  /** The fold of `history`, when the caller has it already (it is taken over and folded on into). */
  historyState?: RunState;
  /** `history` is the run's first event and the log's tail, not the whole log. */
  historyIsTail: boolean;
  /** A budget is set: the tokens and cost spent so far are needed before the first model call. */
  needsTotalsNow: boolean;
}

/**
 * The run's state, folded on as events are appended, so the result needs no second read of the log. From
 * a tail, the whole log is folded up front only when a budget needs what was spent; otherwise once, from
 * the store, when the run is over.
 */
export async function createRunStateTracker(options: RunStateTrackerOptions): Promise<RunStateTracker> {
  const { store, runId } = options;
  let state: RunState | null = options.historyIsTail
    ? options.needsTotalsNow
      ? await store.aggregate(runId, evolveRunStateInPlace, initialRunState())
      : null
    : (options.historyState ?? foldRunState(options.history));
  const totals = state === null ? { tokens: 0, costUsd: 0 } : runTotals(state);
  const spent = { tokens: totals.tokens, costUsd: totals.costUsd };

  return {
    add(event) {
      if (state !== null) state = evolveRunStateInPlace(state, event);
      if (event.type === 'llm.attempted') {
        spent.tokens += event.data.call.usage.promptTokens + event.data.call.usage.completionTokens;
        spent.costUsd += event.data.call.costUsd ?? 0;
      }
    },
    spent: () => ({ ...spent }),
    result: async () => state ?? (await store.aggregate(runId, evolveRunStateInPlace, initialRunState())),
  };
}

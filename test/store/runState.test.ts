import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSqliteEventStore,
  evolveRunState,
  evolveRunStateInPlace,
  foldRunState,
  initialRunState,
  type RunState,
  type StoredRunEvent,
} from '../../src/index.js';
import { successfulCallFacts, toFoldEvent } from '../../src/store/foldData.js';
import { finishedExampleRun } from '../support/finishedRun.js';

let events: StoredRunEvent[];
let aggregated: RunState;
let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autopack-fold-'));
  const run = await finishedExampleRun(dir);
  const store = createSqliteEventStore(run.dbPath, { readonly: true });
  events = await store.read(run.runId);
  aggregated = await store.aggregate(run.runId, evolveRunStateInPlace, initialRunState());
  store.close();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the run-state fold', () => {
  it('folds in place to exactly what the pure step gives, and the pure step never changes its input', () => {
    const states = [initialRunState()];
    const snapshots = [JSON.stringify(states[0])];
    for (const event of events) {
      const next = evolveRunState(states.at(-1) ?? initialRunState(), event);
      states.push(next);
      snapshots.push(JSON.stringify(next));
    }
    // Every intermediate state is still what it was when made: later steps did not write into it.
    expect(states.map((s) => JSON.stringify(s))).toEqual(snapshots);
    expect(foldRunState(events)).toEqual(states.at(-1));
    // Any prefix folds to the pure state after that prefix (what `state --at` and the inspector show).
    for (const at of [1, 5, Math.floor(events.length / 2), events.length - 1]) expect(foldRunState(events.slice(0, at))).toEqual(states[at]);
  });

  it("folds a real log's rows in the store (store.aggregate) to what the pure step gives over the whole events", () => {
    expect(aggregated).toEqual(events.reduce(evolveRunState, initialRunState()));
  });

  it("reads the facts of the recorder's successful model calls without parsing their prompt and answer", () => {
    const calls = events.filter((e) => e.type === 'llm.completed');
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(successfulCallFacts(JSON.stringify(call.data))).toEqual(toFoldEvent(call).data);
  });
});

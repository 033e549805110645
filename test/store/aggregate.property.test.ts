import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFoldData, toFoldEvent } from '../../src/store/foldData.js';
import {
  createMemoryEventStore,
  createSqliteEventStore,
  evolveRunState,
  evolveRunStateInPlace,
  initialRunState,
  type EventStore,
  type RunState,
} from '../../src/store/index.js';
import { useTempDirs } from '../support/tempDir.js';
import { runLog } from './runLogArbitrary.js';

const tempDir = useTempDirs();

/** The pure fold over the whole events as read back, checking on the way that no step wrote into its input. */
async function pureFold(store: EventStore, stream: string): Promise<RunState> {
  let state = initialRunState();
  for (const event of await store.read(stream)) {
    const before = JSON.stringify(state);
    const next = evolveRunState(state, event);
    expect(JSON.stringify(state)).toBe(before);
    state = next;
  }
  return state;
}

const implementations: [string, () => EventStore][] = [
  ['memory', () => createMemoryEventStore()],
  ['sqlite', () => createSqliteEventStore(path.join(tempDir(), 'log.db'))],
];

describe.each(implementations)('aggregate with the in-place fold (%s store)', (_name, create) => {
  it('folds any log to what the pure fold gives over the whole events read back', async () => {
    const store = create();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(runLog, async (events) => {
        const stream = `run-${(runs += 1)}`;
        await store.append(stream, events, { expectedVersion: 0 });
        expect(await store.aggregate(stream, evolveRunStateInPlace, initialRunState())).toEqual(await pureFold(store, stream));
      }),
      { numRuns: 300 },
    );
    await store.close();
  });
});

describe("a model call's data as a fold sees it", () => {
  it('is the same parsed from the row as cut from the whole event', () => {
    fc.assert(
      fc.property(runLog, (events) => {
        for (const [i, event] of events.entries()) {
          const stored = { ...event, stream: 'run', seq: i + 1, position: i + 1 };
          expect(parseFoldData(event.type, JSON.stringify(event.data))).toEqual(toFoldEvent(stored).data);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out the prompt and the answer', () => {
    const data = { phaseIndex: 2, attempt: 1, outcome: { ok: true, value: { request: { messages: [] }, response: { content: 'x' } }, at: 5 } };
    expect(parseFoldData('llm.completed', JSON.stringify(data))).toEqual({ phaseIndex: 2, attempt: 1, outcome: { ok: true } });
  });
});

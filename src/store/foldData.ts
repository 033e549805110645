/**
 * The data a fold is handed (FoldEvent): the event's own, but a model call's cut to its facts. The
 * stores build it here, so every store hands a fold the same thing.
 */
import type { EventDataByType, FoldEvent, LlmCallFacts, StoredRunEvent } from './events.js';

type LlmCallType = 'llm.completed' | 'llm.failed';

const isLlmCall = (type: string): type is LlmCallType => type === 'llm.completed' || type === 'llm.failed';

function llmCallFacts({ phaseIndex, attempt, outcome, stuck }: EventDataByType[LlmCallType]): LlmCallFacts {
  const facts: LlmCallFacts = { phaseIndex, attempt, outcome: outcome.ok ? { ok: true } : { ok: false, error: outcome.error } };
  // A failed call can be the one that ended its phase as stuck: the fold writes that into the errors.
  return stuck === undefined ? facts : { ...facts, stuck };
}

/** A stored event as a fold sees it. */
export function toFoldEvent(event: StoredRunEvent): FoldEvent {
  const data = isLlmCall(event.type) ? llmCallFacts(event.data as EventDataByType[LlmCallType]) : event.data;
  return { type: event.type, seq: event.seq, target: event.target, data, at: event.at } as FoldEvent;
}

/**
 * How the store writes a successful model call's data (JSON.stringify of the recorder's object, keys in
 * this order). JSON.stringify never writes a key twice, so a row that begins so has exactly these facts,
 * and the kilobytes of prompt and answer after them need no parse.
 */
const SUCCESSFUL_CALL = /^\{"phaseIndex":(\d+),"attempt":(\d+),"outcome":\{"ok":true,/;

/** The facts of a successful model call read off the front of its row, or null when the row does not begin so. */
export function successfulCallFacts(text: string): LlmCallFacts | null {
  const facts = SUCCESSFUL_CALL.exec(text);
  return facts === null ? null : { phaseIndex: Number(facts[1]), attempt: Number(facts[2]), outcome: { ok: true } };
}

/** The data of a row of type `type`, stored as the JSON `text`, as a fold sees it; any row not read off the front is parsed in full. */
export function parseFoldData(type: string, text: string): FoldEvent['data'] {
  if (!isLlmCall(type)) return JSON.parse(text) as FoldEvent['data'];
  return successfulCallFacts(text) ?? llmCallFacts(JSON.parse(text) as EventDataByType[LlmCallType]);
}

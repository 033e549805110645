/**
 * Arbitrary logs for properties of the run-state fold: every event type, with the fields the fold reads
 * (and bulk it does not), phase indexes in and out of range, failures, and a model call's data in the key
 * order the recorder writes and in others.
 */
import fc from 'fast-check';
import type { NewRunEvent, RunEventType } from '../../src/store/index.js';

export const PHASES = 3;

const index = fc.integer({ min: -1, max: PHASES });
const attempt = fc.integer({ min: 1, max: 3 });
const text = fc.string({ maxLength: 12 });
const bulk = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const target = fc.constantFrom(null, 'prompting', 'awaiting_approval', 'applying', 'done', 'failed', 'running_phase', 'completed', 'stopped');

const failure = fc.record({ code: fc.constant('INTERNAL'), errors: fc.array(text, { maxLength: 2 }), retryable: fc.boolean() });
const outcome = (value: fc.Arbitrary<unknown>) =>
  fc.oneof(
    fc.record({ ok: fc.constant(true as const), value, at: fc.nat() }),
    fc.record({ ok: fc.constant(false as const), error: failure, at: fc.nat() }),
  );
/** The verdict on the event that ended a phase as stuck: only ever beside a failure. */
const stuck = fc.record({ attempts: fc.constant([1, 2]), code: fc.constant('CHANGES_INVALID'), error: text, retriesLeft: fc.nat(3) });
const withStuck = <T extends { outcome: { ok: boolean } }>(data: T) =>
  fc.option(stuck, { freq: 3 }).map((verdict) => (verdict === null || data.outcome.ok ? data : { ...data, stuck: verdict }));
const effect = (value: fc.Arbitrary<unknown>) => fc.record({ phaseIndex: index, attempt, outcome: outcome(value) }).chain(withStuck);

/** A model call's data: as the recorder writes it (phaseIndex, attempt, outcome; ok first), or keys reordered. */
const llmCall = fc
  .tuple(index, attempt, outcome(bulk), fc.boolean(), fc.boolean())
  .map(([phaseIndex, att, out, recorderOrder, okFirst]) => {
    const { ok, at, ...rest } = out;
    const reordered = okFirst ? out : { ...rest, at, ok };
    return recorderOrder ? { phaseIndex, attempt: att, outcome: out } : { outcome: reordered, attempt: att, phaseIndex };
  })
  .chain(withStuck);

const healthResult = fc.record({
  name: text,
  passed: fc.boolean(),
  exit_code: fc.option(fc.integer({ min: 0, max: 2 })),
  duration: fc.nat(),
  output_tail: text,
  timed_out: fc.boolean(),
});

const dataByType: { [K in RunEventType]: fc.Arbitrary<unknown> } = {
  'run.started': fc.constant({
    runId: 'run-x',
    phases: Array.from({ length: PHASES }, (_, i) => ({ index: i, id: `p${i}`, spec: { id: `p${i}` }, contextFiles: [], protectedPaths: [] })),
    options: {},
  }),
  'phase.started': fc.record({ phaseIndex: index, attempt, phaseId: text }),
  'llm.attempted': fc.record({
    phaseIndex: index,
    attempt,
    call: fc.record({
      usage: fc.record({ promptTokens: fc.nat(1000), completionTokens: fc.nat(1000) }),
      costUsd: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    }),
  }),
  'llm.completed': llmCall,
  'llm.failed': llmCall,
  'response.parsed': effect(fc.record({ summary: text, files: bulk })),
  'response.rejected': effect(fc.record({ summary: text, files: bulk })),
  'changes.validated': effect(bulk),
  'changes.rejected': effect(bulk),
  'approval.requested': fc.record({ phaseIndex: index, attempt, phaseId: text, summary: text, files: fc.constant([]), hashes: fc.constant({}) }),
  'approval.granted': effect(fc.record({ by: text, via: fc.constant('cli'), decidedAt: fc.nat(), feedback: fc.option(text) })),
  'approval.rejected': effect(bulk),
  'approval.decided': fc.record({ phaseIndex: index, attempt, approved: fc.boolean(), feedback: fc.option(text), by: text, via: fc.constant('cli'), at: fc.nat() }),
  'changes.prepared': fc.record({ phaseIndex: index, attempt, files: fc.constant([]) }),
  'changes.applied': effect(fc.record({ files: fc.array(fc.record({ path: text }), { maxLength: 2 }) })),
  'changes.apply_failed': effect(fc.record({ files: fc.array(fc.record({ path: text }), { maxLength: 2 }) })),
  'health.checked': fc
    .tuple(effect(fc.record({ passed: fc.boolean(), results: fc.array(healthResult, { maxLength: 2 }) })), fc.option(fc.array(text, { maxLength: 2 })))
    .map(([data, preExisting]) => (preExisting === null ? data : { ...data, preExisting })),
  'health.check_errored': effect(fc.record({ passed: fc.boolean(), results: fc.array(healthResult, { maxLength: 2 }) })),
  'changes.rolled_back': effect(bulk),
  'changes.rollback_failed': effect(bulk),
  'phase.committed': effect(fc.record({ sha: fc.option(text) })),
  'phase.commit_failed': effect(fc.record({ sha: fc.option(text) })),
  'backoff.elapsed': effect(bulk),
  'backoff.failed': effect(bulk),
  'run.begun': fc.record({ phaseIndex: fc.option(index) }),
  'baseline.checked': fc.record({ outcome: outcome(fc.record({ results: fc.array(healthResult, { maxLength: 2 }) })), preExisting: fc.array(text, { maxLength: 2 }) }),
  'baseline.check_errored': fc.record({ outcome: outcome(fc.record({ results: fc.array(healthResult, { maxLength: 2 }) })), preExisting: fc.constant([]) }),
  'phase.finished': fc.record({ phaseIndex: index, success: fc.boolean(), nextPhaseIndex: fc.option(index) }),
  'run.interrupted': fc.record({ reason: fc.constantFrom('signal', 'budget', 'approval'), message: text, phaseIndex: fc.option(index) }),
  'run.resumed': fc.record({ fromSeq: fc.nat(), pid: fc.nat(), host: text }),
  'run.undone': fc.record({ phaseIds: fc.subarray(['p0', 'p1', 'p2', 'p9']), commit: text, files: fc.constant([]), pid: fc.nat(), host: text }),
};

const event = fc.constantFrom(...(Object.keys(dataByType) as RunEventType[])).chain((type) =>
  fc.record({ data: dataByType[type], target, at: fc.nat() }).map(
    ({ data, target: to, at }) => ({ type, actor: 'orchestrator', source: null, target: to, data, at }) as NewRunEvent,
  ),
);

/** A run's log: most often started first, so phase events land; sometimes not, or started twice. */
export const runLog: fc.Arbitrary<NewRunEvent[]> = fc
  .tuple(fc.boolean(), fc.array(event, { maxLength: 40 }))
  .chain(([started, rest]) =>
    dataByType['run.started'].map((data) =>
      started ? [{ type: 'run.started', actor: 'orchestrator', source: null, target: 'starting', data, at: 0 } as NewRunEvent, ...rest] : rest,
    ),
  );

import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { orchestratorMachine, type OrchestratorInput } from '../../src/machines/orchestrator.js';
import { phaseMachine } from '../../src/machines/phase.js';
import type { HealthCheckResult } from '../../src/model/results.js';
import { phaseInput } from '../support/phaseDriver.js';

type PhaseEvent = EventFromLogic<typeof phaseMachine>;
type OrchestratorEvent = EventFromLogic<typeof orchestratorMachine>;
const done = <E>(id: string, output: unknown) => ({ type: `xstate.done.actor.${id}`, output }) as unknown as E;

const check = (name: string, passed: boolean): HealthCheckResult => ({
  name,
  passed,
  exit_code: passed ? 0 : 1,
  duration: 0.01,
  output_tail: passed ? '' : `${name} broke`,
  timed_out: false,
});

/** The phase machine in health_checking, with these checks failing before the run. */
function atHealthCheck(preExisting: string[]) {
  const response = { content: '{}', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } };
  const applied = { backupDir: '/b', files: [], createdDirs: [] };
  let [snapshot] = initialTransition(phaseMachine, phaseInput({ preExisting, maxRetries: 0 }));
  for (const event of [
    done<PhaseEvent>('callLlm', { ok: true, value: { request: {}, response, latencyMs: 1, context: [] }, at: 1 }),
    done<PhaseEvent>('parseResponse', { ok: true, value: { summary: 's', files: [] }, at: 2 }),
    done<PhaseEvent>('validateChanges', { ok: true, value: { checked: 0 }, at: 3 }),
    done<PhaseEvent>('applyChanges', { ok: true, value: applied, at: 4 }),
  ]) [snapshot] = transition(phaseMachine, snapshot, event);
  expect(snapshot.value).toBe('health_checking');
  return (results: HealthCheckResult[]) => transition(phaseMachine, snapshot, done<PhaseEvent>('runHealthChecks', { ok: true, value: { passed: results.every((r) => r.passed), results }, at: 5 }))[0];
}

describe('phase machine: checks that failed before the run', () => {
  it('does not fail the phase for a check that failed at the baseline too, and remembers it was excused', () => {
    const next = atHealthCheck(['unit tests'])([check('deliverables', true), check('unit tests', false)]);
    expect(next.value).toBe('committing');
    expect(next.context.excusedChecks).toEqual(['unit tests']);
  });

  it('fails it for a check that passed at the baseline, and tells the model which failure is old', () => {
    const next = atHealthCheck(['unit tests'])([check('deliverables', true), check('unit tests', false), check('lint', false)]);
    expect(next.value).toBe('rolling_back');
    expect(next.context.lastFailureCode).toBe('HEALTH_CHECK_FAILED');
    expect(next.context.lastErrors).toEqual([
      'health check "unit tests" failed before the run too: pre-existing failure, ignored',
      'health check "lint" exited with code 1:\nlint broke',
    ]);
  });

  it('never excuses the deliverables check, whatever the baseline says', () => {
    const next = atHealthCheck(['deliverables'])([check('deliverables', false)]);
    expect(next.value).toBe('rolling_back');
    expect(next.context.lastFailureCode).toBe('DELIVERABLES_MISSING');
  });
});

describe('orchestrator machine: the baseline', () => {
  const { preExisting: _givenByTheOrchestrator, ...phase } = phaseInput();
  const input = (overrides: Partial<OrchestratorInput> = {}): OrchestratorInput => ({
    phases: [phase, { ...phase, phaseIndex: 1, phaseId: 'p2' }],
    stopOnFailure: true,
    baselineChecks: [{ name: 'unit tests', command: 'npm test' }],
    ...overrides,
  });
  const spawned = (actions: readonly unknown[]) =>
    actions.flatMap((a) => {
      const action = a as { type: string; params?: { src?: unknown; input?: unknown } };
      return action.type === 'xstate.spawnChild' ? [{ src: action.params?.src, input: action.params?.input }] : [];
    });

  it('takes the baseline before the first phase, and hands the failed checks to every phase', () => {
    const [start] = initialTransition(orchestratorMachine, input());
    const [checking, checkingActions] = transition(orchestratorMachine, start, { type: 'run.begin' });
    expect(checking.value).toBe('checking_baseline');
    expect(spawned(checkingActions)).toEqual([{ src: 'checkBaseline', input: { checks: [{ name: 'unit tests', command: 'npm test' }] } }]);

    const results = [check('unit tests', false)];
    const [running, actions] = transition(orchestratorMachine, checking, done<OrchestratorEvent>('checkBaseline', { ok: true, value: { results }, at: 9 }));
    expect(running.value).toBe('running_phase');
    expect(running.context.preExisting).toEqual(['unit tests']);
    expect(spawned(actions)).toMatchObject([{ src: 'phase', input: { phaseIndex: 0, preExisting: ['unit tests'] } }]);
  });

  it('excuses nothing when the baseline could not be taken', () => {
    const [start] = initialTransition(orchestratorMachine, input());
    const [checking] = transition(orchestratorMachine, start, { type: 'run.begin' });
    const failed = { ok: false, error: { code: 'HEALTH_CHECK_FAILED', errors: ['spawn failed'], retryable: false }, at: 9 };
    const [running, actions] = transition(orchestratorMachine, checking, done<OrchestratorEvent>('checkBaseline', failed));
    expect(running.value).toBe('running_phase');
    expect(spawned(actions)).toMatchObject([{ src: 'phase', input: { preExisting: [] } }]);
  });

  it('takes none without checks, and none again when a run resumes at a later phase', () => {
    const [noChecks] = initialTransition(orchestratorMachine, input({ baselineChecks: [] }));
    const [running, actions] = transition(orchestratorMachine, noChecks, { type: 'run.begin' });
    expect(running.value).toBe('running_phase');
    expect(spawned(actions)).toMatchObject([{ src: 'phase', input: { preExisting: [] } }]);

    const [resumed] = initialTransition(orchestratorMachine, input({ resumeAt: { currentIndex: 1, succeeded: 1, failed: 0, preExisting: ['unit tests'] } }));
    const [again, againActions] = transition(orchestratorMachine, resumed, { type: 'run.begin' });
    expect(again.value).toBe('running_phase');
    expect(spawned(againActions)).toMatchObject([{ src: 'phase', input: { phaseIndex: 1, preExisting: ['unit tests'] } }]);
  });
});

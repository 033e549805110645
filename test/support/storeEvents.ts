import type { NewRunEvent } from '../../src/store/index.js';

/** The n-th small event of a store test: a phase.started whose phase id says which it is. */
export const event = (n: number, at = 1_000 + n): Extract<NewRunEvent, { type: 'phase.started' }> => ({
  type: 'phase.started',
  actor: 'phase-0',
  source: null,
  target: 'prompting',
  data: { phaseIndex: 0, attempt: 1, phaseId: `p${n}` },
  at,
});

import type { PhaseSpec } from '../../src/index.js';

/** A minimal valid phase: low complexity, one criterion, the given deliverables. */
export const spec = (id: string, deliverables: string[], extra: Partial<PhaseSpec> = {}): PhaseSpec => ({
  id,
  description: `phase ${id}`,
  category: 'feature',
  complexity: 'low',
  acceptance_criteria: [`${id} is done`],
  deliverables,
  ...extra,
});

import type { AnyStateMachine } from 'xstate';
import { z } from 'zod';
import { toDot, toMermaid } from '../inspect/mermaid.js';
import { toSvg } from '../inspect/svg.js';
import { orchestratorMachine, phaseMachine } from '../machines/index.js';
import { parseFlags } from './flags.js';
import type { CliIo } from './io.js';

export const GraphFlagsSchema = z.object({
  format: z.enum(['mermaid', 'dot', 'svg'], { error: 'expected mermaid, dot or svg' }).default('mermaid'),
  machine: z.enum(['orchestrator', 'phase'], { error: 'expected orchestrator or phase' }).optional(),
});

const MACHINES: Record<'orchestrator' | 'phase', AnyStateMachine> = { orchestrator: orchestratorMachine, phase: phaseMachine };
const RENDER = { mermaid: toMermaid, dot: toDot, svg: toSvg };

/** Prints the machine diagrams, drawn from the definitions; docs/architecture.md is written from this. */
export function graphCommand(rawFlags: Record<string, unknown>, io: CliIo): number {
  const flags = parseFlags(GraphFlagsSchema, rawFlags);
  const names = flags.machine === undefined ? (['orchestrator', 'phase'] as const) : [flags.machine];
  const render = RENDER[flags.format];
  if (flags.format === 'svg' && names.length > 1) {
    io.stderr('autopack: an SVG holds one machine: pick one with --machine orchestrator|phase');
    return 2;
  }
  io.stdout(names.map((name) => (flags.format === 'svg' ? '' : flags.format === 'mermaid' ? `%% ${name}\n` : `// ${name}\n`) + render(MACHINES[name])).join('\n\n'));
  return 0;
}

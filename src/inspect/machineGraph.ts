import type { AnyStateMachine, EventObject, MachineContext, StateNodeDefinition } from 'xstate';

export interface GraphNode {
  id: string;
  initial: boolean;
  final: boolean;
  /** Effects the state invokes (for the phase machine, the step it runs). */
  invokes: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

export interface MachineGraph {
  id: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const DONE_PREFIX = 'xstate.done.actor.';

function label(eventType: string, guard: unknown): string {
  const event = eventType === '' ? 'always' : eventType.startsWith(DONE_PREFIX) ? `${eventType.slice(DONE_PREFIX.length)} done` : eventType;
  const guardName =
    typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null && 'type' in guard ? String(guard.type) : null;
  return guardName === null ? event : `${event} [${guardName}]`;
}

const stateKey = (target: string | { key: string }): string => {
  const key = typeof target === 'string' ? target : target.key;
  return key.split('.').at(-1) ?? key;
};

/**
 * The states and transitions of a machine, read from its own definition: every picture of a machine
 * (Mermaid, DOT, the inspector's SVG) is drawn from this, so none can drift from the code.
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.definition;
  const initialTarget = root.initial?.target?.[0];
  const initial = initialTarget === undefined ? null : stateKey(initialTarget);
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (const [key, node] of Object.entries(root.states) as [string, StateNodeDefinition<MachineContext, EventObject>][]) {
    nodes.push({
      id: key,
      initial: key === initial,
      final: node.type === 'final',
      invokes: node.invoke.map((i) => i.src).filter((src): src is string => typeof src === 'string'),
    });
    // Eventless (`always`) transitions live on the state node, not in its serialisable definition.
    const always = machine.root.states[key]?.always ?? [];
    for (const transition of [...node.transitions, ...always]) {
      for (const target of transition.target ?? []) edges.push({ from: key, to: stateKey(target), label: label(transition.eventType, transition.guard) });
    }
  }
  return { id: machine.id, nodes, edges };
}

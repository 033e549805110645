import type { AnyStateMachine, EventObject, MachineContext, StateNodeDefinition } from 'xstate';

const DONE_PREFIX = 'xstate.done.actor.';

function label(eventType: string, guard: unknown): string {
  const event = eventType === '' ? 'always' : eventType.startsWith(DONE_PREFIX) ? `${eventType.slice(DONE_PREFIX.length)} done` : eventType;
  const guardName =
    typeof guard === 'string' ? guard : typeof guard === 'object' && guard !== null && 'type' in guard ? String(guard.type) : null;
  return guardName === null ? event : `${event} [${guardName}]`;
}

const stateKey = (target: string): string => target.split('.').at(-1) ?? target;

/**
 * A Mermaid state diagram drawn from a machine's own definition, so the picture in the docs cannot
 * drift from the code (a test compares docs/architecture.md with this output).
 */
export function toMermaid(machine: AnyStateMachine): string {
  const root = machine.definition;
  const lines = ['stateDiagram-v2'];
  const initial = root.initial?.target?.[0];
  if (initial !== undefined) lines.push(`  [*] --> ${stateKey(typeof initial === 'string' ? initial : initial.key)}`);
  for (const [key, node] of Object.entries(root.states) as [string, StateNodeDefinition<MachineContext, EventObject>][]) {
    const invoked = node.invoke.map((i) => i.src).filter((src): src is string => typeof src === 'string');
    if (invoked.length > 0) lines.push(`  ${key} : ${key}\\ninvoke ${invoked.join(', ')}`);
    // Eventless (`always`) transitions live on the state node, not in its serialisable definition.
    const always = machine.root.states[key]?.always ?? [];
    for (const transition of [...node.transitions, ...always]) {
      for (const target of transition.target ?? []) {
        const to = stateKey(typeof target === 'string' ? target : target.key);
        lines.push(`  ${key} --> ${to} : ${label(transition.eventType, transition.guard)}`);
      }
    }
    if (node.type === 'final') lines.push(`  ${key} --> [*]`);
  }
  return lines.join('\n');
}

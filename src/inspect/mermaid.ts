import type { AnyStateMachine } from 'xstate';
import { machineGraph } from './machineGraph.js';

/**
 * A Mermaid state diagram drawn from a machine's own definition, so the picture in the docs cannot
 * drift from the code (a test compares docs/architecture.md with this output).
 */
export function toMermaid(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const lines = ['stateDiagram-v2'];
  const initial = graph.nodes.find((n) => n.initial);
  if (initial !== undefined) lines.push(`  [*] --> ${initial.id}`);
  for (const node of graph.nodes) {
    if (node.invokes.length > 0) lines.push(`  ${node.id} : ${node.id}\\ninvoke ${node.invokes.join(', ')}`);
    for (const edge of graph.edges.filter((e) => e.from === node.id)) lines.push(`  ${edge.from} --> ${edge.to} : ${edge.label}`);
    if (node.final) lines.push(`  ${node.id} --> [*]`);
  }
  return lines.join('\n');
}

/** The same graph in Graphviz DOT. */
export function toDot(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const quote = (text: string) => JSON.stringify(text);
  const lines = [`digraph ${quote(graph.id)} {`, '  rankdir=TB;', '  node [shape=box, style=rounded];'];
  for (const node of graph.nodes) {
    const shape = node.final ? ', peripheries=2' : '';
    const text = node.invokes.length > 0 ? `${node.id}\\ninvoke ${node.invokes.join(', ')}` : node.id;
    lines.push(`  ${quote(node.id)} [label=${quote(text).replace(/\\\\n/g, '\\n')}${shape}];`);
  }
  const initial = graph.nodes.find((n) => n.initial);
  if (initial !== undefined) lines.push('  __start [shape=point];', `  __start -> ${quote(initial.id)};`);
  for (const edge of graph.edges) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)} [label=${quote(edge.label)}];`);
  lines.push('}');
  return lines.join('\n');
}

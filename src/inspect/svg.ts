import { Graph, layout } from '@dagrejs/dagre';
import type { AnyStateMachine } from 'xstate';
import { machineGraph } from './machineGraph.js';

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Label sizes in px, at scale 1: the inspector's CSS sets them and the layout sizes boxes and gaps for
 * them, so a chart drawn at its own size reads at a normal zoom.
 */
export const SVG_FONT_PX = { state: 14, invoke: 12, transition: 12 } as const;
/** A character's average advance as a share of the font size (system-ui: lowercase, `_`), rounded up. */
const CHAR_EM = 0.6;
const textWidth = (text: string, fontPx: number): number => Math.ceil(text.length * fontPx * CHAR_EM);

/** On the drawing, `parseResponse done [effectSucceeded]` reads as `effectSucceeded`: the box already names the step. */
const shortLabel = (label: string): string => label.replace(/^\S+ done ?/, '').replace(/^\[(.*)\]$/, '$1') || 'done';
const NODE_HEIGHT = SVG_FONT_PX.state + SVG_FONT_PX.invoke + 20;

/**
 * The machine as an SVG: its graph laid out by dagre (a layered directed-graph layout) and drawn as
 * rounded boxes and labelled edges. Each state is a `<g class="state" data-state="…">`, so a page can
 * highlight the current one with CSS alone.
 */
export function toSvg(machine: AnyStateMachine): string {
  const graph = machineGraph(machine);
  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 22, ranksep: 40, edgesep: 10, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const caption = node.invokes.length > 0 ? node.invokes.join(', ') : '';
    const width = Math.max(textWidth(node.id, SVG_FONT_PX.state), textWidth(caption, SVG_FONT_PX.invoke)) + 28;
    g.setNode(node.id, { width, height: NODE_HEIGHT });
  }
  graph.edges.forEach((edge, index) => {
    const text = shortLabel(edge.label);
    g.setEdge(edge.from, edge.to, { label: text, width: textWidth(text, SVG_FONT_PX.transition), height: SVG_FONT_PX.transition + 4, labelpos: 'c' }, `e${index}`);
  });
  layout(g);

  const { width = 0, height = 0 } = g.graph();
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="machine" data-machine="${escape(graph.id)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" width="${Math.ceil(width)}" height="${Math.ceil(height)}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrowhead"/></marker></defs>',
  ];
  graph.edges.forEach((edge, index) => {
    const laid = g.edge({ v: edge.from, w: edge.to, name: `e${index}` });
    const points: { x: number; y: number }[] = laid.points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    parts.push(
      `<g class="transition" data-from="${escape(edge.from)}" data-to="${escape(edge.to)}"><path d="${d}" marker-end="url(#arrow)"/>` +
        (laid.x === undefined || laid.y === undefined ? '' : `<text x="${laid.x.toFixed(1)}" y="${(laid.y + SVG_FONT_PX.transition / 3).toFixed(1)}"><title>${escape(edge.label)}</title>${escape(shortLabel(edge.label))}</text>`) +
        '</g>',
    );
  });
  for (const node of graph.nodes) {
    const laid = g.node(node.id);
    const x = laid.x - laid.width / 2;
    const y = laid.y - laid.height / 2;
    const classes = ['state', node.initial ? 'initial' : '', node.final ? 'final' : ''].filter(Boolean).join(' ');
    const caption = node.invokes.length > 0 ? `<text class="invoke" x="${laid.x.toFixed(1)}" y="${(laid.y + SVG_FONT_PX.invoke + 2).toFixed(1)}">${escape(node.invokes.join(', '))}</text>` : '';
    parts.push(
      `<g class="${classes}" data-state="${escape(node.id)}"><rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${laid.width.toFixed(1)}" height="${laid.height.toFixed(1)}" rx="9"/>` +
        `<text class="name" x="${laid.x.toFixed(1)}" y="${(laid.y + (caption === '' ? SVG_FONT_PX.state / 3 : -3)).toFixed(1)}">${escape(node.id)}</text>${caption}</g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}

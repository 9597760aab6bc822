import type { EventFlow } from './event-flow.js';
import { abbreviatePattern, API_NODE, canMatch, producersOf } from './flow-model.js';
import type { AslDefinition } from './workflow.js';

export type NodeKind = 'publisher' | 'event' | 'rule' | 'function' | 'state';

export interface GraphNode {
  id: string;
  kind: NodeKind;
  label: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  label?: string;
}

export interface FlowGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Each cycle as the list of node ids it passes through, first node repeated at the end. */
  cycles: string[][];
}

/** What a finding marks on a node of the diagram (see flow-check.ts). */
export interface NodeMark {
  node: string;
  severity: 'error' | 'warning' | 'info';
  /** A short tag shown next to the node's label: `dead end`, `never matches`. */
  tag: string;
}

/** One document: the event flow and the state machine as subgraphs, with cycles and findings marked. */
export interface FlowDiagram {
  title: string;
  groups: Array<{ id: 'events' | 'orchestration'; label: string; nodes: string[] }>;
  nodes: Array<GraphNode & { group: 'events' | 'orchestration'; marks?: Array<Omit<NodeMark, 'node'>> }>;
  edges: Array<GraphEdge & { cycle?: boolean }>;
  cycles: string[][];
}

/**
 * The event flow as a graph: the API and each function -> the events they declare they publish (labelled with the
 * `when` or the error) -> the rules whose pattern one of those events can match (labelled with the pattern's content
 * filter) -> the target functions. "Can match" is decided per producer with flow-model's witness search, which only
 * leaves out an edge no published event can take, so a cycle through the remaining edges is the only kind there is.
 */
export function eventFlowGraph(flow: EventFlow): FlowGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const add = (node: GraphNode) => nodes.set(node.id, node);
  add({ id: API_NODE, kind: 'publisher', label: 'API POST /orders' });
  for (const fn of Object.keys(flow.functions)) add({ id: `function:${fn}`, kind: 'function', label: fn });
  const producers = producersOf(flow);
  for (const p of producers) {
    add({ id: `event:${p.detailType}`, kind: 'event', label: p.detailType });
    pushUnique(edges, { from: p.node, to: `event:${p.detailType}`, ...(p.condition ? { label: p.condition } : {}) });
  }
  for (const rule of flow.rules) {
    add({ id: `rule:${rule.name}`, kind: 'rule', label: rule.name });
    const filter = abbreviatePattern(rule.pattern, { dropEnvelope: true });
    for (const p of producers) {
      if (canMatch(p, rule.pattern) !== 'no')
        pushUnique(edges, {
          from: `event:${p.detailType}`,
          to: `rule:${rule.name}`,
          ...(filter ? { label: filter } : {}),
        });
    }
    pushUnique(edges, { from: `rule:${rule.name}`, to: `function:${rule.target}` });
  }
  const list = [...nodes.values()];
  return { nodes: list, edges, cycles: findCycles(list, edges) };
}

/** The state machine as a graph: states and their transitions (Next, Choices, Default, Catch). */
export function workflowGraph(definition: AslDefinition): FlowGraph {
  const nodes: GraphNode[] = [{ id: 'state:__start', kind: 'state', label: 'Start' }];
  const edges: GraphEdge[] = [{ from: 'state:__start', to: `state:${definition.StartAt}` }];
  for (const [name, state] of Object.entries(definition.States)) {
    nodes.push({ id: `state:${name}`, kind: 'state', label: `${name} (${state.Type})` });
    if (typeof state.Next === 'string') edges.push({ from: `state:${name}`, to: `state:${state.Next}` });
    for (const choice of (state.Choices as Array<{ Next: string; Variable?: string; StringEquals?: string }>) ?? []) {
      edges.push({
        from: `state:${name}`,
        to: `state:${choice.Next}`,
        label: choice.Variable && choice.StringEquals ? `${choice.Variable} == ${choice.StringEquals}` : 'choice',
      });
    }
    if (typeof state.Default === 'string')
      edges.push({ from: `state:${name}`, to: `state:${state.Default}`, label: 'default' });
    for (const c of (state.Catch as Array<{ Next: string; ErrorEquals: string[] }>) ?? []) {
      edges.push({ from: `state:${name}`, to: `state:${c.Next}`, label: `catch ${c.ErrorEquals.join('|')}` });
    }
  }
  return { nodes, edges, cycles: [] };
}

/** Puts the graphs into one diagram, marking the edges on a cycle and the nodes a finding names. */
export function flowDiagram(
  title: string,
  parts: { events?: { graph: FlowGraph; label: string }; orchestration?: { graph: FlowGraph; label: string } },
  marks: readonly NodeMark[] = [],
): FlowDiagram {
  const diagram: FlowDiagram = { title, groups: [], nodes: [], edges: [], cycles: parts.events?.graph.cycles ?? [] };
  const onCycle = new Set(diagram.cycles.flatMap((cycle) => cycle.slice(1).map((to, i) => `${cycle[i]}\u0000${to}`)));
  for (const group of ['events', 'orchestration'] as const) {
    const part = parts[group];
    if (!part) continue;
    diagram.groups.push({ id: group, label: part.label, nodes: part.graph.nodes.map((n) => n.id) });
    for (const node of part.graph.nodes) {
      const own = marks.filter((m) => m.node === node.id).map(({ severity, tag }) => ({ severity, tag }));
      diagram.nodes.push({ ...node, group, ...(own.length > 0 ? { marks: own } : {}) });
    }
    for (const edge of part.graph.edges)
      diagram.edges.push({ ...edge, ...(onCycle.has(`${edge.from}\u0000${edge.to}`) ? { cycle: true } : {}) });
  }
  return diagram;
}

/** A flow with this many cycles is refused anyway; enumerating all elementary cycles could take exponential time. */
const MAX_CYCLES = 50;

/** Elementary cycles through event nodes (at most MAX_CYCLES), by depth-first search from each event. */
function findCycles(nodes: GraphNode[], edges: GraphEdge[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const events = nodes
    .filter((n) => n.kind === 'event')
    .map((n) => n.id)
    .sort();
  const order = new Map(events.map((id, i) => [id, i]));
  const cycles: string[][] = [];
  for (const start of events) {
    const path: string[] = [start];
    const onPath = new Set(path);
    const visit = (node: string) => {
      for (const next of out.get(node) ?? []) {
        if (cycles.length >= MAX_CYCLES) return;
        if (next === start) {
          cycles.push([...path, start]);
          continue;
        }
        // Report each cycle once: from its smallest event.
        if (onPath.has(next) || (order.has(next) && order.get(next)! < order.get(start)!)) continue;
        path.push(next);
        onPath.add(next);
        visit(next);
        path.pop();
        onPath.delete(next);
      }
    };
    visit(start);
  }
  return cycles;
}

function pushUnique(edges: GraphEdge[], edge: GraphEdge) {
  if (!edges.some((e) => e.from === edge.from && e.to === edge.to)) edges.push(edge);
}

// ---- rendering -----------------------------------------------------------------------------------------------------

const COLORS = {
  error: { fill: '#ffdddd', stroke: '#cc0000' },
  warning: { fill: '#fff3cd', stroke: '#d98e00' },
  info: { fill: '#e8f0fe', stroke: '#3367d6' },
} as const;

function worst(marks: ReadonlyArray<{ severity: keyof typeof COLORS }> | undefined): keyof typeof COLORS | undefined {
  if (!marks || marks.length === 0) return undefined;
  return (['error', 'warning', 'info'] as const).find((s) => marks.some((m) => m.severity === s));
}

function labelOf(node: FlowDiagram['nodes'][number]): string {
  return node.marks ? `${node.label} [${[...new Set(node.marks.map((m) => m.tag))].join(', ')}]` : node.label;
}

/** Mermaid flowchart ids: letters, digits and underscores, unique (a sanitized id could collide). */
function mermaidIds(nodes: FlowDiagram['nodes']): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const node of nodes) {
    const base = node.id.replace(/[^A-Za-z0-9_]/g, '_');
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(node.id, id);
  }
  return ids;
}

/** Text inside a quoted Mermaid label: `"` and `#` as entity codes, which Mermaid decodes. */
function mermaidText(text: string): string {
  return text.replace(/#/g, '#35;').replace(/"/g, '#quot;');
}

/** One Mermaid flowchart (Mermaid 11), each wiring a subgraph; cycle edges and marked nodes styled by class. */
export function renderMermaid(diagram: FlowDiagram): string {
  const ids = mermaidIds(diagram.nodes);
  const shape = (n: FlowDiagram['nodes'][number]) => {
    const label = `"${mermaidText(labelOf(n))}"`;
    const id = ids.get(n.id)!;
    switch (n.kind) {
      case 'event':
        return `${id}([${label}])`;
      case 'rule':
        return `${id}{{${label}}}`;
      case 'publisher':
        return `${id}[/${label}/]`;
      case 'state':
        return n.id === 'state:__start' ? `${id}((${label}))` : `${id}(${label})`;
      default:
        return `${id}[${label}]`;
    }
  };
  const lines = [`%% ${diagram.title.replace(/\n/g, ' ')}`, 'flowchart LR'];
  for (const group of diagram.groups) {
    lines.push(`  subgraph ${group.id}_flow["${mermaidText(group.label)}"]`);
    for (const node of diagram.nodes.filter((n) => n.group === group.id)) lines.push(`    ${shape(node)}`);
    lines.push('  end');
  }
  const cycleEdges: number[] = [];
  diagram.edges.forEach((e, i) => {
    lines.push(`  ${ids.get(e.from)} -->${e.label ? `|"${mermaidText(e.label)}"|` : ''} ${ids.get(e.to)}`);
    if (e.cycle) cycleEdges.push(i);
  });
  for (const severity of ['error', 'warning', 'info'] as const) {
    const marked = diagram.nodes.filter((n) => worst(n.marks) === severity).map((n) => ids.get(n.id)!);
    if (marked.length === 0) continue;
    lines.push(
      `  classDef ${severity} fill:${COLORS[severity].fill},stroke:${COLORS[severity].stroke},stroke-width:2px`,
    );
    lines.push(`  class ${marked.join(',')} ${severity}`);
  }
  if (cycleEdges.length > 0)
    lines.push(`  linkStyle ${cycleEdges.join(',')} stroke:${COLORS.error.stroke},stroke-width:3px`);
  return lines.join('\n');
}

/** One Graphviz digraph, each wiring a cluster; cycle edges red and bold, marked nodes filled, findings as tooltips. */
export function renderDot(diagram: FlowDiagram): string {
  const shapes: Record<NodeKind, string> = {
    publisher: 'parallelogram',
    event: 'ellipse',
    rule: 'hexagon',
    function: 'box',
    state: 'box',
  };
  const q = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${q(diagram.title)} {`, '  rankdir=LR;', `  label=${q(diagram.title)};`, '  labelloc=t;'];
  for (const group of diagram.groups) {
    lines.push(`  subgraph ${q(`cluster_${group.id}`)} {`, `    label=${q(group.label)};`);
    for (const n of diagram.nodes.filter((node) => node.group === group.id)) {
      const severity = worst(n.marks);
      const style = n.kind === 'state' ? 'rounded' : '';
      const attrs = [`label=${q(labelOf(n))}`, `shape=${n.id === 'state:__start' ? 'circle' : shapes[n.kind]}`];
      if (severity)
        attrs.push(
          `style=${q(['filled', style].filter(Boolean).join(','))}`,
          `fillcolor=${q(COLORS[severity].fill)}`,
          `color=${q(COLORS[severity].stroke)}`,
        );
      else if (style) attrs.push(`style=${q(style)}`);
      lines.push(`    ${q(n.id)} [${attrs.join(', ')}];`);
    }
    lines.push('  }');
  }
  for (const e of diagram.edges) {
    const attrs = [
      ...(e.label ? [`label=${q(e.label)}`] : []),
      ...(e.cycle ? [`color=${q(COLORS.error.stroke)}`, 'penwidth=3'] : []),
    ];
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${attrs.length > 0 ? ` [${attrs.join(', ')}]` : ''};`);
  }
  lines.push('}');
  return lines.join('\n');
}

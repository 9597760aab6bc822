import { UserError } from '../errors.js';
import { matchesPattern, type EventPattern } from '../events/pattern.js';
import type { Blueprint } from './blueprint.js';
import type { EventFlow } from './event-flow.js';
import { eventSource } from './functions.js';
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

const API = 'publisher:api';

/**
 * The event flow as a graph: the API -> events -> rules whose pattern can match them -> functions -> the
 * events they declare they publish. Whether a rule can match an event type is decided from the pattern's
 * `source` and `detail-type` alone (the detail is unknown before run time), so the graph over-approximates:
 * every edge it leaves out is impossible, which is what a cycle check must guarantee.
 */
export function eventFlowGraph(flow: EventFlow): FlowGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const add = (node: GraphNode) => nodes.set(node.id, node);
  add({ id: API, kind: 'publisher', label: 'API POST /orders' });
  // Every (source, detail-type) pair that can appear on the bus.
  const published: Array<{ source: string; detailType: string; from: string }> = [{ source: flow.source, detailType: flow.orderPlaced, from: API }];
  for (const [fn, route] of Object.entries(flow.functions)) {
    add({ id: `function:${fn}`, kind: 'function', label: fn });
    for (const p of route.publishes) published.push({ source: eventSource(fn), detailType: p.detailType, from: `function:${fn}` });
    for (const e of route.onError) published.push({ source: eventSource(fn), detailType: e.detailType, from: `function:${fn}` });
  }
  for (const p of published) {
    add({ id: `event:${p.detailType}`, kind: 'event', label: p.detailType });
    pushUnique(edges, { from: p.from, to: `event:${p.detailType}` });
  }
  for (const rule of flow.rules) {
    add({ id: `rule:${rule.name}`, kind: 'rule', label: rule.name });
    pushUnique(edges, { from: `rule:${rule.name}`, to: `function:${rule.target}` });
    for (const p of published) {
      if (canMatch(rule.pattern, p.source, p.detailType)) pushUnique(edges, { from: `event:${p.detailType}`, to: `rule:${rule.name}` });
    }
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
      edges.push({ from: `state:${name}`, to: `state:${choice.Next}`, label: choice.Variable && choice.StringEquals ? `${choice.Variable} == ${choice.StringEquals}` : 'choice' });
    }
    if (typeof state.Default === 'string') edges.push({ from: `state:${name}`, to: `state:${state.Default}`, label: 'default' });
    for (const c of (state.Catch as Array<{ Next: string; ErrorEquals: string[] }>) ?? []) {
      edges.push({ from: `state:${name}`, to: `state:${c.Next}`, label: `catch ${c.ErrorEquals.join('|')}` });
    }
  }
  return { nodes, edges, cycles: [] };
}

/**
 * Refuses an event flow with a cycle (an event that can lead back to itself), naming each cycle, unless
 * allowed; returns the cycles as text either way.
 */
export function checkFlowForCycles(blueprint: Blueprint, options: { allowCycles: boolean }): string[] {
  if (!blueprint.events) return [];
  const graph = eventFlowGraph(blueprint.events);
  const labels = new Map(graph.nodes.map((n) => [n.id, n.id.startsWith('rule:') ? `rule ${n.label}` : n.label]));
  const described = graph.cycles.map((cycle) => cycle.map((id) => labels.get(id) ?? id).join(' -> '));
  if (described.length > 0 && !options.allowCycles) {
    throw new UserError(`${blueprint.events.file}: the event flow has a cycle: ${described[0]}${described.length > 1 ? ` (and ${described.length - 1} more)` : ''}`, [
      'Change a rule pattern or what a function publishes, or deploy with --allow-cycles if the loop is intended and bounded.',
    ]);
  }
  return described;
}

function canMatch(pattern: EventPattern, source: string, detailType: string): boolean {
  const envelopeOnly: EventPattern = {};
  for (const key of ['source', 'detail-type'] as const) if (key in pattern) envelopeOnly[key] = pattern[key];
  if ('$or' in pattern) {
    // An $or may constrain the envelope in some branches only: keep it conservative (can match).
    return true;
  }
  return Object.keys(envelopeOnly).length === 0 || matchesPattern(envelopeOnly, { source, 'detail-type': detailType });
}

/** Elementary cycles through event nodes, found by depth-first search from each event (the graphs are small). */
function findCycles(nodes: GraphNode[], edges: GraphEdge[]): string[][] {
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const events = nodes.filter((n) => n.kind === 'event').map((n) => n.id).sort();
  const order = new Map(events.map((id, i) => [id, i]));
  const cycles: string[][] = [];
  for (const start of events) {
    const path: string[] = [start];
    const onPath = new Set(path);
    const visit = (node: string) => {
      for (const next of out.get(node) ?? []) {
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

export function renderMermaid(graph: FlowGraph, title: string): string {
  const id = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  const shape = (n: GraphNode) => {
    const label = n.label.replace(/"/g, "'");
    switch (n.kind) {
      case 'event':
        return `${id(n.id)}(["${label}"])`;
      case 'rule':
        return `${id(n.id)}{{"${label}"}}`;
      case 'publisher':
        return `${id(n.id)}[/"${label}"/]`;
      default:
        return `${id(n.id)}["${label}"]`;
    }
  };
  const lines = [`%% ${title}`, 'flowchart LR', ...graph.nodes.map((n) => `  ${shape(n)}`)];
  for (const e of graph.edges) lines.push(`  ${id(e.from)} -->${e.label ? `|"${e.label.replace(/"/g, "'")}"|` : ''} ${id(e.to)}`);
  return lines.join('\n');
}

export function renderDot(graph: FlowGraph, title: string): string {
  const shapes: Record<NodeKind, string> = { publisher: 'parallelogram', event: 'ellipse', rule: 'hexagon', function: 'box', state: 'box' };
  const q = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${q(title)} {`, '  rankdir=LR;'];
  for (const n of graph.nodes) lines.push(`  ${q(n.id)} [label=${q(n.label)}, shape=${shapes[n.kind]}];`);
  for (const e of graph.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)}${e.label ? ` [label=${q(e.label)}]` : ''};`);
  lines.push('}');
  return lines.join('\n');
}

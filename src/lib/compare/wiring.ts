import type { Blueprint } from '../blueprint/blueprint.js';
import { eventFlowGraph, workflowGraph, type FlowGraph } from '../blueprint/flow-graph.js';

/**
 * Static measures of one wiring, for the maintainability and misinterpretation rows of the trade-off table:
 * counted from the declared state machine or event flow, not from a run.
 */
export interface WiringMeasures {
  mode: 'orchestration' | 'events';
  /** Where behaviour is wired: states (orchestration), or rules plus event types (events). */
  integrationPoints: number;
  states?: number;
  taskStates?: number;
  rules?: number;
  eventTypes?: number;
  /** Where the route is decided: Choice states, or rules that filter on the event's detail. */
  decisionPoints: number;
  /** Files a reader must open to follow one order: the definition, or the flow plus every handler it names. */
  filesToRead: number;
  /** Events mode: who publishes and who reacts to each event type (the API is "api"). */
  eventTypeUse?: Array<{ eventType: string; producers: string[]; consumers: string[] }>;
  /** Event types with more than one consumer (fan-out) or producer (fan-in): implicit couplings. */
  fanOut?: number;
  fanIn?: number;
  /** Event types nobody consumes (terminal events excepted) and consumers of events nobody publishes. */
  unconsumed?: string[];
  /** The longest path from the start: states, or events (hops of publish -> rule -> function). */
  longestChain: { length: number; path: string[] };
}

export function measureWiring(blueprint: Blueprint): WiringMeasures {
  if (blueprint.workflow) {
    const definition = blueprint.workflow.definition;
    const states = Object.values(definition.States);
    const graph = workflowGraph(definition);
    const chain = longestPath(graph, 'state:__start', (id) => id.startsWith('state:') && id !== 'state:__start');
    return {
      mode: 'orchestration',
      integrationPoints: states.length,
      states: states.length,
      taskStates: blueprint.workflow.tasks.size,
      decisionPoints: states.filter((s) => s.Type === 'Choice').length,
      filesToRead: 1,
      longestChain: { length: chain.length, path: chain.map((id) => id.slice('state:'.length)) },
    };
  }
  const flow = blueprint.events!;
  const graph = eventFlowGraph(flow);
  const label = (id: string) => id.slice(id.indexOf(':') + 1);
  const eventIds = graph.nodes.filter((n) => n.kind === 'event').map((n) => n.id);
  const eventTypeUse = eventIds.map((id) => {
    const producers = graph.edges
      .filter((e) => e.to === id)
      .map((e) => (e.from === 'publisher:api' ? 'api' : label(e.from)));
    const rules = graph.edges.filter((e) => e.from === id).map((e) => e.to);
    const consumers = rules.flatMap((rule) =>
      graph.edges.filter((e) => e.from === rule).map((e) => `${label(e.to)} (rule ${label(rule)})`),
    );
    return { eventType: label(id), producers, consumers };
  });
  const terminal = new Set([...flow.outcome.succeeded, ...flow.outcome.failed]);
  const chain = longestPath(graph, 'publisher:api', (id) => id.startsWith('event:'));
  return {
    mode: 'events',
    integrationPoints: flow.rules.length + eventIds.length,
    rules: flow.rules.length,
    eventTypes: eventIds.length,
    decisionPoints:
      flow.rules.filter((r) => 'detail' in r.pattern).length +
      Object.values(flow.functions).filter((f) => f.publishes.some((p) => p.when)).length,
    filesToRead: 1 + new Set(flow.rules.map((r) => r.target)).size,
    eventTypeUse,
    fanOut: eventTypeUse.filter((u) => u.consumers.length > 1).length,
    fanIn: eventTypeUse.filter((u) => u.producers.length > 1).length,
    unconsumed: eventTypeUse
      .filter((u) => u.consumers.length === 0 && !terminal.has(u.eventType))
      .map((u) => u.eventType),
    longestChain: { length: chain.length, path: chain.map(label) },
  };
}

/**
 * The longest simple path from `start`, counting the nodes `counts` accepts. A depth-first search over simple
 * paths (exponential in theory; these graphs have tens of nodes, and a cycle cannot loop because a path never
 * revisits a node).
 */
function longestPath(graph: FlowGraph, start: string, counts: (id: string) => boolean): string[] {
  const next = new Map<string, string[]>();
  for (const e of graph.edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  let best: string[] = [];
  const visit = (id: string, path: string[], seen: Set<string>) => {
    const counted = counts(id) ? [...path, id] : path;
    if (counted.length > best.length) best = counted;
    for (const to of next.get(id) ?? []) {
      if (seen.has(to)) continue;
      seen.add(to);
      visit(to, counted, seen);
      seen.delete(to);
    }
  };
  visit(start, [], new Set([start]));
  return best;
}

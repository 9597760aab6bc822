// Flow analysis of an event flow, before anything runs: `fulfill graph --check`, and `deploy` (errors refuse the
// deploy unless overridden, warnings are printed). Each finding has a stable code, documented in the README.
import { UserError } from '../errors.js';
import type { Blueprint } from './blueprint.js';
import type { EventFlow, EventRule } from './event-flow.js';
import { eventFlowGraph, type FlowGraph, type NodeMark } from './flow-graph.js';
import {
  API_NODE,
  canMatch,
  canPublish,
  envelopeCanMatch,
  fanOutWidth,
  producersOf,
  type Producer,
} from './flow-model.js';

export type FindingCode =
  'FLOW_CYCLE' | 'RULE_UNSATISFIABLE' | 'EVENT_DEAD_END' | 'HANDLER_UNREACHABLE' | 'PUBLISH_SHADOWED' | 'FAN_OUT_WIDE';
export type Severity = 'error' | 'warning' | 'info';

export const FINDING_SEVERITY: Record<FindingCode, Severity> = {
  FLOW_CYCLE: 'error',
  RULE_UNSATISFIABLE: 'error',
  EVENT_DEAD_END: 'warning',
  HANDLER_UNREACHABLE: 'warning',
  PUBLISH_SHADOWED: 'warning',
  FAN_OUT_WIDE: 'warning',
};

const TAGS: Record<FindingCode, string> = {
  FLOW_CYCLE: 'cycle',
  RULE_UNSATISFIABLE: 'never matches',
  EVENT_DEAD_END: 'dead end',
  HANDLER_UNREACHABLE: 'unreachable',
  PUBLISH_SHADOWED: 'never published',
  FAN_OUT_WIDE: 'wide fan-out',
};

export interface FlowFinding {
  code: FindingCode;
  severity: Severity;
  /** One line naming the rule, event or handler. */
  message: string;
  /** The graph nodes it is about (marked in the diagram). */
  nodes: string[];
}

export interface FanOut {
  event: string;
  /** Rules an event of this type can be delivered to. */
  rules: string[];
  /** The most of them one event can match at once (rules routing on exclusive content count once). */
  width: number;
}

export interface FlowCheck {
  findings: FlowFinding[];
  fanOut: FanOut[];
  cycles: string[][];
}

export interface FlowCheckOptions {
  /** Handlers deployed as functions (a handler no rule leads to is unreachable); default: those in `functions`. */
  handlers?: readonly string[];
  /** A wider fan-out is a FAN_OUT_WIDE warning (default 5). */
  maxFanOut?: number;
}

export const DEFAULT_MAX_FAN_OUT = 5;

export function checkFlow(
  flow: EventFlow,
  options: FlowCheckOptions = {},
  graph: FlowGraph = eventFlowGraph(flow),
): FlowCheck {
  const findings: FlowFinding[] = [];
  const add = (code: FindingCode, message: string, nodes: string[]) =>
    findings.push({ code, severity: FINDING_SEVERITY[code], message, nodes });
  const producers = producersOf(flow);
  const label = (id: string) =>
    id.startsWith('rule:') ? `rule ${id.slice(5)}` : id === API_NODE ? 'API' : id.replace(/^\w+:/, '');

  for (const cycle of graph.cycles)
    add('FLOW_CYCLE', `the event flow has a cycle: ${cycle.map(label).join(' -> ')}`, [...new Set(cycle)]);

  const publishable = producers.filter((p) => {
    if (canPublish(p) !== 'no') return true;
    add(
      'PUBLISH_SHADOWED',
      `${p.declared} (${p.detailType}) is never published: an earlier "publishes" entry always matches first`,
      [`event:${p.detailType}`],
    );
    return false;
  });

  for (const rule of flow.rules) {
    const reason = unsatisfiable(rule, publishable);
    if (reason) add('RULE_UNSATISFIABLE', `rule ${rule.name} can never match: ${reason}`, [`rule:${rule.name}`]);
  }

  const reachable = reachableFrom(graph, API_NODE);
  const terminal = new Set([...flow.outcome.succeeded, ...flow.outcome.failed]);
  const fanOut: FanOut[] = [];
  for (const detailType of [...new Set(publishable.map((p) => p.detailType))]) {
    const ofType = publishable.filter((p) => p.detailType === detailType);
    const rules = flow.rules.filter((r) => ofType.some((p) => canMatch(p, r.pattern) !== 'no'));
    if (rules.length === 0) {
      // An event only unreachable handlers publish is never on the bus: HANDLER_UNREACHABLE says why.
      if (!terminal.has(detailType) && ofType.some((p) => reachable.has(p.node))) {
        const from = [...new Set(ofType.map((p) => p.publisher))].join(', ');
        add(
          'EVENT_DEAD_END',
          `event ${detailType} (published by ${from}) is consumed by no rule and is not a terminal outcome`,
          [`event:${detailType}`],
        );
      }
      continue;
    }
    const width = Math.max(
      ...ofType.map((p) =>
        fanOutWidth(
          p,
          rules.map((r) => r.pattern),
        ),
      ),
    );
    fanOut.push({ event: detailType, rules: rules.map((r) => r.name), width });
    const max = options.maxFanOut ?? DEFAULT_MAX_FAN_OUT;
    if (width > max)
      add(
        'FAN_OUT_WIDE',
        `event ${detailType} is delivered to ${width} rules at once (${rules.map((r) => r.name).join(', ')}), more than ${max}`,
        [`event:${detailType}`],
      );
  }

  for (const handler of options.handlers ?? Object.keys(flow.functions)) {
    if (!reachable.has(`function:${handler}`)) {
      add(
        'HANDLER_UNREACHABLE',
        `handler ${handler} is never invoked: no chain of rules from the API's ${flow.orderPlaced} leads to it`,
        [`function:${handler}`],
      );
    }
  }
  return { findings, fanOut, cycles: graph.cycles };
}

/** The nodes a finding marks in the diagram. */
export function findingMarks(check: FlowCheck): NodeMark[] {
  return check.findings.flatMap((f) => f.nodes.map((node) => ({ node, severity: f.severity, tag: TAGS[f.code] })));
}

/**
 * The deploy-time check: refuses errors (naming the first) unless overridden, and returns the lines to print as
 * warnings. `allowCycles` lets cycles through (`--allow-cycles`), `allowFlowErrors` every error.
 */
export function checkFlowForDeploy(
  blueprint: Blueprint,
  options: { allowCycles?: boolean; allowFlowErrors?: boolean },
): string[] {
  const flow = blueprint.events;
  if (!flow) return [];
  const { findings } = checkFlow(flow, { handlers: blueprint.handlers.map((h) => h.name) });
  const refused = findings.filter(
    (f) => f.severity === 'error' && !options.allowFlowErrors && !(f.code === 'FLOW_CYCLE' && options.allowCycles),
  );
  if (refused.length > 0) {
    const first = refused[0];
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more: see \`fulfill graph --check\`)` : '';
    throw new UserError(`${flow.file}: ${first.message}${more}`, [
      first.code === 'FLOW_CYCLE'
        ? 'Change a rule pattern or what a function publishes, or deploy with --allow-cycles if the loop is intended and bounded.'
        : 'Fix the rule pattern or what the producer publishes, or deploy with --allow-flow-errors to deploy it anyway.',
    ]);
  }
  return findings
    .filter((f) => f.severity !== 'info')
    .map((f) => {
      if (f.severity !== 'error') return `${f.code}: ${f.message}`;
      return f.code === 'FLOW_CYCLE' && options.allowCycles
        ? `event flow cycle allowed by --allow-cycles: ${f.message.replace(/^the event flow has a cycle: /, '')}`
        : `${f.code} allowed by --allow-flow-errors: ${f.message}`;
    });
}

/** Why no published event can match the rule, or undefined when one can. */
function unsatisfiable(rule: EventRule, producers: readonly Producer[]): string | undefined {
  if (producers.some((p) => canMatch(p, rule.pattern) !== 'no')) return undefined;
  const describe = (key: 'source' | 'detail-type') => JSON.stringify(rule.pattern[key]);
  if ('detail-type' in rule.pattern && !producers.some((p) => envelopeCanMatch(p, rule.pattern, ['detail-type']))) {
    return `no producer publishes a detail-type it accepts (${describe('detail-type')})`;
  }
  if ('source' in rule.pattern && !producers.some((p) => envelopeCanMatch(p, rule.pattern, ['source']))) {
    return `no producer publishes from a source it accepts (${describe('source')})`;
  }
  const envelope = producers.filter((p) => envelopeCanMatch(p, rule.pattern));
  if (envelope.length === 0)
    return `no producer publishes that detail-type from that source (${describe('detail-type')} from ${describe('source')})`;
  return `its pattern contradicts what ${envelope.map((p) => `${p.declared} declares for ${p.detailType}`).join(' and ')}`;
}

function reachableFrom(graph: FlowGraph, start: string): Set<string> {
  const out = new Map<string, string[]>();
  for (const e of graph.edges) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0)
    for (const next of out.get(queue.shift()!) ?? [])
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
  return seen;
}

import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { checkFlowForDeploy } from '../../src/lib/blueprint/flow-check.js';
import {
  eventFlowGraph,
  flowDiagram,
  renderDot,
  renderMermaid,
  workflowGraph,
} from '../../src/lib/blueprint/flow-graph.js';
import { UserError } from '../../src/lib/errors.js';
import { tempDir, templateProject } from '../helpers/cli.js';

function project(mutate?: (events: Record<string, any>) => void) {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  if (mutate) {
    const file = join(tmp.dir, 'events.json');
    const events = JSON.parse(readFileSync(file, 'utf8'));
    mutate(events);
    writeFileSync(file, JSON.stringify(events));
  }
  return tmp;
}

describe('the event flow graph', () => {
  it('draws API -> events -> rules -> functions -> events, with the fan-out and the content-filtered routes', () => {
    const tmp = project();
    try {
      const graph = eventFlowGraph(loadBlueprint(tmp.dir).events!);
      const edges = graph.edges.map((e) => `${e.from} -> ${e.to}`);
      expect(edges).toEqual(
        expect.arrayContaining([
          'publisher:api -> event:OrderPlaced',
          'event:OrderPlaced -> rule:authorize-payment',
          'rule:authorize-payment -> function:authorize-payment',
          'function:authorize-payment -> event:PaymentAuthorized',
          'function:authorize-payment -> event:PaymentFailed',
          'event:PaymentAuthorized -> rule:confirm-payment',
          'event:PaymentAuthorized -> rule:determine-seller',
          'event:SellerDetermined -> rule:select-warehouse-1p',
          'event:SellerDetermined -> rule:decide-fulfillment-3p',
          'function:notify-customer -> event:OrderFailed',
        ]),
      );
      // Rules filtered on another detail-type are not connected.
      expect(edges).not.toContain('event:OrderPlaced -> rule:determine-seller');
      expect(graph.cycles).toEqual([]);
      expect(checkFlowForDeploy(loadBlueprint(tmp.dir), { allowCycles: false })).toEqual([
        expect.stringMatching(/^EVENT_DEAD_END: event CustomerNotified/),
      ]);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses an injected cycle, naming it, unless allowed', () => {
    const tmp = project((events) => {
      // OrderCompleted feeds back into authorize-payment, which leads to OrderCompleted again.
      events.rules.push({ name: 'loop', pattern: { 'detail-type': ['OrderCompleted'] }, target: 'authorize-payment' });
    });
    try {
      const blueprint = loadBlueprint(tmp.dir);
      expect(() => checkFlowForDeploy(blueprint, { allowCycles: false })).toThrow(UserError);
      expect(() => checkFlowForDeploy(blueprint, { allowCycles: false })).toThrow(
        /events\.json: the event flow has a cycle: .*OrderCompleted -> rule loop -> authorize-payment -> PaymentAuthorized -> /,
      );
      expect(
        checkFlowForDeploy(blueprint, { allowCycles: true }).filter((w) =>
          w.startsWith('event flow cycle allowed by --allow-cycles: '),
        ).length,
      ).toBeGreaterThan(0);
    } finally {
      tmp.cleanup();
    }
  });

  it('treats a rule without source/detail-type as matching everything (a self-loop is a cycle)', () => {
    const tmp = project((events) => {
      events.rules.push({
        name: 'audit',
        pattern: { detail: { orderId: [{ exists: true }] } },
        target: 'notify-customer',
      });
    });
    try {
      expect(() => checkFlowForDeploy(loadBlueprint(tmp.dir), { allowCycles: false })).toThrow(
        /cycle: CustomerNotified -> rule audit -> notify-customer -> CustomerNotified/,
      );
    } finally {
      tmp.cleanup();
    }
  });

  it('renders mermaid, dot, and the state machine', () => {
    const tmp = project();
    try {
      const graph = eventFlowGraph(loadBlueprint(tmp.dir).events!);
      const diagram = flowDiagram('events', { events: { graph, label: 'event flow' } });
      expect(renderMermaid(diagram)).toMatch(/^%% events\nflowchart LR\n {2}subgraph events_flow\["event flow"\]\n/);
      expect(renderMermaid(diagram)).toContain('event_OrderPlaced --> rule_authorize_payment');
      expect(renderDot(diagram)).toContain('"event:OrderPlaced" -> "rule:authorize-payment";');
      expect(renderDot(diagram)).toContain('subgraph "cluster_events" {');
      const sm = workflowGraph(loadBlueprint(tmp.dir, { mode: 'orchestration' }).workflow!.definition);
      expect(sm.edges).toEqual(
        expect.arrayContaining([
          { from: 'state:SellerType', to: 'state:SelectWarehouse', label: '$.seller.type == 1P' },
          {
            from: 'state:AuthorizePayment',
            to: 'state:NotifyPaymentFailed',
            label: 'catch PaymentAuthorizationFailed',
          },
        ]),
      );
    } finally {
      tmp.cleanup();
    }
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { checkFlow, type FindingCode, type FlowCheckOptions } from '../../src/lib/blueprint/flow-check.js';
import { eventFlowGraph } from '../../src/lib/blueprint/flow-graph.js';
import { tempDir, templateProject } from '../helpers/cli.js';

/** A small flow with no finding: OrderPlaced -> authorize-payment -> PaymentAuthorized | PaymentFailed -> ... -> outcome. */
function baseFlow(): Record<string, any> {
  return {
    outcome: { succeeded: ['OrderCompleted'], failed: ['OrderFailed'] },
    functions: {
      'authorize-payment': {
        resultPath: 'payment',
        publishes: [{ detailType: 'PaymentAuthorized' }],
        onError: [{ errorEquals: ['PaymentAuthorizationFailed'], detailType: 'PaymentFailed' }],
      },
      'issue-invoices': { resultPath: 'invoices', publishes: [{ detailType: 'OrderCompleted' }] },
      'notify-customer': { resultPath: 'notification', publishes: [{ detailType: 'OrderFailed' }] },
    },
    rules: [
      {
        name: 'pay',
        pattern: { source: ['fulfill.api'], 'detail-type': ['OrderPlaced'] },
        target: 'authorize-payment',
      },
      { name: 'invoice', pattern: { 'detail-type': ['PaymentAuthorized'] }, target: 'issue-invoices' },
      {
        name: 'failed',
        pattern: { source: ['fulfill.authorize-payment'], 'detail-type': ['PaymentFailed'] },
        target: 'notify-customer',
      },
    ],
  };
}

const rule = (name: string, pattern: Record<string, unknown>, target = 'notify-customer') => ({
  name,
  pattern,
  target,
});

type Case = [
  name: string,
  mutate: (flow: Record<string, any>) => void,
  expected: Array<[FindingCode, RegExp]>,
  options?: FlowCheckOptions,
];

const cases: Case[] = [
  ['the base flow', () => {}, []],
  [
    'a cycle',
    (f) => f.rules.push(rule('again', { 'detail-type': ['OrderCompleted'] }, 'authorize-payment')),
    [
      [
        'FLOW_CYCLE',
        /^the event flow has a cycle: OrderCompleted -> rule again -> authorize-payment -> PaymentAuthorized -> rule invoice -> issue-invoices -> OrderCompleted$/,
      ],
    ],
  ],
  [
    'a detail-type nobody publishes',
    (f) => f.rules.push(rule('captured', { 'detail-type': ['PaymentCaptured'] })),
    [
      [
        'RULE_UNSATISFIABLE',
        /^rule captured can never match: no producer publishes a detail-type it accepts \(\["PaymentCaptured"\]\)$/,
      ],
    ],
  ],
  [
    'a source nobody publishes from',
    (f) => f.rules.push(rule('billing', { source: ['fulfill.billing'], 'detail-type': ['PaymentAuthorized'] })),
    [
      [
        'RULE_UNSATISFIABLE',
        /^rule billing can never match: no producer publishes from a source it accepts \(\["fulfill\.billing"\]\)$/,
      ],
    ],
  ],
  [
    'a detail-type and a source that exist, but never together',
    (f) => f.rules.push(rule('api-authorized', { source: ['fulfill.api'], 'detail-type': ['PaymentAuthorized'] })),
    [
      [
        'RULE_UNSATISFIABLE',
        /^rule api-authorized can never match: no producer publishes that detail-type from that source/,
      ],
    ],
  ],
  [
    "a content filter contradicting the producer's `when` (an earlier entry wins)",
    (f) => {
      f.functions['notify-customer'].publishes = [
        { detailType: 'OrderFailed', when: { error: { Error: [{ exists: true }] } } },
        { detailType: 'CustomerNotified' },
      ];
      f.rules.push(
        rule(
          'notified-after-error',
          { 'detail-type': ['CustomerNotified'], detail: { error: { Error: [{ exists: true }] } } },
          'issue-invoices',
        ),
      );
    },
    [
      [
        'RULE_UNSATISFIABLE',
        /^rule notified-after-error can never match: its pattern contradicts what functions\.notify-customer\.publishes\[1\] declares for CustomerNotified$/,
      ],
      ['EVENT_DEAD_END', /^event CustomerNotified \(published by notify-customer\) is consumed by no rule/],
    ],
  ],
  [
    'a numeric filter outside the `when` range: the edge is dropped, so no cycle either',
    (f) => {
      f.functions['issue-invoices'].publishes = [
        { detailType: 'OrderCompleted', when: { total: [{ numeric: ['>=', 0] }] } },
      ];
      f.rules.push(
        rule(
          'refund',
          { 'detail-type': ['OrderCompleted'], detail: { total: [{ numeric: ['<', 0] }] } },
          'authorize-payment',
        ),
      );
    },
    [
      [
        'RULE_UNSATISFIABLE',
        /^rule refund can never match: its pattern contradicts what functions\.issue-invoices\.publishes\[0\] declares/,
      ],
    ],
  ],
  [
    'an error filter the onError entry never produces',
    (f) =>
      f.rules.push(
        rule('expired', { 'detail-type': ['PaymentFailed'], detail: { error: { Error: ['CardExpired'] } } }),
      ),
    [['RULE_UNSATISFIABLE', /contradicts what functions\.authorize-payment\.onError\[0\] declares for PaymentFailed$/]],
  ],
  [
    'a publishes entry after one without `when` (never chosen)',
    (f) => f.functions['notify-customer'].publishes.push({ detailType: 'CustomerNotified' }),
    [
      [
        'PUBLISH_SHADOWED',
        /^functions\.notify-customer\.publishes\[1\] \(CustomerNotified\) is never published: an earlier "publishes" entry always matches first$/,
      ],
    ],
  ],
  [
    'a dead end',
    (f) => (f.functions['notify-customer'].publishes = [{ detailType: 'CustomerNotified' }]),
    [
      [
        'EVENT_DEAD_END',
        /^event CustomerNotified \(published by notify-customer\) is consumed by no rule and is not a terminal outcome$/,
      ],
    ],
  ],
  [
    'a function no rule targets (its events are not dead ends: nothing publishes them)',
    (f) =>
      (f.functions['select-warehouse'] = { resultPath: 'warehouse', publishes: [{ detailType: 'WarehouseSelected' }] }),
    [
      [
        'HANDLER_UNREACHABLE',
        /^handler select-warehouse is never invoked: no chain of rules from the API's OrderPlaced leads to it$/,
      ],
    ],
  ],
  [
    'a handler in the project the flow never mentions',
    () => {},
    [['HANDLER_UNREACHABLE', /^handler determine-seller is never invoked/]],
    { handlers: ['authorize-payment', 'issue-invoices', 'notify-customer', 'determine-seller'] },
  ],
  [
    'a fan-out wider than allowed',
    (f) =>
      f.rules.push(
        rule('audit-a', { 'detail-type': ['PaymentAuthorized'] }),
        rule('audit-b', { 'detail-type': ['PaymentAuthorized'] }),
      ),
    [
      [
        'FAN_OUT_WIDE',
        /^event PaymentAuthorized is delivered to 3 rules at once \(invoice, audit-a, audit-b\), more than 2$/,
      ],
    ],
    { maxFanOut: 2 },
  ],
  [
    'exclusive content routes are one branch, not a fan-out',
    (f) => {
      f.rules[1].pattern = { 'detail-type': ['PaymentAuthorized'], detail: { payment: { method: ['card'] } } };
      f.rules.push(
        rule(
          'other-method',
          { 'detail-type': ['PaymentAuthorized'], detail: { payment: { method: [{ 'anything-but': 'card' }] } } },
          'issue-invoices',
        ),
      );
    },
    [],
    { maxFanOut: 1 },
  ],
  [
    'overlapping content routes are a fan-out',
    (f) => {
      f.rules[1].pattern = { 'detail-type': ['PaymentAuthorized'], detail: { payment: { method: ['card'] } } };
      f.rules.push(
        rule(
          'c-methods',
          { 'detail-type': ['PaymentAuthorized'], detail: { payment: { method: [{ prefix: 'ca' }] } } },
          'issue-invoices',
        ),
      );
    },
    [['FAN_OUT_WIDE', /^event PaymentAuthorized is delivered to 2 rules at once/]],
    { maxFanOut: 1 },
  ],
];

describe('flow analysis findings', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  afterAll(() => tmp.cleanup());

  function check(flow: Record<string, any>, options?: FlowCheckOptions) {
    writeFileSync(join(tmp.dir, 'events.json'), JSON.stringify(flow));
    return checkFlow(loadBlueprint(tmp.dir).events!, options);
  }

  // A rest parameter: jest reads a callback with more parameters than the row has as one that takes `done`.
  it.each(cases)('%s', (...row) => {
    const [, mutate, expected, options] = row as Case;
    const flow = baseFlow();
    mutate(flow);
    const { findings } = check(flow, options);
    expect(findings.map((f) => f.code)).toEqual(expected.map(([code]) => code));
    findings.forEach((f, i) => expect(f.message).toMatch(expected[i][1]));
    for (const f of findings)
      expect(f.severity).toBe(f.code === 'FLOW_CYCLE' || f.code === 'RULE_UNSATISFIABLE' ? 'error' : 'warning');
  });

  it('every finding code has a crafted case', () => {
    const covered = new Set(cases.flatMap(([, , expected]) => expected.map(([code]) => code)));
    expect([...covered].sort()).toEqual([
      'EVENT_DEAD_END',
      'FAN_OUT_WIDE',
      'FLOW_CYCLE',
      'HANDLER_UNREACHABLE',
      'PUBLISH_SHADOWED',
      'RULE_UNSATISFIABLE',
    ]);
  });

  it('the default project: only the documented dead end (CustomerNotified), and the fan-out per event', () => {
    const dir = tempDir();
    try {
      templateProject(dir.dir, { mode: 'events' });
      const blueprint = loadBlueprint(dir.dir);
      const result = checkFlow(blueprint.events!, { handlers: blueprint.handlers.map((h) => h.name) });
      expect(result.findings).toEqual([
        {
          code: 'EVENT_DEAD_END',
          severity: 'warning',
          message:
            'event CustomerNotified (published by notify-customer) is consumed by no rule and is not a terminal outcome',
          nodes: ['event:CustomerNotified'],
        },
      ]);
      expect(result.fanOut).toEqual([
        { event: 'OrderPlaced', rules: ['authorize-payment'], width: 1 },
        { event: 'PaymentAuthorized', rules: ['confirm-payment', 'determine-seller'], width: 2 },
        { event: 'PaymentFailed', rules: ['payment-failed'], width: 1 },
        { event: 'SellerDetermined', rules: ['select-warehouse-1p', 'decide-fulfillment-3p'], width: 1 },
        { event: 'WarehouseSelected', rules: ['issue-invoices'], width: 1 },
        { event: 'FulfillmentDecided', rules: ['calculate-fee'], width: 1 },
        { event: 'FeeCalculated', rules: ['issue-invoices'], width: 1 },
      ]);
      // The graph leaves out only impossible edges: the content-filtered routes stay, per producer.
      const edges = eventFlowGraph(blueprint.events!).edges.map((e) => `${e.from} -> ${e.to}`);
      expect(edges).toContain('event:SellerDetermined -> rule:select-warehouse-1p');
      expect(edges).not.toContain('event:PaymentFailed -> rule:confirm-payment');
    } finally {
      dir.cleanup();
    }
  });
});

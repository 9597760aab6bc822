import { describe, expect, it } from '@jest/globals';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { diffOutcomes } from '../../src/lib/compare/diff.js';
import { ordersFromMix } from '../../src/lib/compare/orders.js';
import { PRICE_TABLE } from '../../src/lib/compare/prices.js';
import { compareStages } from '../../src/lib/compare/run.js';
import { estimateCost, measureUsage } from '../../src/lib/compare/usage.js';
import { measureWiring } from '../../src/lib/compare/wiring.js';
import { parseFaults } from '../../src/lib/local/faults.js';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { buildOutcome } from '../../src/lib/order/outcome.js';
import { orderSchema } from '../../src/lib/order/model.js';
import { tempDir, templateProject } from '../helpers/cli.js';

const P = PRICE_TABLE.prices;
let id = 0;
const entry = (
  orderId: string,
  source: LogEntry['source'],
  type: string,
  name?: string,
  details?: Record<string, unknown>,
  ms = 0,
): LogEntry => ({
  timestamp: new Date(Date.UTC(2026, 11, 1, 10, 0, 0, ms)).toISOString(),
  orderId,
  source,
  type,
  id: ++id,
  ...(name ? { name } : {}),
  ...(details ? { details } : {}),
});
const bytes = (entries: LogEntry[]) => entries.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0);

describe('usage and cost of one order, by hand from the price file', () => {
  it('an orchestrated 1P order: 5 transitions (one retry), 3 invocations', () => {
    const o = 'ord-1';
    const entries = [
      entry(o, 'api', 'ApiRequestReceived'),
      entry(o, 'execution', 'ExecutionStarted', undefined, undefined, 0),
      entry(o, 'execution', 'TaskStateEntered', 'AuthorizePayment'),
      entry(o, 'execution', 'LambdaFunctionStarted', 'AuthorizePayment'),
      entry(o, 'execution', 'LambdaFunctionFailed', 'AuthorizePayment', {
        error: 'Lambda.ServiceException',
        durationMs: 0.2,
      }),
      entry(o, 'execution', 'LambdaFunctionStarted', 'AuthorizePayment'),
      entry(o, 'execution', 'LambdaFunctionSucceeded', 'AuthorizePayment', { durationMs: 12.5 }),
      entry(o, 'execution', 'ChoiceStateEntered', 'SellerType'),
      entry(o, 'execution', 'TaskStateEntered', 'SelectWarehouse'),
      entry(o, 'execution', 'LambdaFunctionStarted', 'SelectWarehouse'),
      entry(o, 'execution', 'LambdaFunctionSucceeded', 'SelectWarehouse', { durationMs: 40 }),
      entry(o, 'execution', 'TaskStateEntered', 'IssueInvoices'),
      entry(o, 'execution', 'ExecutionSucceeded', undefined, undefined, 250),
      entry('other', 'execution', 'TaskStateEntered', 'AuthorizePayment'),
    ];
    const usage = measureUsage(o, entries, 512);
    // 4 states entered + 1 retry; invocations rounded up to 1 ms: 1 + 13 + 40 = 54 ms at 0.5 GB.
    expect(usage).toMatchObject({
      mode: 'orchestration',
      apiRequests: 1,
      stateTransitions: 5,
      lambdaInvocations: 3,
      lambdaBilledMs: 54,
      executionMs: 250,
    });
    expect(usage.lambdaGbSeconds).toBeCloseTo(0.054 * 0.5, 12);
    expect(usage.logBytes).toBe(bytes(entries.slice(0, -1)));

    const standard = estimateCost([usage], 'standard');
    const hand =
      1 * 0.0000035 + 3 * 0.0000002 + 0.027 * 0.0000166667 + (usage.logBytes / 1024 ** 3) * 0.5 + 5 * 0.000025;
    expect(standard.usd).toBeCloseTo(hand, 12);
    expect(standard.lines.find((l) => l.item === 'stepFunctionsStandardTransition')).toEqual({
      item: 'stepFunctionsStandardTransition',
      what: 'Step Functions state transitions',
      count: 5,
      unitUsd: 0.000025,
      usd: 0.000125,
    });
    // Express: 250 ms -> 0.3 s billed, in one 64 MB chunk; one request.
    const express = estimateCost([usage], 'express');
    expect(express.usd).toBeCloseTo(hand - 5 * 0.000025 + 1 * 0.000001 + 0.3 * (64 / 1024) * 0.00001667, 12);
    // Per million orders: the counts and the total scale, the unit prices do not.
    const million = estimateCost([usage], 'standard', 1_000_000);
    expect(million.lines.find((l) => l.item === 'lambdaRequest')).toMatchObject({
      count: 3_000_000,
      unitUsd: 0.0000002,
      usd: 0.6,
    });
    expect(million.usd).toBeCloseTo(hand * 1e6, 6);
  });

  it('an events-mode 3P order: events in 64 KB chunks, deliveries (with a retry) as invocations, deliveries free', () => {
    const o = 'ord-2';
    const big = { orderId: o, blob: 'x'.repeat(70 * 1024) };
    const entries = [
      entry(o, 'api', 'ApiRequestReceived'),
      entry(o, 'events', 'EventPublished', 'OrderPlaced', {
        eventId: 'e1',
        source: 'fulfill.api',
        detail: { orderId: o },
      }),
      entry(o, 'events', 'RulesMatched', 'OrderPlaced', { eventId: 'e1', rules: ['authorize-payment'] }),
      entry(o, 'events', 'DeliveryFailed', 'OrderPlaced', {
        eventId: 'e1',
        rule: 'authorize-payment',
        attempt: 1,
        durationMs: 3,
      }),
      entry(o, 'events', 'EventPublished', 'PaymentAuthorized', {
        eventId: 'e2',
        source: 'fulfill.authorize-payment',
        detail: big,
      }),
      entry(o, 'events', 'DeliverySucceeded', 'OrderPlaced', {
        eventId: 'e1',
        rule: 'authorize-payment',
        attempt: 2,
        durationMs: 99.1,
      }),
      entry(o, 'events', 'RulesMatched', 'PaymentAuthorized', { eventId: 'e2', rules: [] }),
    ];
    const usage = measureUsage(o, entries, 256);
    expect(usage).toMatchObject({
      mode: 'events',
      eventsPublished: 2,
      eventChunks: 3,
      ruleDeliveries: 2,
      lambdaInvocations: 2,
      lambdaBilledMs: 103,
      stateTransitions: 0,
    });
    const cost = estimateCost([usage], 'events');
    const hand =
      0.0000035 +
      2 * 0.0000002 +
      0.103 * 0.25 * 0.0000166667 +
      (usage.logBytes / 1024 ** 3) * 0.5 +
      3 * 0.000001 +
      2 * 0;
    expect(cost.usd).toBeCloseTo(hand, 12);
    for (const line of cost.lines) expect(line.usd).toBeCloseTo(line.count * line.unitUsd, 12);
  });

  it('every price names its unit, how it is metered and where it was published', () => {
    expect(PRICE_TABLE).toMatchObject({ region: 'us-east-1', currency: 'USD', retrieved: '2026-12-01' });
    for (const price of Object.values(P)) expect(price.source).toMatch(/^https:\/\//);
  });
});

describe('compare building blocks', () => {
  it('stage names for both modes, refused when too long', () => {
    expect(compareStages('dev')).toEqual({ orchestration: 'dev-orch', events: 'dev-ev' });
    expect(() => compareStages('a-very-long-st')).toThrow(
      /compare deploys stage "a-very-long-st-orch", which must be 1-16/,
    );
  });

  it('diffs outcomes field by field, ignoring timing fields', () => {
    const state = {
      payment: { instrument: 'creditCard', authorized: true, authorizationId: 'a', amount: 10 },
      seller: { sellerId: 's', type: '3P' },
      fee: { rate: 0.08, amount: 0.8, currency: 'EUR' },
      invoices: [{ invoiceId: 'i', type: 'customer', issuer: 's', recipient: 'c', amount: 10, currency: 'EUR' }],
    };
    const a = buildOutcome({
      orderId: 'x',
      mode: 'orchestration',
      status: 'SUCCEEDED',
      state,
      startedAt: '2026-12-01T10:00:00.000Z',
      finishedAt: '2026-12-01T10:00:01.000Z',
    });
    const b = buildOutcome({
      orderId: 'x',
      mode: 'events',
      status: 'SUCCEEDED',
      state: { ...state, fee: { ...state.fee, amount: 0.3 }, invoices: [{ ...state.invoices[0], recipient: 'd' }] },
      startedAt: '2026-12-01T10:00:05.000Z',
      finishedAt: '2026-12-01T10:00:09.000Z',
    });
    expect(diffOutcomes('x', a, { ...a, mode: 'events', durationMs: 1 })).toEqual([]);
    expect(diffOutcomes('x', a, b)).toEqual([
      { orderId: 'x', field: 'fee.amount', orchestration: 0.8, events: 0.3 },
      { orderId: 'x', field: 'invoices[0].recipient', orchestration: 'c', events: 'd' },
    ]);
    expect(diffOutcomes('x', a, undefined)).toEqual([
      { orderId: 'x', field: 'status', orchestration: 'SUCCEEDED', events: 'no outcome' },
    ]);
  });

  it('the --count mix is deterministic, valid and covers both seller types and failing payments', () => {
    const orders = ordersFromMix(16, 'r');
    expect(ordersFromMix(16, 'r')).toEqual(orders);
    for (const { order } of orders) expect(orderSchema.safeParse(order).success).toBe(true);
    expect(new Set(orders.map((o) => o.order.sellerId === 'shop'))).toEqual(new Set([true, false]));
    expect(new Set(orders.map((o) => o.order.paymentInstrumentType)).size).toBeGreaterThan(2);
  });

  it('parses every --inject form and names the value it refuses', () => {
    expect(
      parseFaults([
        'a:throw:Boom:with: colons',
        'a:delay:1.5s',
        'a:timeout',
        'a:fail:2',
        'event:X:drop',
        'event:X:duplicate',
        'event:X:delay:20ms',
      ]).faults,
    ).toEqual([
      { kind: 'throw', handler: 'a', errorType: 'Boom', message: 'with: colons', spec: 'a:throw:Boom:with: colons' },
      { kind: 'delay', handler: 'a', ms: 1500, spec: 'a:delay:1.5s' },
      { kind: 'timeout', handler: 'a', spec: 'a:timeout' },
      { kind: 'fail', handler: 'a', attempts: 2, spec: 'a:fail:2' },
      { kind: 'drop', detailType: 'X', spec: 'event:X:drop' },
      { kind: 'duplicate', detailType: 'X', spec: 'event:X:duplicate' },
      { kind: 'delay', detailType: 'X', ms: 20, spec: 'event:X:delay:20ms' },
    ]);
    expect(() => parseFaults(['a:fail:0'])).toThrow('--inject a:fail:0: fail needs a number of attempts of at least 1');
    expect(() => parseFaults(['a:delay:soon'])).toThrow(
      '--inject a:delay:soon: the duration must look like 500ms or 2s',
    );
    expect(() => parseFaults(['a:explode'])).toThrow('--inject a:explode: unknown fault "explode"');
    expect(() => parseFaults(['event:X:lose'])).toThrow(/an event fault is duplicate, drop or delay/);
  });

  it('measures the default wiring statically', () => {
    const tmp = tempDir();
    try {
      templateProject(tmp.dir);
      const orch = measureWiring(loadBlueprint(tmp.dir, { mode: 'orchestration' }));
      const ev = measureWiring(loadBlueprint(tmp.dir, { mode: 'events' }));
      expect(orch).toMatchObject({
        integrationPoints: 11,
        states: 11,
        taskStates: 8,
        decisionPoints: 1,
        filesToRead: 1,
      });
      expect(orch.longestChain.path).toEqual([
        'AuthorizePayment',
        'NotifyCustomer',
        'DetermineSeller',
        'SellerType',
        'DecideFulfillment',
        'CalculateFee',
        'IssueInvoices',
      ]);
      expect(ev).toMatchObject({ rules: 8, eventTypes: 10, integrationPoints: 18, fanOut: 2, fanIn: 1 });
      expect(ev.eventTypeUse!.find((u) => u.eventType === 'PaymentAuthorized')!.consumers).toEqual([
        'notify-customer (rule confirm-payment)',
        'determine-seller (rule determine-seller)',
      ]);
      expect(ev.longestChain.path).toEqual([
        'OrderPlaced',
        'PaymentAuthorized',
        'SellerDetermined',
        'FulfillmentDecided',
        'FeeCalculated',
        'OrderCompleted',
      ]);
      expect(ev.unconsumed).toEqual(['CustomerNotified']);
    } finally {
      tmp.cleanup();
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import type { LogEntry, LogSource } from '../../src/lib/logs/entry.js';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import { ExpectationError } from '../../src/lib/errors.js';
import { checkSla, rankSlowest } from '../../src/lib/trace/slowest.js';
import { buildTrace, renderTrace } from '../../src/lib/trace/trace.js';

// Traces built from hand-written log entries: the same model both targets record (README "log entries").
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
let ids = 0;
const entry = (
  ms: number,
  source: LogSource,
  type: string,
  name?: string,
  details?: Record<string, unknown>,
): LogEntry => ({
  timestamp: new Date(T0 + ms).toISOString(),
  orderId: 'o-1',
  source,
  type,
  id: ++ids,
  ...(name !== undefined ? { name } : {}),
  ...(details ? { details } : {}),
});
const outcome = (status: OrderOutcome['status'], finishedMs: number, error?: OrderOutcome['error']) =>
  ({
    orderId: 'o-1',
    mode: 'orchestration',
    status,
    error: error ?? null,
    startedAt: new Date(T0).toISOString(),
    finishedAt: new Date(T0 + finishedMs).toISOString(),
  }) as OrderOutcome;

describe('trace: orchestration history', () => {
  // Pay fails once with a transient error, is retried after 1 s, then succeeds; Ship runs after it.
  const entries = [
    entry(0, 'api', 'ApiRequestReceived', 'POST /orders'),
    entry(5, 'execution', 'ExecutionStarted'),
    entry(6, 'execution', 'TaskStateEntered', 'Pay'),
    entry(7, 'execution', 'LambdaFunctionStarted', 'Pay'),
    entry(27, 'execution', 'LambdaFunctionFailed', 'Pay', { error: 'Lambda.ServiceException', durationMs: 20 }),
    entry(1027, 'execution', 'LambdaFunctionStarted', 'Pay'),
    entry(1057, 'execution', 'LambdaFunctionSucceeded', 'Pay', { durationMs: 30 }),
    entry(1058, 'execution', 'TaskStateExited', 'Pay'),
    entry(1060, 'execution', 'TaskStateEntered', 'Ship'),
    entry(1100, 'execution', 'LambdaFunctionSucceeded', 'Ship', { durationMs: 38 }),
    entry(1101, 'execution', 'TaskStateExited', 'Ship'),
    entry(1102, 'execution', 'ExecutionSucceeded'),
  ];

  it('states span entered to exited, invocations carry their attempt, and the retry is counted', () => {
    // Given out of order: the trace sorts by time.
    const trace = buildTrace('o-1', [...entries].reverse(), outcome('SUCCEEDED', 1102));
    expect(trace).toMatchObject({ orderId: 'o-1', mode: 'orchestration', status: 'SUCCEEDED', totalMs: 1102 });
    expect(trace.retries).toBe(1);
    expect(trace.errors).toEqual(['Pay: Lambda.ServiceException']);
    const spans = trace.spans.map((s) => [s.kind, s.name, s.startMs, s.durationMs, s.status, s.attempt]);
    expect(spans).toEqual([
      ['api', 'POST /orders', 0, 0, 'ok', undefined],
      ['state', 'Pay', 6, 1052, 'ok', undefined],
      ['invocation', 'Pay', 7, 20, 'failed', 1],
      ['invocation', 'Pay', 1027, 30, 'ok', 2],
      ['state', 'Ship', 1060, 41, 'ok', undefined],
      ['invocation', 'Ship', 1062, 38, 'ok', 1],
    ]);
    expect(trace.criticalPath).toEqual(['POST /orders', 'Pay', 'Pay#2', 'Ship']);
    // The retry interval is the largest wait on the critical path.
    expect(trace.gaps).toEqual([
      { after: 'POST /orders', before: 'Pay', ms: 7 },
      { after: 'Pay', before: 'Pay#2', ms: 1000 },
      { after: 'Pay#2', before: 'Ship', ms: 5 },
    ]);
    expect(trace.waitingMs).toBe(1012);
  });

  it('a failed execution: a Fail state that never exits ends with the history, and the outcome error is listed', () => {
    const failed = [
      entry(0, 'execution', 'ExecutionStarted'),
      entry(1, 'execution', 'TaskStateEntered', 'Pay'),
      entry(30, 'execution', 'LambdaFunctionFailed', 'Pay', { error: 'PaymentAuthorizationFailed', durationMs: 28 }),
      entry(31, 'execution', 'TaskStateExited', 'Pay'),
      entry(32, 'execution', 'FailStateEntered', 'Declined'),
      entry(40, 'execution', 'ExecutionFailed', undefined, { error: 'PaymentDeclined' }),
    ];
    const trace = buildTrace(
      'o-1',
      failed,
      outcome('FAILED', 40, { error: 'PaymentDeclined', cause: 'the payment was not authorized' }),
    );
    expect(trace.spans.find((s) => s.name === 'Declined')).toMatchObject({
      kind: 'state',
      startMs: 32,
      durationMs: 8,
      status: 'failed',
    });
    // The execution's error is already listed: the outcome's is not repeated.
    expect(trace.errors).toEqual(['Pay: PaymentAuthorizationFailed', 'execution: PaymentDeclined']);
    expect(trace.retries).toBe(0);
  });

  it('renders a waterfall naming the retry, the critical path and the largest wait', () => {
    const text = renderTrace(buildTrace('o-1', entries, outcome('SUCCEEDED', 1102)), 20);
    const lines = text.split('\n');
    expect(lines[0]).toBe('order o-1 SUCCEEDED in 1102 ms (orchestration), 1 retry');
    // The retry's bar at 1027 of 1102 ms: column 18 of 20.
    expect(lines).toContain(`  1027 ms *|${' '.repeat(18)}█ |   λ Pay 30 ms (attempt 2)`);
    expect(lines).toContain(`     7 ms *|█${' '.repeat(19)}|   λ Pay 20 ms (Lambda.ServiceException)`);
    expect(lines).toContain('critical path (*): POST /orders -> Pay -> Pay#2 -> Ship');
    expect(lines).toContain('waiting on the critical path: 1012 ms (largest: 1000 ms between Pay and Pay#2)');
    expect(lines.at(-1)).toBe('errors: Pay: Lambda.ServiceException');
  });

  it('without entries or an outcome: an empty, running trace (no division by zero in the waterfall)', () => {
    const trace = buildTrace('o-1', []);
    expect(trace).toMatchObject({ mode: null, status: 'RUNNING', totalMs: 0, spans: [], criticalPath: [] });
    expect(renderTrace(trace)).toContain('critical path (*): -');
  });
});

describe('trace: events mode', () => {
  // OrderPlaced -> authorize-payment (fails once, retried) publishes PaymentAuthorized -> ship publishes
  // OrderCompleted (terminal); notify-customer, a fan-out branch, is dead-lettered and not on the critical path.
  const published = (ms: number, name: string, eventId: string, source = 'fulfill.api') =>
    entry(ms, 'events', 'EventPublished', name, { eventId, source });
  const delivery = (
    ms: number,
    type: 'DeliverySucceeded' | 'DeliveryFailed',
    target: string,
    eventId: string,
    details: Record<string, unknown>,
  ) => entry(ms, 'events', type, undefined, { target, rule: `${target}-rule`, eventId, ...details });
  const entries = [
    published(0, 'OrderPlaced', 'e1'),
    delivery(50, 'DeliveryFailed', 'authorize-payment', 'e1', {
      attempt: 1,
      durationMs: 40,
      error: 'Lambda.ServiceException',
      cause: 'transient',
    }),
    delivery(60, 'DeliveryFailed', 'notify-customer', 'e1', { attempt: 1, durationMs: 5, error: 'Error', cause: 'x' }),
    entry(61, 'events', 'DeadLettered', undefined, { target: 'notify-customer', rule: 'notify-rule', error: 'Error' }),
    published(190, 'PaymentAuthorized', 'e2', 'fulfill.authorize-payment'),
    delivery(200, 'DeliverySucceeded', 'authorize-payment', 'e1', {
      attempt: 2,
      durationMs: 50,
      result: { eventId: 'e2' },
    }),
    published(290, 'OrderCompleted', 'e3', 'fulfill.ship'),
    delivery(300, 'DeliverySucceeded', 'ship', 'e2', { attempt: 1, durationMs: 80, result: { eventId: 'e3' } }),
    entry(301, 'events', 'OutcomeRecorded', 'OrderCompleted', { status: 'SUCCEEDED' }),
  ];

  it('follows the published events back from the terminal one: the critical path skips the fan-out branch', () => {
    const trace = buildTrace('o-1', entries, { ...outcome('SUCCEEDED', 301), mode: 'events' });
    expect(trace.mode).toBe('events');
    expect(trace.criticalPath).toEqual([
      'OrderPlaced',
      'authorize-payment#2',
      'PaymentAuthorized',
      'ship',
      'OrderCompleted',
    ]);
    expect(trace.retries).toBe(1);
    expect(trace.errors).toEqual([
      'authorize-payment (rule authorize-payment-rule): Lambda.ServiceException: transient',
      'notify-customer (rule notify-customer-rule): Error: x',
    ]);
    expect(trace.spans.find((s) => s.kind === 'dead-letter')).toMatchObject({
      name: 'notify-customer',
      onCriticalPath: false,
    });
    expect(trace.spans.filter((s) => s.kind === 'delivery' && s.onCriticalPath).map((s) => s.name)).toEqual([
      'authorize-payment',
      'ship',
    ]);
  });

  it('without delivery records (AWS keeps the events only), the flow tells which event caused which', () => {
    const events = entries.filter((e) => e.type === 'EventPublished');
    const flow = {
      outcome: { succeeded: ['OrderCompleted'], failed: ['PaymentFailed'] },
      rules: [
        { name: 'pay', target: 'authorize-payment', pattern: { 'detail-type': ['OrderPlaced'] } },
        { name: 'ship', target: 'ship', pattern: { 'detail-type': ['PaymentAuthorized'] } },
      ],
    } as unknown as Parameters<typeof buildTrace>[3];
    const trace = buildTrace('o-1', events, undefined, flow);
    expect(trace.status).toBe('RUNNING');
    expect(trace.criticalPath).toEqual(['OrderPlaced', 'PaymentAuthorized', 'OrderCompleted']);
    // Without the flow nothing links the events: only the terminal one is on the path.
    expect(buildTrace('o-1', events, undefined, { ...flow!, rules: [] }).criticalPath).toEqual(['OrderCompleted']);
  });
});

describe('trace --slowest and --sla', () => {
  const timing = (orderId: string, startedMs: number, durationMs: number | null) => ({
    orderId,
    status: 'SUCCEEDED' as const,
    mode: 'events' as const,
    startedAt: new Date(T0 + startedMs).toISOString(),
    durationMs,
  });
  const finished = [timing('a', 0, 300), timing('b', 10, 900), timing('c', 20, 100), timing('old', -5000, 5000)];

  it('ranks finished orders in the window, slowest first, and names those over the SLA', () => {
    const report = rankSlowest([...finished, timing('running', 30, null)], { since: T0, slowest: 2, slaMs: 250 });
    expect(report.considered).toBe(3);
    expect(report.orders.map((o) => o.orderId)).toEqual(['b', 'a']);
    expect(report.breached?.map((o) => o.orderId)).toEqual(['b', 'a']);
    expect(() => checkSla(report, '2 orders over the SLA')).toThrow(ExpectationError);
  });

  it('within the SLA, the check passes', () => {
    const report = rankSlowest(finished, { since: T0, slaMs: 1000 });
    expect(report.breached).toEqual([]);
    expect(() => checkSla(report, 'none')).not.toThrow();
    expect(rankSlowest(finished, { since: T0 }).breached).toBeUndefined();
  });
});

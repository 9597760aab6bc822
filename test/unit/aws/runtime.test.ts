import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { awsContext } from '../../../src/lib/aws/context.js';
import { entryKey, followAwsLogs, readAwsLogs } from '../../../src/lib/aws/history.js';
import { awsSender, finishedOrdersSince } from '../../../src/lib/aws/orders.js';
import { buildTrace } from '../../../src/lib/trace/trace.js';
import type { AwsStage } from '../../../src/lib/aws/stage.js';
import { loadBlueprint } from '../../../src/lib/blueprint/blueprint.js';
import type { AwsClients } from '../../../src/lib/aws/clients.js';
import { TimeoutError, UserError } from '../../../src/lib/errors.js';
import type { LogEntry } from '../../../src/lib/logs/entry.js';
import { tempDir, templateProject } from '../../helpers/cli.js';
import { MINIMAL_ORDER } from '../../helpers/orders.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-central-1';
const URL_ = `https://abc123.execute-api.${REGION}.amazonaws.com/ci/orders`;
const sfnMock = mockClient(SFNClient);
const logsMock = mockClient(CloudWatchLogsClient);
const tmp = tempDir();
afterAll(() => tmp.cleanup());
templateProject(tmp.dir, { app: 'shop', stage: 'ci', region: REGION });

const order = MINIMAL_ORDER;
const sleeps: number[] = [];

function stage(mode: 'orchestration' | 'events'): AwsStage {
  const blueprint = loadBlueprint(tmp.dir, { mode });
  const clients = {
    sfn: new SFNClient({ region: REGION }),
    logs: new CloudWatchLogsClient({ region: REGION }),
  } as unknown as AwsClients;
  return {
    mode,
    blueprint,
    endpoint: URL_,
    ctx: awsContext(clients, blueprint.names, ACCOUNT, { sleep: async (ms) => void sleeps.push(ms) }),
  };
}

/** The deployed API, as fetch sees it. */
function api(status: number, body: unknown) {
  const requests: Array<{ url: string; body: string }> = [];
  const fetchImpl = (async (url: string, init: { body: string }) => {
    requests.push({ url, body: init.body });
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { fetchImpl, requests };
}

beforeEach(() => {
  sfnMock.reset();
  logsMock.reset();
  sleeps.length = 0;
});

describe('send-order --target aws', () => {
  it('posts the same body to the invoke URL and waits across RUNNING -> SUCCEEDED', async () => {
    const { fetchImpl, requests } = api(200, { orderId: 'o-1', executionArn: 'arn', startDate: 1.7e9 });
    const output = {
      ...order,
      payment: { instrument: 'creditCard', authorized: true, authorizationId: 'auth-o-1', amount: 10 },
      seller: { sellerId: 'shop', type: '1P' },
      warehouse: { id: 'FRA1', country: 'DE' },
      invoices: [],
    };
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', startDate: new Date(1000) })
      .resolvesOnce({ status: 'RUNNING', startDate: new Date(1000) })
      .resolves({
        status: 'SUCCEEDED',
        startDate: new Date(1000),
        stopDate: new Date(1800),
        output: JSON.stringify(output),
      });
    const result = await awsSender(stage('orchestration'), { fetch: fetchImpl }).send(order, true, 60_000);
    expect(requests).toEqual([{ url: URL_, body: JSON.stringify(order) }]);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:fulfill-shop-ci-workflow:o-1`,
    });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 3);
    expect(result.outcome).toMatchObject({
      status: 'SUCCEEDED',
      warehouse: 'FRA1',
      durationMs: 800,
      mode: 'orchestration',
    });
    expect(sleeps).toEqual([250, 375]); // back-off between polls
  });

  it('RUNNING -> FAILED gives the failure from the execution', async () => {
    const { fetchImpl } = api(200, {});
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'RUNNING', startDate: new Date(0) })
      .resolves({
        status: 'FAILED',
        startDate: new Date(0),
        stopDate: new Date(10),
        input: JSON.stringify({ ...order, paymentInstrumentType: 'giftCard' }),
        error: 'PaymentAuthorizationFailed',
        cause: '{"errorType":"PaymentAuthorizationFailed","errorMessage":"Payment Authorization Failed","trace":[]}',
      });
    const result = await awsSender(stage('orchestration'), { fetch: fetchImpl }).send(order, true, 60_000);
    expect(result.outcome).toMatchObject({
      status: 'FAILED',
      error: { error: 'PaymentAuthorizationFailed', cause: 'Payment Authorization Failed' },
      payment: { instrument: 'giftCard', authorized: false },
    });
  });

  it('a resent order id is reported as a duplicate with the existing outcome', async () => {
    const { fetchImpl } = api(400, { message: "Execution Already Exists: 'arn'", type: 'ExecutionAlreadyExists' });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ status: 'SUCCEEDED', startDate: new Date(0), stopDate: new Date(5), output: JSON.stringify(order) });
    const result = await awsSender(stage('orchestration'), { fetch: fetchImpl }).send(order, true, 60_000);
    expect(result.duplicate).toBe(true);
    expect(result.outcome?.status).toBe('SUCCEEDED');
  });

  it('an API rejection is bad input with the API message; a 5xx is an AWS error', async () => {
    const bad = await awsSender(stage('orchestration'), {
      fetch: api(400, { message: 'Invalid request body', details: 'instance failed to match' }).fetchImpl,
    })
      .send(order, false, 1000)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(UserError);
    expect((bad as UserError).exit).toBe(2);
    expect((bad as UserError).message).toMatch(
      /rejected order o-1 with 400: Invalid request body \(instance failed to match\)/,
    );
    const down = await awsSender(stage('orchestration'), {
      fetch: api(500, { message: 'Internal server error' }).fetchImpl,
    })
      .send(order, false, 1000)
      .catch((e: unknown) => e);
    expect((down as UserError).exit).toBe(3);
  });

  it('times out with exit 4, and survives throttling while polling', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves({ status: 'RUNNING', startDate: new Date(0) });
    const sender = awsSender(stage('orchestration'), { fetch: api(200, {}).fetchImpl, pollMs: [1, 1] });
    const error = await sender.send(order, true, 30).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).exit).toBe(4);
  });

  it('events mode: finds the terminal event across pages of the event log group', async () => {
    const event = (type: string, detail: object, t: number) => ({
      eventId: `${type}-${t}`,
      timestamp: t,
      message: JSON.stringify({
        version: '0',
        id: `id-${t}`,
        'detail-type': type,
        source: 'fulfill.x',
        time: new Date(t).toISOString(),
        detail,
      }),
    });
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('OrderPlaced', order, 1000)], nextToken: 'page2' })
      .resolvesOnce({ events: [event('PaymentFailed', order, 1100)] })
      .resolvesOnce({ events: [event('OrderPlaced', order, 1000)], nextToken: 'page2' })
      .resolvesOnce({
        events: [
          event(
            'OrderFailed',
            {
              ...order,
              error: { Error: 'PaymentAuthorizationFailed', Cause: '{"errorMessage":"Payment Authorization Failed"}' },
            },
            1300,
          ),
        ],
      });
    const result = await awsSender(stage('events'), {
      fetch: api(200, { eventId: 'e', failedEntryCount: 0 }).fetchImpl,
    }).send(order, true, 60_000);
    expect(logsMock).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: '/aws/events/fulfill-shop-ci-events',
      filterPattern: '{ $.detail.orderId = "o-1" }',
    });
    expect(logsMock).toHaveReceivedCommandWith(FilterLogEventsCommand, { nextToken: 'page2' });
    expect(result.outcome).toMatchObject({
      mode: 'events',
      status: 'FAILED',
      error: { cause: 'Payment Authorization Failed' },
      durationMs: 300,
    });
  });
});

describe('logs --target aws', () => {
  it('reads execution history across pages, in the local schema', async () => {
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({
        events: [
          { id: 1, type: 'ExecutionStarted', timestamp: new Date(1000), executionStartedEventDetails: { input: '{}' } },
          {
            id: 2,
            previousEventId: 1,
            type: 'TaskStateEntered',
            timestamp: new Date(1001),
            stateEnteredEventDetails: { name: 'AuthorizePayment', input: '{}' },
          },
        ],
        nextToken: 't2',
      })
      .resolvesOnce({
        events: [
          {
            id: 3,
            previousEventId: 2,
            type: 'LambdaFunctionScheduled',
            timestamp: new Date(1002),
            lambdaFunctionScheduledEventDetails: { resource: 'arn:fn' },
          },
          {
            id: 4,
            previousEventId: 3,
            type: 'ExecutionSucceeded',
            timestamp: new Date(1003),
            executionSucceededEventDetails: { output: '{}' },
          },
        ],
      });
    const entries = await readAwsLogs(stage('orchestration'), { orderId: 'o-1' });
    expect(entries.map((e) => [e.id, e.type, e.name ?? ''])).toEqual([
      [1, 'ExecutionStarted', ''],
      [2, 'TaskStateEntered', 'AuthorizePayment'],
      [3, 'LambdaFunctionScheduled', 'AuthorizePayment'],
      [4, 'ExecutionSucceeded', ''],
    ]);
    expect(entries[2]).toMatchObject({
      source: 'execution',
      orderId: 'o-1',
      previousEventId: 2,
      details: { resource: 'arn:fn' },
    });
    expect(sfnMock).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { nextToken: 't2' });
  });

  it("--source function reads only the functions' log groups; --source execution no function logs even with --functions", async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolves({ events: [{ timestamp: 2000, message: 'o-1 authorized\n', logStreamName: 'stream' }] });
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolves({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(1000) }] });
    const functionsOnly = await readAwsLogs(stage('orchestration'), { orderId: 'o-1', sources: ['function'] });
    expect(sfnMock).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
    expect(logsMock).toHaveReceivedCommandWith(FilterLogEventsCommand, {
      logGroupName: '/aws/lambda/fulfill-shop-ci-authorize-payment',
      filterPattern: '"o-1"',
    });
    expect(new Set(functionsOnly.map((e) => e.source))).toEqual(new Set(['function']));
    expect(functionsOnly).toHaveLength(7); // one line from each of the 7 function log groups
    logsMock.resetHistory();
    const executionOnly = await readAwsLogs(stage('orchestration'), {
      orderId: 'o-1',
      sources: ['execution'],
      functions: true,
    });
    expect(logsMock).toHaveReceivedCommandTimes(FilterLogEventsCommand, 0);
    expect(executionOnly.map((e) => [e.source, e.type])).toEqual([['execution', 'ExecutionStarted']]);
  });

  it('--source filters events mode as on the local target', async () => {
    const ev = {
      eventId: 'cw-1',
      timestamp: 1000,
      message: JSON.stringify({
        id: 'ev-1',
        'detail-type': 'OrderPlaced',
        source: 'fulfill.api',
        detail: { orderId: 'o-1' },
      }),
    };
    logsMock.on(FilterLogEventsCommand).resolves({ events: [ev] });
    expect(
      (await readAwsLogs(stage('events'), { orderId: 'o-1', sources: ['events'] })).map((e) => [e.source, e.name]),
    ).toEqual([['events', 'OrderPlaced']]);
    logsMock.resetHistory();
    expect(await readAwsLogs(stage('events'), { orderId: 'o-1', sources: ['execution', 'api'] })).toEqual([]);
    expect(logsMock).toHaveReceivedCommandTimes(FilterLogEventsCommand, 0);
  });

  it('lists executions since a time, newest first, stopping at the window', async () => {
    sfnMock
      .on(ListExecutionsCommand)
      .resolvesOnce({
        executions: [
          { name: 'new', startDate: new Date(5000), executionArn: 'a', stateMachineArn: 's', status: 'SUCCEEDED' },
        ],
        nextToken: 'more',
      })
      .resolvesOnce({
        executions: [
          { name: 'old', startDate: new Date(10), executionArn: 'b', stateMachineArn: 's', status: 'SUCCEEDED' },
        ],
        nextToken: 'never',
      });
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolves({ events: [{ id: 1, type: 'ExecutionStarted', timestamp: new Date(5000) }] });
    const entries = await readAwsLogs(stage('orchestration'), { since: 1000 });
    expect(entries.map((e) => e.orderId)).toEqual(['new']);
    expect(sfnMock).toHaveReceivedCommandTimes(ListExecutionsCommand, 2);
  });

  it('--follow prints each entry once across polls and keeps going through throttling', async () => {
    const ev = (n: number) => ({
      eventId: `cw-${n}`,
      timestamp: Date.now() + n,
      message: JSON.stringify({ id: `ev-${n}`, 'detail-type': `E${n}`, source: 's', detail: { orderId: 'o-1' } }),
    });
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [ev(1), ev(2)] })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolvesOnce({ events: [ev(1), ev(2), ev(3)] })
      .resolves({ events: [ev(2), ev(3), ev(4)] });
    const printed: LogEntry[] = [];
    const controller = new AbortController();
    const s = stage('events');
    let polls = 0;
    s.ctx = { ...s.ctx, sleep: async () => void (++polls >= 5 && controller.abort()) };
    await followAwsLogs(s, { orderId: 'o-1' }, new Set(), (e) => printed.push(e), controller.signal, [1, 8]);
    expect(printed.map((e) => e.name)).toEqual(['E1', 'E2', 'E3', 'E4']);
    expect(new Set(printed.map(entryKey)).size).toBe(4);
  });
});

describe('trace --target aws', () => {
  it('builds the timeline from execution history, with invocation durations and retries', async () => {
    const t = (ms: number) => new Date(10_000 + ms);
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, type: 'ExecutionStarted', timestamp: t(0) },
        { id: 2, type: 'TaskStateEntered', timestamp: t(1), stateEnteredEventDetails: { name: 'DetermineSeller' } },
        { id: 3, type: 'LambdaFunctionScheduled', timestamp: t(2) },
        { id: 4, type: 'LambdaFunctionStarted', timestamp: t(3) },
        {
          id: 5,
          type: 'LambdaFunctionFailed',
          timestamp: t(40),
          lambdaFunctionFailedEventDetails: { error: 'Lambda.TooManyRequestsException' },
        },
        { id: 6, type: 'LambdaFunctionScheduled', timestamp: t(1040) },
        { id: 7, type: 'LambdaFunctionStarted', timestamp: t(1041) },
        { id: 8, type: 'LambdaFunctionSucceeded', timestamp: t(1061) },
        { id: 9, type: 'TaskStateExited', timestamp: t(1062), stateExitedEventDetails: { name: 'DetermineSeller' } },
        { id: 10, type: 'ExecutionSucceeded', timestamp: t(1063) },
      ],
    });
    const trace = buildTrace('o-1', await readAwsLogs(stage('orchestration'), { orderId: 'o-1' }));
    const invocations = trace.spans.filter((s) => s.kind === 'invocation');
    expect(invocations.map((s) => [s.attempt, s.durationMs, s.status])).toEqual([
      [1, 37, 'failed'],
      [2, 20, 'ok'],
    ]);
    expect(trace.retries).toBe(1);
    expect(trace.gaps.some((g) => g.ms >= 1000)).toBe(true); // the retry interval shows as waiting
  });

  it('events mode: infers the critical path from the flow when only events are logged', async () => {
    const ev = (n: number, type: string, source: string, detail: object = {}) => ({
      eventId: `cw-${n}`,
      timestamp: 20_000 + n * 100,
      message: JSON.stringify({ id: `ev-${n}`, 'detail-type': type, source, detail: { orderId: 'o-1', ...detail } }),
    });
    logsMock.on(FilterLogEventsCommand).resolves({
      events: [
        ev(1, 'OrderPlaced', 'fulfill.api'),
        ev(2, 'PaymentAuthorized', 'fulfill.authorize-payment'),
        ev(3, 'SellerDetermined', 'fulfill.determine-seller', { seller: { type: '1P' } }),
        ev(4, 'CustomerNotified', 'fulfill.notify-customer'),
        ev(5, 'WarehouseSelected', 'fulfill.select-warehouse'),
        ev(6, 'OrderCompleted', 'fulfill.issue-invoices'),
      ],
    });
    const s = stage('events');
    const trace = buildTrace('o-1', await readAwsLogs(s, { orderId: 'o-1' }), undefined, s.blueprint.events);
    expect(trace.criticalPath).toEqual([
      'OrderPlaced',
      'PaymentAuthorized',
      'SellerDetermined',
      'WarehouseSelected',
      'OrderCompleted',
    ]);
  });

  it('lists finished orders with their latency, in both modes', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          name: 'slow',
          startDate: new Date(5000),
          stopDate: new Date(8000),
          status: 'SUCCEEDED',
          executionArn: 'a',
          stateMachineArn: 's',
        },
        { name: 'running', startDate: new Date(6000), status: 'RUNNING', executionArn: 'b', stateMachineArn: 's' },
      ],
    });
    expect(await finishedOrdersSince(stage('orchestration'), 0)).toEqual([
      {
        orderId: 'slow',
        status: 'SUCCEEDED',
        mode: 'orchestration',
        startedAt: new Date(5000).toISOString(),
        durationMs: 3000,
      },
    ]);
    const ev = (type: string, orderId: string, t: number) => ({
      eventId: `${type}-${orderId}`,
      timestamp: t,
      message: JSON.stringify({ id: `${type}-${orderId}`, 'detail-type': type, source: 's', detail: { orderId } }),
    });
    logsMock.on(FilterLogEventsCommand).resolves({
      events: [
        ev('OrderPlaced', 'a', 100),
        ev('OrderPlaced', 'b', 150),
        ev('OrderCompleted', 'a', 400),
        ev('OrderFailed', 'c', 500),
      ],
    });
    expect(await finishedOrdersSince(stage('events'), 0)).toEqual([
      { orderId: 'a', status: 'SUCCEEDED', mode: 'events', startedAt: new Date(100).toISOString(), durationMs: 300 },
      { orderId: 'c', status: 'FAILED', mode: 'events', startedAt: new Date(500).toISOString(), durationMs: 0 },
    ]);
  });
});

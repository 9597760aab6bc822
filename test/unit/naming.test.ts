import { describe, expect, it } from '@jest/globals';
import { LOCAL_ACCOUNT_ID, naming, stageNames } from '../../src/lib/blueprint/naming.js';
import { executionOutcomeStatus } from '../../src/lib/order/execution-status.js';
import { outcomeFromTerminalEvent, terminalStatus } from '../../src/lib/order/terminal-event.js';

describe('names and ARNs of a stage', () => {
  const names = naming('shop', 'ci', 'eu-central-1', '123456789012');

  it.each([
    ['function', names.functionName('calculate-fee'), 'fulfill-shop-ci-calculate-fee'],
    [
      'function ARN',
      names.functionArn('calculate-fee'),
      'arn:aws:lambda:eu-central-1:123456789012:function:fulfill-shop-ci-calculate-fee',
    ],
    [
      'state machine ARN',
      names.stateMachineArn(),
      'arn:aws:states:eu-central-1:123456789012:stateMachine:fulfill-shop-ci-workflow',
    ],
    [
      'execution ARN',
      names.executionArn('o-1'),
      'arn:aws:states:eu-central-1:123456789012:execution:fulfill-shop-ci-workflow:o-1',
    ],
    ['bus ARN', names.busArn(), 'arn:aws:events:eu-central-1:123456789012:event-bus/fulfill-shop-ci-bus'],
    [
      'rule ARN (on the custom bus)',
      names.ruleArn('payment-failed'),
      'arn:aws:events:eu-central-1:123456789012:rule/fulfill-shop-ci-bus/fulfill-shop-ci-payment-failed',
    ],
    [
      'all rules of the stage',
      names.ruleArn('*'),
      'arn:aws:events:eu-central-1:123456789012:rule/fulfill-shop-ci-bus/fulfill-shop-ci-*',
    ],
    ['role ARN (IAM: no region)', names.roleArn('api'), 'arn:aws:iam::123456789012:role/fulfill-shop-ci-api-role'],
    ['dead-letter queue ARN', names.deadLetterQueueArn(), 'arn:aws:sqs:eu-central-1:123456789012:fulfill-shop-ci-dlq'],
    ['function log group', names.functionLogGroup('notify-customer'), '/aws/lambda/fulfill-shop-ci-notify-customer'],
    [
      'log group ARN',
      names.logGroupArn(names.eventLogGroup()),
      'arn:aws:logs:eu-central-1:123456789012:log-group:/aws/events/fulfill-shop-ci-events',
    ],
    [
      'log streams ARN',
      names.logGroupStreamsArn(names.stateMachineLogGroup()),
      'arn:aws:logs:eu-central-1:123456789012:log-group:/aws/vendedlogs/states/fulfill-shop-ci-workflow:*',
    ],
    ['REST API ARN (no account)', names.restApiArn('abc123'), 'arn:aws:apigateway:eu-central-1::/restapis/abc123'],
  ])('%s', (_what, actual, expected) => {
    expect(actual).toBe(expected);
  });

  it('every log group of the stage is under one of its prefixes', () => {
    const groups = [names.functionLogGroup('x'), names.stateMachineLogGroup(), names.eventLogGroup()];
    for (const group of groups) expect(names.logGroupPrefixes().some((p) => group.startsWith(p))).toBe(true);
  });

  it('ARNs need an explicit account: there is no default', () => {
    const unbound = stageNames('shop', 'ci', 'eu-central-1') as unknown as Record<string, unknown>;
    expect(unbound.functionArn).toBeUndefined();
    expect(unbound.stateMachineArn).toBeUndefined();
    expect(() => naming('shop', 'ci', 'eu-central-1', '')).toThrow(/12 digits/);
    expect(stageNames('shop', 'ci', 'eu-central-1').inAccount(LOCAL_ACCOUNT_ID).busArn()).toBe(
      'arn:aws:events:eu-central-1:000000000000:event-bus/fulfill-shop-ci-bus',
    );
  });
});

describe("one rule for an order's end, on both targets", () => {
  const flow = { outcome: { succeeded: ['OrderCompleted'], failed: ['OrderFailed', 'OrderRejected'] } };

  it.each([
    ['OrderCompleted', 'SUCCEEDED'],
    ['OrderFailed', 'FAILED'],
    ['OrderRejected', 'FAILED'],
    ['PaymentFailed', undefined],
  ])('terminal event %s -> %s', (type, expected) => {
    expect(terminalStatus(flow, type)).toBe(expected);
  });

  it('a failed outcome carries the caught error, else the event name', () => {
    const timing = { startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.500Z' };
    const caught = outcomeFromTerminalEvent(
      flow,
      {
        'detail-type': 'OrderFailed',
        detail: {
          error: { Error: 'PaymentAuthorizationFailed', Cause: '{"errorMessage":"Payment Authorization Failed"}' },
        },
      },
      'o-1',
      timing,
    );
    expect(caught).toMatchObject({
      status: 'FAILED',
      mode: 'events',
      error: { error: 'PaymentAuthorizationFailed', cause: 'Payment Authorization Failed' },
      durationMs: 1500,
    });
    expect(
      outcomeFromTerminalEvent(flow, { 'detail-type': 'OrderRejected', detail: {} }, 'o-1', timing)?.error,
    ).toEqual({ error: 'OrderRejected', cause: '' });
    expect(
      outcomeFromTerminalEvent(flow, { 'detail-type': 'OrderCompleted', detail: {} }, 'o-1', timing),
    ).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(
      outcomeFromTerminalEvent(flow, { 'detail-type': 'PaymentFailed', detail: {} }, 'o-1', timing),
    ).toBeUndefined();
  });

  it.each([
    ['SUCCEEDED', 'SUCCEEDED'],
    ['FAILED', 'FAILED'],
    ['TIMED_OUT', 'TIMED_OUT'],
    ['ABORTED', 'ABORTED'],
    ['RUNNING', 'RUNNING'],
    ['PENDING_REDRIVE', 'RUNNING'],
    [undefined, 'FAILED'],
  ])('execution status %s -> %s', (status, expected) => {
    expect(executionOutcomeStatus(status)).toBe(expected);
  });
});

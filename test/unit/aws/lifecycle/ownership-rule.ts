import { describe, expect, it } from '@jest/globals';
import { isOwned, mayDelete, parseArn, tagMap } from '../../../../src/lib/aws/ownership.js';

const ctx = () => ({
  tags: { 'fulfill:app': 'shop', 'fulfill:stage': 'ci' },
  skipped: [] as Array<{ resource: string; reason: string }>,
});

describe('the ownership rule', () => {
  it.each([
    ['a map with both tags', { 'fulfill:app': 'shop', 'fulfill:stage': 'ci', other: 'x' }, true],
    [
      'IAM/EventBridge Key/Value list',
      [
        { Key: 'fulfill:app', Value: 'shop' },
        { Key: 'fulfill:stage', Value: 'ci' },
      ],
      true,
    ],
    [
      'Step Functions key/value list',
      [
        { key: 'fulfill:app', value: 'shop' },
        { key: 'fulfill:stage', value: 'ci' },
      ],
      true,
    ],
    ['another stage', { 'fulfill:app': 'shop', 'fulfill:stage': 'prod' }, false],
    ['another app', { 'fulfill:app': 'blog', 'fulfill:stage': 'ci' }, false],
    ['only the app tag', { 'fulfill:app': 'shop' }, false],
    ['no tags', undefined, false],
  ])('%s -> %p', (_name, tags, owned) => {
    expect(isOwned(ctx(), tags)).toBe(owned);
  });

  it('a resource left alone is reported once, with the reason', () => {
    const c = ctx();
    expect(mayDelete(c, 'fulfill-shop-ci-bus', {})).toBe(false);
    expect(mayDelete(c, 'fulfill-shop-ci-bus', [])).toBe(false);
    expect(
      mayDelete(
        c,
        'fulfill-shop-ci-dlq',
        tagMap([
          { Key: 'fulfill:app', Value: 'shop' },
          { Key: 'fulfill:stage', Value: 'ci' },
        ]),
      ),
    ).toBe(true);
    expect(c.skipped).toEqual([
      { resource: 'fulfill-shop-ci-bus', reason: 'not tagged fulfill:app/fulfill:stage for this stage' },
    ]);
  });
});

describe('ARNs the Tagging API returns', () => {
  it.each([
    ['arn:aws:lambda:eu-central-1:123456789012:function:fulfill-shop-ci-x', 'lambda', 'function', 'fulfill-shop-ci-x'],
    [
      'arn:aws:states:eu-central-1:123456789012:stateMachine:fulfill-shop-ci-workflow',
      'states',
      'stateMachine',
      'fulfill-shop-ci-workflow',
    ],
    [
      'arn:aws:events:eu-central-1:123456789012:event-bus/fulfill-shop-ci-bus',
      'events',
      'event-bus',
      'fulfill-shop-ci-bus',
    ],
    [
      'arn:aws:events:eu-central-1:123456789012:rule/fulfill-shop-ci-bus/fulfill-shop-ci-r',
      'events',
      'rule',
      'fulfill-shop-ci-r',
    ],
    ['arn:aws:sqs:eu-central-1:123456789012:fulfill-shop-ci-dlq', 'sqs', '', 'fulfill-shop-ci-dlq'],
    [
      'arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/fulfill-shop-ci-x:*',
      'logs',
      'log-group',
      '/aws/lambda/fulfill-shop-ci-x',
    ],
    [
      'arn:aws:logs:eu-central-1:123456789012:log-group:/aws/events/fulfill-shop-ci-events',
      'logs',
      'log-group',
      '/aws/events/fulfill-shop-ci-events',
    ],
    ['arn:aws:apigateway:eu-central-1::/restapis/abc123/stages/ci', 'apigateway', 'restapis', 'abc123'],
    ['arn:aws:iam::123456789012:role/fulfill-shop-ci-api-role', 'iam', 'role', 'fulfill-shop-ci-api-role'],
  ])('%s', (arn, service, type, name) => {
    expect(parseArn(arn)).toEqual({ arn, service, type, name });
  });

  it('ignores what it cannot read', () => {
    expect(parseArn('not-an-arn')).toBeUndefined();
    expect(parseArn('arn:aws:s3:::bucket')).toBeUndefined();
  });
});

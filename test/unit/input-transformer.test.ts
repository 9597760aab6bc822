import { describe, expect, it } from '@jest/globals';
import { applyInputTransformer, InvalidInputTransformerError, transformEventForTarget, validateInputTransformer, type InputTransformer } from '../../src/lib/events/transformer.js';

// Cases from the AWS documentation "Amazon EventBridge input transformation".
const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', count: 3, tags: { team: 'shop' }, note: 'say "hi"' },
};
const ctx = { ruleName: 'fulfill-shop-dev-rule', ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/bus/fulfill-shop-dev-rule', ingestionTime: '2015-11-11T21:29:55Z' };
const paths = { detail: '$.detail', instance: '$.detail.instance-id', state: '$.detail.state', count: '$.detail.count', tags: '$.detail.tags', note: '$.detail.note', resource: '$.resources[0]', type: "$['detail-type']", missing: '$.detail.nope' };

const cases: Array<[string, string, string]> = [
  ['the lesson: whole detail as Input', '{"Input": <detail>}', JSON.stringify({ Input: event.detail }).replace('{"Input":', '{"Input": ')],
  ['string outside quotes gets quotes', '{"instance": <instance>}', '{"instance": "i-0123456789"}'],
  ['string inside quotes is inserted as text', '{"msg": "instance <instance> is <state>"}', '{"msg": "instance i-0123456789 is RUNNING"}'],
  ['number outside quotes', '{"count": <count>}', '{"count": 3}'],
  ['object outside quotes', '{"tags": <tags>}', '{"tags": {"team":"shop"}}'],
  ['object inside quotes is escaped JSON', '{"tags": "<tags>"}', '{"tags": "{\\"team\\":\\"shop\\"}"}'],
  ['quotes in a value inside quotes are escaped', '{"note": "<note>"}', '{"note": "say \\"hi\\""}'],
  ['array index path', '{"r": <resource>}', '{"r": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}'],
  ['bracket path for a dashed key', '{"t": <type>}', '{"t": "EC2 Instance State-change Notification"}'],
  ['missing path outside quotes is null', '{"m": <missing>}', '{"m": null}'],
  ['missing path inside quotes is empty', '{"m": "<missing>"}', '{"m": ""}'],
  ['a JSON string template', '"<instance> is in state <state>"', '"i-0123456789 is in state RUNNING"'],
  ['a plain text template', '<instance> is in state <state>', 'i-0123456789 is in state RUNNING'],
  ['reserved rule name and arn', '{"rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>}', `{"rule": "${ctx.ruleName}", "arn": "${ctx.ruleArn}"}`],
  ['reserved ingestion time', '{"at": <aws.events.event.ingestion-time>}', `{"at": "${ctx.ingestionTime}"}`],
  ['reserved whole event', '{"e": <aws.events.event>}', `{"e": ${JSON.stringify(event)}}`],
  ['reserved whole event json', '{"e": <aws.events.event.json>}', `{"e": ${JSON.stringify(event)}}`],
  ['a "<" that is not a placeholder is left alone', '{"cmp": "1 < 2 and <state>"}', '{"cmp": "1 < 2 and RUNNING"}'],
];

describe('applyInputTransformer', () => {
  it.each(cases)('%s', (_name, template, expected) => {
    const t = validateInputTransformer({ InputPathsMap: paths, InputTemplate: template });
    expect(applyInputTransformer(t, event, ctx)).toBe(expected);
  });

  it('delivers the lesson transformer as {"Input": <detail>} to the target', () => {
    const t: InputTransformer = { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' };
    expect(transformEventForTarget(t, event, ctx)).toEqual({ Input: event.detail });
    expect(transformEventForTarget(undefined, event, ctx)).toBe(event);
    expect(transformEventForTarget({ InputPathsMap: { s: '$.detail.state' }, InputTemplate: 'state <s>' }, event, ctx)).toBe('state RUNNING');
  });
});

describe('validateInputTransformer refuses what PutTargets refuses', () => {
  it.each([
    ['no template', { InputPathsMap: {} }, /InputTemplate is required/],
    ['reserved key', { InputPathsMap: { 'aws.events.x': '$.a' }, InputTemplate: '<aws.events.x>' }, /reserved/],
    ['bad key', { InputPathsMap: { 'a b': '$.a' }, InputTemplate: '{}' }, /may contain only letters/],
    ['path not starting with $', { InputPathsMap: { a: 'detail.a' }, InputTemplate: '<a>' }, /must be a JSON path starting with "\$"/],
    ['malformed path', { InputPathsMap: { a: '$.a[x]' }, InputTemplate: '<a>' }, /invalid JSON path/],
    ['undefined placeholder', { InputPathsMap: { a: '$.a' }, InputTemplate: '{"b": <b>}' }, /uses <b>, which InputPathsMap does not define/],
    ['too many paths', { InputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.a'])), InputTemplate: '{}' }, /maximum is 100/],
    ['unknown field', { InputTemplate: '{}', Input: '{}' }, /unknown field "Input"/],
  ])('%s', (_name, value, reason) => {
    expect(() => validateInputTransformer(value)).toThrow(InvalidInputTransformerError);
    expect(() => validateInputTransformer(value)).toThrow(reason);
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  applyInputTransformer,
  InvalidInputTransformerError,
  transformEventForTarget,
  validateInputTransformer,
  type InputTransformer,
} from '../../src/lib/events/transformer.js';

// Templates and outputs come from the AWS EventBridge User Guide "Amazon EventBridge input transformation" (the EC2
// event, its Input Path and the table of Input Template examples) and the InputTransformer API reference. Cases marked
// "AWS-recorded" reproduce deliveries recorded against real EventBridge where the guide is silent.

/** "Input transformation": the example Amazon EC2 event. */
const event = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};

/** The guide's reserved-variable outputs use a rule named "example". */
const ctx = {
  ruleName: 'example',
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

/** The guide's Input Path: timestamp, instance, state and resource. */
const docsPaths = {
  timestamp: '$.time',
  instance: '$.detail.instance-id',
  state: '$.detail.state',
  resource: '$.resources[0]',
};

/** An order event for the value-shape cases (objects, numbers, arrays, quotes). */
const order = {
  ...event,
  'detail-type': 'OrderPlaced',
  source: 'fulfill.orders',
  detail: {
    orderId: 'o-42',
    total: 120.5,
    express: false,
    coupon: null,
    note: 'say "hi"\nbye',
    customer: { id: 'c-1', tier: 'gold' },
    items: [
      { sku: 'A1', qty: 2 },
      { sku: 'B2', qty: 1 },
    ],
  },
};
const orderPaths = {
  detail: '$.detail',
  orderId: '$.detail.orderId',
  total: '$.detail.total',
  express: '$.detail.express',
  coupon: '$.detail.coupon',
  note: '$.detail.note',
  customer: '$.detail.customer',
  firstSku: '$.detail.items[0].sku',
  skus: '$.detail.items[*].sku',
  items: '$.detail.items',
  missing: '$.detail.nope.deeper',
  all: '$',
};

type Case = [
  name: string,
  paths: Record<string, string>,
  template: string,
  source: Record<string, unknown>,
  expected: string,
];

const docsTable: Case[] = [
  [
    'docs: simple string',
    docsPaths,
    '"instance <instance> is in <state>"',
    event,
    '"instance i-0123456789 is in RUNNING"',
  ],
  [
    'docs: string with escaped quotes',
    docsPaths,
    '"instance \\"<instance>\\" is in <state>"',
    event,
    '"instance \\"i-0123456789\\" is in RUNNING"',
  ],
  [
    'docs: simple JSON',
    docsPaths,
    '{\n  "instance" : <instance>,\n  "state": <state>\n}',
    event,
    '{\n  "instance" : "i-0123456789",\n  "state": "RUNNING"\n}',
  ],
  [
    'docs: JSON with strings and variables',
    docsPaths,
    '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
    event,
    '{\n "instance" : "i-0123456789",\n "state": "RUNNING",\n "instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"\n}',
  ],
  [
    'docs: JSON with a mix of variables and static information',
    docsPaths,
    '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
    event,
    '{\n  "instance" : "i-0123456789",\n  "state": [ 9, "RUNNING", true ],\n  "Transformed" : "Yes"\n}',
  ],
  [
    'docs: reserved rule ARN and name in JSON',
    docsPaths,
    '{"instance" : <instance>, "ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>}',
    event,
    '{"instance" : "i-0123456789", "ruleArn" : "arn:aws:events:us-east-2:123456789012:rule/example", "ruleName" : "example"}',
  ],
  ['docs: reserved variable in a string', {}, '"<aws.events.rule-name> triggered"', event, '"example triggered"'],
  [
    'docs: array index in the Input Path ($.resources[0])',
    docsPaths,
    '{"resource": <resource>}',
    event,
    '{"resource": "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"}',
  ],
  [
    'API reference: free-text template',
    docsPaths,
    '<instance> is in state <state>',
    event,
    'i-0123456789 is in state RUNNING',
  ],
  [
    'API reference: free text with quote marks',
    docsPaths,
    '<instance> is in state "<state>"',
    event,
    'i-0123456789 is in state "RUNNING"',
  ],
  [
    'API reference: JSON with variables in quotes or out',
    docsPaths,
    '{"myInstance": <instance>,"myStatus": "<instance> is in state \\"<state>\\""}',
    event,
    '{"myInstance": "i-0123456789","myStatus": "i-0123456789 is in state \\"RUNNING\\""}',
  ],
  [
    'reserved ingestion time',
    {},
    '{"at": <aws.events.event.ingestion-time>, "text": "at <aws.events.event.ingestion-time>"}',
    event,
    '{"at": "2015-11-11T21:29:55Z", "text": "at 2015-11-11T21:29:55Z"}',
  ],
];

const recorded: Case[] = [
  [
    'AWS-recorded: string template, every path found',
    { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.state' },
    '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
    event,
    '"Event of EC2 Instance State-change Notification type, at time 2015-11-11T21:29:54Z, info extracted from detail RUNNING"',
  ],
  [
    'AWS-recorded: a missing path inside quotes becomes empty text',
    { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.notinmessage' },
    '"Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>"',
    event,
    '"Event of EC2 Instance State-change Notification type, at time 2015-11-11T21:29:54Z, info extracted from detail "',
  ],
  [
    'AWS-recorded: a missing path outside quotes becomes an empty string',
    { 'detail-type': '$.detail-type', timestamp: '$.time', command: '$.detail.notinmessage' },
    '{"detailType": <detail-type>,  "time": <timestamp>, "command": <command>}',
    event,
    '{"detailType": "EC2 Instance State-change Notification",  "time": "2015-11-11T21:29:54Z", "command": ""}',
  ],
  [
    'AWS-recorded: a string template starting with special characters stays a string',
    { 'detail-type': '$.detail-type' },
    '"{[/Check with special starting characters for event of <detail-type> type"',
    event,
    '"{[/Check with special starting characters for event of EC2 Instance State-change Notification type"',
  ],
];

const valueShapes: Case[] = [
  [
    'the lesson: {"Input": <detail>} inserts the detail object',
    { detail: '$.detail' },
    '{"Input": <detail>}',
    order,
    `{"Input": ${JSON.stringify(order.detail)}}`,
  ],
  ['a number outside quotes stays a number', orderPaths, '{"total": <total>}', order, '{"total": 120.5}'],
  [
    'a number inside quotes becomes text',
    orderPaths,
    '{"label": "total <total> EUR"}',
    order,
    '{"label": "total 120.5 EUR"}',
  ],
  ['a boolean outside quotes', orderPaths, '{"express": <express>}', order, '{"express": false}'],
  ['a null value outside quotes is null', orderPaths, '{"coupon": <coupon>}', order, '{"coupon": null}'],
  [
    'an object outside quotes is inserted as minified JSON',
    orderPaths,
    '{"who": <customer>}',
    order,
    '{"who": {"id":"c-1","tier":"gold"}}',
  ],
  [
    'an object inside quotes is inserted as escaped JSON',
    orderPaths,
    '{"who": "<customer>"}',
    order,
    '{"who": "{\\"id\\":\\"c-1\\",\\"tier\\":\\"gold\\"}"}',
  ],
  [
    'an array outside quotes',
    orderPaths,
    '{"items": <items>}',
    order,
    '{"items": [{"sku":"A1","qty":2},{"sku":"B2","qty":1}]}',
  ],
  [
    'quotes and newlines in a string inside quotes are escaped',
    orderPaths,
    '{"note": "<note>"}',
    order,
    '{"note": "say \\"hi\\"\\nbye"}',
  ],
  [
    'quotes and newlines in a string outside quotes are escaped',
    orderPaths,
    '{"note": <note>}',
    order,
    '{"note": "say \\"hi\\"\\nbye"}',
  ],
  ['a nested path with an index: $.detail.items[0].sku', orderPaths, '{"first": <firstSku>}', order, '{"first": "A1"}'],
  [
    'a wildcard path collects every match: $.detail.items[*].sku',
    orderPaths,
    '{"skus": <skus>}',
    order,
    '{"skus": ["A1","B2"]}',
  ],
  ['"$" is the whole event', { all: '$' }, '{"e": <all>}', order, `{"e": ${JSON.stringify(order)}}`],
  ['a path missing part-way becomes an empty string', orderPaths, '{"m": <missing>}', order, '{"m": ""}'],
  ['a JSON array template', orderPaths, '[<orderId>, <total>, "<orderId>"]', order, '["o-42", 120.5, "o-42"]'],
  [
    'free text: strings as they are, other values as JSON',
    orderPaths,
    'Order <orderId> placed for <total> by <customer>',
    order,
    'Order o-42 placed for 120.5 by {"id":"c-1","tier":"gold"}',
  ],
  ['free text: a missing path is empty', orderPaths, 'Order <orderId> coupon=<missing>.', order, 'Order o-42 coupon=.'],
  [
    'a "<" that is not a placeholder is left alone',
    orderPaths,
    '{"cmp": "1 < 2 and <orderId>"}',
    order,
    '{"cmp": "1 < 2 and o-42"}',
  ],
  ['the same placeholder several times', orderPaths, '"<orderId>/<orderId>"', order, '"o-42/o-42"'],
];

describe('applyInputTransformer', () => {
  describe.each([
    ['the input transformation guide', docsTable],
    ['deliveries recorded on AWS', recorded],
    ['value shapes', valueShapes],
  ])('%s', (_group, cases) => {
    it.each(cases)('%s', (_name, paths, template, source, expected) => {
      const transformer = validateInputTransformer({ InputPathsMap: paths, InputTemplate: template });
      expect(applyInputTransformer(transformer, source, ctx)).toBe(expected);
    });
  });

  it('AWS-recorded: <aws.events.event> is the event without detail, with detailType and the ingestion time', () => {
    const transformer = validateInputTransformer({
      InputTemplate: '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}',
    });
    const delivered = JSON.parse(applyInputTransformer(transformer, event, ctx)) as Record<string, unknown>;
    expect(delivered.originalEvent).toEqual({
      version: '0',
      id: event.id,
      detailType: 'EC2 Instance State-change Notification',
      source: 'aws.ec2',
      account: '123456789012',
      time: ctx.ingestionTime,
      region: 'us-east-1',
      resources: event.resources,
    });
    expect(delivered.originalEventJson).toEqual(event);
  });

  it('docs: <aws.events.event.json> is inserted unescaped, even inside quotes ("its contents are not escaped")', () => {
    const transformer = validateInputTransformer({ InputTemplate: '"<aws.events.event.json>"' });
    expect(applyInputTransformer(transformer, event, ctx)).toBe(`"${JSON.stringify(event)}"`);
  });

  it('the ingestion time defaults to the event time', () => {
    const transformer = validateInputTransformer({ InputTemplate: '"<aws.events.event.ingestion-time>"' });
    expect(applyInputTransformer(transformer, event, { ruleName: 'r', ruleArn: 'arn' })).toBe('"2015-11-11T21:29:54Z"');
  });
});

describe('transformEventForTarget', () => {
  it('delivers the lesson transformer as {"Input": detail}', () => {
    const lesson: InputTransformer = { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' };
    expect(transformEventForTarget(lesson, order, ctx)).toEqual({ Input: order.detail });
  });

  it.each<[string, InputTransformer | undefined, unknown]>([
    ['no transformer: the event itself', undefined, event],
    [
      'a JSON template: the parsed JSON',
      { InputPathsMap: docsPaths, InputTemplate: '{"instance": <instance>, "state": [9, <state>]}' },
      { instance: 'i-0123456789', state: [9, 'RUNNING'] },
    ],
    [
      'a JSON string template: the string',
      { InputPathsMap: docsPaths, InputTemplate: '"instance <instance> is in <state>"' },
      'instance i-0123456789 is in RUNNING',
    ],
    [
      'a free-text template: the text',
      { InputPathsMap: docsPaths, InputTemplate: '<instance> is in state <state>' },
      'i-0123456789 is in state RUNNING',
    ],
  ])('%s', (_name, transformer, expected) => {
    expect(transformEventForTarget(transformer, event, ctx)).toEqual(expected);
  });

  it('returns the very event object when there is no transformer', () => {
    expect(transformEventForTarget(undefined, event, ctx)).toBe(event);
  });
});

type Invalid = [name: string, transformer: unknown, reason: RegExp];

const invalid: Invalid[] = [
  ['not an object', 'InputTemplate', /must be an object/],
  ['no InputTemplate', { InputPathsMap: { instance: '$.detail.instance-id' } }, /InputTemplate is required/],
  ['an empty InputTemplate', { InputTemplate: '' }, /InputTemplate is required and must be a non-empty string/],
  ['an InputTemplate that is not a string', { InputTemplate: { Input: 1 } }, /InputTemplate is required/],
  ['an InputTemplate over 8192 characters', { InputTemplate: `"${'x'.repeat(8192)}"` }, /the maximum is 8192/],
  ['an unknown field', { InputTemplate: '{}', Input: '{}' }, /unknown field "Input"/],
  [
    'InputPathsMap that is an array',
    { InputPathsMap: ['$.detail'], InputTemplate: '{}' },
    /InputPathsMap must be an object/,
  ],
  [
    'more than 100 paths',
    {
      InputPathsMap: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, '$.detail'])),
      InputTemplate: '{}',
    },
    /101 entries; the maximum is 100/,
  ],
  [
    'a reserved variable name as a key',
    { InputPathsMap: { 'aws.events.rule-name': '$.detail' }, InputTemplate: '<aws.events.rule-name>' },
    /key "aws\.events\.rule-name" is reserved/,
  ],
  [
    'a key starting with "AWS."',
    { InputPathsMap: { 'AWS.mine': '$.detail' }, InputTemplate: '{}' },
    /cannot start with "AWS\."/,
  ],
  [
    'a key with a space',
    { InputPathsMap: { 'my key': '$.detail' }, InputTemplate: '{}' },
    /may contain only letters, digits, "-" and "_"/,
  ],
  [
    'a key with a dot',
    { InputPathsMap: { 'a.b': '$.detail' }, InputTemplate: '{}' },
    /may contain only letters, digits/,
  ],
  [
    'a key longer than 256 characters',
    { InputPathsMap: { [`k${'x'.repeat(256)}`]: '$.detail' }, InputTemplate: '{}' },
    /at most 256/,
  ],
  [
    'a path not starting with "$"',
    { InputPathsMap: { state: 'detail.state' }, InputTemplate: '<state>' },
    /must be a JSON path starting with "\$"/,
  ],
  [
    'a path that is not a string',
    { InputPathsMap: { state: 5 }, InputTemplate: '<state>' },
    /must be a JSON path starting with "\$"/,
  ],
  [
    'docs: bracket notation instead of dot notation',
    { InputPathsMap: { type: "$['detail-type']" }, InputTemplate: '<type>' },
    /uses bracket notation .* requires JSON dot notation/,
  ],
  [
    'a malformed index',
    { InputPathsMap: { a: '$.detail.items[x]' }, InputTemplate: '<a>' },
    /is not a valid JSON path/,
  ],
  [
    'a path longer than 256 characters',
    { InputPathsMap: { a: `$.${'a'.repeat(256)}` }, InputTemplate: '<a>' },
    /longer than 256 characters/,
  ],
  [
    'AWS-recorded: a placeholder InputPathsMap does not define',
    {
      InputPathsMap: { 'detail-type': '$.detail-type' },
      InputTemplate: '"Event of <detail-type> type, with not defined key <notdefinedkey>"',
    },
    /InputTemplate uses <notdefinedkey>, which InputPathsMap does not define/,
  ],
  [
    'a placeholder without any InputPathsMap',
    { InputTemplate: '{"Input": <detail>}' },
    /uses <detail>, which InputPathsMap does not define/,
  ],
  ['an unknown aws.events variable', { InputTemplate: '{"x": <aws.events.rule-id>}' }, /uses <aws\.events\.rule-id>/],
  [
    'API reference: a placeholder as an object key',
    { InputPathsMap: docsPaths, InputTemplate: '{<instance>: "x"}' },
    /<instance> as an object key/,
  ],
  [
    'API reference: a placeholder inside a quoted object key',
    { InputPathsMap: docsPaths, InputTemplate: '{"ok": 1, "<instance>": "x"}' },
    /<instance> as an object key/,
  ],
];

describe('validateInputTransformer refuses what PutTargets refuses', () => {
  it.each(invalid)('%s', (_name, transformer, reason) => {
    let error: unknown;
    try {
      validateInputTransformer(transformer);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputTransformerError);
    expect((error as Error).name).toBe('ValidationException');
    expect((error as Error).message).toMatch(reason);
  });

  it.each<[string, unknown]>([
    [
      'AWS-recorded: predefined variables without InputPathsMap',
      {
        InputTemplate:
          '"Message containing all pre defined variables <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"',
      },
    ],
    ['the lesson transformer', { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' }],
    [
      'exactly 100 paths',
      {
        InputPathsMap: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, '$.detail'])),
        InputTemplate: '{}',
      },
    ],
    [
      'docs: dashes, underscores, forward slashes, indices and wildcards in paths',
      {
        InputPathsMap: {
          a: '$.detail-type',
          b: '$.detail.my_field/sub',
          c: '$.resources[0]',
          d: '$.detail.items[*].sku',
          e: '$.detail.*',
        },
        InputTemplate: '[<a>, <b>, <c>, <d>, <e>]',
      },
    ],
    [
      'a placeholder as a value next to keys',
      { InputPathsMap: docsPaths, InputTemplate: '{"a": {"b": <instance>}, "c": [<state>, {"d": <state>}]}' },
    ],
    ['unused paths', { InputPathsMap: docsPaths, InputTemplate: '"static"' }],
  ])('accepts %s', (_name, transformer) => {
    expect(() => validateInputTransformer(transformer)).not.toThrow();
  });

  it('returns a clean copy of the transformer', () => {
    const raw = { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' };
    const clean = validateInputTransformer(raw);
    expect(clean).toEqual(raw);
    expect(clean).not.toBe(raw);
    expect(validateInputTransformer({ InputTemplate: '"x"' })).toEqual({ InputTemplate: '"x"' });
  });
});

// Conformance table for input transformers: every row of the EventBridge User Guide's "Input transform examples"
// table (eb-transform-target-input, "Amazon EventBridge input transformation") and each predefined variable it lists.
// Facts from the guide, restated as data: the example EC2 event, its Input Path, each Input Template and its output.

export const guideEvent = {
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

/** The guide's Input Path. */
export const guidePaths = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };

/** The guide's outputs name a rule "example" in us-east-2. */
export const guideRule = {
  ruleName: 'example',
  ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
  ingestionTime: '2015-11-11T21:29:55Z',
};

export interface TransformCase {
  /** The guide's row description, or the predefined variable. */
  row: string;
  template: string;
  /** The delivered text exactly (string templates), or */
  text?: string;
  /** the delivered JSON, compared as JSON: the guide notes "The JSON that is passed to the target is minified". */
  json?: unknown;
  /** Set where the guide's output column is not what the target receives; README.md says why. */
  difference?: string;
}

/** <aws.events.event>: the event without detail (the guide: "original event payload ... without the detail field"). */
const eventWithoutDetail = {
  version: '0',
  id: guideEvent.id,
  detailType: 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: guideRule.ingestionTime,
  region: 'us-east-1',
  resources: guideEvent.resources,
};

export const inputTransformCases: readonly TransformCase[] = [
  {
    row: 'Simple string',
    template: '"instance <instance> is in <state>"',
    text: '"instance i-0123456789 is in RUNNING"',
  },
  {
    row: 'String with escaped quotes',
    template: '"instance \\"<instance>\\" is in <state>"',
    text: '"instance \\"i-0123456789\\" is in RUNNING"',
  },
  {
    row: 'Simple JSON',
    template: '{\n  "instance" : <instance>,\n  "state": <state>\n}',
    json: { instance: 'i-0123456789', state: 'RUNNING' },
  },
  {
    row: 'JSON with strings and variables',
    template:
      '{\n "instance" : <instance>,\n "state": "<state>",\n "instanceStatus": "instance \\"<instance>\\" is in <state>"\n}',
    json: { instance: 'i-0123456789', state: 'RUNNING', instanceStatus: 'instance "i-0123456789" is in RUNNING' },
  },
  {
    row: 'JSON with a mix of variables and static information',
    template: '{\n  "instance" : <instance>,\n  "state": [ 9, <state>, true ],\n  "Transformed" : "Yes"\n}',
    json: { instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' },
  },
  {
    row: 'Including reserved variables in JSON',
    template:
      '{\n  "instance" : <instance>,\n  "state": <state>,\n  "ruleArn" : <aws.events.rule-arn>,\n  "ruleName" : <aws.events.rule-name>,\n  "originalEvent" : <aws.events.event>\n}',
    json: {
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: guideRule.ruleArn,
      ruleName: 'example',
      originalEvent: eventWithoutDetail,
    },
  },
  {
    row: 'Including reserved variables in a string',
    template: '"<aws.events.rule-name> triggered"',
    text: '"example triggered"',
  },
  {
    row: 'Amazon CloudWatch log group',
    template: '{\n  "timestamp" : <timestamp>,\n  "message": "instance \\"<instance>\\" is in <state>"\n}',
    json: { timestamp: '2015-11-11T21:29:54Z', message: 'instance "i-0123456789" is in RUNNING' },
    difference: 'cloudwatch-log-row',
  },
  // Predefined variables.
  { row: 'aws.events.rule-arn', template: '{"arn": <aws.events.rule-arn>}', json: { arn: guideRule.ruleArn } },
  { row: 'aws.events.rule-name', template: '"rule <aws.events.rule-name>"', text: '"rule example"' },
  {
    row: 'aws.events.event.ingestion-time',
    template: '{"at": <aws.events.event.ingestion-time>}',
    json: { at: guideRule.ingestionTime },
  },
  { row: 'aws.events.event', template: '{"e": <aws.events.event>}', json: { e: eventWithoutDetail } },
  { row: 'aws.events.event.json', template: '{"e": <aws.events.event.json>}', json: { e: guideEvent } },
];

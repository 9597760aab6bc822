import type { Blueprint } from '../blueprint/blueprint.js';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{ Sid?: string; Effect: 'Allow'; Action: string | string[]; Resource?: string | string[]; Principal?: Record<string, string | string[]>; Condition?: Record<string, Record<string, string | string[]>> }>;
}

export type RoleKind = 'functions' | 'states' | 'api';

export interface RoleSpec {
  kind: RoleKind;
  name: string;
  service: string;
  trust: PolicyDocument;
  policy: PolicyDocument;
}

/** Trust policy for one service principal, limited to this account (confused-deputy protection). */
function trust(service: string, account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': account } } }],
  };
}

/** The log group and queue names, shared by the deployer and `logs`/`destroy`. */
export function awsResourceNames(blueprint: Pick<Blueprint, 'names'>) {
  const { names } = blueprint;
  return {
    functionLogGroup: (handler: string) => `/aws/lambda/${names.functionName(handler)}`,
    stateMachineLogGroup: `/aws/vendedlogs/states/${names.stateMachineName()}`,
    eventLogGroup: `/aws/events/${names.resource('events')}`,
    deadLetterQueue: names.resource('dlq'),
    catchAllRule: names.resource('all-events'),
    /** The CloudWatch Logs resource policy that lets the catch-all rule write to the event log group. */
    eventLogsPolicy: names.resource('events-to-logs'),
  };
}

/**
 * Least-privilege roles: no `*` action anywhere, every resource named, except where AWS offers no resource-level
 * permission (X-Ray trace upload, and the CloudWatch Logs "log delivery" actions Step Functions logging needs):
 * those statements use `*` and say so. The functions write only to their own log groups, which the deployer
 * creates (with retention and tags), so the role needs no logs:CreateLogGroup.
 */
export function roleSpecs(blueprint: Blueprint, account: string): RoleSpec[] {
  const { names, region } = blueprint;
  const res = awsResourceNames(blueprint);
  const logGroupArn = (group: string) => `arn:aws:logs:${region}:${account}:log-group:${group}:*`;
  // X-Ray: PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS requires "*".
  const xray = { Sid: 'Tracing', Effect: 'Allow' as const, Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
  const functionStatements: PolicyDocument['Statement'] = [
    { Sid: 'OwnLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: blueprint.handlers.map((h) => logGroupArn(res.functionLogGroup(h.name))) },
    xray,
  ];
  if (blueprint.mode === 'events') {
    functionStatements.push({ Sid: 'PublishOnAppBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: names.busArn(account) });
    // Lambda delivers failed asynchronous invocations (the on-failure destination) with the function's role.
    functionStatements.push({ Sid: 'AsyncFailures', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:${region}:${account}:${res.deadLetterQueue}` });
  }
  const specs: RoleSpec[] = [
    { kind: 'functions', name: names.roleName('functions'), service: 'lambda.amazonaws.com', trust: trust('lambda.amazonaws.com', account), policy: { Version: '2012-10-17', Statement: functionStatements } },
  ];
  if (blueprint.mode === 'orchestration') {
    specs.push({
      kind: 'states',
      name: names.roleName('states'),
      service: 'states.amazonaws.com',
      trust: trust('states.amazonaws.com', account),
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'InvokeAppFunctions', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: blueprint.handlers.map((h) => names.functionArn(h.name, account)) },
          // Step Functions logging goes through CloudWatch Logs "log delivery": these actions support no
          // resource-level permissions, so AWS documents them with Resource "*" (the only "*" resource here).
          { Sid: 'LogDelivery', Effect: 'Allow', Action: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'], Resource: '*' },
          xray,
        ],
      },
    });
  }
  specs.push({
    kind: 'api',
    name: names.roleName('api'),
    service: 'apigateway.amazonaws.com',
    trust: trust('apigateway.amazonaws.com', account),
    policy: {
      Version: '2012-10-17',
      Statement: [
        blueprint.mode === 'orchestration'
          ? { Sid: 'StartOrders', Effect: 'Allow', Action: 'states:StartExecution', Resource: names.stateMachineArn(account) }
          : { Sid: 'PublishOrders', Effect: 'Allow', Action: 'events:PutEvents', Resource: names.busArn(account) },
      ],
    },
  });
  return specs;
}

/** Queue policy: only EventBridge, only for this app's rules, may send dead letters. */
export function deadLetterQueuePolicy(blueprint: Blueprint, account: string, queueArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: { ArnLike: { 'aws:SourceArn': `arn:aws:events:${blueprint.region}:${account}:rule/${blueprint.names.busName()}/${blueprint.names.resource('*')}` } },
      },
    ],
  };
}

/** CloudWatch Logs resource policy letting EventBridge write the catch-all rule's events to the app's log group. */
export function eventLogsResourcePolicy(blueprint: Blueprint, account: string): PolicyDocument {
  const res = awsResourceNames(blueprint);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeToLogs',
        Effect: 'Allow',
        // EventBridge writes to CloudWatch Logs targets through the log delivery service.
        Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `arn:aws:logs:${blueprint.region}:${account}:log-group:${res.eventLogGroup}:*`,
        Condition: { ArnEquals: { 'aws:SourceArn': blueprint.names.ruleArn('all-events', account) } },
      },
    ],
  };
}

import type { Blueprint } from '../blueprint/blueprint.js';
import type { Naming, RoleKind } from '../blueprint/naming.js';

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<{
    Sid?: string;
    Effect: 'Allow';
    Action: string | string[];
    Resource?: string | string[];
    Principal?: Record<string, string | string[]>;
    Condition?: Record<string, Record<string, string | string[]>>;
  }>;
}

export type { RoleKind };

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
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': account } },
      },
    ],
  };
}

/**
 * Least-privilege roles: no `*` action anywhere, every resource named, except where AWS offers no resource-level
 * permission (X-Ray trace upload, and the CloudWatch Logs "log delivery" actions Step Functions logging needs):
 * those statements use `*` and say so. The functions write only to their own log groups, which the deployer
 * creates (with retention and tags), so the role needs no logs:CreateLogGroup.
 */
export function roleSpecs(blueprint: Blueprint, names: Naming): RoleSpec[] {
  const { account } = names;
  // X-Ray: PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS requires "*".
  const xray = {
    Sid: 'Tracing',
    Effect: 'Allow' as const,
    Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    Resource: '*',
  };
  const functionStatements: PolicyDocument['Statement'] = [
    {
      Sid: 'OwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: blueprint.handlers.map((h) => names.logGroupStreamsArn(names.functionLogGroup(h.name))),
    },
    xray,
  ];
  functionStatements.push(...handlerPermissions(blueprint, names));
  if (blueprint.mode === 'events') {
    functionStatements.push({
      Sid: 'PublishOnAppBus',
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: names.busArn(),
    });
    // Lambda delivers failed asynchronous invocations (the on-failure destination) with the function's role.
    functionStatements.push({
      Sid: 'AsyncFailures',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: names.deadLetterQueueArn(),
    });
  }
  const specs: RoleSpec[] = [
    {
      kind: 'functions',
      name: names.roleName('functions'),
      service: 'lambda.amazonaws.com',
      trust: trust('lambda.amazonaws.com', account),
      policy: { Version: '2012-10-17', Statement: functionStatements },
    },
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
          {
            Sid: 'InvokeAppFunctions',
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: blueprint.handlers.map((h) => names.functionArn(h.name)),
          },
          // Step Functions logging goes through CloudWatch Logs "log delivery": these actions support no
          // resource-level permissions, so AWS documents them with Resource "*" (the only "*" resource here).
          {
            Sid: 'LogDelivery',
            Effect: 'Allow',
            Action: [
              'logs:CreateLogDelivery',
              'logs:GetLogDelivery',
              'logs:UpdateLogDelivery',
              'logs:DeleteLogDelivery',
              'logs:ListLogDeliveries',
              'logs:PutResourcePolicy',
              'logs:DescribeResourcePolicies',
              'logs:DescribeLogGroups',
            ],
            Resource: '*',
          },
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
          ? { Sid: 'StartOrders', Effect: 'Allow', Action: 'states:StartExecution', Resource: names.stateMachineArn() }
          : { Sid: 'PublishOrders', Effect: 'Allow', Action: 'events:PutEvents', Resource: names.busArn() },
      ],
    },
  });
  return specs;
}

/**
 * The permissions `functions.permissions` in fulfill.config.json asks for, one statement per entry, named after
 * its handler. `${account}` and `${region}` in a resource are the stage's.
 */
function handlerPermissions(blueprint: Blueprint, names: Naming): PolicyDocument['Statement'] {
  return Object.entries(blueprint.config.functions.permissions ?? {}).flatMap(([handler, entries]) =>
    entries.map((entry, i) => ({
      Sid: handlerPermissionSid(handler, i),
      Effect: 'Allow' as const,
      Action: entry.actions.length === 1 ? entry.actions[0] : entry.actions,
      Resource: entry.resources.map((r) =>
        r.replaceAll('${account}', names.account).replaceAll('${region}', names.region),
      ),
    })),
  );
}

/** The Sid of the `i`th `functions.permissions.<handler>` entry: `AuthorizePayment1` (Sids are alphanumeric). */
export function handlerPermissionSid(handler: string, i: number): string {
  return `${handler.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, _sep: string, c: string) => c.toUpperCase())}${i + 1}`;
}

/**
 * What the functions' resource-based policies let EventBridge do, as one document (the deployer adds each
 * statement with AddPermission): each rule invokes its target, from this account.
 */
export function eventBridgeInvokePolicy(blueprint: Blueprint, names: Naming): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: (blueprint.events?.rules ?? []).map((rule) => ({
      Sid: names.resource(rule.name),
      Effect: 'Allow' as const,
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: names.functionArn(rule.target),
      Condition: {
        ArnLike: { 'AWS:SourceArn': names.ruleArn(rule.name) },
        StringEquals: { 'AWS:SourceAccount': names.account },
      },
    })),
  };
}

/** Queue policy: only EventBridge, only for this app's rules, may send dead letters. */
export function deadLetterQueuePolicy(names: Naming): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: names.deadLetterQueueArn(),
        Condition: { ArnLike: { 'aws:SourceArn': names.ruleArn('*') } },
      },
    ],
  };
}

/** CloudWatch Logs resource policy letting EventBridge write the catch-all rule's events to the app's log group. */
export function eventLogsResourcePolicy(names: Naming): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'EventBridgeToLogs',
        Effect: 'Allow',
        // EventBridge writes to CloudWatch Logs targets through the log delivery service.
        Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: names.logGroupStreamsArn(names.eventLogGroup()),
        Condition: { ArnEquals: { 'aws:SourceArn': names.ruleArn(names.catchAllRule) } },
      },
    ],
  };
}

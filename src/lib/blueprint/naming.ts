/**
 * Every resource name and ARN, one place for both executors: AWS resources are `fulfill-<app>-<stage>-<part>`,
 * and the local target uses the same names (and ARNs shaped like AWS's) so logs and outcomes read the same.
 * Names do not depend on the account; ARNs do, so they exist only on a `Naming` bound to an explicit account.
 */

/** The account the local target writes into its ARNs (AWS's documentation placeholder). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export type RoleKind = 'functions' | 'states' | 'api';

/** The names of one app's stage: the same in every account. */
export interface StageNames {
  readonly app: string;
  readonly stage: string;
  readonly region: string;
  /** `fulfill-<app>-<stage>-`: every name of the stage starts with it. */
  readonly prefix: string;
  resource(part: string): string;
  functionName(handler: string): string;
  stateMachineName(): string;
  busName(): string;
  apiName(): string;
  roleName(kind: RoleKind): string;
  /** The log group Lambda writes a handler's function logs to. */
  functionLogGroup(handler: string): string;
  stateMachineLogGroup(): string;
  /** Where the catch-all rule writes every event on the bus (read by `logs`, `trace`, `send-order --wait`). */
  eventLogGroup(): string;
  deadLetterQueue(): string;
  /** The name prefixes of every log group of the stage (function, state machine and event logs). */
  logGroupPrefixes(): string[];
  /** The rule part of the catch-all rule (a rule name is `resource(part)`, like the event flow's rules). */
  readonly catchAllRule: string;
  /** The CloudWatch Logs resource policy that lets the catch-all rule write to the event log group. */
  eventLogsPolicy(): string;
  inAccount(account: string): Naming;
}

/** The names and ARNs of one app's stage in one account. */
export interface Naming extends StageNames {
  readonly account: string;
  functionArn(handler: string): string;
  stateMachineArn(): string;
  executionArn(executionName: string): string;
  busArn(): string;
  /** A rule of the event flow by its part (`ruleArn('*')` matches all of the stage's rules). */
  ruleArn(rulePart: string): string;
  roleArn(kind: RoleKind): string;
  deadLetterQueueArn(): string;
  /** A log group's ARN as EventBridge targets and tagging name it. */
  logGroupArn(group: string): string;
  /** The ARN IAM statements and Step Functions logging use for a log group's streams: `...:log-group:<name>:*`. */
  logGroupStreamsArn(group: string): string;
  restApiArn(apiId: string): string;
}

const STATE_MACHINE_LOGS = '/aws/vendedlogs/states/';
const EVENT_LOGS = '/aws/events/';

/** Lambda's log group for a function (by its full name). */
export function lambdaLogGroup(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** An API Gateway AWS-service integration's URI: the action it calls (`states:action/StartExecution`, ...). */
export function serviceActionUri(region: string, service: 'states' | 'events', action: string): string {
  return `arn:aws:apigateway:${region}:${service}:action/${action}`;
}

export function stageNames(app: string, stage: string, region: string): StageNames {
  const prefix = `fulfill-${app}-${stage}-`;
  const resource = (part: string) => `${prefix}${part}`;
  const names: StageNames = {
    app,
    stage,
    region,
    prefix,
    resource,
    functionName: (handler) => resource(handler),
    stateMachineName: () => resource('workflow'),
    busName: () => resource('bus'),
    apiName: () => resource('api'),
    roleName: (kind) => resource(`${kind}-role`),
    functionLogGroup: (handler) => lambdaLogGroup(resource(handler)),
    // Step Functions: log groups under /aws/vendedlogs/ keep the account's logs resource policy small.
    stateMachineLogGroup: () => `${STATE_MACHINE_LOGS}${resource('workflow')}`,
    eventLogGroup: () => `${EVENT_LOGS}${resource('events')}`,
    deadLetterQueue: () => resource('dlq'),
    logGroupPrefixes: () => [lambdaLogGroup(prefix), `${STATE_MACHINE_LOGS}${prefix}`, `${EVENT_LOGS}${prefix}`],
    catchAllRule: 'all-events',
    eventLogsPolicy: () => resource('events-to-logs'),
    inAccount: (account) => naming(app, stage, region, account),
  };
  return names;
}

export function naming(app: string, stage: string, region: string, account: string): Naming {
  if (!/^\d{12}$/.test(account))
    throw new Error(`naming: an AWS account id has 12 digits (got ${JSON.stringify(account)})`);
  const names = stageNames(app, stage, region);
  const arn = (service: string, rest: string) => `arn:aws:${service}:${region}:${account}:${rest}`;
  const logGroupArn = (group: string) => arn('logs', `log-group:${group}`);
  return {
    ...names,
    account,
    inAccount: (other) => naming(app, stage, region, other),
    functionArn: (handler) => arn('lambda', `function:${names.functionName(handler)}`),
    stateMachineArn: () => arn('states', `stateMachine:${names.stateMachineName()}`),
    executionArn: (name) => arn('states', `execution:${names.stateMachineName()}:${name}`),
    busArn: () => arn('events', `event-bus/${names.busName()}`),
    // EventBridge: rules on a custom bus have ARNs `rule/<bus>/<rule>`.
    ruleArn: (rulePart) => arn('events', `rule/${names.busName()}/${names.resource(rulePart)}`),
    // IAM is global: no region in its ARNs.
    roleArn: (kind) => `arn:aws:iam::${account}:role/${names.roleName(kind)}`,
    deadLetterQueueArn: () => arn('sqs', names.deadLetterQueue()),
    logGroupArn,
    logGroupStreamsArn: (group) => `${logGroupArn(group)}:*`,
    // API Gateway: REST API ARNs have no account.
    restApiArn: (apiId) => `arn:aws:apigateway:${region}::/restapis/${apiId}`,
  };
}

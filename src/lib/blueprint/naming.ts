/**
 * Resource names, one place for both executors: AWS resources are `fulfill-<app>-<stage>-<part>`, and the
 * local target uses the same names (and ARNs shaped like AWS's) so logs and outcomes read the same.
 */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface Naming {
  readonly app: string;
  readonly stage: string;
  readonly region: string;
  resource(part: string): string;
  functionName(handler: string): string;
  stateMachineName(): string;
  busName(): string;
  apiName(): string;
  roleName(kind: 'functions' | 'states' | 'api'): string;
  functionArn(handler: string, account?: string): string;
  stateMachineArn(account?: string): string;
  executionArn(executionName: string, account?: string): string;
  busArn(account?: string): string;
  ruleArn(ruleName: string, account?: string): string;
}

export function naming(app: string, stage: string, region: string): Naming {
  const resource = (part: string) => `fulfill-${app}-${stage}-${part}`;
  return {
    app,
    stage,
    region,
    resource,
    functionName: (handler) => resource(handler),
    stateMachineName: () => resource('workflow'),
    busName: () => resource('bus'),
    apiName: () => resource('api'),
    roleName: (kind) => resource(`${kind}-role`),
    functionArn: (handler, account = LOCAL_ACCOUNT_ID) => `arn:aws:lambda:${region}:${account}:function:${resource(handler)}`,
    stateMachineArn: (account = LOCAL_ACCOUNT_ID) => `arn:aws:states:${region}:${account}:stateMachine:${resource('workflow')}`,
    executionArn: (name, account = LOCAL_ACCOUNT_ID) => `arn:aws:states:${region}:${account}:execution:${resource('workflow')}:${name}`,
    busArn: (account = LOCAL_ACCOUNT_ID) => `arn:aws:events:${region}:${account}:event-bus/${resource('bus')}`,
    // EventBridge: rules on a custom bus have ARNs `rule/<bus>/<rule>`.
    ruleArn: (ruleName, account = LOCAL_ACCOUNT_ID) => `arn:aws:events:${region}:${account}:rule/${resource('bus')}/${resource(ruleName)}`,
  };
}

import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import * as apigw from '@aws-sdk/client-api-gateway';
import * as logs from '@aws-sdk/client-cloudwatch-logs';
import * as events from '@aws-sdk/client-eventbridge';
import * as iam from '@aws-sdk/client-iam';
import * as lambda from '@aws-sdk/client-lambda';
import * as sfn from '@aws-sdk/client-sfn';
import * as sqs from '@aws-sdk/client-sqs';
import * as sts from '@aws-sdk/client-sts';
import type { AwsClients } from '../../src/lib/aws/clients.js';

// See fake-aws.md for what this models.
export const ACCOUNT = '123456789012';
export const REGION = 'eu-central-1';

type Any = Record<string, any>;

function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  (error as Any).$metadata = { httpStatusCode: 400 };
  (error as Any).$fault = 'client';
  return error;
}

export interface RecordedCall {
  service: string;
  command: string;
  input: Any;
}

export class FakeAws {
  readonly calls: RecordedCall[] = [];
  readonly clients: AwsClients;
  private failures = new Map<number, Error>();
  private propagationFailures = 0;
  private mutating = 0;
  private nextId = 1;
  state = {
    roles: {} as Record<string, { trust: string; tags: Any[]; policies: Record<string, string> }>,
    functions: {} as Record<string, Any>,
    machines: {} as Record<string, Any>,
    logGroups: {} as Record<string, { retentionInDays?: number; tags?: Any }>,
    logPolicies: {} as Record<string, string>,
    queues: {} as Record<string, { attributes: Record<string, string>; tags?: Any }>,
    buses: {} as Record<string, { tags?: Any[] }>,
    rules: {} as Record<string, Any>,
    apis: {} as Record<string, Any>,
  };

  constructor() {
    this.clients = {
      iam: new iam.IAMClient({ region: REGION }),
      lambda: new lambda.LambdaClient({ region: REGION }),
      sfn: new sfn.SFNClient({ region: REGION }),
      events: new events.EventBridgeClient({ region: REGION }),
      sqs: new sqs.SQSClient({ region: REGION }),
      logs: new logs.CloudWatchLogsClient({ region: REGION }),
      apigw: new apigw.APIGatewayClient({ region: REGION }),
      sts: new sts.STSClient({ region: REGION }),
    };
    this.install();
  }

  /** Makes the k-th mutating call (1-based, counted from now) fail once with `error`. */
  failAt(k: number, error: Error = awsError('ServiceUnavailableException', 'injected fault')): void {
    this.failures.set(this.mutating + k, error);
  }

  rolePropagation(times: number): void {
    this.propagationFailures = times;
  }

  mutatingCalls(): RecordedCall[] {
    return this.calls.filter((c) => isMutating(c.command));
  }

  reset(): void {
    this.calls.length = 0;
  }

  /** The state by names, without generated ids: what must be equal after recovery. */
  snapshot(): unknown {
    const apis = Object.values(this.state.apis).map((a) => ({ name: a.name, tags: a.tags, body: a.body, stages: Object.fromEntries(Object.entries(a.stages as Record<string, Any>).map(([k, v]) => [k, { methodSettings: v.methodSettings, hasDeployment: Boolean(v.deploymentId) }])) }));
    return JSON.parse(JSON.stringify({ ...this.state, apis, machines: Object.values(this.state.machines) }));
  }

  private install() {
    const wrap = (service: string, command: string, fn: (input: Any) => unknown) => async (input: Any) => {
      this.calls.push({ service, command, input });
      if (isMutating(command)) {
        this.mutating++;
        const failure = this.failures.get(this.mutating);
        if (failure) {
          this.failures.delete(this.mutating);
          throw failure;
        }
      }
      return structuredClone(fn(input)) as never;
    };
    const on = <C>(client: any, service: string, Command: new (...args: any[]) => C, fn: (input: Any) => unknown) => {
      client.on(Command).callsFake(wrap(service, (Command as any).name.replace(/Command$/, ''), fn));
    };
    const s = this.state;

    const stsMock = mockClient(this.clients.sts);
    on(stsMock, 'sts', sts.GetCallerIdentityCommand, () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/ci` }));

    const iamMock = mockClient(this.clients.iam);
    const role = (name: string) => s.roles[name] ?? (() => { throw awsError('NoSuchEntityException', `The role with name ${name} cannot be found.`); })();
    on(iamMock, 'iam', iam.GetRoleCommand, (i) => ({ Role: { RoleName: i.RoleName, Arn: `arn:aws:iam::${ACCOUNT}:role/${i.RoleName}`, AssumeRolePolicyDocument: encodeURIComponent(role(i.RoleName).trust), Tags: role(i.RoleName).tags } }));
    on(iamMock, 'iam', iam.CreateRoleCommand, (i) => {
      if (s.roles[i.RoleName]) throw awsError('EntityAlreadyExistsException');
      s.roles[i.RoleName] = { trust: i.AssumeRolePolicyDocument, tags: i.Tags, policies: {} };
      return { Role: { RoleName: i.RoleName, Arn: `arn:aws:iam::${ACCOUNT}:role/${i.RoleName}` } };
    });
    on(iamMock, 'iam', iam.UpdateAssumeRolePolicyCommand, (i) => void (role(i.RoleName).trust = i.PolicyDocument));
    on(iamMock, 'iam', iam.GetRolePolicyCommand, (i) => {
      const doc = role(i.RoleName).policies[i.PolicyName];
      if (doc === undefined) throw awsError('NoSuchEntityException');
      return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(doc) };
    });
    on(iamMock, 'iam', iam.PutRolePolicyCommand, (i) => void (role(i.RoleName).policies[i.PolicyName] = i.PolicyDocument));
    on(iamMock, 'iam', iam.DeleteRolePolicyCommand, (i) => {
      if (!(i.PolicyName in role(i.RoleName).policies)) throw awsError('NoSuchEntityException');
      delete role(i.RoleName).policies[i.PolicyName];
    });
    on(iamMock, 'iam', iam.DeleteRoleCommand, (i) => {
      if (Object.keys(role(i.RoleName).policies).length) throw awsError('DeleteConflictException', 'Cannot delete entity, must delete policies first.');
      delete s.roles[i.RoleName];
    });

    const lambdaMock = mockClient(this.clients.lambda);
    const fn = (name: string) => s.functions[name] ?? (() => { throw awsError('ResourceNotFoundException', `Function not found: ${name}`); })();
    const sha = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');
    on(lambdaMock, 'lambda', lambda.GetFunctionCommand, (i) => ({ Configuration: { ...fn(i.FunctionName).config, State: 'Active', LastUpdateStatus: 'Successful' }, Tags: fn(i.FunctionName).tags }));
    on(lambdaMock, 'lambda', lambda.CreateFunctionCommand, (i) => {
      if (this.propagationFailures > 0) {
        this.propagationFailures--;
        throw awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
      }
      if (s.functions[i.FunctionName]) throw awsError('ResourceConflictException');
      const { Code, Tags, FunctionName, ...config } = i;
      s.functions[FunctionName] = { config: { FunctionName, FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FunctionName}`, ...config, CodeSha256: sha(Code.ZipFile) }, tags: Tags, statements: [] };
      return s.functions[FunctionName].config;
    });
    on(lambdaMock, 'lambda', lambda.UpdateFunctionCodeCommand, (i) => void (fn(i.FunctionName).config.CodeSha256 = sha(i.ZipFile)));
    on(lambdaMock, 'lambda', lambda.UpdateFunctionConfigurationCommand, (i) => {
      const { FunctionName, ...config } = i;
      Object.assign(fn(FunctionName).config, config);
    });
    on(lambdaMock, 'lambda', lambda.GetPolicyCommand, (i) => {
      const statements = fn(i.FunctionName).statements;
      if (!statements.length) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.');
      return { Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) };
    });
    on(lambdaMock, 'lambda', lambda.AddPermissionCommand, (i) => {
      const f = fn(i.FunctionName);
      if (f.statements.some((st: Any) => st.Sid === i.StatementId)) throw awsError('ResourceConflictException');
      f.statements.push({ Sid: i.StatementId, Effect: 'Allow', Principal: { Service: i.Principal }, Action: i.Action, Condition: { StringEquals: { 'AWS:SourceAccount': i.SourceAccount }, ArnLike: { 'AWS:SourceArn': i.SourceArn } } });
    });
    on(lambdaMock, 'lambda', lambda.RemovePermissionCommand, (i) => {
      const f = fn(i.FunctionName);
      if (!f.statements.some((st: Any) => st.Sid === i.StatementId)) throw awsError('ResourceNotFoundException');
      f.statements = f.statements.filter((st: Any) => st.Sid !== i.StatementId);
    });
    on(lambdaMock, 'lambda', lambda.GetFunctionEventInvokeConfigCommand, (i) => fn(i.FunctionName).invokeConfig ?? (() => { throw awsError('ResourceNotFoundException'); })());
    on(lambdaMock, 'lambda', lambda.PutFunctionEventInvokeConfigCommand, (i) => {
      const { FunctionName, ...config } = i;
      fn(FunctionName).invokeConfig = config;
    });
    on(lambdaMock, 'lambda', lambda.ListFunctionsCommand, () => ({ Functions: Object.values(s.functions).map((f) => ({ FunctionName: f.config.FunctionName })) }));
    on(lambdaMock, 'lambda', lambda.DeleteFunctionCommand, (i) => void (fn(i.FunctionName), delete s.functions[i.FunctionName]));

    const sfnMock = mockClient(this.clients.sfn);
    on(sfnMock, 'sfn', sfn.ListStateMachinesCommand, () => ({ stateMachines: Object.entries(s.machines).map(([arn, m]) => ({ stateMachineArn: arn, name: m.name, type: 'STANDARD' })) }));
    on(sfnMock, 'sfn', sfn.CreateStateMachineCommand, (i) => {
      const arn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${i.name}`;
      if (s.machines[arn]) throw awsError('StateMachineAlreadyExists');
      s.machines[arn] = { name: i.name, type: i.type, definition: i.definition, roleArn: i.roleArn, loggingConfiguration: i.loggingConfiguration, tracingConfiguration: i.tracingConfiguration, tags: i.tags };
      return { stateMachineArn: arn, creationDate: new Date(0) };
    });
    const machine = (arn: string) => s.machines[arn] ?? (() => { throw awsError('StateMachineDoesNotExist'); })();
    on(sfnMock, 'sfn', sfn.DescribeStateMachineCommand, (i) => ({ stateMachineArn: i.stateMachineArn, ...machine(i.stateMachineArn) }));
    on(sfnMock, 'sfn', sfn.UpdateStateMachineCommand, (i) => {
      const { stateMachineArn, ...rest } = i;
      Object.assign(machine(stateMachineArn), rest);
      return { updateDate: new Date(0) };
    });
    on(sfnMock, 'sfn', sfn.ListTagsForResourceCommand, (i) => ({ tags: machine(i.resourceArn).tags ?? [] }));
    on(sfnMock, 'sfn', sfn.DeleteStateMachineCommand, (i) => void delete s.machines[i.stateMachineArn]);

    const logsMock = mockClient(this.clients.logs);
    on(logsMock, 'logs', logs.DescribeLogGroupsCommand, (i) => ({ logGroups: Object.entries(s.logGroups).filter(([name]) => name.startsWith(i.logGroupNamePrefix ?? '')).map(([logGroupName, g]) => ({ logGroupName, retentionInDays: g.retentionInDays })) }));
    on(logsMock, 'logs', logs.CreateLogGroupCommand, (i) => {
      if (s.logGroups[i.logGroupName]) throw awsError('ResourceAlreadyExistsException');
      s.logGroups[i.logGroupName] = { tags: i.tags };
    });
    on(logsMock, 'logs', logs.PutRetentionPolicyCommand, (i) => void (s.logGroups[i.logGroupName]!.retentionInDays = i.retentionInDays));
    on(logsMock, 'logs', logs.DeleteLogGroupCommand, (i) => void delete s.logGroups[i.logGroupName]);
    on(logsMock, 'logs', logs.DescribeResourcePoliciesCommand, () => ({ resourcePolicies: Object.entries(s.logPolicies).map(([policyName, policyDocument]) => ({ policyName, policyDocument })) }));
    on(logsMock, 'logs', logs.PutResourcePolicyCommand, (i) => void (s.logPolicies[i.policyName] = i.policyDocument));
    on(logsMock, 'logs', logs.DeleteResourcePolicyCommand, (i) => void delete s.logPolicies[i.policyName]);

    const sqsMock = mockClient(this.clients.sqs);
    const url = (name: string) => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`;
    const queueName = (u: string) => u.split('/').at(-1)!;
    on(sqsMock, 'sqs', sqs.GetQueueUrlCommand, (i) => {
      if (!s.queues[i.QueueName]) throw awsError('QueueDoesNotExist', 'The specified queue does not exist.');
      return { QueueUrl: url(i.QueueName) };
    });
    on(sqsMock, 'sqs', sqs.CreateQueueCommand, (i) => {
      s.queues[i.QueueName] = { attributes: { ...i.Attributes }, tags: i.tags };
      return { QueueUrl: url(i.QueueName) };
    });
    on(sqsMock, 'sqs', sqs.GetQueueAttributesCommand, (i) => ({ Attributes: s.queues[queueName(i.QueueUrl)]!.attributes }));
    on(sqsMock, 'sqs', sqs.SetQueueAttributesCommand, (i) => void Object.assign(s.queues[queueName(i.QueueUrl)]!.attributes, i.Attributes));
    on(sqsMock, 'sqs', sqs.ListQueueTagsCommand, (i) => ({ Tags: s.queues[queueName(i.QueueUrl)]!.tags ?? {} }));
    on(sqsMock, 'sqs', sqs.DeleteQueueCommand, (i) => void delete s.queues[queueName(i.QueueUrl)]);

    const eventsMock = mockClient(this.clients.events);
    const ruleKey = (bus: string, name: string) => `${bus}/${name}`;
    const rule = (bus: string, name: string) => s.rules[ruleKey(bus, name)] ?? (() => { throw awsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus}.`); })();
    on(eventsMock, 'events', events.DescribeEventBusCommand, (i) => {
      if (!s.buses[i.Name]) throw awsError('ResourceNotFoundException', `Event bus ${i.Name} does not exist.`);
      return { Name: i.Name, Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${i.Name}` };
    });
    on(eventsMock, 'events', events.CreateEventBusCommand, (i) => {
      if (s.buses[i.Name]) throw awsError('ResourceAlreadyExistsException');
      s.buses[i.Name] = { tags: i.Tags };
      return { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${i.Name}` };
    });
    on(eventsMock, 'events', events.ListTagsForResourceCommand, (i) => {
      const name = i.ResourceARN.split('/').at(-1)!;
      if (!s.buses[name]) throw awsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
      return { Tags: s.buses[name]!.tags ?? [] };
    });
    on(eventsMock, 'events', events.DeleteEventBusCommand, (i) => void delete s.buses[i.Name]);
    on(eventsMock, 'events', events.DescribeRuleCommand, (i) => {
      const r = rule(i.EventBusName, i.Name);
      return { Name: i.Name, EventBusName: i.EventBusName, Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${i.EventBusName}/${i.Name}`, EventPattern: r.pattern, State: r.state, Description: r.description };
    });
    on(eventsMock, 'events', events.PutRuleCommand, (i) => {
      if (!s.buses[i.EventBusName]) throw awsError('ResourceNotFoundException', `Event bus ${i.EventBusName} does not exist.`);
      const existing = s.rules[ruleKey(i.EventBusName, i.Name)];
      s.rules[ruleKey(i.EventBusName, i.Name)] = { pattern: i.EventPattern, state: i.State, description: i.Description, tags: i.Tags, targets: existing?.targets ?? {} };
      return { RuleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${i.EventBusName}/${i.Name}` };
    });
    on(eventsMock, 'events', events.ListRulesCommand, (i) => {
      if (!s.buses[i.EventBusName]) throw awsError('ResourceNotFoundException');
      return { Rules: Object.keys(s.rules).filter((k) => k.startsWith(`${i.EventBusName}/${i.NamePrefix ?? ''}`)).map((k) => ({ Name: k.slice(i.EventBusName.length + 1) })) };
    });
    on(eventsMock, 'events', events.ListTargetsByRuleCommand, (i) => ({ Targets: Object.values(rule(i.EventBusName, i.Rule).targets) }));
    on(eventsMock, 'events', events.PutTargetsCommand, (i) => {
      const r = rule(i.EventBusName, i.Rule);
      for (const t of i.Targets) r.targets[t.Id] = t;
      return { FailedEntryCount: 0, FailedEntries: [] };
    });
    on(eventsMock, 'events', events.RemoveTargetsCommand, (i) => {
      const r = rule(i.EventBusName, i.Rule);
      for (const id of i.Ids) delete r.targets[id];
      return { FailedEntryCount: 0 };
    });
    on(eventsMock, 'events', events.DeleteRuleCommand, (i) => {
      const r = rule(i.EventBusName, i.Name);
      if (Object.keys(r.targets).length) throw awsError('ValidationException', 'Rule can\'t be deleted since it has targets.');
      delete s.rules[ruleKey(i.EventBusName, i.Name)];
    });

    const apiMock = mockClient(this.clients.apigw);
    const api = (id: string) => s.apis[id] ?? (() => { throw awsError('NotFoundException', 'Invalid API identifier specified'); })();
    on(apiMock, 'apigw', apigw.GetRestApisCommand, () => ({ items: Object.entries(s.apis).map(([id, a]) => ({ id, name: a.name, tags: a.tags })) }));
    on(apiMock, 'apigw', apigw.CreateRestApiCommand, (i) => {
      const id = `api${this.nextId++}`;
      s.apis[id] = { name: i.name, tags: { ...i.tags }, body: null, stages: {}, deployments: 0 };
      return { id, name: i.name };
    });
    const apiId = (arn: string) => arn.split('/').at(-1)!;
    on(apiMock, 'apigw', apigw.GetTagsCommand, (i) => ({ tags: api(apiId(i.resourceArn)).tags }));
    on(apiMock, 'apigw', apigw.TagResourceCommand, (i) => void Object.assign(api(apiId(i.resourceArn)).tags, i.tags));
    on(apiMock, 'apigw', apigw.PutRestApiCommand, (i) => {
      api(i.restApiId).body = JSON.parse(new TextDecoder().decode(i.body));
      return { id: i.restApiId };
    });
    on(apiMock, 'apigw', apigw.GetStageCommand, (i) => {
      const st = api(i.restApiId).stages[i.stageName];
      if (!st) throw awsError('NotFoundException', 'Invalid stage identifier specified');
      return { stageName: i.stageName, ...st };
    });
    on(apiMock, 'apigw', apigw.CreateDeploymentCommand, (i) => {
      const a = api(i.restApiId);
      if (!a.body) throw awsError('BadRequestException', 'The REST API doesn\'t contain any methods');
      const id = `dep${this.nextId++}`;
      a.stages[i.stageName] = { ...(a.stages[i.stageName] ?? { methodSettings: {} }), deploymentId: id };
      return { id };
    });
    on(apiMock, 'apigw', apigw.UpdateStageCommand, (i) => {
      const st = api(i.restApiId).stages[i.stageName];
      if (!st) throw awsError('NotFoundException', 'Invalid stage identifier specified');
      const settings = (st.methodSettings['*/*'] ??= {});
      for (const op of i.patchOperations) {
        if (op.path === '/*/*/throttling/rateLimit') settings.throttlingRateLimit = Number(op.value);
        if (op.path === '/*/*/throttling/burstLimit') settings.throttlingBurstLimit = Number(op.value);
      }
      return { stageName: i.stageName, ...st };
    });
    on(apiMock, 'apigw', apigw.DeleteRestApiCommand, (i) => void (api(i.restApiId), delete s.apis[i.restApiId]));
  }
}

export function isMutating(command: string): boolean {
  return !/^(Get|List|Describe)/.test(command);
}

export { awsError };

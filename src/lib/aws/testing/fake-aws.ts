import { createHash } from 'node:crypto';
import type { AwsClients } from '../clients.js';

/**
 * A small, stateful, in-memory model of the AWS APIs the deployer calls (spec: test/helpers/fake-aws.md).
 * Test support, not product code: the unit tests install it on aws-sdk-client-mock mocks
 * (test/helpers/fake-aws.ts) and `bench/aws-calls.js` drives it through `fakeClients()` from dist/, which is
 * why it lives under src/ and depends on nothing but Node. Reads reflect earlier writes; the constraints AWS
 * enforces and the deployer relies on are enforced here too, with AWS's error names.
 */

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'eu-central-1';

export type Service = keyof AwsClients;
type Any = Record<string, any>;
type Handler = (input: Any) => unknown;

export interface FakeCall {
  service: Service;
  command: string;
  input: Any;
  /** With `rounds`: the round trip in which the call was answered (1-based). */
  round: number;
  error?: string;
}

export interface FakeAwsOptions {
  /** GetFunction reads that still see `Pending` after CreateFunction, or `InProgress` after an update (Lambda's asynchronous state). */
  settleReads?: number;
  /**
   * Answer calls in round trips: every call issued while the previous round was in flight is answered
   * together. The number of rounds of a run is its critical path (the longest chain of dependent calls).
   */
  rounds?: boolean;
}

/** An error shaped like the SDK's service exceptions: name, message, $fault, $metadata. */
export function awsError(name: string, message = name, httpStatusCode = 400): Error {
  const error = new Error(message);
  error.name = name;
  Object.assign(error, { $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode, attempts: 1 } });
  return error;
}

/** Reads are Get*, List*, Describe*; everything else changes something. */
export function isMutating(command: string): boolean {
  return !/^(Get|List|Describe)/.test(command);
}

export interface FakeState {
  roles: Record<string, { trust: string; tags: Array<{ Key: string; Value: string }>; policies: Record<string, string> }>;
  functions: Record<string, { config: Any; tags: Record<string, string>; statements: Any[]; invokeConfig?: Any; settling?: number }>;
  machines: Record<string, Any>;
  logGroups: Record<string, { retentionInDays?: number; tags?: Record<string, string> }>;
  logPolicies: Record<string, string>;
  queues: Record<string, { attributes: Record<string, string>; tags: Record<string, string> }>;
  buses: Record<string, { tags: Array<{ Key: string; Value: string }> }>;
  rules: Record<string, { pattern: string; state: string; description?: string; tags?: Any[]; targets: Record<string, Any> }>;
  apis: Record<string, { name: string; tags: Record<string, string>; body: unknown; stages: Record<string, Any>; deployments: Record<string, { description?: string }> }>;
}

export class FakeAwsModel {
  readonly calls: FakeCall[] = [];
  state: FakeState = { roles: {}, functions: {}, machines: {}, logGroups: {}, logPolicies: {}, queues: {}, buses: {}, rules: {}, apis: {} };
  readonly handlers: Record<Service, Record<string, Handler>>;
  private readonly settleReads: number;
  private readonly rounds: boolean;
  private mutating = 0;
  private failures = new Map<number, Error>();
  private commandFailures: Array<{ command: string; error: Error; times: number }> = [];
  private propagation = { lambda: 0, states: 0 };
  private recentlyDeletedQueues = new Set<string>();
  private nextId = 1;
  private round = 0;
  private waiting: Array<() => void> = [];

  constructor(options: FakeAwsOptions = {}) {
    this.settleReads = options.settleReads ?? 1;
    this.rounds = options.rounds ?? false;
    this.handlers = { sts: this.sts(), iam: this.iam(), lambda: this.lambda(), sfn: this.sfn(), logs: this.logs(), sqs: this.sqs(), events: this.events(), apigw: this.apigw() };
  }

  /** The k-th mutating call from now (1-based) fails once with `error` (default: a 503 fault). */
  failAt(k: number, error: Error = awsError('ServiceUnavailableException', 'injected fault', 503)): void {
    this.failures.set(this.mutating + k, error);
  }

  /** The next `times` calls of `command` fail with `error` (e.g. ThrottlingException). */
  failNext(command: string, error: Error, times = 1): void {
    this.commandFailures.push({ command, error, times });
  }

  /** IAM eventual consistency: the next CreateFunction / CreateStateMachine calls fail as if the new role were not assumable yet. */
  rolePropagation(times: { lambda?: number; states?: number }): void {
    this.propagation = { lambda: times.lambda ?? 0, states: times.states ?? 0 };
  }

  mutatingCalls(): FakeCall[] {
    return this.calls.filter((c) => isMutating(c.command));
  }

  /** Forgets the recorded calls (the state stays). */
  reset(): void {
    this.calls.length = 0;
    this.round = 0;
  }

  /** Round trips since the last reset (with `rounds`). */
  roundTrips(): number {
    return this.round;
  }

  /** The state keyed by names, without generated ids or transient states: what must be equal after recovery. */
  snapshot(): unknown {
    const functions = Object.fromEntries(
      Object.entries(this.state.functions).map(([name, f]) => {
        const { State: _s, LastUpdateStatus: _l, ...config } = f.config;
        return [name, { config, tags: f.tags, statements: [...f.statements].sort((a, b) => String(a.Sid).localeCompare(String(b.Sid))), invokeConfig: f.invokeConfig }];
      }),
    );
    const apis = Object.values(this.state.apis).map((a) => ({
      name: a.name,
      tags: a.tags,
      body: a.body,
      stages: Object.fromEntries(Object.entries(a.stages).map(([name, s]) => [name, { methodSettings: s.methodSettings, tracingEnabled: s.tracingEnabled, tags: s.tags, deployment: a.deployments[s.deploymentId]?.description }])),
    }));
    return JSON.parse(JSON.stringify({ ...this.state, functions, apis }));
  }

  /** Answers one call: records it, applies injected faults, then runs the service model. */
  async handle(service: Service, command: string, input: Any = {}): Promise<unknown> {
    if (this.rounds) await this.nextRound();
    const call: FakeCall = { service, command, input, round: this.round };
    this.calls.push(call);
    try {
      if (isMutating(command)) {
        this.mutating++;
        const failure = this.failures.get(this.mutating);
        if (failure) {
          this.failures.delete(this.mutating);
          throw failure;
        }
      }
      const injected = this.commandFailures.find((f) => f.command === command && f.times > 0);
      if (injected) {
        injected.times--;
        throw injected.error;
      }
      const handler = this.handlers[service][command];
      if (!handler) throw new Error(`fake AWS: ${service} ${command} is not modelled (see test/helpers/fake-aws.md)`);
      return structuredClone(handler(structuredClone(input)) ?? {});
    } catch (error) {
      call.error = (error as Error).name;
      throw error;
    }
  }

  /** Everything issued before the event loop turns is one round trip. */
  private nextRound(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length > 1) return;
      setImmediate(() => {
        this.round++;
        const batch = this.waiting;
        this.waiting = [];
        for (const done of batch) done();
      });
    });
  }

  private id(prefix: string): string {
    return `${prefix}${String(this.nextId++).padStart(4, '0')}`;
  }

  private sts(): Record<string, Handler> {
    return { GetCallerIdentity: () => ({ Account: FAKE_ACCOUNT, Arn: `arn:aws:iam::${FAKE_ACCOUNT}:user/ci`, UserId: 'AIDAFAKE' }) };
  }

  private iam(): Record<string, Handler> {
    const s = this.state;
    const role = (name: string) => s.roles[name] ?? fail('NoSuchEntityException', `The role with name ${name} cannot be found.`, 404);
    return {
      GetRole: (i) => ({ Role: { RoleName: i.RoleName, Arn: roleArn(i.RoleName), AssumeRolePolicyDocument: encodeURIComponent(role(i.RoleName).trust), Tags: role(i.RoleName).tags } }),
      CreateRole: (i) => {
        if (s.roles[i.RoleName]) fail('EntityAlreadyExistsException', `Role with name ${i.RoleName} already exists.`, 409);
        s.roles[i.RoleName] = { trust: i.AssumeRolePolicyDocument, tags: i.Tags ?? [], policies: {} };
        return { Role: { RoleName: i.RoleName, Arn: roleArn(i.RoleName) } };
      },
      UpdateAssumeRolePolicy: (i) => void (role(i.RoleName).trust = i.PolicyDocument),
      // IAM returns policy documents URL-encoded.
      GetRolePolicy: (i) => {
        const doc = role(i.RoleName).policies[i.PolicyName] ?? fail('NoSuchEntityException', `The role policy with name ${i.PolicyName} cannot be found.`, 404);
        return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(doc) };
      },
      PutRolePolicy: (i) => void (role(i.RoleName).policies[i.PolicyName] = i.PolicyDocument),
      DeleteRolePolicy: (i) => {
        if (!(i.PolicyName in role(i.RoleName).policies)) fail('NoSuchEntityException', `The role policy with name ${i.PolicyName} cannot be found.`, 404);
        delete role(i.RoleName).policies[i.PolicyName];
      },
      DeleteRole: (i) => {
        if (Object.keys(role(i.RoleName).policies).length) fail('DeleteConflictException', 'Cannot delete entity, must delete policies first.', 409);
        delete s.roles[i.RoleName];
      },
    };
  }

  /** Whether `roleArn` names an existing role whose trust policy lets `service` assume it. */
  private assumable(roleArnValue: string, service: string): boolean {
    const role = this.state.roles[String(roleArnValue).split('/').at(-1)!];
    if (!role) return false;
    const trust = JSON.parse(role.trust) as { Statement: Any[] };
    return trust.Statement.some((st) => st.Effect === 'Allow' && [st.Principal?.Service].flat().includes(service) && [st.Action].flat().includes('sts:AssumeRole'));
  }

  /** Whether the role's inline policies allow `action` on `resource` (exact resource or `*`, as the deployer writes them). */
  private allows(roleArnValue: string, action: string, resource: string): boolean {
    const role = this.state.roles[String(roleArnValue).split('/').at(-1)!];
    return Object.values(role?.policies ?? {}).some((doc) =>
      (JSON.parse(doc) as { Statement: Any[] }).Statement.some((st) => st.Effect === 'Allow' && [st.Action].flat().includes(action) && [st.Resource].flat().some((r) => r === resource || r === '*')),
    );
  }

  private lambda(): Record<string, Handler> {
    const s = this.state;
    const fn = (name: string) => s.functions[String(name).split(':').at(-1)!] ?? fail('ResourceNotFoundException', `Function not found: ${functionArn(name)}`, 404);
    const sha = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');
    // Lambda: a function is Pending after create and InProgress after an update, and refuses further updates meanwhile.
    const ready = (f: Any) => {
      if (f.config.State === 'Pending' || f.config.LastUpdateStatus === 'InProgress') {
        fail('ResourceConflictException', `The operation cannot be performed at this time. An update is in progress for resource: ${f.config.FunctionArn}`, 409);
      }
    };
    const settle = (f: Any, field: 'State' | 'LastUpdateStatus', busy: string, done: string) => {
      f.config[field] = this.settleReads > 0 ? busy : done;
      f.settling = this.settleReads;
    };
    return {
      GetFunction: (i) => {
        const f = fn(i.FunctionName);
        const out = { Configuration: { ...f.config }, Code: { RepositoryType: 'S3' }, Tags: f.tags };
        if (f.settling && --f.settling === 0) {
          if (f.config.State === 'Pending') f.config.State = 'Active';
          if (f.config.LastUpdateStatus === 'InProgress') f.config.LastUpdateStatus = 'Successful';
        }
        return out;
      },
      CreateFunction: (i) => {
        if (this.propagation.lambda > 0) {
          this.propagation.lambda--;
          fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
        }
        if (s.functions[i.FunctionName]) fail('ResourceConflictException', `Function already exist: ${i.FunctionName}`, 409);
        if (!this.assumable(i.Role, 'lambda.amazonaws.com')) fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
        const { Code, Tags, FunctionName, Publish: _p, ...config } = i;
        const f = { config: { FunctionName, FunctionArn: functionArn(FunctionName), ...config, CodeSha256: sha(Code.ZipFile), LastUpdateStatus: 'Successful' }, tags: Tags ?? {}, statements: [], settling: 0 };
        settle(f, 'State', 'Pending', 'Active');
        s.functions[FunctionName] = f;
        return f.config;
      },
      UpdateFunctionCode: (i) => {
        const f = fn(i.FunctionName);
        ready(f);
        f.config.CodeSha256 = sha(i.ZipFile);
        settle(f, 'LastUpdateStatus', 'InProgress', 'Successful');
        return f.config;
      },
      UpdateFunctionConfiguration: (i) => {
        const f = fn(i.FunctionName);
        ready(f);
        if (i.Role && !this.assumable(i.Role, 'lambda.amazonaws.com')) fail('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
        const { FunctionName: _n, ...config } = i;
        Object.assign(f.config, config);
        settle(f, 'LastUpdateStatus', 'InProgress', 'Successful');
        return f.config;
      },
      GetPolicy: (i) => {
        const f = fn(i.FunctionName);
        if (!f.statements.length) fail('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: f.statements }), RevisionId: 'r' };
      },
      AddPermission: (i) => {
        const f = fn(i.FunctionName);
        if (f.statements.some((st) => st.Sid === i.StatementId)) fail('ResourceConflictException', `The statement id (${i.StatementId}) provided already exists. Please provide a new statement id, or remove the existing statement.`, 409);
        // Lambda stores the SourceArn and SourceAccount conditions with capitalised AWS: keys.
        const statement = {
          Sid: i.StatementId,
          Effect: 'Allow',
          Principal: { Service: i.Principal },
          Action: i.Action,
          Resource: f.config.FunctionArn,
          Condition: { ...(i.SourceAccount ? { StringEquals: { 'AWS:SourceAccount': i.SourceAccount } } : {}), ...(i.SourceArn ? { ArnLike: { 'AWS:SourceArn': i.SourceArn } } : {}) },
        };
        f.statements.push(statement);
        return { Statement: JSON.stringify(statement) };
      },
      RemovePermission: (i) => {
        const f = fn(i.FunctionName);
        if (!f.statements.some((st) => st.Sid === i.StatementId)) fail('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        f.statements = f.statements.filter((st) => st.Sid !== i.StatementId);
      },
      GetFunctionEventInvokeConfig: (i) => {
        const f = fn(i.FunctionName);
        return f.invokeConfig ? { FunctionArn: f.config.FunctionArn, ...f.invokeConfig } : fail('ResourceNotFoundException', `The function ${f.config.FunctionArn} doesn't have an EventInvokeConfig`, 404);
      },
      PutFunctionEventInvokeConfig: (i) => {
        const f = fn(i.FunctionName);
        const destination = i.DestinationConfig?.OnFailure?.Destination;
        // Lambda checks the execution role may deliver to the destination when the config is saved.
        if (destination && !this.allows(f.config.Role, 'sqs:SendMessage', destination)) fail('InvalidParameterValueException', 'The provided execution role does not have permissions to call SendMessage on SQS');
        const { FunctionName: _n, ...config } = i;
        f.invokeConfig = config;
        return { FunctionArn: f.config.FunctionArn, ...config };
      },
      DeleteFunctionEventInvokeConfig: (i) => {
        const f = fn(i.FunctionName);
        if (!f.invokeConfig) fail('ResourceNotFoundException', `The function ${f.config.FunctionArn} doesn't have an EventInvokeConfig`, 404);
        delete f.invokeConfig;
      },
      ListFunctions: (i) => page(Object.values(s.functions).map((f) => ({ FunctionName: f.config.FunctionName, FunctionArn: f.config.FunctionArn })), i.Marker, i.MaxItems ?? 50, 'Functions', 'NextMarker'),
      DeleteFunction: (i) => {
        fn(i.FunctionName);
        delete s.functions[i.FunctionName];
      },
    };
  }

  private sfn(): Record<string, Handler> {
    const s = this.state;
    const machine = (arn: string) => s.machines[arn] ?? fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return {
      ListStateMachines: (i) => page(Object.entries(s.machines).map(([arn, m]) => ({ stateMachineArn: arn, name: m.name, type: m.type, creationDate: new Date(0) })), i.nextToken, i.maxResults ?? 100, 'stateMachines', 'nextToken'),
      CreateStateMachine: (i) => {
        const arn = `arn:aws:states:${FAKE_REGION}:${FAKE_ACCOUNT}:stateMachine:${i.name}`;
        if (this.propagation.states > 0) {
          this.propagation.states--;
          fail('AccessDeniedException', 'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.');
        }
        if (s.machines[arn]) fail('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
        if (!this.assumable(i.roleArn, 'states.amazonaws.com')) fail('AccessDeniedException', 'Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.');
        if (i.loggingConfiguration?.level && i.loggingConfiguration.level !== 'OFF' && !this.allows(i.roleArn, 'logs:CreateLogDelivery', '*')) {
          fail('AccessDeniedException', 'The state machine IAM Role is not authorized to access the Log Destination');
        }
        JSON.parse(i.definition);
        s.machines[arn] = { name: i.name, type: i.type, definition: i.definition, roleArn: i.roleArn, loggingConfiguration: i.loggingConfiguration, tracingConfiguration: i.tracingConfiguration, tags: i.tags ?? [] };
        return { stateMachineArn: arn, creationDate: new Date(0) };
      },
      DescribeStateMachine: (i) => {
        const { tags: _t, ...m } = machine(i.stateMachineArn);
        return { stateMachineArn: i.stateMachineArn, status: 'ACTIVE', creationDate: new Date(0), ...m };
      },
      UpdateStateMachine: (i) => {
        const { stateMachineArn, ...rest } = i;
        Object.assign(machine(stateMachineArn), rest);
        return { updateDate: new Date(0) };
      },
      ListTagsForResource: (i) => ({ tags: machine(i.resourceArn).tags ?? [] }),
      DeleteStateMachine: (i) => void delete s.machines[i.stateMachineArn],
    };
  }

  private logs(): Record<string, Handler> {
    const s = this.state;
    const group = (name: string) => s.logGroups[name] ?? fail('ResourceNotFoundException', 'The specified log group does not exist.');
    return {
      DescribeLogGroups: (i) => {
        const all = Object.entries(s.logGroups)
          .filter(([name]) => (i.logGroupNamePattern ? name.includes(i.logGroupNamePattern) : name.startsWith(i.logGroupNamePrefix ?? '')))
          .sort(([a], [b]) => a.localeCompare(b))
          // CloudWatch Logs: with logGroupNamePattern only the name, ARN and creation time come back.
          .map(([logGroupName, g]) => ({ logGroupName, arn: `arn:aws:logs:${FAKE_REGION}:${FAKE_ACCOUNT}:log-group:${logGroupName}:*`, creationTime: 0, ...(i.logGroupNamePattern ? {} : { retentionInDays: g.retentionInDays }) }));
        return page(all, i.nextToken, i.limit ?? 50, 'logGroups', 'nextToken');
      },
      CreateLogGroup: (i) => {
        if (s.logGroups[i.logGroupName]) fail('ResourceAlreadyExistsException', 'The specified log group already exists');
        s.logGroups[i.logGroupName] = { tags: i.tags ?? {} };
      },
      PutRetentionPolicy: (i) => void (group(i.logGroupName).retentionInDays = i.retentionInDays),
      DeleteLogGroup: (i) => {
        group(i.logGroupName);
        delete s.logGroups[i.logGroupName];
      },
      DescribeResourcePolicies: () => ({ resourcePolicies: Object.entries(s.logPolicies).map(([policyName, policyDocument]) => ({ policyName, policyDocument, lastUpdatedTime: 0 })) }),
      PutResourcePolicy: (i) => {
        // CloudWatch Logs: at most 10 resource policies per account and region.
        if (!(i.policyName in s.logPolicies) && Object.keys(s.logPolicies).length >= 10) fail('LimitExceededException', 'Resource limit exceeded.');
        JSON.parse(i.policyDocument);
        s.logPolicies[i.policyName] = i.policyDocument;
        return { resourcePolicy: { policyName: i.policyName, policyDocument: i.policyDocument } };
      },
      DeleteResourcePolicy: (i) => {
        if (!(i.policyName in s.logPolicies)) fail('ResourceNotFoundException', 'Policy with name [' + i.policyName + '] does not exist');
        delete s.logPolicies[i.policyName];
      },
    };
  }

  private sqs(): Record<string, Handler> {
    const s = this.state;
    const url = (name: string) => `https://sqs.${FAKE_REGION}.amazonaws.com/${FAKE_ACCOUNT}/${name}`;
    const queue = (u: string) => s.queues[String(u).split('/').at(-1)!] ?? fail('QueueDoesNotExist', 'The specified queue does not exist.');
    return {
      GetQueueUrl: (i) => (s.queues[i.QueueName] ? { QueueUrl: url(i.QueueName) } : fail('QueueDoesNotExist', 'The specified queue does not exist.')),
      CreateQueue: (i) => {
        // SQS: a queue name cannot be reused for 60 seconds after DeleteQueue (here: the first attempt after a delete).
        if (this.recentlyDeletedQueues.delete(i.QueueName)) fail('QueueDeletedRecently', 'You must wait 60 seconds after deleting a queue before you can create another with the same name.');
        const existing = s.queues[i.QueueName];
        if (existing && JSON.stringify(existing.attributes) !== JSON.stringify({ ...i.Attributes })) fail('QueueNameExists', 'A queue already exists with the same name and a different value for attribute(s)');
        s.queues[i.QueueName] ??= { attributes: { ...i.Attributes }, tags: i.tags ?? {} };
        return { QueueUrl: url(i.QueueName) };
      },
      GetQueueAttributes: (i) => ({ Attributes: { ...queue(i.QueueUrl).attributes, QueueArn: `arn:aws:sqs:${FAKE_REGION}:${FAKE_ACCOUNT}:${String(i.QueueUrl).split('/').at(-1)}` } }),
      SetQueueAttributes: (i) => void Object.assign(queue(i.QueueUrl).attributes, i.Attributes),
      ListQueueTags: (i) => ({ Tags: queue(i.QueueUrl).tags }),
      DeleteQueue: (i) => {
        const name = String(i.QueueUrl).split('/').at(-1)!;
        queue(i.QueueUrl);
        delete s.queues[name];
        this.recentlyDeletedQueues.add(name);
      },
    };
  }

  private events(): Record<string, Handler> {
    const s = this.state;
    const key = (bus: string, name: string) => `${bus}/${name}`;
    const bus = (name: string) => s.buses[name] ?? fail('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    const rule = (busName: string, name: string) => s.rules[key(busName, name)] ?? fail('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
    const ruleArn = (busName: string, name: string) => `arn:aws:events:${FAKE_REGION}:${FAKE_ACCOUNT}:rule/${busName}/${name}`;
    const describe = (busName: string, name: string) => {
      const r = rule(busName, name);
      return { Name: name, Arn: ruleArn(busName, name), EventBusName: busName, EventPattern: r.pattern, State: r.state, ...(r.description !== undefined ? { Description: r.description } : {}) };
    };
    return {
      DescribeEventBus: (i) => (bus(i.Name), { Name: i.Name, Arn: `arn:aws:events:${FAKE_REGION}:${FAKE_ACCOUNT}:event-bus/${i.Name}` }),
      CreateEventBus: (i) => {
        if (s.buses[i.Name]) fail('ResourceAlreadyExistsException', `Event bus ${i.Name} already exists.`);
        s.buses[i.Name] = { tags: i.Tags ?? [] };
        return { EventBusArn: `arn:aws:events:${FAKE_REGION}:${FAKE_ACCOUNT}:event-bus/${i.Name}` };
      },
      ListTagsForResource: (i) => ({ Tags: bus(String(i.ResourceARN).split('/').at(-1)!).tags }),
      DeleteEventBus: (i) => {
        if (Object.keys(s.rules).some((k) => k.startsWith(`${i.Name}/`))) fail('ValidationException', 'Cannot delete event bus because it has rules.');
        delete s.buses[i.Name];
      },
      DescribeRule: (i) => describe(i.EventBusName, i.Name),
      PutRule: (i) => {
        bus(i.EventBusName);
        JSON.parse(i.EventPattern);
        const existing = s.rules[key(i.EventBusName, i.Name)];
        s.rules[key(i.EventBusName, i.Name)] = { pattern: i.EventPattern, state: i.State ?? 'ENABLED', ...(i.Description !== undefined ? { description: i.Description } : {}), tags: existing?.tags ?? i.Tags ?? [], targets: existing?.targets ?? {} };
        return { RuleArn: ruleArn(i.EventBusName, i.Name) };
      },
      ListRules: (i) => {
        bus(i.EventBusName);
        const names = Object.keys(s.rules)
          .filter((k) => k.startsWith(`${i.EventBusName}/${i.NamePrefix ?? ''}`))
          .map((k) => k.slice(i.EventBusName.length + 1))
          .sort();
        return page(names.map((n) => describe(i.EventBusName, n)), i.NextToken, i.Limit ?? 100, 'Rules', 'NextToken');
      },
      ListTargetsByRule: (i) => ({ Targets: Object.values(rule(i.EventBusName, i.Rule).targets) }),
      PutTargets: (i) => {
        const r = rule(i.EventBusName, i.Rule);
        for (const t of i.Targets) {
          if (!/^arn:aws:/.test(t.Arn)) fail('ValidationException', `Parameter ${t.Arn} is not valid.`);
          r.targets[t.Id] = t;
        }
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      RemoveTargets: (i) => {
        const r = rule(i.EventBusName, i.Rule);
        for (const id of i.Ids) delete r.targets[id];
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      DeleteRule: (i) => {
        const r = rule(i.EventBusName, i.Name);
        if (Object.keys(r.targets).length) fail('ValidationException', "Rule can't be deleted since it has targets.");
        delete s.rules[key(i.EventBusName, i.Name)];
      },
    };
  }

  private apigw(): Record<string, Handler> {
    const s = this.state;
    const api = (id: string) => s.apis[id] ?? fail('NotFoundException', 'Invalid API identifier specified', 404);
    const stage = (id: string, name: string) => api(id).stages[name] ?? fail('NotFoundException', 'Invalid stage identifier specified', 404);
    const apiIdOf = (arn: string) => String(arn).split('/restapis/')[1]!.split('/')[0]!;
    return {
      GetRestApis: (i) => page(Object.entries(s.apis).map(([id, a]) => ({ id, name: a.name, tags: a.tags })), i.position, i.limit ?? 25, 'items', 'position'),
      CreateRestApi: (i) => {
        const id = this.id('api');
        s.apis[id] = { name: i.name, tags: { ...i.tags }, body: null, stages: {}, deployments: {} };
        return { id, name: i.name, tags: i.tags };
      },
      GetTags: (i) => ({ tags: api(apiIdOf(i.resourceArn)).tags }),
      TagResource: (i) => void Object.assign(api(apiIdOf(i.resourceArn)).tags, i.tags),
      PutRestApi: (i) => {
        const a = api(i.restApiId);
        a.body = JSON.parse(new TextDecoder().decode(i.body));
        return { id: i.restApiId, name: a.name };
      },
      GetStage: (i) => ({ stageName: i.stageName, ...stage(i.restApiId, i.stageName) }),
      GetDeployment: (i) => {
        const d = api(i.restApiId).deployments[i.deploymentId] ?? fail('NotFoundException', 'Invalid Deployment identifier specified', 404);
        return { id: i.deploymentId, ...d };
      },
      CreateDeployment: (i) => {
        const a = api(i.restApiId);
        if (!a.body) fail('BadRequestException', "The REST API doesn't contain any methods");
        const id = this.id('dep');
        a.deployments[id] = { description: i.description };
        if (i.stageName) a.stages[i.stageName] = { ...(a.stages[i.stageName] ?? { methodSettings: {}, tracingEnabled: false, tags: {} }), deploymentId: id };
        return { id, description: i.description };
      },
      CreateStage: (i) => {
        const a = api(i.restApiId);
        if (a.stages[i.stageName]) fail('ConflictException', 'Stage already exists', 409);
        if (!a.deployments[i.deploymentId]) fail('BadRequestException', 'Invalid deployment identifier specified');
        a.stages[i.stageName] = { deploymentId: i.deploymentId, methodSettings: {}, tracingEnabled: Boolean(i.tracingEnabled), tags: { ...i.tags } };
        return { stageName: i.stageName, ...a.stages[i.stageName] };
      },
      UpdateStage: (i) => {
        const st = stage(i.restApiId, i.stageName);
        for (const op of i.patchOperations) {
          const throttle = /^\/([^/]+)\/([^/]+)\/throttling\/(rateLimit|burstLimit)$/.exec(op.path);
          if (throttle) {
            const settings = (st.methodSettings[`${throttle[1]}/${throttle[2]}`] ??= {});
            settings[throttle[3] === 'rateLimit' ? 'throttlingRateLimit' : 'throttlingBurstLimit'] = Number(op.value);
          } else if (op.path === '/tracingEnabled') st.tracingEnabled = op.value === 'true';
          else if (op.path === '/deploymentId') st.deploymentId = op.value;
          else fail('BadRequestException', `Invalid patch path ${op.path}`);
        }
        return st;
      },
      DeleteRestApi: (i) => {
        api(i.restApiId);
        delete s.apis[i.restApiId];
      },
    };
  }
}

/**
 * Clients that answer from the model without the SDK's middleware (no HTTP, no retries): what the bench
 * uses. Each `send` dispatches on the command's class name, so the SDK waiters work unchanged.
 */
export function fakeClients(model: FakeAwsModel): AwsClients {
  const client = (service: Service) => ({
    config: { region: async () => FAKE_REGION },
    send: (command: { constructor: { name: string }; input: Any }) => model.handle(service, command.constructor.name.replace(/Command$/, ''), command.input),
    destroy: () => {},
  });
  return Object.fromEntries((['iam', 'lambda', 'sfn', 'events', 'sqs', 'logs', 'apigw', 'sts'] as const).map((s) => [s, client(s)])) as unknown as AwsClients;
}

function fail(name: string, message: string, status = 400): never {
  throw awsError(name, message, status);
}

function roleArn(name: string): string {
  return `arn:aws:iam::${FAKE_ACCOUNT}:role/${name}`;
}

function functionArn(nameOrArn: string): string {
  return String(nameOrArn).startsWith('arn:') ? String(nameOrArn) : `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${nameOrArn}`;
}

/** List APIs page with an opaque token: here the index of the next item. */
function page<T>(items: T[], token: string | undefined, size: number, itemsKey: string, tokenKey: string): Any {
  const start = token ? Number(token) : 0;
  const end = start + size;
  return { [itemsKey]: items.slice(start, end), ...(end < items.length ? { [tokenKey]: String(end) } : {}) };
}

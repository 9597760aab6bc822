import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import 'aws-sdk-client-mock-jest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { CreateStageCommand, PutRestApiCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { apiModel } from '../../../src/lib/api/model.js';
import { loadBlueprint } from '../../../src/lib/blueprint/blueprint.js';
import { bundleHandlers } from '../../../src/lib/blueprint/bundle.js';
import { codeSha256, zipBundle } from '../../../src/lib/aws/lambda.js';
import { orderJsonSchema } from '../../../src/lib/order/model.js';
import { UserError } from '../../../src/lib/errors.js';
import { ACCOUNT, awsError, FakeAws, REGION } from '../../helpers/fake-aws.js';
import { mocks } from '../../helpers/mock-aws.js';
import { changed, deploy, inputs, projects, writes } from './support.js';

const dirs = projects();
afterAll(() => dirs.cleanup());

const HANDLERS = [
  'authorize-payment',
  'calculate-fee',
  'decide-fulfillment',
  'determine-seller',
  'issue-invoices',
  'notify-customer',
  'select-warehouse',
];
const fnArn = (h: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fulfill-shop-ci-${h}`;
const role = (kind: string) => `fulfill-shop-ci-${kind}-role`;
const TAGS = { 'fulfill:app': 'shop', 'fulfill:stage': 'ci' };
const json = (text: string) => JSON.parse(text) as Record<string, any>;
const firstIndex = (list: string[], item: string) => list.indexOf(item);
const lastIndex = (list: string[], item: string) => list.lastIndexOf(item);

describe('first deploy, orchestration mode', () => {
  const dir = dirs.make('orchestration');
  let fake: FakeAws;
  let result: Awaited<ReturnType<typeof deploy>>;
  // One deploy, inspected by each test (the class mocks route to one fake at a time: set up in beforeAll).
  beforeAll(async () => {
    fake = new FakeAws();
    result = await deploy(fake, dir);
  });

  it('creates roles, log groups, functions, the state machine and the API, in dependency order', async () => {
    const calls = writes(fake);
    expect([...new Set(calls)]).toEqual([
      'iam:CreateRole',
      'logs:CreateLogGroup',
      'iam:PutRolePolicy',
      'logs:PutRetentionPolicy',
      'lambda:CreateFunction',
      'sfn:CreateStateMachine',
      'apigw:CreateRestApi',
      'apigw:PutRestApi',
      'apigw:CreateDeployment',
      'apigw:CreateStage',
      'apigw:UpdateStage',
    ]);
    expect(mocks.iam).toHaveReceivedCommandTimes(CreateRoleCommand, 3);
    expect(mocks.logs).toHaveReceivedCommandTimes(PutRetentionPolicyCommand, 8);
    expect(mocks.lambda).toHaveReceivedCommandTimes(CreateFunctionCommand, 7);
    expect(lastIndex(calls, 'iam:PutRolePolicy')).toBeLessThan(firstIndex(calls, 'lambda:CreateFunction'));
    expect(lastIndex(calls, 'lambda:CreateFunction')).toBeLessThan(firstIndex(calls, 'sfn:CreateStateMachine'));
    expect(firstIndex(calls, 'sfn:CreateStateMachine')).toBeLessThan(firstIndex(calls, 'apigw:CreateRestApi'));
    expect(result.endpoint).toBe(`https://api0001.execute-api.${REGION}.amazonaws.com/ci/orders`);
    expect(changed(result)).toHaveLength(3 + 8 + 7 + 1 + 1);
  });

  it('writes least-privilege IAM documents', async () => {
    const policies = Object.fromEntries(
      inputs(fake, 'PutRolePolicy').map((i) => [i.RoleName, json(i.PolicyDocument).Statement]),
    );
    expect(policies[role('functions')]).toEqual([
      {
        Sid: 'OwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: HANDLERS.map((h) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/fulfill-shop-ci-${h}:*`),
      },
      { Sid: 'Tracing', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
    expect(policies[role('states')]![0]).toEqual({
      Sid: 'InvokeAppFunctions',
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: HANDLERS.map(fnArn),
    });
    expect(policies[role('api')]).toEqual([
      {
        Sid: 'StartOrders',
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fulfill-shop-ci-workflow`,
      },
    ]);
    const trust = Object.fromEntries(
      inputs(fake, 'CreateRole').map((i) => [i.RoleName, json(i.AssumeRolePolicyDocument).Statement]),
    );
    expect(trust[role('states')]).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'states.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
    expect(mocks.iam).toHaveReceivedCommandWith(CreateRoleCommand, {
      RoleName: role('api'),
      Tags: [
        { Key: 'fulfill:app', Value: 'shop' },
        { Key: 'fulfill:stage', Value: 'ci' },
      ],
    });
  });

  it('creates each function from a deterministic zip of its bundle, with runtime, environment, limits and tags', async () => {
    const bundles = await bundleHandlers(dir, loadBlueprint(dir).handlers, 'orchestration');
    const created = inputs(fake, 'CreateFunction');
    expect(created.map((c) => c.FunctionName).sort()).toEqual(HANDLERS.map((h) => `fulfill-shop-ci-${h}`));
    for (const bundle of bundles) {
      const input = created.find((c) => c.FunctionName === `fulfill-shop-ci-${bundle.name}`)!;
      expect(new TextDecoder().decode(unzipSync(input.Code.ZipFile)['index.js'])).toBe(bundle.code);
      expect(codeSha256(input.Code.ZipFile)).toBe(codeSha256(zipBundle(bundle.code)));
      expect(input).toMatchObject({
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: `arn:aws:iam::${ACCOUNT}:role/${role('functions')}`,
        Timeout: 10,
        MemorySize: 256,
        TracingConfig: { Mode: 'Active' },
        Tags: TAGS,
        Environment: {
          Variables: {
            FULFILL_APP: 'shop',
            FULFILL_STAGE: 'ci',
            FULFILL_MODE: 'orchestration',
            FULFILL_HANDLER: bundle.name,
          },
        },
      });
    }
  });

  it('creates a STANDARD state machine on the deployed functions, with full logging and tracing', async () => {
    expect(mocks.sfn).toHaveReceivedCommandWith(CreateStateMachineCommand, {
      name: 'fulfill-shop-ci-workflow',
      type: 'STANDARD',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${role('states')}`,
      loggingConfiguration: {
        level: 'ALL',
        includeExecutionData: true,
        destinations: [
          {
            cloudWatchLogsLogGroup: {
              logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/fulfill-shop-ci-workflow:*`,
            },
          },
        ],
      },
      tracingConfiguration: { enabled: true },
      tags: [
        { key: 'fulfill:app', value: 'shop' },
        { key: 'fulfill:stage', value: 'ci' },
      ],
    });
    const definition = json(inputs(fake, 'CreateStateMachine')[0].definition);
    const resources = Object.values(definition.States as Record<string, { Type: string; Resource?: string }>)
      .filter((s) => s.Type === 'Task')
      .map((s) => s.Resource);
    expect(new Set(resources)).toEqual(new Set(HANDLERS.map(fnArn)));
  });

  it('imports the API with a StartExecution integration, the mapping templates, the order model and a throttled stage', async () => {
    const document = json(new TextDecoder().decode(inputs(fake, 'PutRestApi')[0].body));
    const post = document.paths['/orders'].post;
    const integration = post['x-amazon-apigateway-integration'];
    const model = apiModel(loadBlueprint(dir), ACCOUNT);
    expect(integration).toMatchObject({
      type: 'aws',
      httpMethod: 'POST',
      uri: `arn:aws:apigateway:${REGION}:states:action/StartExecution`,
      credentials: `arn:aws:iam::${ACCOUNT}:role/${role('api')}`,
      passthroughBehavior: 'never',
    });
    expect(integration.requestTemplates['application/json']).toBe(model.requestTemplate);
    expect(integration.requestTemplates['application/json']).toContain(
      `"stateMachineArn": "arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fulfill-shop-ci-workflow"`,
    );
    expect(Object.keys(integration.responses)).toEqual(['default', '4\\d{2}', '5\\d{2}']);
    expect(integration.responses.default.responseTemplates['application/json']).toBe(model.responseTemplate);
    expect(integration.responses['5\\d{2}']).toMatchObject({
      statusCode: '500',
      responseTemplates: { 'application/json': model.errorTemplate },
    });
    const { $schema: _s, ...schema } = orderJsonSchema();
    expect(document.components.schemas.Order).toEqual(schema);
    expect(post['x-amazon-apigateway-request-validator']).toBe('body');
    expect(document['x-amazon-apigateway-request-validators'].body).toEqual({
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    expect(
      document.paths['/orders'].options['x-amazon-apigateway-integration'].responses.default.responseParameters[
        'method.response.header.Access-Control-Allow-Origin'
      ],
    ).toBe("'http://localhost:4173'");
    expect(mocks.apigw).toHaveReceivedCommandWith(PutRestApiCommand, { mode: 'overwrite', failOnWarnings: true });
    expect(mocks.apigw).toHaveReceivedCommandWith(CreateStageCommand, {
      stageName: 'ci',
      tracingEnabled: true,
      tags: TAGS,
    });
    expect(mocks.apigw).toHaveReceivedCommandWith(UpdateStageCommand, {
      stageName: 'ci',
      patchOperations: [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: '50' },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: '100' },
      ],
    });
    expect(inputs(fake, 'CreateDeployment')[0].description).toMatch(/^fulfill spec [0-9a-f]{16}$/);
  });
});

describe('first deploy, events mode', () => {
  const dir = dirs.make('events');
  const flow = JSON.parse(readFileSync(join(dir, 'events.json'), 'utf8')) as {
    rules: Array<{ name: string; pattern: unknown; target: string; inputTransformer?: unknown }>;
  };
  let fake: FakeAws;
  beforeAll(async () => {
    fake = new FakeAws();
    await deploy(fake, dir);
  });
  const dlq = `arn:aws:sqs:${REGION}:${ACCOUNT}:fulfill-shop-ci-dlq`;
  const ruleArn = (name: string) =>
    `arn:aws:events:${REGION}:${ACCOUNT}:rule/fulfill-shop-ci-bus/fulfill-shop-ci-${name}`;

  it('creates the queue, bus and logs policy with the roles, then functions, then rules, then the API', async () => {
    const calls = writes(fake);
    expect(calls.filter((c) => c.startsWith('sfn:'))).toEqual([]);
    expect(calls.filter((c) => /CreateQueue|CreateEventBus|PutResourcePolicy/.test(c)).sort()).toEqual([
      'events:CreateEventBus',
      'logs:PutResourcePolicy',
      'sqs:CreateQueue',
    ]);
    expect(lastIndex(calls, 'sqs:CreateQueue')).toBeLessThan(firstIndex(calls, 'lambda:CreateFunction'));
    expect(lastIndex(calls, 'lambda:AddPermission')).toBeLessThan(firstIndex(calls, 'events:PutRule'));
    expect(lastIndex(calls, 'events:PutTargets')).toBeLessThan(firstIndex(calls, 'apigw:CreateRestApi'));
    expect(mocks.events).toHaveReceivedCommandTimes(PutTargetsCommand, flow.rules.length + 1);
  });

  it.each(flow.rules.map((r) => [r.name, r] as const))(
    'rule %s: its pattern, its target with transformer, retry policy and dead-letter queue, and the permission',
    async (name, rule) => {
      const put = inputs(fake, 'PutRule').find((i) => i.Name === `fulfill-shop-ci-${name}`)!;
      expect(put).toMatchObject({ EventBusName: 'fulfill-shop-ci-bus', State: 'ENABLED' });
      expect(json(put.EventPattern)).toEqual(rule.pattern);
      expect(mocks.events).toHaveReceivedCommandWith(PutTargetsCommand, {
        Rule: `fulfill-shop-ci-${name}`,
        EventBusName: 'fulfill-shop-ci-bus',
        Targets: [
          {
            Id: rule.target,
            Arn: fnArn(rule.target),
            InputTransformer: rule.inputTransformer as never,
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
            DeadLetterConfig: { Arn: dlq },
          },
        ],
      });
      expect(mocks.lambda).toHaveReceivedCommandWith(AddPermissionCommand, {
        FunctionName: `fulfill-shop-ci-${rule.target}`,
        StatementId: `fulfill-shop-ci-${name}`,
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: ruleArn(name),
        SourceAccount: ACCOUNT,
      });
    },
  );

  it('sends every event on the bus to the event log group, which EventBridge may write to', async () => {
    const catchAll = inputs(fake, 'PutRule').find((i) => i.Name === 'fulfill-shop-ci-all-events')!;
    expect(json(catchAll.EventPattern)).toEqual({ source: [{ prefix: '' }] });
    expect(inputs(fake, 'PutTargets').find((i) => i.Rule === 'fulfill-shop-ci-all-events')!.Targets).toEqual([
      {
        Id: 'event-log',
        Arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/events/fulfill-shop-ci-events`,
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: dlq },
      },
    ]);
    const policy = json(inputs(fake, 'PutResourcePolicy')[0].policyDocument);
    expect(policy.Statement[0]).toMatchObject({
      Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/events/fulfill-shop-ci-events:*`,
      Condition: { ArnEquals: { 'aws:SourceArn': ruleArn('all-events') } },
    });
  });

  it("gives the dead-letter queue a policy for this bus's rules and the functions an on-failure destination", async () => {
    expect(mocks.sqs).toHaveReceivedCommandWith(CreateQueueCommand, { QueueName: 'fulfill-shop-ci-dlq', tags: TAGS });
    const policy = json(inputs(fake, 'CreateQueue')[0].Attributes.Policy);
    expect(policy.Statement).toEqual([
      {
        Sid: 'EventBridgeDeadLetters',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: dlq,
        Condition: {
          ArnLike: {
            'aws:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/fulfill-shop-ci-bus/fulfill-shop-ci-*`,
          },
        },
      },
    ]);
    expect(mocks.lambda).toHaveReceivedCommandTimes(PutFunctionEventInvokeConfigCommand, 7);
    expect(mocks.lambda).toHaveReceivedCommandWith(PutFunctionEventInvokeConfigCommand, {
      FunctionName: 'fulfill-shop-ci-calculate-fee',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
    const functionsPolicy = json(
      inputs(fake, 'PutRolePolicy').find((i) => i.RoleName === role('functions'))!.PolicyDocument,
    );
    expect(functionsPolicy.Statement).toEqual(
      expect.arrayContaining([
        {
          Sid: 'PublishOnAppBus',
          Effect: 'Allow',
          Action: 'events:PutEvents',
          Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fulfill-shop-ci-bus`,
        },
        { Sid: 'AsyncFailures', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: dlq },
      ]),
    );
    const env = inputs(fake, 'CreateFunction').find((i) => i.FunctionName === 'fulfill-shop-ci-calculate-fee')!
      .Environment.Variables;
    expect(env).toMatchObject({
      FULFILL_MODE: 'events',
      FULFILL_BUS_NAME: 'fulfill-shop-ci-bus',
      FULFILL_SOURCE: 'fulfill.calculate-fee',
    });
  });

  it('imports the API with a PutEvents integration on the app bus', async () => {
    const document = json(new TextDecoder().decode(inputs(fake, 'PutRestApi')[0].body));
    const integration = document.paths['/orders'].post['x-amazon-apigateway-integration'];
    expect(integration.uri).toBe(`arn:aws:apigateway:${REGION}:events:action/PutEvents`);
    expect(integration.requestParameters).toEqual({
      'integration.request.header.X-Amz-Target': "'AWSEvents.PutEvents'",
      'integration.request.header.Content-Type': "'application/x-amz-json-1.1'",
    });
    expect(integration.requestTemplates['application/json']).toContain('"EventBusName": "fulfill-shop-ci-bus"');
    expect(integration.requestTemplates['application/json']).toContain('"DetailType": "OrderPlaced"');
    const apiPolicy = json(inputs(fake, 'PutRolePolicy').find((i) => i.RoleName === role('api'))!.PolicyDocument);
    expect(apiPolicy.Statement).toEqual([
      {
        Sid: 'PublishOrders',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fulfill-shop-ci-bus`,
      },
    ]);
  });
});

describe.each(['orchestration', 'events'] as const)('re-deploys and plans (%s)', (mode) => {
  it('a second deploy issues zero mutating calls and reports everything unchanged', async () => {
    const dir = dirs.make(mode);
    const fake = new FakeAws();
    const first = await deploy(fake, dir);
    fake.reset();
    const again = await deploy(fake, dir);
    expect(writes(fake)).toEqual([]);
    expect(changed(again)).toEqual([]);
    expect(again.changes.length).toBe(first.changes.length);
    expect(again.endpoint).toBe(first.endpoint);
  });

  it('--dry-run on an empty account issues no mutating call and plans every resource as created', async () => {
    const dir = dirs.make(mode);
    const fake = new FakeAws();
    const plan = await deploy(fake, dir, { dryRun: true });
    expect(writes(fake)).toEqual([]);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.every((c) => c.action === 'created')).toBe(true);
    expect(plan.changes.filter((c) => c.kind === 'function').map((c) => c.resource)).toHaveLength(7);
    expect(plan.endpoint).toContain('<new-api-id>');
    expect(fake.snapshot()).toEqual(new FakeAws().snapshot());
  });

  it('--dry-run after a config change says what would be updated, and why, without writing', async () => {
    const dir = dirs.make(mode);
    const fake = new FakeAws();
    await deploy(fake, dir);
    const config = JSON.parse(readFileSync(join(dir, 'fulfill.config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'fulfill.config.json'),
      JSON.stringify({
        ...config,
        functions: { timeoutSeconds: 20, memoryMb: 256 },
        api: { throttle: { rateLimit: 10, burstLimit: 20 } },
      }),
    );
    const before = fake.snapshot();
    fake.reset();
    const plan = await deploy(fake, dir, { dryRun: true });
    expect(writes(fake)).toEqual([]);
    expect(fake.snapshot()).toEqual(before);
    expect(plan.changes.filter((c) => c.kind === 'function').map((c) => c.why)).toEqual(
      Array(7).fill(['timeout 10 -> 20 s']),
    );
    expect(plan.changes.find((c) => c.kind === 'api')).toMatchObject({
      action: 'updated',
      why: ['stage settings changed'],
    });
    // The real run does just that: configuration updates, and the stage's throttling without a new deployment.
    fake.reset();
    await deploy(fake, dir);
    expect([...new Set(writes(fake))].sort()).toEqual(['apigw:UpdateStage', 'lambda:UpdateFunctionConfiguration']);
  });
});

describe('updates only what changed', () => {
  it("a changed handler updates that function's code, after waiting for Lambda", async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws();
    await deploy(fake, dir);
    const handler = join(dir, 'handlers', 'calculate-fee.ts');
    writeFileSync(handler, `${readFileSync(handler, 'utf8')}\nexport const touched = true;\n`);
    fake.reset();
    const result = await deploy(fake, dir);
    expect(writes(fake)).toEqual(['lambda:UpdateFunctionCode']);
    expect(mocks.lambda).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, {
      FunctionName: 'fulfill-shop-ci-calculate-fee',
    });
    expect(changed(result)).toEqual(['updated function fulfill-shop-ci-calculate-fee']);
    // The waiter polled GetFunction until the update was no longer InProgress.
    const after = fake.calls.slice(fake.calls.findIndex((c) => c.command === 'UpdateFunctionCode'));
    expect(after.slice(1, 3).map((c) => c.command)).toEqual(['GetFunction', 'GetFunction']);
  });

  it('a changed workflow updates only the state machine; changed CORS origins redeploy the API', async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws();
    await deploy(fake, dir);
    const file = join(dir, 'workflow.asl.json');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '"Comment": "Order fulfillment, orchestrated.',
        '"Comment": "Order fulfillment, v2.',
      ),
    );
    fake.reset();
    const result = await deploy(fake, dir);
    expect(writes(fake)).toEqual(['sfn:UpdateStateMachine']);
    expect(result.changes.find((c) => c.kind === 'state-machine')?.why).toEqual(['definition changed']);
    const config = JSON.parse(readFileSync(join(dir, 'fulfill.config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'fulfill.config.json'),
      JSON.stringify({ ...config, api: { corsOrigins: ['https://shop.example.com'] } }),
    );
    fake.reset();
    await deploy(fake, dir);
    expect(writes(fake)).toEqual(['apigw:PutRestApi', 'apigw:CreateDeployment']);
    expect(inputs(fake, 'CreateDeployment')[0]).toMatchObject({ stageName: 'ci' });
  });

  it('removes a rule taken out of the event flow (targets, rule, permission), and changes a pattern in place', async () => {
    const dir = dirs.make('events');
    const fake = new FakeAws();
    await deploy(fake, dir);
    const file = join(dir, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    flow.rules = flow.rules.filter((r: { name: string }) => r.name !== 'confirm-payment');
    flow.rules.find((r: { name: string }) => r.name === 'calculate-fee').pattern['detail-type'] = [
      'FulfillmentDecided',
      'FulfillmentRedecided',
    ];
    writeFileSync(file, JSON.stringify(flow));
    fake.reset();
    const result = await deploy(fake, dir);
    expect(writes(fake).sort()).toEqual([
      'events:DeleteRule',
      'events:PutRule',
      'events:RemoveTargets',
      'lambda:RemovePermission',
    ]);
    expect(fake.state.rules['fulfill-shop-ci-bus/fulfill-shop-ci-confirm-payment']).toBeUndefined();
    expect(fake.state.functions['fulfill-shop-ci-notify-customer'].statements.map((s) => s.Sid)).toEqual([
      'fulfill-shop-ci-payment-failed',
    ]);
    expect(changed(result).sort()).toEqual([
      'deleted rule fulfill-shop-ci-confirm-payment',
      'updated function fulfill-shop-ci-notify-customer',
      'updated rule fulfill-shop-ci-calculate-fee',
    ]);
  });

  it('removes the function (and log group) of a deleted handler, but not an untagged look-alike', async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws();
    await deploy(fake, dir);
    fake.state.functions['fulfill-shop-ci-legacy'] = {
      config: { FunctionName: 'fulfill-shop-ci-legacy' },
      tags: TAGS,
      statements: [],
    };
    fake.state.logGroups['/aws/lambda/fulfill-shop-ci-legacy'] = { retentionInDays: 30, tags: TAGS };
    fake.state.functions['fulfill-shop-ci-someone-elses'] = {
      config: { FunctionName: 'fulfill-shop-ci-someone-elses' },
      tags: {},
      statements: [],
    };
    fake.reset();
    const result = await deploy(fake, dir);
    expect(changed(result)).toEqual([
      'deleted function fulfill-shop-ci-legacy',
      'deleted log-group /aws/lambda/fulfill-shop-ci-legacy',
    ]);
    expect(Object.keys(fake.state.functions)).toContain('fulfill-shop-ci-someone-elses');
  });

  it('puts back what was changed or deleted outside fulfill (AWS is the truth)', async () => {
    const dir = dirs.make('events');
    const fake = new FakeAws();
    await deploy(fake, dir);
    const clean = fake.snapshot();
    delete fake.state.rules['fulfill-shop-ci-bus/fulfill-shop-ci-issue-invoices'];
    fake.state.functions['fulfill-shop-ci-issue-invoices'].statements = [];
    fake.state.roles[role('functions')].policies = {};
    fake.state.logGroups['/aws/events/fulfill-shop-ci-events'].retentionInDays = 7;
    fake.state.functions['fulfill-shop-ci-select-warehouse'].config.MemorySize = 1024;
    fake.reset();
    const result = await deploy(fake, dir);
    expect(fake.snapshot()).toEqual(clean);
    expect(changed(result).sort()).toEqual([
      'created rule fulfill-shop-ci-issue-invoices',
      'updated function fulfill-shop-ci-issue-invoices',
      'updated function fulfill-shop-ci-select-warehouse',
      'updated log-group /aws/events/fulfill-shop-ci-events',
      `updated role ${role('functions')}`,
    ]);
  });
});

describe('switching modes', () => {
  it.each([
    ['orchestration', 'events'],
    ['events', 'orchestration'],
  ] as const)(
    '%s -> %s removes what the old mode needed: the state equals a clean deploy of the new mode',
    async (from, to) => {
      const dir = dirs.make(from);
      const fake = new FakeAws();
      await deploy(fake, dir, { mode: from });
      fake.reset();
      const result = await deploy(fake, dir, { mode: to });
      const switched = fake.snapshot();
      const clean = new FakeAws();
      await deploy(clean, dir, { mode: to });
      expect(switched).toEqual(clean.snapshot());
      expect(writes(fake).filter((w) => w.startsWith(from === 'events' ? 'events:' : 'sfn:'))).toEqual(
        from === 'events'
          ? [
              // The bus's archive first: it keeps a managed rule on the bus.
              'events:DeleteArchive',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:RemoveTargets',
              'events:DeleteRule',
              'events:DeleteEventBus',
            ]
          : ['sfn:DeleteStateMachine'],
      );
      expect(
        changed(result)
          .filter((c) => c.startsWith('deleted'))
          .sort(),
      ).toEqual(
        from === 'events'
          ? [
              'deleted archive fulfill-shop-ci-archive',
              'deleted event-bus fulfill-shop-ci-bus',
              'deleted log-group /aws/events/fulfill-shop-ci-events',
              ...HANDLERS.map((h) => `deleted permission fulfill-shop-ci-${h}/events-wiring`),
              'deleted policy fulfill-shop-ci-events-to-logs',
              'deleted queue fulfill-shop-ci-dlq',
              ...[
                'all-events',
                'authorize-payment',
                'calculate-fee',
                'confirm-payment',
                'decide-fulfillment-3p',
                'determine-seller',
                'issue-invoices',
                'payment-failed',
                'select-warehouse-1p',
              ].map((r) => `deleted rule fulfill-shop-ci-${r}`),
            ].sort()
          : [
              'deleted log-group /aws/vendedlogs/states/fulfill-shop-ci-workflow',
              `deleted role ${role('states')}`,
              'deleted state-machine fulfill-shop-ci-workflow',
            ],
      );
    },
  );

  it('--dry-run of a switch lists what would be deleted and writes nothing', async () => {
    const dir = dirs.make('events');
    const fake = new FakeAws();
    await deploy(fake, dir, { mode: 'events' });
    const before = fake.snapshot();
    fake.reset();
    const plan = await deploy(fake, dir, { mode: 'orchestration', dryRun: true });
    expect(writes(fake)).toEqual([]);
    expect(fake.snapshot()).toEqual(before);
    expect(changed(plan)).toEqual(
      expect.arrayContaining([
        'created state-machine fulfill-shop-ci-workflow',
        'created role fulfill-shop-ci-states-role',
        'deleted event-bus fulfill-shop-ci-bus',
        'deleted queue fulfill-shop-ci-dlq',
        'deleted rule fulfill-shop-ci-all-events',
        'updated api fulfill-shop-ci-api',
      ]),
    );
  });

  it("back and forth: the dead-letter queue name is reused after SQS's 60 s, waiting with back-off", async () => {
    const dir = dirs.make('events');
    const fake = new FakeAws();
    const sleeps: number[] = [];
    await deploy(fake, dir, { mode: 'events' });
    await deploy(fake, dir, { mode: 'orchestration' });
    await deploy(fake, dir, { mode: 'events', sleep: async (ms) => void sleeps.push(ms) });
    expect(fake.calls.filter((c) => c.command === 'CreateQueue').map((c) => c.error ?? 'ok')).toEqual([
      'ok',
      'QueueDeletedRecently',
      'ok',
    ]);
    expect(sleeps).toEqual([1000]);
    const switched = fake.snapshot();
    const clean = new FakeAws();
    await deploy(clean, dir, { mode: 'events' });
    expect(switched).toEqual(clean.snapshot());
  });
});

describe('eventual consistency and throttling', () => {
  it('retries CreateFunction while the new role is not assumable yet, with back-off, then succeeds', async () => {
    const fake = new FakeAws();
    fake.rolePropagation({ lambda: 3 });
    const sleeps: number[] = [];
    await deploy(fake, dirs.make('orchestration'), { sleep: async (ms) => void sleeps.push(ms) });
    expect(mocks.lambda).toHaveReceivedCommandTimes(CreateFunctionCommand, 10);
    expect(fake.calls.filter((c) => c.error === 'InvalidParameterValueException')).toHaveLength(3);
    expect(Object.keys(fake.state.functions)).toHaveLength(7);
    expect(sleeps.length).toBe(3);
    expect(sleeps.every((ms) => ms === 1000 || ms === 2000)).toBe(true);
  });

  it('retries CreateStateMachine while Step Functions cannot assume the role yet (1 s, 2 s, 4 s)', async () => {
    const fake = new FakeAws();
    fake.rolePropagation({ states: 3 });
    const sleeps: number[] = [];
    await deploy(fake, dirs.make('orchestration'), { sleep: async (ms) => void sleeps.push(ms) });
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(mocks.sfn).toHaveReceivedCommandTimes(CreateStateMachineCommand, 4);
    expect(Object.values(fake.state.machines)).toHaveLength(1);
  });

  it('retries the on-failure destination while the new SendMessage permission propagates', async () => {
    const fake = new FakeAws();
    fake.failNext(
      'PutFunctionEventInvokeConfig',
      awsError(
        'InvalidParameterValueException',
        'The provided execution role does not have permissions to call SendMessage on SQS',
      ),
      2,
    );
    await deploy(fake, dirs.make('events'));
    expect(mocks.lambda).toHaveReceivedCommandTimes(PutFunctionEventInvokeConfigCommand, 9);
    expect(Object.values(fake.state.functions).every((f) => f.invokeConfig)).toBe(true);
  });

  it('gives up after a bounded wait, with one line naming the cause', async () => {
    const fake = new FakeAws();
    fake.rolePropagation({ lambda: 1000 });
    const sleeps: number[] = [];
    const error = (await deploy(fake, dirs.make('orchestration'), {
      sleep: async (ms) => void sleeps.push(ms),
      patienceMs: 20_000,
      concurrency: 1,
    }).catch((e: unknown) => e)) as UserError;
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(
      /^AWS lambda \w+: InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda\. \d+ changes were made before the failure/,
    );
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('does not retry other errors of the same name', async () => {
    const fake = new FakeAws();
    fake.failNext(
      'CreateFunction',
      awsError('InvalidParameterValueException', 'Unzipped size must be smaller than 262144000 bytes'),
    );
    const sleeps: number[] = [];
    const error = (await deploy(fake, dirs.make('orchestration'), { sleep: async (ms) => void sleeps.push(ms) }).catch(
      (e: unknown) => e,
    )) as UserError;
    expect(error.message).toMatch(/Unzipped size/);
    expect(sleeps).toEqual([]);
  });

  it('waits while a function left Pending by an interrupted run settles, before updating it', async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws({ settleReads: 3 });
    await deploy(fake, dir);
    fake.state.functions['fulfill-shop-ci-issue-invoices'].config.State = 'Pending';
    fake.state.functions['fulfill-shop-ci-issue-invoices'].settling = 2;
    fake.state.functions['fulfill-shop-ci-issue-invoices'].config.Timeout = 3;
    fake.reset();
    await deploy(fake, dir);
    const forFunction = fake.calls
      .filter((c) => c.input.FunctionName === 'fulfill-shop-ci-issue-invoices')
      .map((c) => c.command);
    // The deploy's read and the waiter's first poll see Pending; the second poll sees Active.
    expect(forFunction.slice(0, 4)).toEqual([
      'GetFunction',
      'GetFunction',
      'GetFunction',
      'UpdateFunctionConfiguration',
    ]);
    expect(fake.calls.some((c) => c.error === 'ResourceConflictException')).toBe(false);
  });
});

describe('failures are one clear line, say what was done, and exit 3', () => {
  const dir = dirs.make('orchestration');
  it.each([
    [
      'access denied names the caller, action and resource',
      'CreateFunction',
      awsError(
        'AccessDeniedException',
        `User: arn:aws:iam::${ACCOUNT}:user/ci is not authorized to perform: lambda:CreateFunction on resource: arn:aws:lambda:${REGION}:${ACCOUNT}:function:fulfill-shop-ci-authorize-payment because no identity-based policy allows the lambda:CreateFunction action`,
        403,
      ),
      /^access denied: arn:aws:iam::123456789012:user\/ci may not call lambda:CreateFunction on arn:aws:lambda:eu-central-1:123456789012:function:fulfill-shop-ci-authorize-payment\. \d+ changes were made before the failure \(listed below\)\.$/,
      'AwsAccessDenied',
    ],
    [
      'an IAM quota',
      'CreateRole',
      awsError('LimitExceededException', 'Cannot exceed quota for RolesPerAccount: 1000', 409),
      /^AWS quota reached \(LimitExceededException\): Cannot exceed quota for RolesPerAccount: 1000\. /,
      'AwsQuota',
    ],
    [
      'a service quota',
      'CreateStateMachine',
      awsError('ServiceQuotaExceededException', 'Number of state machines exceeds the limit'),
      /^AWS quota reached \(ServiceQuotaExceededException\)/,
      'AwsQuota',
    ],
    [
      'throttling that outlasted the SDK retries',
      'PutRestApi',
      awsError('TooManyRequestsException', 'Too Many Requests', 429),
      /^AWS kept throttling the deploy \(TooManyRequestsException\) after retries/,
      'AwsQuota',
    ],
  ])('%s', async (_name, command, error, message, code) => {
    const fake = new FakeAws();
    fake.failNext(command, error);
    const failed = (await deploy(fake, dir).catch((e: unknown) => e)) as UserError;
    expect(failed).toBeInstanceOf(UserError);
    expect(failed.exit).toBe(3);
    expect(failed.code).toBe(code);
    expect(failed.message).toMatch(message);
    expect(failed.message).not.toContain('\n');
    expect(failed.suggestions.join('\n')).toMatch(/Done before the failure: created role fulfill-shop-ci-/);
    expect(failed.suggestions.at(-1)).toMatch(/run `fulfill deploy --target aws` again: it converges/);
  });

  it('missing credentials: one line, nothing changed', async () => {
    const fake = new FakeAws();
    // What the SDK's default provider chain throws when it finds nothing (@smithy/property-provider).
    fake.failNext(
      'GetCallerIdentity',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
        tryNextLink: false,
      }),
    );
    const failed = (await deploy(fake, dir).catch((e: unknown) => e)) as UserError;
    expect(failed.code).toBe('AwsCredentials');
    expect(failed.message).toMatch(/^no AWS credentials found \(.*\)\. Nothing was changed\.$/);
  });

  it('no region: one line before any AWS call', async () => {
    const failed = (await deploy(new FakeAws(), dir, { clients: undefined, region: '' }).catch(
      (e: unknown) => e,
    )) as UserError;
    expect(failed.code).toBe('AwsRegion');
    expect(failed.message).toMatch(/^no AWS region: pass --region, set AWS_REGION/);
  });

  it('an event flow with a cycle is refused before any AWS call', async () => {
    const events = dirs.make('events');
    const file = join(events, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    flow.rules.push({
      name: 'loop',
      pattern: { source: ['fulfill.issue-invoices'], 'detail-type': ['OrderCompleted'] },
      target: 'authorize-payment',
    });
    writeFileSync(file, JSON.stringify(flow));
    const fake = new FakeAws();
    const failed = (await deploy(fake, events).catch((e: unknown) => e)) as UserError;
    expect(failed).toBeInstanceOf(UserError);
    expect(fake.calls).toEqual([]);
    const allowed = await deploy(fake, events, { allowCycles: true });
    expect(allowed.warnings.join()).toMatch(/cycle/);
  });
});

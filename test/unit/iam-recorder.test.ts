import { afterAll, describe, expect, it } from '@jest/globals';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID } from '../../src/lib/blueprint/naming.js';
import { roleSpecs } from '../../src/lib/aws/policies.js';
import { createCallRecorder } from '../../src/lib/iam/call-recorder.js';
import { comparePolicy } from '../../src/lib/iam/compare.js';
import { tempDir, templateProject } from '../helpers/cli.js';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const region = 'eu-central-1';

describe('recording the AWS calls a handler makes (for iam check)', () => {
  const recorder = createCallRecorder({ account: LOCAL_ACCOUNT_ID });
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  afterAll(async () => {
    await recorder.close();
    tmp.cleanup();
  });

  it("reads service, action and resource from the real SDK clients' signed requests (JSON, query and REST protocols)", async () => {
    const endpoint = await recorder.endpointFor('issue-invoices');
    const config = { region, credentials, endpoint, maxAttempts: 1 };
    const queueUrl = `${endpoint}/${LOCAL_ACCOUNT_ID}/fulfill-test-shop-test-dlq`;
    await new SQSClient(config).send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    await new SFNClient(config).send(
      new StartExecutionCommand({
        stateMachineArn: `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:billing`,
        input: '{}',
      }),
    );
    await new LambdaClient(config).send(
      new InvokeCommand({ FunctionName: 'fulfill-test-shop-test-notify-customer', Payload: Buffer.from('{}') }),
    );
    await new STSClient(config).send(new GetCallerIdentityCommand({}));
    expect(
      recorder.calls.map(({ function: fn, service, operation, action, resource }) => ({
        fn,
        service,
        operation,
        action,
        resource,
      })),
    ).toEqual([
      {
        fn: 'issue-invoices',
        service: 'sqs',
        operation: 'SendMessage',
        action: 'sqs:SendMessage',
        resource: `arn:aws:sqs:${region}:${LOCAL_ACCOUNT_ID}:fulfill-test-shop-test-dlq`,
      },
      {
        fn: 'issue-invoices',
        service: 'states',
        operation: 'StartExecution',
        action: 'states:StartExecution',
        resource: `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:billing`,
      },
      {
        fn: 'issue-invoices',
        service: 'lambda',
        operation: 'Invoke',
        action: 'lambda:InvokeFunction',
        resource: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:fulfill-test-shop-test-notify-customer`,
      },
      {
        fn: 'issue-invoices',
        service: 'sts',
        operation: 'GetCallerIdentity',
        action: 'sts:GetCallerIdentity',
        resource: '*',
      },
    ]);
  });

  it('compares them with the functions role deploy --target aws would create: missing and unused, each with its statement', () => {
    const blueprint = loadBlueprint(tmp.dir);
    const policy = roleSpecs(blueprint, blueprint.names.inAccount(LOCAL_ACCOUNT_ID)).find(
      (r) => r.kind === 'functions',
    )!.policy;
    expect(blueprint.names.inAccount(LOCAL_ACCOUNT_ID).deadLetterQueue()).toBe('fulfill-test-shop-test-dlq');
    const before = comparePolicy(recorder.calls, policy);
    expect(before.missing.map((m) => m.action)).toEqual([
      'states:StartExecution',
      'lambda:InvokeFunction',
      'sts:GetCallerIdentity',
    ]);
    expect(before.missing[0].statement).toEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: `arn:aws:states:${region}:${LOCAL_ACCOUNT_ID}:stateMachine:billing`,
    });
    // The dead-letter SendMessage is granted and used; PutEvents was not called in this run.
    expect(before.unused.map((u) => u.action)).toContain('events:PutEvents');
    expect(before.unused.map((u) => u.action)).not.toContain('sqs:SendMessage');
    const fixed = { ...policy, Statement: [...policy.Statement, ...before.missing.map((m) => m.statement)] };
    expect(comparePolicy(recorder.calls, fixed).missing).toEqual([]);
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID, stageNames } from '../../src/lib/blueprint/naming.js';
import { comparePolicy } from '../../src/lib/iam/compare.js';
import { engineCallLog, type ObservedCall } from '../../src/lib/iam/engine-calls.js';
import { comparedPolicies } from '../../src/lib/iam/last-check.js';
import { localDeploySteps } from '../../src/lib/local/deploy.js';
import { parseFaults } from '../../src/lib/local/faults.js';
import { localSender } from '../../src/lib/order/send.js';
import { tempDir, templateProject } from '../helpers/cli.js';

const names = stageNames('test-shop', 'test', 'eu-central-1').inAccount(LOCAL_ACCOUNT_ID);
const arn = (service: string, rest: string) => `arn:aws:${service}:eu-central-1:${LOCAL_ACCOUNT_ID}:${rest}`;
const fn = (handler: string) => arn('lambda', `function:fulfill-test-shop-test-${handler}`);
const shape = (calls: readonly ObservedCall[]) =>
  calls.map(({ principal, function: by, action, resource, context, count }) => ({
    principal,
    by,
    action,
    resource,
    ...(context ? { context } : {}),
    count,
  }));

describe('engine calls as AWS would authorize them (iam check)', () => {
  it('maps each engine event to the principal, action and resource AWS checks, counting repeats', () => {
    const log = engineCallLog(names);
    const { observer } = log;
    observer.taskInvoked!('authorize-payment');
    observer.taskInvoked!('authorize-payment');
    observer.integrationCalled!({ stateMachineArn: names.stateMachineArn(), name: 'o-1', input: '{}' });
    observer.integrationCalled!({ Entries: [{ EventBusName: names.busName(), Source: 'fulfill.api' }] });
    observer.published!('issue-invoices', { Entries: [{ EventBusName: names.busArn() }, {}] });
    observer.delivering!('calculate-fee', 'calculate-fee');
    observer.deadLettered!('confirm-payment', 'notify-customer');
    observer.invoked!('select-warehouse');
    const stream = arn('logs', 'log-group:/aws/lambda/fulfill-test-shop-test-select-warehouse:log-stream:local');
    expect(shape(log.calls)).toEqual([
      {
        principal: 'states',
        by: 'Step Functions',
        action: 'lambda:InvokeFunction',
        resource: fn('authorize-payment'),
        count: 2,
      },
      {
        principal: 'api',
        by: 'API Gateway',
        action: 'states:StartExecution',
        resource: names.stateMachineArn(),
        count: 1,
      },
      { principal: 'api', by: 'API Gateway', action: 'events:PutEvents', resource: names.busArn(), count: 1 },
      // An entry without EventBusName goes to the account's default bus, which IAM checks separately.
      { principal: 'functions', by: 'issue-invoices', action: 'events:PutEvents', resource: names.busArn(), count: 1 },
      {
        principal: 'functions',
        by: 'issue-invoices',
        action: 'events:PutEvents',
        resource: arn('events', 'event-bus/default'),
        count: 1,
      },
      {
        principal: 'events',
        by: 'rule calculate-fee',
        action: 'lambda:InvokeFunction',
        resource: fn('calculate-fee'),
        context: { 'aws:SourceArn': names.ruleArn('calculate-fee'), 'aws:SourceAccount': LOCAL_ACCOUNT_ID },
        count: 1,
      },
      {
        principal: 'functions',
        by: 'notify-customer',
        action: 'sqs:SendMessage',
        resource: names.deadLetterQueueArn(),
        count: 1,
      },
      { principal: 'functions', by: 'select-warehouse', action: 'logs:CreateLogStream', resource: stream, count: 1 },
      { principal: 'functions', by: 'select-warehouse', action: 'logs:PutLogEvents', resource: stream, count: 1 },
    ]);
  });

  it("checks EventBridge's invocations against the functions' permissions, rule by rule (aws:SourceArn)", () => {
    const tmp = tempDir();
    try {
      const blueprint = loadBlueprint(templateProject(tmp.dir, { mode: 'events' }));
      const permissions = comparedPolicies(blueprint).find((p) => p.principal === 'events')!.policy;
      const log = engineCallLog(names);
      log.observer.delivering!('calculate-fee', 'calculate-fee');
      // The same function through a rule that does not target it: its permission names another SourceArn.
      log.observer.delivering!('calculate-fee', 'issue-invoices');
      const { missing, unused } = comparePolicy(log.calls, permissions);
      expect(missing.map((m) => [m.function, m.resource])).toEqual([['rule calculate-fee', fn('issue-invoices')]]);
      expect(missing[0].statement.Condition).toEqual({ ArnLike: { 'aws:SourceArn': names.ruleArn('calculate-fee') } });
      expect(unused.map((u) => u.sid)).not.toContain(names.resource('calculate-fee'));
      expect(unused.map((u) => u.sid)).toContain(names.resource('issue-invoices'));
    } finally {
      tmp.cleanup();
    }
  });
});

describe('the local engines report what they do on the functions behalf', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const run = async (mode: 'orchestration' | 'events', inject: string[] = []) => {
    const dir = templateProject(join(tmp.dir, `${mode}-${inject.length}`), { mode });
    const blueprint = loadBlueprint(dir);
    const { steps } = localDeploySteps(blueprint);
    for (const step of steps) await step.run();
    const log = engineCallLog(names);
    const sender = await localSender(dir, 'test', { observer: log.observer, faults: parseFaults(inject) });
    try {
      const sent = await sender.send(
        {
          orderId: `engine-${mode}`,
          customerId: 'c-1',
          paymentInstrumentType: 'creditCard',
          sellerId: 'shop',
          currency: 'EUR',
          items: [{ sku: 'book', quantity: 1, unitPrice: 10 }],
          shipTo: { country: 'DE', postalCode: '10115' },
        },
        true,
        60_000,
      );
      return { log, status: sent.outcome?.status };
    } finally {
      await sender.close();
    }
  };
  const summary = (calls: readonly ObservedCall[]) => [
    ...new Set(
      calls.map((c) => `${c.principal} ${c.function} ${c.action} ${c.resource.split(':').slice(5).join(':')}`),
    ),
  ];

  it('orchestration: Step Functions invokes each Task function, the API starts the execution, Lambda writes logs', async () => {
    const { log, status } = await run('orchestration');
    expect(status).toBe('SUCCEEDED');
    const calls = summary(log.calls);
    expect(calls).toContain('api API Gateway states:StartExecution stateMachine:fulfill-test-shop-test-workflow');
    for (const handler of ['authorize-payment', 'determine-seller', 'select-warehouse', 'issue-invoices']) {
      expect(calls).toContain(`states Step Functions lambda:InvokeFunction function:fulfill-test-shop-test-${handler}`);
      expect(calls).toContain(
        `functions ${handler} logs:PutLogEvents log-group:/aws/lambda/fulfill-test-shop-test-${handler}:log-stream:local`,
      );
    }
    expect(calls.filter((c) => c.startsWith('events '))).toEqual([]);
  }, 120_000);

  it('events: the API and each function publish (attributed by the bus), each rule invokes its target', async () => {
    const { log, status } = await run('events');
    expect(status).toBe('SUCCEEDED');
    const calls = summary(log.calls);
    expect(calls).toContain('api API Gateway events:PutEvents event-bus/fulfill-test-shop-test-bus');
    for (const handler of ['authorize-payment', 'determine-seller', 'select-warehouse', 'issue-invoices'])
      expect(calls).toContain(`functions ${handler} events:PutEvents event-bus/fulfill-test-shop-test-bus`);
    expect(calls).toContain(
      'events rule select-warehouse-1p lambda:InvokeFunction function:fulfill-test-shop-test-select-warehouse',
    );
    expect(calls.filter((c) => c.startsWith('states '))).toEqual([]);
    // Compared with the policies deploy --target aws would create: nothing this run did would be denied.
    const blueprint = loadBlueprint(join(tmp.dir, 'events-0'));
    for (const policy of comparedPolicies(blueprint))
      expect(
        comparePolicy(
          log.calls.filter((c) => c.principal === policy.principal),
          policy.policy,
        ).missing,
      ).toEqual([]);
  }, 120_000);

  it("events: a dead-lettered delivery is Lambda's on-failure send to the queue, with the function's role", async () => {
    const { log } = await run('events', ['notify-customer:fail:9']);
    const dead = log.calls.filter((c) => c.action === 'sqs:SendMessage');
    expect(shape(dead)).toEqual([
      {
        principal: 'functions',
        by: 'notify-customer',
        action: 'sqs:SendMessage',
        resource: names.deadLetterQueueArn(),
        count: 1,
      },
    ]);
    // Every attempt is an invocation EventBridge makes (three: the first and two retries).
    const attempts = log.calls.find((c) => c.principal === 'events' && c.resource === fn('notify-customer'));
    expect(attempts?.count).toBe(3);
  }, 120_000);
});

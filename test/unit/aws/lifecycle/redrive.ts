import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsContext } from '../../../../src/lib/aws/context.js';
import { destroyAws } from '../../../../src/lib/aws/destroy.js';
import { redriveAws, replayAws } from '../../../../src/lib/aws/redrive.js';
import { loadBlueprint, type Blueprint } from '../../../../src/lib/blueprint/blueprint.js';
import { loadConfig } from '../../../../src/lib/config/schema.js';
import { UserError } from '../../../../src/lib/errors.js';
import { AwsTarget } from '../../../../src/lib/targets/aws.js';
import type { RedriveRequest } from '../../../../src/lib/targets/target.js';
import { ACCOUNT, FakeAws, REGION } from '../../../helpers/fake-aws.js';
import type { FakeState } from '../../../helpers/fake-aws/model.js';
import { deploy, projects, writes } from '../support.js';

const dirs = projects();
afterAll(() => dirs.cleanup());

describe('redrive --target aws: the stage dead-letter queue, re-delivered by invoking the target', () => {
  let dir: string;
  let blueprint: Blueprint;
  let fake: FakeAws;
  let seeded: FakeState;
  const queueName = () => blueprint.names.deadLetterQueue();
  const queueUrl = () => `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${queueName()}`;
  const messages = () => fake.state.queues[queueName()].messages ?? [];
  const stage = () => ({
    ctx: awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} }),
    blueprint,
    mode: 'events' as const,
  });
  const names = () => stage().ctx.names;
  const redrive = (request: Partial<RedriveRequest> = {}) => redriveAws(stage(), { dryRun: false, ...request });
  const event = (orderId: string, detailType: string, source: string, detail: Record<string, unknown> = {}) => ({
    version: '0',
    id: `ev-${orderId}`,
    'detail-type': detailType,
    source,
    account: ACCOUNT,
    time: '2026-12-01T10:00:00Z',
    region: REGION,
    resources: [],
    detail: { orderId, ...detail },
  });
  // What EventBridge sends to a target's dead-letter queue: the event, and why, as message attributes.
  const eventBridgeLetter = (rule: string, target: string, body: Record<string, unknown>) => ({
    QueueUrl: queueUrl(),
    MessageBody: JSON.stringify(body),
    MessageAttributes: {
      RULE_ARN: { DataType: 'String', StringValue: names().ruleArn(rule) },
      TARGET_ARN: { DataType: 'String', StringValue: target },
      ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
      RETRY_ATTEMPTS: { DataType: 'String', StringValue: '2' },
    },
  });

  beforeAll(async () => {
    dir = dirs.make('events');
    blueprint = loadBlueprint(dir);
    fake = new FakeAws();
    await deploy(fake, dir);
    const send = (input: Record<string, unknown>) => fake.handle('sqs', 'SendMessage', input);
    await send(
      eventBridgeLetter(
        'select-warehouse-1p',
        names().functionArn('select-warehouse'),
        event('o-1', 'SellerDetermined', 'fulfill.determine-seller', { seller: { type: '1P' } }),
      ),
    );
    await send(
      eventBridgeLetter(
        'determine-seller',
        names().functionArn('determine-seller'),
        event('o-2', 'PaymentAuthorized', 'fulfill.authorize-payment'),
      ),
    );
    // A function's asynchronous on-failure destination: Lambda's record with the (already transformed) payload.
    await send({
      QueueUrl: queueUrl(),
      MessageBody: JSON.stringify({
        version: '1.0',
        timestamp: '2026-12-01T10:00:01.000Z',
        requestContext: {
          requestId: 'req-1',
          functionArn: `${names().functionArn('notify-customer')}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: { Input: { orderId: 'o-3' } },
        responseContext: { statusCode: 200, functionError: 'Unhandled' },
        responsePayload: { errorType: 'Error', errorMessage: 'mail server down' },
      }),
    });
    // The catch-all rule's target is the event log group: nothing fulfill can re-deliver to.
    await send(
      eventBridgeLetter(
        blueprint.names.catchAllRule,
        names().logGroupArn(blueprint.names.eventLogGroup()),
        event('o-4', 'OrderPlaced', 'fulfill.api'),
      ),
    );
    seeded = structuredClone(fake.state);
  }, 120_000);

  const fresh = () => {
    fake.restore(seeded);
    fake.invocations.splice(0);
    fake.reset();
  };

  it('invokes each target asynchronously with the transformed input, deleting each message after its invoke', async () => {
    fresh();
    const report = await redrive();
    expect(writes(fake)).toEqual([
      'sqs:ReceiveMessage',
      'lambda:Invoke',
      'sqs:DeleteMessage',
      'lambda:Invoke',
      'sqs:DeleteMessage',
      'lambda:Invoke',
      'sqs:DeleteMessage',
      'sqs:ReceiveMessage',
      'sqs:ChangeMessageVisibility',
    ]);
    expect(fake.invocations).toEqual([
      // The rule's input transformer, as EventBridge applies it: {"Input": <detail>}.
      {
        functionName: blueprint.names.functionName('select-warehouse'),
        invocationType: 'Event',
        payload: { Input: { orderId: 'o-1', seller: { type: '1P' } } },
      },
      {
        functionName: blueprint.names.functionName('determine-seller'),
        invocationType: 'Event',
        payload: { Input: { orderId: 'o-2' } },
      },
      {
        functionName: blueprint.names.functionName('notify-customer'),
        invocationType: 'Event',
        payload: { Input: { orderId: 'o-3' } },
      },
    ]);
    expect(report.letters.map((l) => [l.orderId, l.rule, l.target, l.result])).toEqual([
      ['o-1', 'select-warehouse-1p', 'select-warehouse', 'redelivered'],
      ['o-2', 'determine-seller', 'determine-seller', 'redelivered'],
      // Two rules target notify-customer: Lambda's record names the function only.
      ['o-3', '-', 'notify-customer', 'redelivered'],
      ['o-4', blueprint.names.resource(blueprint.names.catchAllRule), expect.any(String), 'skipped'],
    ]);
    expect(report.letters[3].reason).toMatch(/not a rule of the stage's flow/);
    expect(report.summary).toBe(`redrove 4 message(s) of ${queueName()}: 3 redelivered, 1 skipped`);
    // Only the message that cannot be redriven is left, visible again at once.
    expect(messages().map((m) => m.MessageId)).toHaveLength(1);
    expect(messages()[0].visibleAt).toBeLessThanOrEqual(Date.now());

    // Idempotent: a second run re-delivers nothing and deletes nothing.
    fake.reset();
    const again = await redrive();
    expect(fake.invocations).toHaveLength(3);
    expect(writes(fake)).not.toContain('lambda:Invoke');
    expect(writes(fake)).not.toContain('sqs:DeleteMessage');
    expect(again.letters.map((l) => l.result)).toEqual(['skipped']);
  });

  it('--order and --rule: only matching messages are re-delivered; the others are made visible again', async () => {
    fresh();
    const byOrder = await redrive({ orderId: 'o-2' });
    expect(byOrder.letters.map((l) => [l.orderId, l.result])).toEqual([['o-2', 'redelivered']]);
    expect(fake.invocations.map((i) => i.functionName)).toEqual([blueprint.names.functionName('determine-seller')]);
    expect(messages()).toHaveLength(3);
    expect(messages().every((m) => m.visibleAt <= Date.now())).toBe(true);

    const byRule = await redrive({ rule: 'select-warehouse-1p' });
    expect(byRule.letters.map((l) => [l.orderId, l.result])).toEqual([['o-1', 'redelivered']]);
    expect(messages()).toHaveLength(2);

    const none = await redrive({ rule: 'calculate-fee' });
    expect(none.letters).toEqual([]);
    expect(none.summary).toBe(`nothing to redrive: ${queueName()} has no dead letters for rule calculate-fee`);
  });

  it('--dry-run lists the messages and changes nothing (every one visible again)', async () => {
    fresh();
    const report = await redrive({ dryRun: true });
    expect(report.letters.map((l) => l.result)).toEqual(['pending', 'pending', 'pending', 'skipped']);
    expect(fake.invocations).toEqual([]);
    expect(writes(fake).filter((w) => w !== 'sqs:ReceiveMessage' && w !== 'sqs:ChangeMessageVisibility')).toEqual([]);
    expect(messages()).toHaveLength(4);
    expect(messages().every((m) => m.visibleAt <= Date.now())).toBe(true);
  });

  it('a fault at each mutating call: no message is deleted before its target was invoked; a re-run finishes the job', async () => {
    fresh();
    await redrive();
    const total = fake.mutatingCalls().length;
    expect(total).toBe(9);
    for (let k = 1; k <= total; k++) {
      fresh();
      fake.failAt(k);
      const outcome = await redrive().then(
        () => 'ok',
        (error: Error) => error.name,
      );
      const failedCall = fake.mutatingCalls()[k - 1];
      // A failed ChangeMessageVisibility only delays the message (it reappears after its timeout).
      expect(outcome).toBe(failedCall.command === 'ChangeMessageVisibility' ? 'ok' : 'ServiceUnavailableException');
      const left = new Set(
        messages()
          .map((m) => JSON.parse(m.Body) as Record<string, any>)
          .map(orderOf),
      );
      for (const orderId of ['o-1', 'o-2', 'o-3']) {
        if (!left.has(orderId))
          expect(fake.invocations.map((i) => (i.payload as any).Input.orderId)).toContain(orderId);
      }
      // The visibility timeout passes; a clean run re-delivers what is left (at least once, never lost).
      for (const m of messages()) m.visibleAt = 0;
      await redrive();
      const invoked = fake.invocations.map((i) => (i.payload as any).Input.orderId);
      for (const orderId of ['o-1', 'o-2', 'o-3']) {
        expect(invoked).toContain(orderId);
        expect(invoked.filter((o) => o === orderId).length).toBeLessThanOrEqual(2);
      }
      expect(messages().map((m) => orderOf(JSON.parse(m.Body)))).toEqual(['o-4']);
    }
  });

  it('refuses an unknown --rule, an orchestration stage, a missing queue: exit 2', async () => {
    fresh();
    await expect(redrive({ rule: 'nope' })).rejects.toThrow(
      /^--rule: stage "ci" has no rule "nope" \(its rules: authorize-payment, /,
    );
    await expect(redriveAws({ ...stage(), mode: 'orchestration' }, { dryRun: false })).rejects.toThrow(
      /^redrive is an events-mode feature and stage "ci" runs orchestration: re-send the order/,
    );
    delete fake.state.queues[queueName()];
    const missing = await redrive().catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(UserError);
    expect((missing as UserError).exit).toBe(2);
    expect((missing as Error).message).toBe(`the dead-letter queue ${queueName()} does not exist in ${REGION}`);
  });

  it('through the Target interface: AwsTarget finds the events stage and redrives', async () => {
    fresh();
    const target = new AwsTarget(dir, loadConfig(dir), 'ci', { clients: fake.clients });
    const report = await target.redrive({ orderId: 'o-1', dryRun: false });
    expect(report).toMatchObject({ target: 'aws', stage: 'ci', executions: [] });
    expect(report.letters.map((l) => l.result)).toEqual(['redelivered']);
    const replay = await target.replay({ since: Date.now() - 3_600_000, dryRun: true });
    expect(replay.summary).toMatch(/^dry run: would replay fulfill-shop-ci-archive from /);
  });
});

function orderOf(body: Record<string, any>): string {
  return body.detail?.orderId ?? body.requestPayload?.Input?.orderId;
}

describe('replay --target aws: an EventBridge replay of the stage archive', () => {
  let dir: string;
  let blueprint: Blueprint;
  let fake: FakeAws;
  let deployed: FakeState;
  const stage = () => ({
    ctx: awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} }),
    blueprint,
    mode: 'events' as const,
  });
  const since = () => Date.now() - 3_600_000;

  beforeAll(async () => {
    dir = dirs.make('events');
    blueprint = loadBlueprint(dir);
    fake = new FakeAws();
    await deploy(fake, dir);
    deployed = structuredClone(fake.state);
  }, 120_000);

  it('deploy creates the archive of the bus (every event, 14 days); a second deploy leaves it unchanged', async () => {
    expect(fake.state.archives).toEqual({
      'fulfill-shop-ci-archive': {
        source: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fulfill-shop-ci-bus`,
        retentionDays: 14,
        description: expect.any(String),
      },
    });
    fake.reset();
    const again = await deploy(fake, dir);
    expect(again.changes).toContainEqual({ resource: 'fulfill-shop-ci-archive', kind: 'archive', action: 'unchanged' });
    expect(writes(fake).filter((w) => /Archive/.test(w))).toEqual([]);
    // Drift is repaired: a retention changed by hand is set back.
    fake.state.archives['fulfill-shop-ci-archive'].retentionDays = 1;
    fake.reset();
    const repaired = await deploy(fake, dir);
    expect(repaired.changes).toContainEqual(
      expect.objectContaining({ resource: 'fulfill-shop-ci-archive', action: 'updated', why: ['retention changed'] }),
    );
    expect(fake.state.archives['fulfill-shop-ci-archive'].retentionDays).toBe(14);
  });

  it('starts a replay of the archive to the bus, --rule as FilterArns, and waits for it to complete', async () => {
    fake.restore(deployed);
    fake.reset();
    const from = since();
    const report = await replayAws(stage(), { since: from, rule: 'issue-invoices', dryRun: false });
    expect(writes(fake)).toEqual(['events:StartReplay']);
    expect(fake.calls.map((c) => c.command)).toEqual([
      'DescribeArchive',
      'StartReplay',
      'DescribeReplay',
      'DescribeReplay',
    ]);
    const start = fake.calls.find((c) => c.command === 'StartReplay')!.input;
    expect(start).toMatchObject({
      ReplayName: report.replayName,
      EventSourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/fulfill-shop-ci-archive`,
      EventStartTime: new Date(from),
      Destination: {
        Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fulfill-shop-ci-bus`,
        FilterArns: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/fulfill-shop-ci-bus/fulfill-shop-ci-issue-invoices`],
      },
    });
    expect(report.replayName).toMatch(/^fulfill-shop-ci-replay-\d{8}T\d{6}-[a-z0-9]+$/);
    expect(report.summary).toMatch(/^replayed fulfill-shop-ci-archive from .* to rule issue-invoices as /);
    // Each run is its own replay (EventBridge names are unique): a second one starts another.
    const second = await replayAws(stage(), { since: from, dryRun: false });
    expect(second.replayName).not.toBe(report.replayName);
    expect(fake.calls.filter((c) => c.command === 'StartReplay').at(-1)!.input.Destination).toEqual({
      Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/fulfill-shop-ci-bus`,
    });
  });

  it('a dry run starts nothing; --order, a missing archive and a failed StartReplay are one-line errors', async () => {
    fake.restore(deployed);
    fake.reset();
    const dry = await replayAws(stage(), { since: since(), dryRun: true });
    expect(writes(fake)).toEqual([]);
    expect(dry.summary).toMatch(/^dry run: would replay fulfill-shop-ci-archive from /);
    await expect(replayAws(stage(), { orderId: 'o-1', dryRun: false })).rejects.toThrow(
      /^replay --target aws replays a time window of the bus archive, as EventBridge does, not one order: use --since/,
    );
    await expect(replayAws(stage(), { since: since(), rule: 'nope', dryRun: false })).rejects.toThrow(/^--rule: /);
    fake.failAt(1);
    const failed = await replayAws(stage(), { since: since(), dryRun: false }).catch((e: Error) => e);
    expect((failed as Error).name).toBe('ServiceUnavailableException');
    delete fake.state.archives['fulfill-shop-ci-archive'];
    const missing = await replayAws(stage(), { since: since(), dryRun: false }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(UserError);
    expect((missing as Error).message).toBe(
      `the archive fulfill-shop-ci-archive of the stage's bus does not exist in ${REGION}`,
    );
  });

  it('destroy deletes the archive before the bus, and only the stage bus archive', async () => {
    fake.restore(deployed);
    fake.reset();
    await destroyAws(awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} }), blueprint);
    const order = writes(fake);
    expect(order.indexOf('events:DeleteArchive')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('events:DeleteArchive')).toBeLessThan(order.indexOf('events:DeleteEventBus'));
    expect(fake.state.archives).toEqual({});
    // A look-alike: an archive of that name on someone else's bus stays, with a warning.
    fake.restore(deployed);
    fake.state.archives['fulfill-shop-ci-archive'].source = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/other`;
    fake.state.buses.other = { tags: [] };
    const ctx = awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} });
    const result = await destroyAws(ctx, blueprint).catch((e: Error) => e);
    expect(fake.state.archives['fulfill-shop-ci-archive']).toBeDefined();
    expect(ctx.skipped).toContainEqual(expect.objectContaining({ resource: 'fulfill-shop-ci-archive' }));
    void result;
  });

  // Last: it makes new fakes, and the latest FakeAws owns the SDK mocks.
  it('a fault at each mutating call of a first deploy: the next deploy converges to the same archive', async () => {
    const clean = new FakeAws();
    await deploy(clean, dirs.make('events'));
    const total = clean.mutatingCalls().length;
    const archiveCall = clean.mutatingCalls().findIndex((c) => c.command === 'CreateArchive') + 1;
    expect(archiveCall).toBeGreaterThan(0);
    // The faults around the archive: the bus's creation, the archive's, and the first call after them.
    for (const k of [archiveCall - 1, archiveCall, Math.min(total, archiveCall + 1)]) {
      const faulty = new FakeAws();
      const project = dirs.make('events');
      faulty.failAt(k);
      await expect(deploy(faulty, project)).rejects.toThrow();
      await deploy(faulty, project);
      expect(faulty.state.archives).toEqual(clean.state.archives);
    }
  });
});

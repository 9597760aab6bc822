import { DescribeArchiveCommand, DescribeReplayCommand, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Blueprint } from '../blueprint/blueprint.js';
import type { Mode } from '../config/schema.js';
import { AwsServiceError, TimeoutError, UserError } from '../errors.js';
import { text } from '../json.js';
import { transformEventForTarget } from '../events/transformer.js';
import {
  eventsModeOnly,
  type RedriveLetterReport,
  type RedriveReport,
  type RedriveRequest,
  type ReplayReport,
  type ReplayRequest,
} from '../targets/target.js';
import { ignoreNotFound, type AwsContext } from './context.js';
import { archiveName } from './events.js';

/** Long enough to invoke a batch of ten; an unfinished run's messages reappear after it (SQS at-least-once). */
const VISIBILITY_SECONDS = 60;

/** A dead-letter queue message, read: what to invoke with what, and what to report. */
interface Letter {
  message: Message;
  report: RedriveLetterReport;
  /** Undefined when the message cannot be redriven (the report says why). */
  invoke?: { functionName: string; payload: unknown };
}

/**
 * `fulfill redrive --target aws`: receives the stage's dead-letter queue (every EventBridge target and every
 * function's asynchronous on-failure destination send to it), re-delivers each message and deletes it only
 * after the re-delivery was accepted. Two kinds of message:
 * - EventBridge's: the event as the body, the rule and target ARNs as message attributes (RULE_ARN,
 *   TARGET_ARN). Re-delivered as EventBridge delivers it: the rule's input transformer applied, then an
 *   asynchronous Invoke of the target function (InvocationType Event), so Lambda's retries and on-failure
 *   destination apply again. Not PutEvents: that would reach every rule of the bus, not the one that failed.
 * - Lambda's on-failure records: `requestPayload` (already transformed) re-invoked the same way.
 * Messages that do not pass the filters, and every message in a dry run, are made visible again at once.
 */
export async function redriveAws(
  stage: { ctx: AwsContext; blueprint: Blueprint; mode: Mode },
  request: RedriveRequest,
): Promise<RedriveReport> {
  const { ctx, blueprint } = stage;
  if (stage.mode !== 'events' || !blueprint.events) throw eventsModeOnly('redrive', blueprint.stage);
  const flow = blueprint.events;
  if (request.rule !== undefined && !flow.rules.some((r) => r.name === request.rule))
    throw new UserError(
      `--rule: stage "${blueprint.stage}" has no rule "${request.rule}" (its rules: ${flow.rules.map((r) => r.name).join(', ')})`,
    );
  const { sqs, lambda } = ctx.clients;
  const queue = ctx.names.deadLetterQueue();
  const url = (await ignoreNotFound(() => sqs.send(new GetQueueUrlCommand({ QueueName: queue }))))?.QueueUrl;
  if (!url)
    throw new UserError(`the dead-letter queue ${queue} does not exist in ${ctx.region}`, [
      'Run `fulfill deploy --target aws` (events mode) first.',
    ]);
  const reports: RedriveLetterReport[] = [];
  const seen = new Set<string>();
  /** Received, not deleted and not to be kept hidden: made visible again before returning. */
  const release = new Map<string, string>();
  try {
    for (;;) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: VISIBILITY_SECONDS,
          MessageAttributeNames: ['All'],
        }),
      );
      const fresh = (received.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId!);
        const letter = readLetter(message, blueprint);
        if (!matches(letter.report, request)) {
          release.set(message.MessageId!, message.ReceiptHandle!);
          continue;
        }
        reports.push(letter.report);
        if (request.dryRun || !letter.invoke) {
          release.set(message.MessageId!, message.ReceiptHandle!);
          continue;
        }
        // A handle is released if the invoke throws (the message stays for the next run), kept hidden once invoked.
        release.set(message.MessageId!, message.ReceiptHandle!);
        await lambda.send(
          new InvokeCommand({
            FunctionName: letter.invoke.functionName,
            InvocationType: 'Event',
            Payload: new TextEncoder().encode(JSON.stringify(letter.invoke.payload)),
          }),
        );
        release.delete(message.MessageId!);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
        letter.report.result = 'redelivered';
      }
    }
  } finally {
    for (const handle of release.values()) {
      await ignoreNotFound(() =>
        sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: handle, VisibilityTimeout: 0 })),
      ).catch(() => undefined); // the message reappears after its visibility timeout anyway
    }
  }
  const count = (result: RedriveLetterReport['result']) => reports.filter((r) => r.result === result).length;
  const summary =
    reports.length === 0
      ? `nothing to redrive: ${queue} has no dead letters${request.orderId ? ` for order ${request.orderId}` : ''}${request.rule ? ` for rule ${request.rule}` : ''}`
      : request.dryRun
        ? `dry run: ${count('pending')} message(s) of ${queue} would be redriven, ${count('skipped')} skipped`
        : `redrove ${reports.length} message(s) of ${queue}: ${count('redelivered')} redelivered, ${count('skipped')} skipped`;
  return { target: 'aws', stage: blueprint.stage, dryRun: request.dryRun, letters: reports, executions: [], summary };
}

function matches(report: RedriveLetterReport, request: RedriveRequest): boolean {
  if (request.orderId !== undefined && report.orderId !== request.orderId) return false;
  return request.rule === undefined || report.rule === request.rule;
}

/** Parses one message: an EventBridge dead letter or a Lambda on-failure record; anything else is skipped. */
function readLetter(message: Message, blueprint: Blueprint): Letter {
  const { names } = blueprint;
  const flow = blueprint.events!;
  const base = { messageId: message.MessageId!, target: '-', eventId: '-', detailType: '-' };
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(message.Body ?? '') as Record<string, unknown>;
  } catch {
    body = {};
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const ruleArn = attribute('RULE_ARN');
  if (ruleArn && typeof body['detail-type'] === 'string') {
    const detail = (body.detail ?? {}) as Record<string, unknown>;
    // arn:aws:events:<region>:<account>:rule/<bus>/<rule name>
    const ruleName = ruleArn.split('/').at(-1) ?? '';
    const rule = flow.rules.find((r) => names.resource(r.name) === ruleName);
    const report: RedriveLetterReport = {
      ...base,
      orderId: typeof detail.orderId === 'string' ? detail.orderId : '-',
      rule: rule?.name ?? ruleName,
      target: rule?.target ?? attribute('TARGET_ARN') ?? '-',
      eventId: text(body.id ?? '-'),
      detailType: body['detail-type'],
      ...(attribute('ERROR_CODE') ? { error: attribute('ERROR_CODE') } : {}),
      result: 'pending',
    };
    if (!rule)
      return {
        message,
        report: { ...report, result: 'skipped', reason: `not a rule of the stage's flow (${ruleName})` },
      };
    const payload = transformEventForTarget(rule.inputTransformer, body, {
      ruleName,
      ruleArn,
      ingestionTime: typeof body.time === 'string' ? body.time : new Date().toISOString(),
    });
    return { message, report, invoke: { functionName: names.functionName(rule.target), payload } };
  }
  const context = body.requestContext as { functionArn?: unknown } | undefined;
  if (context && typeof context.functionArn === 'string' && 'requestPayload' in body) {
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    const functionName = context.functionArn.split(':')[6] ?? '';
    const handler = blueprint.handlers.find((h) => names.functionName(h.name) === functionName)?.name;
    const payload = body.requestPayload as Record<string, unknown>;
    const input = (payload?.Input ?? payload) as Record<string, unknown> | undefined;
    const rules = flow.rules.filter((r) => r.target === handler).map((r) => r.name);
    const report: RedriveLetterReport = {
      ...base,
      orderId: typeof input?.orderId === 'string' ? input.orderId : '-',
      // The record names the function, not the rule: the one rule that targets it, if only one does.
      rule: rules.length === 1 ? rules[0] : '-',
      target: handler ?? functionName,
      ...(typeof body.responsePayload === 'object' && body.responsePayload
        ? { error: text((body.responsePayload as { errorType?: unknown }).errorType ?? '') }
        : {}),
      result: 'pending',
    };
    if (!handler)
      return {
        message,
        report: { ...report, result: 'skipped', reason: `not a function of the stage (${functionName})` },
      };
    return { message, report, invoke: { functionName, payload } };
  }
  return {
    message,
    report: {
      ...base,
      orderId: '-',
      rule: '-',
      result: 'skipped',
      reason: 'neither an EventBridge dead letter nor a Lambda on-failure record',
    },
  };
}

/** How often and how long `replay --target aws` waits for EventBridge to finish the replay. */
const REPLAY_POLL_MS = 2_000;
const REPLAY_PATIENCE_MS = 15 * 60_000;

/**
 * `fulfill replay --target aws`: an EventBridge replay of the stage's archive (ensureArchive) to the stage's
 * bus, from `--since` to now, to every rule or only `--rule`'s (Destination.FilterArns); EventBridge adds
 * `replay-name` to each event. It waits for the replay to end (DescribeReplay). An archive replays a time
 * window, not an order: `--order` is refused there (exit 2), with the way to do it.
 */
export async function replayAws(
  stage: { ctx: AwsContext; blueprint: Blueprint; mode: Mode },
  request: ReplayRequest,
): Promise<ReplayReport> {
  const { ctx, blueprint } = stage;
  if (stage.mode !== 'events' || !blueprint.events) throw eventsModeOnly('replay', blueprint.stage);
  const flow = blueprint.events;
  if (request.rule !== undefined && !flow.rules.some((r) => r.name === request.rule))
    throw new UserError(
      `--rule: stage "${blueprint.stage}" has no rule "${request.rule}" (its rules: ${flow.rules.map((r) => r.name).join(', ')})`,
    );
  if (request.orderId !== undefined || request.since === undefined)
    throw new UserError(
      'replay --target aws replays a time window of the bus archive, as EventBridge does, not one order: use --since (e.g. --since 1h), with --rule to reach one rule',
    );
  const { events } = ctx.clients;
  const archive = archiveName(ctx.names);
  const found = await ignoreNotFound(() => events.send(new DescribeArchiveCommand({ ArchiveName: archive })));
  if (!found?.ArchiveArn)
    throw new UserError(`the archive ${archive} of the stage's bus does not exist in ${ctx.region}`, [
      'Run `fulfill deploy --target aws` (events mode): it creates the archive; events put on the bus after that can be replayed.',
    ]);
  const end = new Date();
  const start = new Date(request.since);
  if (!(start < end)) throw new UserError(`--since must be in the past (got ${start.toISOString()})`);
  const replayName = replayNameFor(ctx.names.prefix, end);
  const destination = {
    Arn: ctx.names.busArn(),
    ...(request.rule !== undefined ? { FilterArns: [ctx.names.ruleArn(request.rule)] } : {}),
  };
  const window = `from ${start.toISOString()} to ${end.toISOString()}${request.rule ? ` to rule ${request.rule}` : ''}`;
  const base = { target: 'aws' as const, stage: blueprint.stage, dryRun: request.dryRun, replayName, events: [] };
  if (request.dryRun)
    return {
      ...base,
      skipped: 0,
      executions: [],
      summary: `dry run: would replay ${archive} ${window} as ${replayName}`,
    };
  await events.send(
    new StartReplayCommand({
      ReplayName: replayName,
      Description: 'fulfill replay',
      EventSourceArn: found.ArchiveArn,
      EventStartTime: start,
      EventEndTime: end,
      Destination: destination,
    }),
  );
  const deadline = Date.now() + REPLAY_PATIENCE_MS;
  for (;;) {
    const replay = await events.send(new DescribeReplayCommand({ ReplayName: replayName }));
    if (replay.State === 'COMPLETED')
      return { ...base, skipped: 0, executions: [], summary: `replayed ${archive} ${window} as ${replayName}` };
    if (replay.State === 'FAILED' || replay.State === 'CANCELLED')
      throw new AwsServiceError(
        'EventBridge',
        'StartReplay',
        `replay ${replayName} ${replay.State}: ${replay.StateReason ?? ''}`,
      );
    if (Date.now() > deadline)
      throw new TimeoutError(
        `replay ${replayName} still ${replay.State} after ${REPLAY_PATIENCE_MS / 60_000} minutes`,
        [`See it with: aws events describe-replay --replay-name ${replayName}`],
      );
    await ctx.sleep(REPLAY_POLL_MS);
  }
}

/** Replay names: 1-64 of [.-_A-Za-z0-9], unique per account and region. */
function replayNameFor(prefix: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, '').slice(0, 15);
  return `${prefix}replay-${stamp}-${Math.random().toString(36).slice(2, 6)}`.slice(-64);
}

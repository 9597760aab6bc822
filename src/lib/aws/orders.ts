import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { ExitCode, TimeoutError, UserError } from '../errors.js';
import { safeJson } from '../json.js';
import type { Order } from '../order/model.js';
import { executionOutcomeStatus } from '../order/execution-status.js';
import { buildOutcome, type OrderOutcome } from '../order/outcome.js';
import { outcomeFromTerminalEvent, terminalStatus, type TerminalEvent } from '../order/terminal-event.js';
import type { OrderSender, SendOrderResult } from '../order/send.js';
import { errorName } from './context.js';
import type { AwsStage } from './stage.js';

export interface AwsSenderOptions {
  fetch?: typeof fetch;
  /** First and longest poll interval while waiting (ms). */
  pollMs?: [number, number];
}

/**
 * Sends orders to the deployed API (the invoke URL) with the same body as the local target, and waits for
 * outcomes: orchestration through DescribeExecution (the execution name is the order id), events through the
 * event log group that the catch-all rule writes (FilterLogEvents on detail.orderId).
 */
export function awsSender(stage: AwsStage, options: AwsSenderOptions = {}): OrderSender {
  const doFetch = options.fetch ?? fetch;
  const [minPoll, maxPoll] = options.pollMs ?? [250, 5000];
  return {
    async send(order: Order, wait: boolean, timeoutMs: number): Promise<SendOrderResult> {
      let response: Response;
      try {
        response = await doFetch(stage.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(order),
        });
      } catch (error) {
        throw new UserError(
          `POST ${stage.endpoint} failed: ${(error as Error).message}`,
          ['Check the network and the stage with `fulfill status --target aws`.'],
          ExitCode.AwsError,
          'AwsError',
        );
      }
      const text = await response.text();
      const body = safeJson(text);
      const type = (body as { type?: string })?.type ?? '';
      if (response.status !== 200) {
        if (type.endsWith('ExecutionAlreadyExists')) {
          return {
            orderId: order.orderId,
            api: { statusCode: response.status, body },
            duplicate: true,
            ...(wait ? { outcome: await this.outcome(order.orderId, timeoutMs) } : {}),
          };
        }
        const message = (body as { message?: string })?.message ?? text;
        const details = (body as { details?: string })?.details;
        throw new UserError(
          `the API rejected order ${order.orderId} with ${response.status}: ${message}${details ? ` (${details})` : ''}`,
          [],
          response.status >= 500 ? ExitCode.AwsError : ExitCode.BadInput,
        );
      }
      return {
        orderId: order.orderId,
        api: { statusCode: response.status, body },
        duplicate: false,
        ...(wait ? { outcome: await this.outcome(order.orderId, timeoutMs) } : {}),
      };
    },

    async outcome(orderId: string, timeoutMs: number): Promise<OrderOutcome> {
      const deadline = Date.now() + timeoutMs;
      let delay = minPoll;
      for (;;) {
        try {
          const outcome =
            stage.mode === 'orchestration'
              ? await executionOutcome(stage, orderId)
              : await eventsOutcome(stage, orderId);
          if (outcome) return outcome;
        } catch (error) {
          // Throttling while polling is not a failure: back off and ask again.
          if (!/Throttl|TooManyRequests/.test(errorName(error)) && errorName(error) !== 'ExecutionDoesNotExist')
            throw error;
        }
        if (Date.now() + delay > deadline) {
          throw new TimeoutError(`order ${orderId}: no outcome after ${Math.round(timeoutMs / 1000)}s`, [
            `Look at \`fulfill logs --target aws --order ${orderId}\`, or raise --timeout.`,
          ]);
        }
        await stage.ctx.sleep(delay);
        delay = Math.min(maxPoll, Math.round(delay * 1.5));
      }
    },

    async close() {},
  };
}

/** The outcome of an order if it has ended, else undefined (no waiting). */
export async function currentOutcome(stage: AwsStage, orderId: string): Promise<OrderOutcome | undefined> {
  try {
    return stage.mode === 'orchestration'
      ? await executionOutcome(stage, orderId)
      : await eventsOutcome(stage, orderId);
  } catch (error) {
    if (errorName(error) === 'ExecutionDoesNotExist') return undefined;
    throw error;
  }
}

export interface OrderTiming {
  orderId: string;
  status: OrderOutcome['status'];
  mode: 'orchestration' | 'events';
  startedAt: string;
  durationMs: number | null;
}

/** Finished orders since a time with their latency: executions (orchestration) or first-to-terminal event (events). */
export async function finishedOrdersSince(stage: AwsStage, since: number): Promise<OrderTiming[]> {
  if (stage.mode === 'orchestration') {
    const out: OrderTiming[] = [];
    let nextToken: string | undefined;
    do {
      const page = await stage.ctx.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: stage.ctx.names.stateMachineArn(), nextToken }),
      );
      let older = false;
      for (const e of page.executions ?? []) {
        const started = new Date(e.startDate ?? 0).getTime();
        if (started < since) older = true;
        else if (e.stopDate)
          out.push({
            orderId: e.name ?? '?',
            status: executionOutcomeStatus(e.status),
            mode: 'orchestration',
            startedAt: new Date(started).toISOString(),
            durationMs: new Date(e.stopDate).getTime() - started,
          });
      }
      nextToken = older ? undefined : page.nextToken;
    } while (nextToken);
    return out;
  }
  const flow = stage.blueprint.events!;
  const byOrder = new Map<string, { first: number; terminal?: { at: number; type: string } }>();
  for (const { event, timestamp } of await orderEvents(stage, undefined, since)) {
    const orderId = event.detail?.orderId;
    if (typeof orderId !== 'string') continue;
    const seen = byOrder.get(orderId) ?? { first: timestamp };
    seen.first = Math.min(seen.first, timestamp);
    const type = event['detail-type'];
    if (terminalStatus(flow, type)) seen.terminal = { at: timestamp, type };
    byOrder.set(orderId, seen);
  }
  return [...byOrder.entries()]
    .filter(([, o]) => o.terminal)
    .map(([orderId, o]) => ({
      orderId,
      status: terminalStatus(flow, o.terminal!.type)!,
      mode: 'events' as const,
      startedAt: new Date(o.first).toISOString(),
      durationMs: o.terminal!.at - o.first,
    }));
}

async function executionOutcome(stage: AwsStage, orderId: string): Promise<OrderOutcome | undefined> {
  const arn = stage.ctx.names.executionArn(orderId);
  const execution: DescribeExecutionCommandOutput = await stage.ctx.clients.sfn.send(
    new DescribeExecutionCommand({ executionArn: arn }),
  );
  const status = executionOutcomeStatus(execution.status);
  if (status === 'RUNNING') return undefined;
  const state = safeJson((status === 'SUCCEEDED' ? execution.output : execution.input) ?? '{}') as Record<
    string,
    unknown
  >;
  return buildOutcome({
    orderId,
    mode: 'orchestration',
    status,
    state,
    ...(status !== 'SUCCEEDED'
      ? { failure: { Error: execution.error ?? `States.${status}`, Cause: execution.cause ?? '' } }
      : {}),
    startedAt: new Date(execution.startDate ?? Date.now()).toISOString(),
    ...(execution.stopDate ? { finishedAt: new Date(execution.stopDate).toISOString() } : {}),
  });
}

/** An event as the catch-all rule logs it (the EventBridge envelope, as parsed from the log message). */
export interface LoggedEvent {
  'detail-type': string;
  id?: string;
  source?: string;
  time: string;
  detail?: Record<string, unknown>;
}

/** Every event of one order from the event log group (the catch-all rule writes each event as one message). */
export async function orderEvents(
  stage: Pick<AwsStage, 'ctx' | 'blueprint'>,
  orderId: string | undefined,
  startTime?: number,
): Promise<Array<{ event: LoggedEvent; timestamp: number; id: string }>> {
  const logGroupName = stage.ctx.names.eventLogGroup();
  const out: Array<{ event: LoggedEvent; timestamp: number; id: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await stage.ctx.clients.logs.send(
      new FilterLogEventsCommand({
        logGroupName,
        ...(orderId ? { filterPattern: `{ $.detail.orderId = "${orderId}" }` } : {}),
        ...(startTime ? { startTime } : {}),
        nextToken,
      }),
    );
    for (const e of page.events ?? []) {
      const event = safeJson(e.message ?? '') as LoggedEvent;
      if (event && typeof event === 'object')
        out.push({ event, timestamp: e.timestamp ?? Date.parse(event.time), id: e.eventId ?? event.id! });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function eventsOutcome(stage: AwsStage, orderId: string): Promise<OrderOutcome | undefined> {
  const flow = stage.blueprint.events!;
  const events = await orderEvents(stage, orderId);
  const terminal = events.find((e) => terminalStatus(flow, e.event['detail-type']));
  if (!terminal) return undefined;
  const placed = events.find((e) => e.event['detail-type'] === flow.orderPlaced);
  const timing = {
    startedAt: new Date(placed?.timestamp ?? terminal.timestamp).toISOString(),
    finishedAt: new Date(terminal.timestamp).toISOString(),
  };
  return outcomeFromTerminalEvent(flow, terminal.event as TerminalEvent, orderId, timing);
}

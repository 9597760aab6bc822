import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { matchesFilter, type LogEntry, type LogFilter, type LogSource } from '../logs/entry.js';
import { errorName } from './context.js';
import { orderEvents } from './orders.js';
import type { AwsStage } from './stage.js';

export interface AwsLogQuery extends LogFilter {
  /** Also the functions' own log lines (CloudWatch Logs of each Lambda function). */
  functions?: boolean;
}

type Stage = Pick<AwsStage, 'ctx' | 'blueprint' | 'mode'>;

/**
 * The stage's logs from AWS in the same LogEntry schema as the local target: execution history
 * (GetExecutionHistory, paginated; executions since a time from ListExecutions) in orchestration mode, the
 * event log group in events mode, and the functions' log groups with `functions` or `--source function`.
 * `sources` filters as on the local target; a stream that is not asked for is not read.
 */
export async function readAwsLogs(stage: Stage, query: AwsLogQuery): Promise<LogEntry[]> {
  const wants = (source: LogSource) => !query.sources || query.sources.includes(source);
  const entries: LogEntry[] = [];
  if (stage.mode === 'orchestration' && wants('execution')) {
    const orders = query.orderId ? [query.orderId] : await executionsSince(stage, query.since ?? 0);
    for (const orderId of orders) entries.push(...(await executionHistory(stage, orderId)));
  } else if (stage.mode === 'events' && wants('events')) {
    const sequence = new Map<string, number>();
    for (const { event, timestamp, id } of await orderEvents(stage, query.orderId, query.since)) {
      const orderId = typeof event.detail?.orderId === 'string' ? event.detail.orderId : '-';
      const n = (sequence.get(orderId) ?? 0) + 1;
      sequence.set(orderId, n);
      entries.push({
        timestamp: new Date(timestamp).toISOString(),
        orderId,
        source: 'events',
        type: 'EventPublished',
        id: n,
        name: event['detail-type'],
        details: { eventId: event.id ?? id, source: event.source, detail: event.detail },
      });
    }
  }
  if ((query.functions && wants('function')) || query.sources?.includes('function'))
    entries.push(...(await functionLogs(stage, query)));
  return entries
    .filter((e) => matchesFilter(e, query))
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp));
}

async function executionsSince(stage: Stage, since: number): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | undefined;
  const stateMachineArn = stage.ctx.names.stateMachineArn();
  do {
    const page = await stage.ctx.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken }));
    let older = false;
    for (const e of page.executions ?? []) {
      // ListExecutions returns the newest first: stop paging once past the window.
      if (new Date(e.startDate ?? 0).getTime() < since) older = true;
      else if (e.name) names.push(e.name);
    }
    nextToken = older ? undefined : page.nextToken;
  } while (nextToken);
  return names.reverse();
}

export async function executionHistory(stage: Stage, orderId: string): Promise<LogEntry[]> {
  const executionArn = stage.ctx.names.executionArn(orderId);
  const entries: LogEntry[] = [];
  let nextToken: string | undefined;
  let state: string | undefined;
  try {
    do {
      const page = await stage.ctx.clients.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
      );
      for (const event of page.events ?? []) {
        const entry = historyEntry(orderId, event, state);
        if (event.stateEnteredEventDetails?.name) state = event.stateEnteredEventDetails.name;
        entries.push(entry);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (errorName(error) === 'ExecutionDoesNotExist') return [];
    throw error;
  }
  return entries;
}

/** A GetExecutionHistory event as a LogEntry (its `...EventDetails` flattened into details). */
export function historyEntry(orderId: string, event: HistoryEvent, currentState?: string): LogEntry {
  const detailsKey = Object.keys(event).find(
    (k) => k.endsWith('EventDetails') && (event as unknown as Record<string, unknown>)[k],
  );
  const raw = (detailsKey ? (event as unknown as Record<string, unknown>)[detailsKey] : {}) as Record<string, unknown>;
  const { name, inputDetails: _i, outputDetails: _o, ...details } = raw as Record<string, unknown> & { name?: string };
  const stateName = name ?? (/^(Lambda|Task)/.test(event.type ?? '') ? currentState : undefined);
  return {
    timestamp: new Date(event.timestamp ?? 0).toISOString(),
    orderId,
    source: 'execution',
    type: event.type ?? 'Unknown',
    id: event.id ?? 0,
    ...(event.previousEventId ? { previousEventId: event.previousEventId } : {}),
    ...(stateName ? { name: stateName } : {}),
    ...(Object.keys(details).length ? { details } : {}),
  };
}

async function functionLogs(stage: Stage, query: AwsLogQuery): Promise<LogEntry[]> {
  const entries: LogEntry[] = [];
  for (const handler of stage.blueprint.handlers) {
    let nextToken: string | undefined;
    let n = 0;
    do {
      let page;
      try {
        page = await stage.ctx.clients.logs.send(
          new FilterLogEventsCommand({
            logGroupName: stage.ctx.names.functionLogGroup(handler.name),
            ...(query.since ? { startTime: query.since } : {}),
            ...(query.orderId ? { filterPattern: `"${query.orderId}"` } : {}),
            nextToken,
          }),
        );
      } catch (error) {
        if (errorName(error) === 'ResourceNotFoundException') break; // never invoked yet
        throw error;
      }
      for (const e of page.events ?? []) {
        entries.push({
          timestamp: new Date(e.timestamp ?? 0).toISOString(),
          orderId: query.orderId ?? '-',
          source: 'function',
          type: 'FunctionLog',
          id: ++n,
          name: handler.name,
          details: { message: (e.message ?? '').trimEnd(), logStream: e.logStreamName },
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return entries;
}

/**
 * `logs --follow` on AWS: polls with back-off (faster while entries arrive), never prints an entry twice,
 * and treats throttling as a reason to slow down, not to stop. Ends when `signal` aborts.
 */
export async function followAwsLogs(
  stage: Stage,
  query: AwsLogQuery,
  seen: Set<string>,
  onEntry: (e: LogEntry) => void,
  signal: AbortSignal,
  intervals: [number, number] = [1000, 10_000],
): Promise<void> {
  let delay = intervals[0];
  const window = 5 * 60_000;
  let since = query.since ?? Date.now() - window;
  while (!signal.aborted) {
    try {
      const entries = await readAwsLogs(stage, { ...query, since });
      let fresh = 0;
      for (const e of entries) {
        const key = entryKey(e);
        if (seen.has(key)) continue;
        seen.add(key);
        fresh++;
        onEntry(e);
      }
      // Look back a little each time: CloudWatch Logs makes events searchable with some delay.
      if (entries.length) since = Math.max(since, Date.parse(entries.at(-1)!.timestamp) - 60_000);
      delay = fresh > 0 ? intervals[0] : Math.min(intervals[1], delay * 2);
    } catch (error) {
      if (!/Throttl|TooManyRequests|RequestLimitExceeded/.test(errorName(error))) throw error;
      delay = Math.min(intervals[1], delay * 2);
    }
    await abortableSleep(stage.ctx.sleep, delay, signal);
  }
}

export function entryKey(e: LogEntry): string {
  const eventId = (e.details as { eventId?: string } | undefined)?.eventId;
  return eventId ? `ev:${eventId}` : `${e.source}:${e.orderId}:${e.id}:${e.name ?? ''}:${e.timestamp}`;
}

function abortableSleep(sleep: (ms: number) => Promise<void>, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return Promise.race([
    sleep(ms),
    new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true })),
  ]);
}

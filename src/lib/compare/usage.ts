import type { LogEntry } from '../logs/entry.js';
import { PRICE_TABLE, type PriceItem } from './prices.js';

/**
 * What one order used, counted from its recorded log entries (so it is measured, not assumed):
 * - Lambda invocations: `LambdaFunctionStarted` (orchestration) or `DeliverySucceeded`/`DeliveryFailed` (events,
 *   one invocation per delivery attempt), each with its `durationMs`;
 * - state transitions: every `*StateEntered`, plus every retried attempt (AWS bills a retry as a transition);
 * - events published: `EventPublished` (the API's PutEvents and each function's), in 64 KB chunks;
 * - rule deliveries: delivery attempts to rule targets;
 * - log bytes: the JSON size of the order's entries, what the execution history (level ALL) or the event log
 *   group would ingest into CloudWatch Logs.
 */
export interface OrderUsage {
  orderId: string;
  mode: 'orchestration' | 'events' | null;
  apiRequests: number;
  lambdaInvocations: number;
  /** Sum of invocation durations, each rounded up to 1 ms as Lambda bills. */
  lambdaBilledMs: number;
  memoryMb: number;
  lambdaGbSeconds: number;
  stateTransitions: number;
  /** Execution start to end (orchestration): what an Express workflow would bill, in 100 ms steps. */
  executionMs: number;
  eventsPublished: number;
  /** EventBridge meters each 64 KB of an entry as one event. */
  eventChunks: number;
  ruleDeliveries: number;
  deadLettered: number;
  logBytes: number;
  faultsInjected: number;
}

const CHUNK = 64 * 1024;

export function measureUsage(orderId: string, entries: readonly LogEntry[], memoryMb: number): OrderUsage {
  const own = entries.filter((e) => e.orderId === orderId);
  const usage: OrderUsage = {
    orderId,
    mode: own.some((e) => e.source === 'events')
      ? 'events'
      : own.some((e) => e.source === 'execution')
        ? 'orchestration'
        : null,
    apiRequests: 0,
    lambdaInvocations: 0,
    lambdaBilledMs: 0,
    memoryMb,
    lambdaGbSeconds: 0,
    stateTransitions: 0,
    executionMs: 0,
    eventsPublished: 0,
    eventChunks: 0,
    ruleDeliveries: 0,
    deadLettered: 0,
    logBytes: 0,
    faultsInjected: 0,
  };
  const attemptsPerState = new Map<string, number>();
  let executionStart: number | undefined;
  let executionEnd: number | undefined;
  for (const e of own) {
    usage.logBytes += Buffer.byteLength(JSON.stringify(e)) + 1;
    const d = e.details ?? {};
    if (e.type === 'ApiRequestReceived') usage.apiRequests++;
    else if (e.type === 'FaultInjected') usage.faultsInjected++;
    else if (e.type.endsWith('StateEntered')) {
      usage.stateTransitions++;
      if (e.name) attemptsPerState.set(e.name, 0);
    } else if (e.type === 'LambdaFunctionStarted') {
      usage.lambdaInvocations++;
      // A second Started inside the same state entry is a Retry: one more billed transition.
      const attempts = (attemptsPerState.get(e.name ?? '') ?? 0) + 1;
      attemptsPerState.set(e.name ?? '', attempts);
      if (attempts > 1) usage.stateTransitions++;
    } else if (/^LambdaFunction(Succeeded|Failed|TimedOut)$/.test(e.type)) {
      usage.lambdaBilledMs += Math.max(1, Math.ceil(Number(d.durationMs ?? 0)));
    } else if (e.type === 'EventPublished') {
      usage.eventsPublished++;
      const size = Buffer.byteLength(JSON.stringify({ 'detail-type': e.name, source: d.source, detail: d.detail }));
      usage.eventChunks += Math.max(1, Math.ceil(size / CHUNK));
    } else if (e.type === 'DeliverySucceeded' || e.type === 'DeliveryFailed') {
      usage.ruleDeliveries++;
      usage.lambdaInvocations++;
      usage.lambdaBilledMs += Math.max(1, Math.ceil(Number(d.durationMs ?? 0)));
    } else if (e.type === 'DeadLettered') usage.deadLettered++;
    if (e.type === 'ExecutionStarted') executionStart = Date.parse(e.timestamp);
    if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(e.type)) executionEnd = Date.parse(e.timestamp);
  }
  usage.lambdaGbSeconds = (usage.lambdaBilledMs / 1000) * (memoryMb / 1024);
  if (executionStart !== undefined && executionEnd !== undefined)
    usage.executionMs = Math.max(0, executionEnd - executionStart);
  return usage;
}

/** One priced line: `count` × `unitUsd` = `usd`, so every figure can be checked by hand. */
export interface CostLine {
  item: PriceItem;
  what: string;
  count: number;
  unitUsd: number;
  usd: number;
}

export interface CostEstimate {
  /** `standard`: the Standard state machine fulfill deploys; `express`: the same machine as an Express workflow. */
  variant: 'events' | 'standard' | 'express';
  lines: CostLine[];
  usd: number;
}

const GB = 1024 ** 3;
/** Express bills memory in 64 MB chunks; the default workflow's definition and payloads fit in one. */
const EXPRESS_MEMORY_GB = 64 / 1024;

/** The usage quantities each mode is billed for, per AWS's meters (see prices.ts). */
export function billedQuantities(
  usage: OrderUsage,
  variant: CostEstimate['variant'],
): Array<{ item: PriceItem; what: string; count: number }> {
  const common = [
    { item: 'apiGatewayRestRequest' as const, what: 'API Gateway REST requests', count: usage.apiRequests },
    { item: 'lambdaRequest' as const, what: 'Lambda requests', count: usage.lambdaInvocations },
    { item: 'lambdaGbSecond' as const, what: 'Lambda GB-seconds', count: usage.lambdaGbSeconds },
    { item: 'cloudWatchLogsIngestedGb' as const, what: 'CloudWatch Logs GB ingested', count: usage.logBytes / GB },
  ];
  if (variant === 'events') {
    return [
      ...common,
      { item: 'eventBridgeCustomEvent', what: 'EventBridge custom events', count: usage.eventChunks },
      { item: 'eventBridgeDelivery', what: 'EventBridge rule deliveries', count: usage.ruleDeliveries },
    ];
  }
  if (variant === 'express') {
    const billedSeconds = Math.ceil(usage.executionMs / 100) / 10;
    return [
      ...common,
      {
        item: 'stepFunctionsExpressRequest',
        what: 'Step Functions Express requests',
        count: usage.apiRequests > 0 ? 1 : 0,
      },
      {
        item: 'stepFunctionsExpressGbSecond',
        what: 'Step Functions Express GB-seconds',
        count: billedSeconds * EXPRESS_MEMORY_GB,
      },
    ];
  }
  return [
    ...common,
    {
      item: 'stepFunctionsStandardTransition',
      what: 'Step Functions state transitions',
      count: usage.stateTransitions,
    },
  ];
}

/** The cost of `scale` times the mean usage of `usages` (scale 1: one order; 1e6: a million orders like these). */
export function estimateCost(
  usages: readonly OrderUsage[],
  variant: CostEstimate['variant'],
  scale = 1,
  prices = PRICE_TABLE.prices,
): CostEstimate {
  const totals = new Map<PriceItem, { what: string; count: number }>();
  for (const usage of usages) {
    for (const q of billedQuantities(usage, variant)) {
      const t = totals.get(q.item) ?? { what: q.what, count: 0 };
      t.count += q.count;
      totals.set(q.item, t);
    }
  }
  const n = Math.max(1, usages.length);
  const lines: CostLine[] = [...totals].map(([item, t]) => {
    const count = round((t.count / n) * scale);
    const unitUsd = round(prices[item].usd);
    return { item, what: t.what, count, unitUsd, usd: round(count * unitUsd) };
  });
  return { variant, lines, usd: round(lines.reduce((sum, l) => sum + l.usd, 0)) };
}

/** The variant a mode is deployed as (fulfill deploys a Standard state machine). */
export function variantFor(mode: 'orchestration' | 'events'): CostEstimate['variant'] {
  return mode === 'events' ? 'events' : 'standard';
}

/** One order's usage and cost, for `trace`. */
export interface OrderCost {
  usage: OrderUsage;
  cost: CostEstimate;
  /** Orchestration only: what the same execution would cost as an Express workflow. */
  express?: CostEstimate;
  prices: { region: string; retrieved: string };
}

export function orderCost(orderId: string, entries: readonly LogEntry[], memoryMb: number): OrderCost {
  const usage = measureUsage(orderId, entries, memoryMb);
  const mode = usage.mode ?? 'orchestration';
  return {
    usage,
    cost: estimateCost([usage], variantFor(mode)),
    ...(mode === 'orchestration' ? { express: estimateCost([usage], 'express') } : {}),
    prices: { region: PRICE_TABLE.region, retrieved: PRICE_TABLE.retrieved },
  };
}

/** 12 significant digits: enough for micro-dollars per order, without float noise in the JSON. */
function round(value: number): number {
  return Number(value.toPrecision(12));
}

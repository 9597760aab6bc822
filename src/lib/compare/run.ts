import { loadBlueprint, type Blueprint } from '../blueprint/blueprint.js';
import type { Mode } from '../config/schema.js';
import { UserError } from '../errors.js';
import { faultsForMode, type FaultPlan } from '../local/faults.js';
import { localDeploySteps } from '../local/deploy.js';
import { LocalStore } from '../local/store.js';
import type { LogEntry } from '../logs/entry.js';
import { localSender, type OrderSender } from '../order/send.js';
import type { OrderOutcome } from '../order/outcome.js';
import { diffOutcomes, type OutcomeDifference } from './diff.js';
import type { ComparedOrder } from './orders.js';
import { PRICE_TABLE } from './prices.js';
import { estimateCost, measureUsage, variantFor, type CostEstimate, type OrderUsage } from './usage.js';
import { measureWiring, type WiringMeasures } from './wiring.js';

export const MODES_COMPARED = ['orchestration', 'events'] as const satisfies readonly Mode[];
const STAGE_SUFFIX: Record<Mode, string> = { orchestration: 'orch', events: 'ev' };
const STAGE_RULE = /^[a-z0-9][a-z0-9-]{0,15}$/;

/** The two stages a comparison deploys next to `stage`: `<stage>-orch` and `<stage>-ev`. */
export function compareStages(stage: string): Record<Mode, string> {
  const stages = { orchestration: `${stage}-${STAGE_SUFFIX.orchestration}`, events: `${stage}-${STAGE_SUFFIX.events}` };
  for (const name of Object.values(stages)) {
    if (!STAGE_RULE.test(name)) {
      throw new UserError(
        `--stage "${stage}": compare deploys stage "${name}", which must be 1-16 lowercase letters, digits or dashes`,
        [`Use a stage of at most ${16 - `-${STAGE_SUFFIX.orchestration}`.length} characters, e.g. --stage cmp.`],
      );
    }
  }
  return stages;
}

export interface CompareOptions {
  projectDir: string;
  stage: string;
  orders: readonly ComparedOrder[];
  concurrency: number;
  timeoutMs: number;
  faults: FaultPlan;
  progress?: (line: string) => void;
}

export interface OrderResult {
  status: string;
  latencyMs: number | null;
  error?: string;
}

export interface ModeSummary {
  stage: string;
  orders: number;
  succeeded: number;
  failed: number;
  /** Orders without an outcome in time (the wait ran past --timeout), or that the API refused. */
  noOutcome: number;
  wallMs: number;
  throughputPerSecond: number;
  latencyMs: { p50: number; p95: number; max: number };
  /** Mean per order, from the log entries. */
  perOrder: {
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    stateTransitions: number;
    eventsPublished: number;
    ruleDeliveries: number;
    deadLettered: number;
    logBytes: number;
    faultsInjected: number;
  };
  costPerMillion: CostEstimate;
  /** Orchestration: the same executions priced as an Express workflow. */
  expressCostPerMillion?: CostEstimate;
}

export interface ComparisonReport {
  runId: string;
  stages: Record<Mode, string>;
  faults: string[];
  orders: Array<{
    orderId: string;
    origin: string;
    orchestration: OrderResult;
    events: OrderResult;
    usage: Record<Mode, OrderUsage>;
  }>;
  differences: OutcomeDifference[];
  errors: Array<{ orderId: string; mode: Mode; error: string }>;
  modes: Record<Mode, ModeSummary>;
  wiring: Record<Mode, WiringMeasures>;
  prices: { region: string; currency: string; retrieved: string; file: string };
}

interface ModeRun {
  results: Map<string, OrderResult & { outcome?: OrderOutcome }>;
  usage: Map<string, OrderUsage>;
  wallMs: number;
}

/**
 * `fulfill compare`: deploys both wirings of the project from the same sources as two local stages, sends the
 * same orders to each (one mode after the other, so they do not compete for the CPU), and reports the outcome
 * differences, latency and throughput, the usage each order caused (from the log) and what it would cost on AWS.
 */
export async function runComparison(options: CompareOptions, runId: string): Promise<ComparisonReport> {
  const stages = compareStages(options.stage);
  const blueprints = {} as Record<Mode, Blueprint>;
  for (const mode of MODES_COMPARED) {
    blueprints[mode] = loadBlueprint(options.projectDir, { mode, stage: stages[mode] });
  }
  for (const mode of MODES_COMPARED) {
    const { steps, result } = localDeploySteps(blueprints[mode]);
    for (const step of steps) await step.run();
    const changed = result().changes.filter((c) => c.action !== 'unchanged').length;
    options.progress?.(`deployed ${mode} as stage ${stages[mode]} (${changed ? `${changed} changed` : 'no changes'})`);
  }
  const runs = {} as Record<Mode, ModeRun>;
  for (const mode of MODES_COMPARED) {
    options.progress?.(`sending ${options.orders.length} orders to ${stages[mode]} (${mode})`);
    runs[mode] = await runMode(options, stages[mode], mode, blueprints[mode].config.functions.memoryMb);
  }
  const orders = options.orders.map(({ order, origin }) => {
    const result = (mode: Mode): OrderResult => {
      const { outcome: _outcome, ...rest } = runs[mode].results.get(order.orderId)!;
      return rest;
    };
    const usage = (mode: Mode) =>
      runs[mode].usage.get(order.orderId) ??
      measureUsage(order.orderId, [], blueprints[mode].config.functions.memoryMb);
    return {
      orderId: order.orderId,
      origin,
      orchestration: result('orchestration'),
      events: result('events'),
      usage: { orchestration: usage('orchestration'), events: usage('events') },
    };
  });
  const differences = options.orders.flatMap(({ order }) =>
    diffOutcomes(
      order.orderId,
      runs.orchestration.results.get(order.orderId)?.outcome,
      runs.events.results.get(order.orderId)?.outcome,
    ),
  );
  const errors = MODES_COMPARED.flatMap((mode) =>
    [...runs[mode].results].filter(([, r]) => r.error).map(([orderId, r]) => ({ orderId, mode, error: r.error! })),
  );
  return {
    runId,
    stages,
    faults: options.faults.faults.map((f) => f.spec),
    orders,
    differences,
    errors,
    modes: {
      orchestration: summarize(runs.orchestration, stages.orchestration, 'orchestration'),
      events: summarize(runs.events, stages.events, 'events'),
    },
    wiring: { orchestration: measureWiring(blueprints.orchestration), events: measureWiring(blueprints.events) },
    prices: {
      region: PRICE_TABLE.region,
      currency: PRICE_TABLE.currency,
      retrieved: PRICE_TABLE.retrieved,
      file: 'src/lib/compare/prices.ts',
    },
  };
}

async function runMode(options: CompareOptions, stage: string, mode: Mode, memoryMb: number): Promise<ModeRun> {
  const store = new LocalStore(options.projectDir, stage);
  const sender = await localSender(options.projectDir, stage, {
    faults: faultsForMode(options.faults, mode),
    recordFunctionLogs: true,
  });
  const results = new Map<string, OrderResult & { outcome?: OrderOutcome }>();
  // Entries are stamped with the wall clock; a margin keeps an entry stamped in the same millisecond.
  const startedAt = Date.now() - 1;
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(options.concurrency, options.orders.length) }, async () => {
        while (next < options.orders.length) {
          const { order } = options.orders[next++];
          results.set(order.orderId, await sendOne(sender, order, options.timeoutMs));
        }
      }),
    );
  } finally {
    await sender.close();
  }
  const wallMs = Date.now() - startedAt;
  const byOrder = groupByOrder(store.readLog({ since: startedAt }));
  store.close();
  const usage = new Map(
    options.orders.map(({ order }) => [
      order.orderId,
      measureUsage(order.orderId, byOrder.get(order.orderId) ?? [], memoryMb),
    ]),
  );
  return { results, usage, wallMs };
}

/** One order, waited for: the local runtime gives every accepted order exactly one outcome (or the timeout). */
async function sendOne(
  sender: OrderSender,
  order: ComparedOrder['order'],
  timeoutMs: number,
): Promise<OrderResult & { outcome?: OrderOutcome }> {
  const started = Date.now();
  try {
    const sent = await sender.send(order, true, timeoutMs);
    return sent.outcome
      ? { status: sent.outcome.status, latencyMs: Date.now() - started, outcome: sent.outcome }
      : { status: 'NO_OUTCOME', latencyMs: null, error: 'no outcome returned' };
  } catch (error) {
    return { status: 'NO_OUTCOME', latencyMs: null, error: (error as Error).message };
  }
}

function summarize(run: ModeRun, stage: string, mode: Mode): ModeSummary {
  const results = [...run.results.values()];
  const latencies = results.flatMap((r) => (r.latencyMs === null ? [] : [r.latencyMs])).sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : 0;
  const usages = [...run.usage.values()];
  const mean = (pick: (u: OrderUsage) => number) =>
    round(usages.reduce((sum, u) => sum + pick(u), 0) / Math.max(1, usages.length));
  const finished = results.filter((r) => r.status !== 'NO_OUTCOME').length;
  return {
    stage,
    orders: results.length,
    succeeded: results.filter((r) => r.status === 'SUCCEEDED').length,
    failed: results.filter((r) => r.status === 'FAILED').length,
    noOutcome: results.length - finished,
    wallMs: run.wallMs,
    throughputPerSecond: round(finished / Math.max(0.001, run.wallMs / 1000)),
    latencyMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) ?? 0 },
    perOrder: {
      lambdaInvocations: mean((u) => u.lambdaInvocations),
      lambdaGbSeconds: mean((u) => u.lambdaGbSeconds),
      stateTransitions: mean((u) => u.stateTransitions),
      eventsPublished: mean((u) => u.eventsPublished),
      ruleDeliveries: mean((u) => u.ruleDeliveries),
      deadLettered: mean((u) => u.deadLettered),
      logBytes: mean((u) => u.logBytes),
      faultsInjected: mean((u) => u.faultsInjected),
    },
    costPerMillion: estimateCost(usages, variantFor(mode), 1_000_000),
    ...(mode === 'orchestration' ? { expressCostPerMillion: estimateCost(usages, 'express', 1_000_000) } : {}),
  };
}

function groupByOrder(entries: readonly LogEntry[]): Map<string, LogEntry[]> {
  const byOrder = new Map<string, LogEntry[]>();
  for (const e of entries) {
    const list = byOrder.get(e.orderId);
    if (list) list.push(e);
    else byOrder.set(e.orderId, [e]);
  }
  return byOrder;
}

function round(value: number): number {
  return Number(value.toPrecision(6));
}

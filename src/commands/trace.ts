import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { parseSince, awsOptionsFrom, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { loadConfig, type FulfillConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExpectationError, UserError } from '../lib/errors.js';
import { openLocalLog } from '../lib/logs/read.js';
import type { OrderOutcome } from '../lib/order/outcome.js';
import type { LogEntry } from '../lib/logs/entry.js';
import type { EventFlow } from '../lib/blueprint/event-flow.js';
import { buildTrace, renderTrace, type OrderTrace } from '../lib/trace/trace.js';

type Slow = Pick<OrderOutcome, 'orderId' | 'status' | 'mode' | 'startedAt' | 'durationMs'>;

export default class Trace extends BaseCommand<typeof Trace> {
  static summary = 'One timeline of everything that happened to an order, or the slowest orders and SLA breaches.';
  static description = `With an order id: the API request, each state or event, matched rules, each handler invocation with its duration, retries, errors, the critical path and where the order waited. With --slowest/--sla: orders since --since ranked by latency; --sla exits 1 when any order breached it.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> trace ord-123', '<%= config.bin %> trace --slowest 5 --since 1h', '<%= config.bin %> trace --sla 2s --since 1h'];
  static args = { orderId: Args.string({ description: 'The order to trace.', required: false }) };
  static flags = {
    ...stageFlags,
    ...targetFlags,
    slowest: Flags.integer({ summary: 'List the N slowest orders.', min: 1 }),
    since: Flags.string({ summary: 'Only orders started since a duration ago (10m, 1h) or an ISO time.', default: '1h' }),
    sla: Flags.string({ summary: 'Latency objective, e.g. 2s or 500ms: report orders over it (exit 1 if any).' }),
    execution: Flags.integer({ char: 'e', summary: 'Local target: this submission of the order (1 = the first; default: the latest).', min: 1 }),
  };

  async run(): Promise<OrderTrace | { orders: Slow[]; breached?: Slow[]; slaMs?: number }> {
    const { args, flags } = await this.parse(Trace);
    const config = loadConfig(flags.dir);
    const source = await this.source(flags, flags.stage ?? config.stage, (flags.target ?? config.target) === 'aws', config);
    if (args.orderId) {
      const execution = source.executions ? pickExecution(args.orderId, source.executions(args.orderId), flags.execution) : undefined;
      const entries = await source.entries(args.orderId, execution?.chosen);
      if (entries.length === 0) throw new UserError(`order ${args.orderId} has no log entries on stage "${flags.stage ?? config.stage}"`, ['List recent orders with `fulfill trace --slowest 10`.']);
      const trace = buildTrace(args.orderId, entries, await source.outcome(args.orderId, execution?.chosen), source.flow, {
        memoryMb: source.memoryMb,
      });
      this.log(renderTrace(trace));
      if (execution?.note) this.log(execution.note);
      return { ...trace, ...(execution ? { execution: execution.chosen, executions: execution.all } : {}) };
    }
    if (!flags.slowest && !flags.sla) throw new UserError('trace needs an order id, --slowest N or --sla DURATION');
    const since = parseSince(flags.since);
    const finished = (await source.finishedSince(since)).filter((o) => o.durationMs !== null && Date.parse(o.startedAt) >= since);
    const orders: Slow[] = finished
      .map(({ orderId, status, mode, startedAt, durationMs }) => ({ orderId, status: status as Slow['status'], mode, startedAt, durationMs }))
      .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
      .slice(0, flags.slowest ?? finished.length);
    const slaMs = flags.sla ? parseDuration(flags.sla) : undefined;
    const breached = slaMs !== undefined ? orders.filter((o) => (o.durationMs ?? 0) > slaMs) : undefined;
    for (const o of breached ?? orders) this.log(`${String(o.durationMs).padStart(7)} ms  ${o.status.padEnd(9)} ${o.mode.padEnd(13)} ${o.orderId}  ${o.startedAt}`);
    if (slaMs !== undefined) {
      const summary = `${breached!.length} of ${finished.length} orders since ${flags.since} over the ${flags.sla} SLA`;
      this.log(summary);
      if (breached!.length > 0) {
        this.errorData = { orders, breached, slaMs };
        throw new ExpectationError(summary, [`Trace one: fulfill trace ${breached![0]!.orderId}`]);
      }
    }
    return { orders, ...(breached ? { breached, slaMs } : {}) };
  }

  /** Where the timeline comes from: the local store, or AWS (execution history or the event log group). */
  private async source(flags: { dir: string; region?: string; profile?: string; 'endpoint-url'?: string }, stage: string, aws: boolean, config: FulfillConfig): Promise<TraceSource> {
    if (!aws) {
      const store = openLocalLog(flags.dir, stage);
      return {
        memoryMb: (store.readDeployment() as { functionsConfig?: { memoryMb: number } } | undefined)?.functionsConfig?.memoryMb ?? config.functions.memoryMb,
        executions: (orderId) => store.listExecutions(orderId).map((x) => ({ execution: x.execution, status: x.status, startedAt: x.startDate })),
        entries: async (orderId, execution) => store.readLog({ orderId, ...(execution ? { execution } : {}) }),
        outcome: async (orderId, execution) => store.readOutcome(orderId, execution),
        // Each order's latest submission, finished or not: failed and unfinished orders count too.
        finishedSince: async (since) => store.listOrders(since),
      };
    }
    const { connectStage } = await import('../lib/aws/stage.js');
    const { readAwsLogs } = await import('../lib/aws/history.js');
    const { currentOutcome, finishedOrdersSince } = await import('../lib/aws/orders.js');
    const connected = await connectStage(flags.dir, { stage, ...awsOptionsFrom(flags) });
    const awsStage = { ...connected, endpoint: '' };
    return {
      memoryMb: connected.blueprint.config.functions.memoryMb,
      ...(connected.blueprint.events ? { flow: connected.blueprint.events } : {}),
      entries: (orderId) => readAwsLogs(awsStage, { orderId }),
      outcome: (orderId) => currentOutcome(awsStage, orderId),
      finishedSince: (since) => finishedOrdersSince(awsStage, since),
    };
  }
}

interface TraceSource {
  /** Events mode on AWS: the flow, to infer causes the event log does not record. */
  flow?: EventFlow;
  /** The functions' memory, for GB-seconds. */
  memoryMb: number;
  /** Local target: the order's submissions, each its own execution (oldest first). */
  executions?: (orderId: string) => Array<{ execution: number; status: string; startedAt: string }>;
  entries(orderId: string, execution?: number): Promise<LogEntry[]>;
  outcome(orderId: string, execution?: number): Promise<OrderOutcome | undefined>;
  finishedSince(since: number): Promise<Slow[]>;
}

/** One submission of the order to trace (the latest by default), and a note naming the others. */
function pickExecution(orderId: string, all: Array<{ execution: number; status: string; startedAt: string }>, wanted: number | undefined) {
  if (wanted !== undefined && !all.some((x) => x.execution === wanted)) {
    throw new UserError(`order ${orderId} has no execution ${wanted} (it has ${all.length})`, all.length ? [`Pick one of ${all.map((x) => x.execution).join(', ')} with --execution.`] : []);
  }
  const chosen = wanted ?? all.at(-1)?.execution;
  const note = all.length > 1
    ? `submissions of ${orderId}: ${all.map((x) => `${x.execution} ${x.status} at ${x.startedAt}${x.execution === chosen ? ' (shown)' : ''}`).join(', ')}; pick one with --execution N`
    : undefined;
  return { chosen, all, note };
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text.trim());
  if (!m) throw new UserError(`--sla must be a duration such as 500ms, 2s or 1m (got ${JSON.stringify(text)})`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

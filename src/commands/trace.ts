import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { durationFlag, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { formatDuration, parseSince } from '../lib/duration.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import { pickExecution } from '../lib/logs/executions.js';
import { openTarget } from '../lib/targets/index.js';
import { checkSla, rankSlowest, type SlowestReport } from '../lib/trace/slowest.js';
import { buildTrace, renderTrace, type OrderTrace } from '../lib/trace/trace.js';
import type { ExecutionSummary } from '../lib/logs/executions.js';

export default class Trace extends BaseCommand<typeof Trace> {
  static summary = 'One timeline of everything that happened to an order, or the slowest orders and SLA breaches.';
  static description = `With an order id: the API request, each state or event, matched rules, each handler invocation with its duration, retries, errors, the critical path and where the order waited. With --slowest/--sla: orders since --since ranked by latency; --sla exits 1 when any order breached it.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> trace ord-123',
    '<%= config.bin %> trace --slowest 5 --since 1h',
    '<%= config.bin %> trace --sla 2s --since 1h',
  ];
  static args = { orderId: Args.string({ description: 'The order to trace.', required: false }) };
  static flags = {
    ...stageFlags,
    ...targetFlags,
    slowest: Flags.integer({ summary: 'List the N slowest orders.', min: 1 }),
    since: Flags.string({
      summary: 'Only orders started since a duration ago (10m, 1h) or an ISO time.',
      default: '1h',
    }),
    sla: durationFlag({ summary: 'Latency objective, e.g. 2s or 500ms: report orders over it (exit 1 if any).' }),
    execution: Flags.integer({
      char: 'e',
      summary: 'Local target: this submission of the order (1 = the first; default: the latest).',
      min: 1,
    }),
  };

  async run(): Promise<(OrderTrace & { execution?: number; executions?: ExecutionSummary[] }) | SlowestReport> {
    const { args, flags } = await this.parse(Trace);
    const target = await openTarget(flags);
    const source = await target.traceSource();
    if (args.orderId) {
      const submissions = await target.executions(args.orderId);
      const execution = submissions ? pickExecution(args.orderId, submissions, flags.execution) : undefined;
      const entries = await source.entries(args.orderId, execution?.chosen);
      if (entries.length === 0)
        throw new UserError(`order ${args.orderId} has no log entries on stage "${target.stage}"`, [
          'List recent orders with `fulfill trace --slowest 10`.',
        ]);
      const outcome = await source.outcome(args.orderId, execution?.chosen);
      const trace = buildTrace(args.orderId, entries, outcome, source.flow, { memoryMb: source.memoryMb });
      this.log(renderTrace(trace));
      if (execution?.note) this.log(execution.note);
      return { ...trace, ...(execution ? { execution: execution.chosen, executions: execution.all } : {}) };
    }
    if (!flags.slowest && flags.sla === undefined)
      throw new UserError('trace needs an order id, --slowest N or --sla DURATION');
    const since = parseSince(flags.since);
    const report = rankSlowest(await source.finishedSince(since), {
      since,
      ...(flags.slowest ? { slowest: flags.slowest } : {}),
      ...(flags.sla !== undefined ? { slaMs: flags.sla } : {}),
    });
    for (const o of report.breached ?? report.orders)
      this.log(
        `${String(o.durationMs).padStart(7)} ms  ${o.status.padEnd(9)} ${o.mode.padEnd(13)} ${o.orderId}  ${o.startedAt}`,
      );
    if (report.breached) {
      const summary = `${report.breached.length} of ${report.considered} orders since ${flags.since} over the ${formatDuration(report.slaMs!)} SLA`;
      this.log(summary);
      this.errorData = report;
      checkSla(report, summary);
    }
    return report;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { faultFlags, faultPlanFrom } from '../lib/cli/fault-flags.js';
import { durationFlag, stageFlags } from '../lib/cli/flags.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, ExitCode, ExpectationError, UserError } from '../lib/errors.js';
import { newRunId, ordersFromFiles, ordersFromMix } from '../lib/compare/orders.js';
import { renderComparison } from '../lib/compare/render.js';
import { runComparison, type ComparisonReport } from '../lib/compare/run.js';

export default class Compare extends BaseCommand<typeof Compare> {
  static summary =
    'Run the same orders through both wirings side by side and compare outcomes, latency, usage and cost.';
  static description = `On the local target, deploys the project in orchestration and in events mode as stages <stage>-orch and <stage>-ev (built from the same sources), sends the same orders to each, and reports: every field where an order's outcome differs (exit 1 if any), latency and throughput per mode, the Lambda invocations, GB-seconds, state transitions, events and rule deliveries per order (counted from the log), the estimated AWS cost per million orders (prices in src/lib/compare/prices.ts), and static measures of the wiring. --inject applies the same faults to both modes.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> compare',
    '<%= config.bin %> compare --count 200 --concurrency 20 --json',
    '<%= config.bin %> compare --file "orders/*.json" --inject determine-seller:fail:3',
  ];
  static flags = {
    ...stageFlags,
    ...faultFlags,
    file: Flags.string({
      char: 'f',
      summary: 'Order files or globs, relative to the project (default: orders/*.json).',
      multiple: true,
    }),
    count: Flags.integer({
      summary: 'Send N orders from a fixed mix of payment instruments and 1P/3P sellers instead of files.',
      min: 1,
      max: 10000,
      exclusive: ['file'],
    }),
    concurrency: Flags.integer({ summary: 'Orders in flight at once per mode.', default: 10, min: 1, max: 500 }),
    timeout: durationFlag({
      summary: "How long to wait for each order's outcome: 500ms, 30s, 2m (a bare number means seconds).",
      default: 30_000,
      min: 1,
      defaultHelp: async () => '30s',
    }),
  };

  async run(): Promise<ComparisonReport> {
    const { flags } = await this.parse(Compare);
    const config = loadConfig(flags.dir);
    const faults = faultPlanFrom(flags.inject, 'local') ?? { faults: [] };
    const runId = newRunId();
    const orders =
      flags.count !== undefined
        ? ordersFromMix(flags.count, runId)
        : ordersFromFiles(flags.dir, flags.file ?? [], runId);
    const report = await runComparison(
      {
        projectDir: flags.dir,
        stage: flags.stage ?? config.stage,
        orders,
        concurrency: flags.concurrency,
        timeoutMs: flags.timeout,
        faults,
        // Progress goes to stderr, so stdout holds only the report.
        progress: (line) => {
          if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
        },
      },
      runId,
    );
    this.log(renderComparison(report));
    if (report.differences.length > 0) {
      this.errorData = report;
      const first = report.differences[0];
      throw new ExpectationError(
        `${report.differences.length} outcome difference(s) between the modes; first: order ${first.orderId} field ${first.field} (orchestration ${JSON.stringify(first.orchestration)}, events ${JSON.stringify(first.events)})`,
        [
          `Compare the timelines: fulfill trace ${first.orderId} --stage ${report.stages.orchestration} and --stage ${report.stages.events}`,
        ],
      );
    }
    if (report.errors.length > 0) {
      this.errorData = report;
      throw new UserError(
        `${report.errors.length} order(s) got no outcome in both modes; first: ${report.errors[0].orderId}: ${report.errors[0].error}`,
        [],
        ExitCode.Timeout,
        'Timeout',
      );
    }
    return report;
  }
}

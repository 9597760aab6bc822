import { Flags } from '@oclif/core';
import { BaseCommand } from '../../lib/cli/base-command.js';
import { durationFlag, stageFlags } from '../../lib/cli/flags.js';
import { loadConfig, MODES, validateWith, type Mode } from '../../lib/config/schema.js';
import { EXIT_CODES_HELP, ExpectationError, TimeoutError } from '../../lib/errors.js';
import { newRunId, ordersFromFiles, type ComparedOrder } from '../../lib/compare/orders.js';
import { readJsonArgument } from '../../lib/blueprint/rule-test.js';
import { runIamCheck, type IamCheckReport } from '../../lib/iam/check.js';
import { renderIamCheck } from '../../lib/iam/render.js';
import { orderSchema } from '../../lib/order/model.js';

export default class IamCheck extends BaseCommand<typeof IamCheck> {
  static summary = 'Run the sample orders locally, record every AWS call, and compare them with the AWS policies.';
  static description = `Deploys the project to a throwaway local stage (.fulfill/iam-check/<stage>, removed afterwards) with the stage's names, runs the orders (default: orders/*.json) with each function's AWS SDK pointed at a call recorder (AWS_ENDPOINT_URL), records the calls the local engines make on the functions' behalf (Step Functions invoking Lambda, EventBridge invoking targets, API Gateway starting executions or putting events), and compares every call with the policies \`deploy --target aws\` would create, per role. It lists the missing permissions (denied on AWS), with the statement and the fulfill.config.json entry to add, and the granted but unused ones, with the statement to remove. A recorded call is answered with an empty success (e.g. GetItem finds no item). The result is saved with the stage; \`deploy --target aws\` warns when it is missing, stale or failed.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> iam check',
    '<%= config.bin %> iam check --mode events --json',
    '<%= config.bin %> iam check --file orders/credit-card-3p.json',
  ];
  static flags = {
    ...stageFlags,
    mode: Flags.string({
      char: 'm',
      summary: 'Wiring to check (default: "mode" in fulfill.config.json).',
      options: [...MODES],
      env: 'FULFILL_MODE',
    }),
    region: Flags.string({
      summary: 'The region deploy --target aws uses (default: AWS_REGION, else "region" in fulfill.config.json).',
      env: 'AWS_REGION',
    }),
    file: Flags.string({
      char: 'f',
      summary: 'Order files or globs, relative to the project (default: orders/*.json).',
      multiple: true,
    }),
    order: Flags.string({
      summary: 'An order as JSON text or a file (repeatable), instead of the files.',
      multiple: true,
    }),
    timeout: durationFlag({
      summary: "How long to wait for each order's outcome: 500ms, 30s, 2m (a bare number means seconds).",
      default: 30_000,
      min: 1,
      defaultHelp: async () => '30s',
    }),
  };

  async run(): Promise<IamCheckReport> {
    const { flags } = await this.parse(IamCheck);
    const config = loadConfig(flags.dir);
    const runId = newRunId();
    const given: ComparedOrder[] = (flags.order ?? []).map((value, i) => {
      const order = validateWith(orderSchema, readJsonArgument(value, '--order'), `--order #${i + 1}`);
      return { order: { ...order, orderId: `${order.orderId}-${runId}` }, origin: `--order #${i + 1}` };
    });
    const orders = given.length > 0 ? given : ordersFromFiles(flags.dir, flags.file ?? [], runId);
    const report = await runIamCheck({
      projectDir: flags.dir,
      stage: flags.stage ?? config.stage,
      ...(flags.mode ? { mode: flags.mode as Mode } : {}),
      ...(flags.region ? { region: flags.region } : {}),
      orders,
      timeoutMs: flags.timeout,
      // Progress goes to stderr, so stdout holds only the report.
      progress: (line) => {
        if (!this.jsonEnabled()) process.stderr.write(`${line}\n`);
      },
    });
    this.log(renderIamCheck(report));
    if (report.missing.length > 0) {
      this.errorData = report;
      const first = report.missing[0];
      throw new ExpectationError(
        `${report.missing.length} missing permission(s); first: ${first.by} calls ${first.action} on ${first.resource}, which ${first.role} does not allow`,
        [first.fix],
      );
    }
    // An order cut off by --timeout made calls nobody saw: the check cannot vouch for them (exit 4).
    const unfinished = report.orders.filter((o) => o.status === 'NO_OUTCOME');
    if (unfinished.length > 0) {
      this.errorData = report;
      throw new TimeoutError(
        `${unfinished.length} order(s) got no outcome, so their later calls were not checked; first: ${unfinished[0].orderId}: ${unfinished[0].error ?? 'no outcome'}`,
        ['Raise --timeout, or look at why the order does not finish with `fulfill send-order` on a local stage.'],
      );
    }
    return report;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, targetFlags, untilInterrupted } from '../lib/cli/flags.js';
import { renderLogEntry } from '../lib/cli/render.js';
import { parseSince } from '../lib/duration.js';
import { EXIT_CODES_HELP, ExpectationError } from '../lib/errors.js';
import type { LogEntry, LogSource } from '../lib/logs/entry.js';
import type { OrderOutcome } from '../lib/order/outcome.js';
import { pickExecution } from '../lib/logs/executions.js';
import { openTarget } from '../lib/targets/index.js';

export default class Logs extends BaseCommand<typeof Logs> {
  static summary = 'Show execution history and event logs, per order or for a time window; --follow tails them.';
  static description = `Entries come from every process working on the stage (send-order, serve). With --json, each entry is printed as one JSON object per line (JSON Lines; schema in the README); errors are the usual JSON envelope.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> logs --order ord-123',
    '<%= config.bin %> logs --since 10m --json',
    '<%= config.bin %> logs --follow',
  ];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    functions: Flags.boolean({ summary: "AWS target: also the Lambda functions' own log lines.", default: false }),
    order: Flags.string({ char: 'o', summary: 'Only this order id.' }),
    since: Flags.string({
      summary: 'Only entries since a duration ago (500ms, 90s, 10m, 2h, 1d) or an ISO 8601 time (default on aws: 1h).',
    }),
    limit: Flags.integer({ char: 'n', summary: 'Only the last N entries (before following).', min: 1 }),
    source: Flags.string({
      summary: 'Only these streams.',
      options: ['execution', 'events', 'api', 'function'],
      multiple: true,
    }),
    follow: Flags.boolean({
      char: 'f',
      summary:
        'Keep printing new entries until interrupted (Ctrl-C); with --order, until the order ends (exit 1 if it did not succeed).',
      default: false,
    }),
    execution: Flags.integer({
      char: 'e',
      summary: 'With --order: this submission of the order (1 = the first; default: the latest).',
      min: 1,
      dependsOn: ['order'],
    }),
  };

  private printed = 0;

  async run(): Promise<{ entries: number }> {
    const { flags } = await this.parse(Logs);
    const target = await openTarget(flags);
    const submissions = flags.order ? await target.executions(flags.order) : undefined;
    const execution = submissions ? pickExecution(flags.order!, submissions, flags.execution) : undefined;
    if (execution?.note && !this.jsonEnabled()) process.stderr.write(`${execution.note}\n`);
    const reading = await target.logs({
      ...(flags.order ? { orderId: flags.order } : {}),
      ...(execution?.chosen ? { execution: execution.chosen } : {}),
      ...(flags.since ? { since: parseSince(flags.since) } : {}),
      ...(flags.source ? { sources: flags.source as LogSource[] } : {}),
      ...(flags.limit ? { limit: flags.limit } : {}),
      functions: flags.functions,
    });
    for (const entry of reading.entries) this.print(entry);
    if (!flags.follow) return { entries: this.printed };
    const until = flags.order ? { untilOutcomeOf: flags.order } : {};
    let outcome: OrderOutcome | undefined;
    await untilInterrupted(async (signal) => {
      outcome = await reading.follow((e) => this.print(e), signal, until);
    });
    if (outcome && outcome.status !== 'SUCCEEDED') {
      const why = outcome.error ? ` (${outcome.error.error}: ${outcome.error.cause})` : '';
      throw new ExpectationError(`order ${outcome.orderId} ended ${outcome.status}${why}`);
    }
    return { entries: this.printed };
  }

  private print(entry: LogEntry) {
    this.printed++;
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(entry)}\n`);
    else this.log(renderLogEntry(entry));
  }

  /** Under --json the entries themselves are the output (JSON Lines): no success envelope after them. */
  protected override logJson(json: unknown): void {
    if ((json as { status?: number })?.status === 0) return;
    super.logJson(json);
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, targetFlags } from '../lib/cli/flags.js';
import { parseSince } from '../lib/duration.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import { openTarget, type ReplayReport } from '../lib/targets/index.js';

export default class Replay extends BaseCommand<typeof Replay> {
  static summary =
    'Publish recorded events again, in their original order, as an EventBridge archive replay does (events mode).';
  static description = `The events that were put on the bus (for one order, or since a time) go again to the rules they match, or only to --rule's, each with a "replay-name" field; the events their targets publish flow on as usual. On the local target each order's replay runs as a new execution with its own outcome. Events that reach no rule are not replayed. On AWS, EventBridge replays the stage's archive (created by deploy) to the bus for a time window: --since, not --order.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> replay --order ord-123',
    '<%= config.bin %> replay --order ord-123 --rule issue-invoices',
    '<%= config.bin %> replay --since 1h --dry-run --json',
  ];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    order: Flags.string({ char: 'o', summary: "This order's events (of its latest submission)." }),
    since: Flags.string({
      summary: "Every order's events since a duration ago (500ms, 90s, 10m, 2h, 1d) or an ISO 8601 time.",
    }),
    rule: Flags.string({ char: 'r', summary: 'Deliver the events to this rule only (its name in events.json).' }),
    'dry-run': Flags.boolean({ summary: 'List what would be replayed; change nothing.', default: false }),
  };

  async run(): Promise<ReplayReport> {
    const { flags } = await this.parse(Replay);
    if ((flags.order === undefined) === (flags.since === undefined))
      throw new UserError('replay needs exactly one of --order ID or --since DURATION', [
        'e.g. fulfill replay --order ord-123, or fulfill replay --since 1h',
      ]);
    const since = flags.since !== undefined ? parseSince(flags.since) : undefined;
    const target = await openTarget(flags);
    const report = await target.replay({
      ...(flags.order !== undefined ? { orderId: flags.order } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(flags.rule !== undefined ? { rule: flags.rule } : {}),
      dryRun: flags['dry-run'],
    });
    this.log(report.summary);
    for (const event of report.events)
      this.log(
        `  ${event.publishedAt} ${event.orderId} ${event.detailType} (${event.source}) → ${event.rules.join(', ')}`,
      );
    return report;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, targetFlags } from '../lib/cli/flags.js';
import { EXIT_CODES_HELP, ExpectationError } from '../lib/errors.js';
import { openTarget, type RedriveReport } from '../lib/targets/index.js';

export default class Redrive extends BaseCommand<typeof Redrive> {
  static summary = "Re-deliver the stage's dead letters to their rules' targets (events mode).";
  static description = `Each dead letter goes to its rule's target again, through the rule's input transformer, and the order's flow goes on from there. On the local target each redriven order runs as a new execution with its own outcome (see \`logs --order ID --execution N\`); the letter is removed once redelivered, and replaced if it is dead-lettered again. On AWS the messages of the stage's SQS dead-letter queue are re-delivered by invoking the target function, and deleted only after that. Exit 1 when a letter was dead-lettered again.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> redrive',
    '<%= config.bin %> redrive --order ord-123 --dry-run',
    '<%= config.bin %> redrive --rule select-warehouse-1p --json',
  ];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    order: Flags.string({ char: 'o', summary: 'Only the dead letters of this order id.' }),
    rule: Flags.string({ char: 'r', summary: 'Only the dead letters of this rule (its name in events.json).' }),
    'dry-run': Flags.boolean({ summary: 'List what would be redriven; change nothing.', default: false }),
  };

  async run(): Promise<RedriveReport> {
    const { flags } = await this.parse(Redrive);
    const target = await openTarget(flags);
    const report = await target.redrive({
      ...(flags.order !== undefined ? { orderId: flags.order } : {}),
      ...(flags.rule !== undefined ? { rule: flags.rule } : {}),
      dryRun: flags['dry-run'],
    });
    this.log(report.summary);
    for (const letter of report.letters) {
      const from = letter.fromExecution ? ` (execution ${letter.fromExecution})` : '';
      const why = letter.reason ? `: ${letter.reason}` : '';
      this.log(
        `  ${letter.orderId} ${letter.detailType} → ${letter.rule} → ${letter.target}${from}: ${letter.result}${why}`,
      );
    }
    const again = report.letters.filter((l) => l.result === 'dead-lettered-again');
    if (again.length > 0) {
      this.errorData = report;
      throw new ExpectationError(
        `${again.length} of ${report.letters.length} dead letter(s) were dead-lettered again`,
        [`See why: fulfill logs --order ${again[0].orderId}`],
      );
    }
    return report;
  }
}

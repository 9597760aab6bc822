import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, targetFlags } from '../lib/cli/flags.js';
import { paint } from '../lib/cli/style.js';
import { EXIT_CODES_HELP, ExitCode, UserError } from '../lib/errors.js';
import { openTarget, type DestroyReport } from '../lib/targets/index.js';

export default class Destroy extends BaseCommand<typeof Destroy> {
  static summary = 'Delete everything the stage owns. Idempotent: a second run finds nothing and exits 0.';
  static description = `On AWS it deletes, in reverse dependency order, the API, the rules and targets with the bus, the state machine, the functions, the dead-letter queue, the log groups (unless --keep-logs) and the roles, and only resources tagged for this app and stage. On the local target it removes .fulfill/local/<stage> (deployment, bundles, logs, outcomes). Asks for confirmation on a terminal; without one it needs --yes.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> destroy --yes', '<%= config.bin %> destroy --stage pr-42 --yes --json'];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    'keep-logs': Flags.boolean({
      summary: 'AWS target: keep the log groups (execution, event and function logs).',
      default: false,
    }),
    yes: Flags.boolean({
      char: 'y',
      summary: 'Do not ask for confirmation (required without a terminal).',
      default: false,
    }),
  };

  async run(): Promise<DestroyReport> {
    const { flags } = await this.parse(Destroy);
    const target = await openTarget(flags);
    if (!flags.yes) {
      if (!process.stdin.isTTY || !process.stderr.isTTY || this.jsonEnabled()) {
        throw new UserError(`destroy needs --yes when not run on a terminal (stage "${target.stage}")`, [
          'Add --yes to confirm in CI.',
        ]);
      }
      const { confirm } = await import('@inquirer/prompts');
      const question = `Delete stage "${target.stage}" of ${target.config.app} on ${target.label}?`;
      if (!(await confirm({ message: question, default: false }, { output: process.stderr }))) {
        throw new UserError('destroy cancelled; nothing was deleted', [], ExitCode.ExpectationNotMet, 'Cancelled');
      }
    }
    const report = await target.destroy({ keepLogs: flags['keep-logs'] });
    for (const s of report.skipped ?? []) this.warnUser(`left ${s.resource} alone: ${s.reason}`);
    this.log(report.deleted.length ? `${paint('green', '✔')} ${report.summary}` : report.summary);
    return report;
  }
}

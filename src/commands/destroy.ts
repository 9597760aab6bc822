import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { awsOptionsFrom, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { paint } from '../lib/cli/style.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import { LocalStore } from '../lib/local/store.js';

export default class Destroy extends BaseCommand<typeof Destroy> {
  static summary = 'Delete everything the stage owns. Idempotent: a second run finds nothing and exits 0.';
  static description = `On AWS it deletes, in reverse dependency order, the API, the rules and targets with the bus, the state machine, the functions, the dead-letter queue, the log groups (unless --keep-logs) and the roles, and only resources tagged for this app and stage. On the local target it removes .fulfill/local/<stage> (deployment, bundles, logs, outcomes). Asks for confirmation on a terminal; without one it needs --yes.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> destroy --yes', '<%= config.bin %> destroy --stage pr-42 --yes --json'];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    'keep-logs': Flags.boolean({ summary: 'AWS target: keep the log groups (execution, event and function logs).', default: false }),
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation (required without a terminal).', default: false }),
  };

  async run(): Promise<{ target: 'local' | 'aws'; stage: string; deleted: string[]; skipped?: Array<{ resource: string; reason: string }> }> {
    const { flags } = await this.parse(Destroy);
    const config = loadConfig(flags.dir);
    const stage = flags.stage ?? config.stage;
    const store = new LocalStore(flags.dir, stage);
    if (!flags.yes) {
      if (!process.stdin.isTTY || !process.stdout.isTTY || this.jsonEnabled()) {
        throw new UserError(`destroy needs --yes when not run on a terminal (stage "${stage}")`, ['Add --yes to confirm in CI.']);
      }
      const { confirm } = await import('@inquirer/prompts');
      if (!(await confirm({ message: `Delete stage "${stage}" of ${config.app} on the local target?`, default: false }))) {
        throw new UserError('destroy cancelled; nothing was deleted', [], 1, 'Cancelled');
      }
    }
    if ((flags.target ?? config.target) === 'aws') {
      const { connectStage } = await import('../lib/aws/stage.js');
      const { destroyAws } = await import('../lib/aws/destroy.js');
      const connected = await connectStage(flags.dir, { stage, mode: config.mode, ...awsOptionsFrom(flags) });
      const result = await destroyAws(connected.ctx, connected.blueprint, { keepLogs: flags['keep-logs'] });
      for (const s of result.skipped) this.warnUser(`left ${s.resource} alone: ${s.reason}`);
      this.log(result.deleted.length ? `${paint('green', '✔')} destroyed ${config.app}/${stage} on aws: ${result.deleted.map((d) => `${d.kind} ${d.resource}`).join(', ')}` : `nothing to destroy: ${config.app}/${stage} owns nothing on aws`);
      return { target: 'aws', stage, deleted: result.deleted.map((d) => d.resource), skipped: result.skipped };
    }
    const existed = store.destroy();
    const deleted = existed ? [store.dir] : [];
    this.log(existed ? `${paint('green', '✔')} destroyed ${config.app}/${stage} on local (${store.dir})` : `nothing to destroy: ${config.app}/${stage} has no local deployment`);
    return { target: 'local', stage, deleted };
  }
}

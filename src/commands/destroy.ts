import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags } from '../lib/cli/flags.js';
import { paint } from '../lib/cli/style.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import { LocalStore } from '../lib/local/store.js';

export default class Destroy extends BaseCommand<typeof Destroy> {
  static summary = 'Delete everything the stage owns. Idempotent: a second run finds nothing and exits 0.';
  static description = `On the local target this removes .fulfill/local/<stage> (deployment, bundles, logs, outcomes). Asks for confirmation on a terminal; without one it needs --yes.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> destroy --yes', '<%= config.bin %> destroy --stage pr-42 --yes --json'];
  static flags = {
    ...stageFlags,
    yes: Flags.boolean({ char: 'y', summary: 'Do not ask for confirmation (required without a terminal).', default: false }),
  };

  async run(): Promise<{ target: 'local'; stage: string; deleted: string[] }> {
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
    const existed = store.destroy();
    const deleted = existed ? [store.dir] : [];
    this.log(existed ? `${paint('green', '✔')} destroyed ${config.app}/${stage} on local (${store.dir})` : `nothing to destroy: ${config.app}/${stage} has no local deployment`);
    return { target: 'local', stage, deleted };
  }
}

import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags, targetFlags } from '../lib/cli/flags.js';
import { paint } from '../lib/cli/style.js';
import { renderResourceStates } from '../lib/cli/render.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { openTarget, type StatusReport } from '../lib/targets/index.js';

export default class Status extends BaseCommand<typeof Status> {
  static summary = "List the stage's resources as deployed, with drift from what `deploy` would create now.";
  static description = `Exit code 0 whether or not there is drift (read "drift" in --json); 2 when the stage is not deployed.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];
  static flags = { ...stageFlags, ...targetFlags };

  async run(): Promise<StatusReport> {
    const { flags } = await this.parse(Status);
    const target = await openTarget(flags);
    const report = await target.status();
    const redeploy = target.name === 'local' ? '`fulfill deploy`' : `\`fulfill deploy --target ${target.name}\``;
    const when = report.deployedAt ? `, deployed ${report.deployedAt}` : `, ${report.endpoint}`;
    this.log(
      `${target.config.app}/${report.stage} on ${report.where}: ${report.mode} mode${when}${report.drift ? paint('yellow', ` — drift: run ${redeploy}`) : ', in sync'}`,
    );
    if (report.sourcesChanged) this.log(`  sources changed since the last deploy: ${report.sourcesChanged.join(', ')}`);
    for (const line of renderResourceStates(report.resources)) this.log(line);
    return report;
  }
}

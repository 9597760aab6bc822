import { BaseCommand } from '../lib/cli/base-command.js';
import { stageFlags } from '../lib/cli/flags.js';
import { paint } from '../lib/cli/style.js';
import { loadBlueprint } from '../lib/blueprint/blueprint.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { localDeploySteps, type DeployChange } from '../lib/local/deploy.js';
import { LocalStore } from '../lib/local/store.js';

export interface StatusResult {
  target: 'local';
  stage: string;
  deployed: boolean;
  mode?: string;
  deployedAt?: string;
  endpoint?: string;
  /** Each resource with what `deploy` would do to it now: `unchanged` means no drift. */
  resources: DeployChange[];
  drift: boolean;
}

export default class Status extends BaseCommand<typeof Status> {
  static summary = "List the stage's resources as deployed, with drift from what `deploy` would create now.";
  static description = `Exit code 0 whether or not there is drift; read "drift" in --json.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --json'];
  static flags = { ...stageFlags };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const config = loadConfig(flags.dir);
    const stage = flags.stage ?? config.stage;
    const deployment = new LocalStore(flags.dir, stage).readDeployment();
    if (!deployment) {
      this.log(`${stage}: not deployed on the local target (run \`fulfill deploy\`)`);
      return { target: 'local', stage, deployed: false, resources: [], drift: false };
    }
    const blueprint = loadBlueprint(flags.dir, { mode: deployment.mode, stage });
    const { steps, result } = localDeploySteps(blueprint, { dryRun: true, allowCycles: true });
    for (const step of steps) await step.run();
    const resources = result().changes;
    const drift = resources.some((r) => r.action !== 'unchanged');
    this.log(`${deployment.app}/${stage} on local: ${deployment.mode} mode, deployed ${deployment.deployedAt}${drift ? paint('yellow', ' — drift: run `fulfill deploy`') : ', in sync'}`);
    for (const r of resources) {
      const state = r.action === 'unchanged' ? paint('green', 'in sync') : paint('yellow', `${r.action === 'created' ? 'missing' : r.action === 'deleted' ? 'extra' : 'differs'}${r.why ? ` (${r.why.join(', ')})` : ''}`);
      this.log(`  ${r.kind.padEnd(13)} ${r.resource.padEnd(44)} ${state}`);
    }
    return { target: 'local', stage, deployed: true, mode: deployment.mode, deployedAt: deployment.deployedAt, endpoint: result().endpoint, resources, drift };
  }
}

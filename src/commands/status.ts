import { BaseCommand } from '../lib/cli/base-command.js';
import { awsOptionsFrom, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { runSteps } from '../lib/cli/progress.js';
import { paint } from '../lib/cli/style.js';
import { renderResourceStates } from '../lib/cli/render.js';
import { loadBlueprint } from '../lib/blueprint/blueprint.js';
import { loadConfig } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { localDeploySteps, type DeployChange } from '../lib/local/deploy.js';
import { LocalStore } from '../lib/local/store.js';

export interface StatusResult {
  target: 'local' | 'aws';
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
  static flags = { ...stageFlags, ...targetFlags };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const config = loadConfig(flags.dir);
    const stage = flags.stage ?? config.stage;
    if ((flags.target ?? config.target) === 'aws') return this.onAws(flags, stage);
    const deployment = new LocalStore(flags.dir, stage).readDeployment();
    if (!deployment) {
      this.log(`${stage}: not deployed on the local target (run \`fulfill deploy\`)`);
      return { target: 'local', stage, deployed: false, resources: [], drift: false };
    }
    const blueprint = loadBlueprint(flags.dir, { mode: deployment.mode, stage });
    const { steps, result } = localDeploySteps(blueprint, { dryRun: true, allowCycles: true, allowFlowErrors: true });
    for (const step of steps) await step.run();
    const resources = result().changes;
    const drift = resources.some((r) => r.action !== 'unchanged');
    this.log(`${deployment.app}/${stage} on local: ${deployment.mode} mode, deployed ${deployment.deployedAt}${drift ? paint('yellow', ' — drift: run `fulfill deploy`') : ', in sync'}`);
    for (const line of renderResourceStates(resources)) this.log(line);
    return { target: 'local', stage, deployed: true, mode: deployment.mode, deployedAt: deployment.deployedAt, endpoint: result().endpoint, resources, drift };
  }

  /** On AWS: find the stage (AWS is the truth), then run the deployer as a dry run: every resource with its drift. */
  private async onAws(flags: { dir: string; region?: string; profile?: string; 'endpoint-url'?: string }, stage: string): Promise<StatusResult> {
    const { connectStage, detectMode } = await import('../lib/aws/stage.js');
    const { awsDeploySteps } = await import('../lib/aws/deploy.js');
    const aws = awsOptionsFrom(flags);
    const config = loadConfig(flags.dir);
    const probe = await connectStage(flags.dir, { stage, mode: config.mode, ...aws });
    const mode = await detectMode(probe.ctx);
    if (!mode) {
      this.log(`${stage}: not deployed on aws in ${probe.ctx.region} (run \`fulfill deploy --target aws\`)`);
      return { target: 'aws', stage, deployed: false, resources: [], drift: false };
    }
    const blueprint = loadBlueprint(flags.dir, { mode, stage, ...(flags.region ? { region: flags.region } : {}) });
    const { steps, result } = awsDeploySteps(blueprint, { dryRun: true, allowCycles: true, allowFlowErrors: true, clients: probe.ctx.clients });
    await runSteps(steps, { quiet: true });
    const resources = result().changes;
    const drift = resources.some((r) => r.action !== 'unchanged');
    const endpoint = result().endpoint;
    this.log(`${config.app}/${stage} on aws (${probe.ctx.account}, ${probe.ctx.region}): ${mode} mode, ${endpoint}${drift ? paint('yellow', ' — drift: run `fulfill deploy --target aws`') : ', in sync'}`);
    for (const line of renderResourceStates(resources)) this.log(line);
    return { target: 'aws', stage, deployed: true, mode, endpoint, resources, drift };
  }
}

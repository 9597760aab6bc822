import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { runSteps } from '../lib/cli/progress.js';
import { renderDeployResult } from '../lib/cli/render.js';
import { awsOptionsFrom, stageFlags, targetFlags } from '../lib/cli/flags.js';
import { loadBlueprint } from '../lib/blueprint/blueprint.js';
import { MODES, type Mode } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { localDeploySteps, type DeployResult } from '../lib/local/deploy.js';

export default class Deploy extends BaseCommand<typeof Deploy> {
  static summary = 'Deploy the backend in orchestration or events mode (local target by default).';
  static description = `Validates the config, the state machine or event flow, bundles the handlers with esbuild and creates or updates what changed. Re-running with no change changes nothing.\n\n${EXIT_CODES_HELP}`;
  static examples = ['<%= config.bin %> deploy --mode orchestration', '<%= config.bin %> deploy --mode events --json', '<%= config.bin %> deploy --target aws --mode events --dry-run', 'AWS_PROFILE=ci <%= config.bin %> deploy --target aws --stage pr-42'];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    'dry-run': Flags.boolean({ summary: 'Print the plan (create / update / delete / unchanged per resource) and change nothing.', default: false }),
    mode: Flags.string({ char: 'm', summary: 'Wiring to deploy (default: "mode" in fulfill.config.json).', options: [...MODES], env: 'FULFILL_MODE' }),
    'allow-cycles': Flags.boolean({ summary: 'Deploy an event flow even if it has a cycle.', default: false }),
    'allow-flow-errors': Flags.boolean({ summary: 'Deploy an event flow even if `fulfill graph --check` finds errors.', default: false }),
  };

  async run(): Promise<DeployResult> {
    const { flags } = await this.parse(Deploy);
    const blueprint = loadBlueprint(flags.dir, { mode: flags.mode as Mode | undefined, stage: flags.stage, ...(flags.region ? { region: flags.region } : {}) });
    const target = flags.target ?? blueprint.config.target;
    const aws = target === 'aws' ? await import('../lib/aws/deploy.js') : undefined;
    const { steps, result } =
      aws
        ? aws.awsDeploySteps(blueprint, {
            allowCycles: flags['allow-cycles'],
            allowFlowErrors: flags['allow-flow-errors'],
            dryRun: flags['dry-run'],
            ...awsOptionsFrom(flags),
          })
        : localDeploySteps(blueprint, { allowCycles: flags['allow-cycles'], allowFlowErrors: flags['allow-flow-errors'], dryRun: flags['dry-run'] });
    await runSteps(steps, { quiet: this.jsonEnabled() });
    const deployed = result();
    if (aws && !deployed.dryRun) {
      const { writeStageCache } = await import('../lib/aws/stage.js');
      writeStageCache(blueprint.projectDir, { app: deployed.app, stage: deployed.stage, mode: deployed.mode, region: deployed.region, account: deployed.account ?? '', endpoint: deployed.endpoint, deployedAt: deployed.deployedAt });
    }
    for (const warning of deployed.warnings) this.warnUser(warning);
    this.log(renderDeployResult(deployed));
    return deployed;
  }
}

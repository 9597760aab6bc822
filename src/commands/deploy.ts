import { Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { runSteps } from '../lib/cli/progress.js';
import { renderDeployResult } from '../lib/cli/render.js';
import { stageFlags, targetFlags } from '../lib/cli/flags.js';
import { MODES, type Mode } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import type { DeployResult } from '../lib/deploy/result.js';
import { openTarget } from '../lib/targets/index.js';

export default class Deploy extends BaseCommand<typeof Deploy> {
  static summary = 'Deploy the backend in orchestration or events mode (local target by default).';
  static description = `Validates the config, the state machine or event flow, bundles the handlers with esbuild and creates or updates what changed. Re-running with no change changes nothing.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> deploy --mode orchestration',
    '<%= config.bin %> deploy --mode events --json',
    '<%= config.bin %> deploy --target aws --mode events --dry-run',
    'AWS_PROFILE=ci <%= config.bin %> deploy --target aws --stage pr-42',
  ];
  static flags = {
    ...stageFlags,
    ...targetFlags,
    'dry-run': Flags.boolean({
      summary: 'Print the plan (create / update / delete / unchanged per resource) and change nothing.',
      default: false,
    }),
    mode: Flags.string({
      char: 'm',
      summary: 'Wiring to deploy (default: "mode" in fulfill.config.json).',
      options: [...MODES],
      env: 'FULFILL_MODE',
    }),
    'allow-flow-errors': Flags.boolean({
      summary: 'Deploy an event flow even if `fulfill graph --check` finds errors.',
      default: false,
    }),
    'allow-cycles': Flags.boolean({ summary: 'Deploy an event flow even if it has a cycle.', default: false }),
  };

  async run(): Promise<DeployResult> {
    const { flags } = await this.parse(Deploy);
    const target = await openTarget(flags);
    const plan = await target.deploy({
      ...(flags.mode ? { mode: flags.mode as Mode } : {}),
      allowCycles: flags['allow-cycles'],
      allowFlowErrors: flags['allow-flow-errors'],
      dryRun: flags['dry-run'],
    });
    await runSteps(plan.steps, { quiet: this.jsonEnabled() });
    const deployed = plan.result();
    for (const warning of deployed.warnings) this.warnUser(warning);
    this.log(renderDeployResult(deployed));
    return deployed;
  }
}

import { Flags } from '@oclif/core';
import { BaseCommand, describeError } from '../lib/cli/base-command.js';
import { runSteps } from '../lib/cli/progress.js';
import { renderDeployResult, renderRedeploy } from '../lib/cli/render.js';
import { stageFlags, targetFlags, untilInterrupted } from '../lib/cli/flags.js';
import { MODES, type Mode } from '../lib/config/schema.js';
import { EXIT_CODES_HELP, UserError } from '../lib/errors.js';
import type { DeployResult } from '../lib/deploy/result.js';
import { openTarget, type RedeployReport, type Target, type WatchReport } from '../lib/targets/index.js';

export default class Deploy extends BaseCommand<typeof Deploy> {
  static summary = 'Deploy the backend in orchestration or events mode (local target by default).';
  static description = `Validates the config, the state machine or event flow, bundles the handlers with esbuild and creates or updates what changed. Re-running with no change changes nothing.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> deploy --mode orchestration',
    '<%= config.bin %> deploy --mode events --json',
    '<%= config.bin %> deploy --watch',
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
    watch: Flags.boolean({
      char: 'w',
      summary:
        'Local target: deploy, then redeploy on every change to the handlers, the wiring or the config (Ctrl-C stops).',
      default: false,
    }),
  };

  async run(): Promise<DeployResult | (DeployResult & { watch: Omit<WatchReport, 'deployed'> })> {
    const { flags } = await this.parse(Deploy);
    const target = await openTarget(flags);
    if (flags.watch) {
      if (flags['dry-run']) throw new UserError('--watch deploys on every change: drop --dry-run (or --watch)');
      return this.watch(target, flags.mode as Mode | undefined, flags['allow-cycles'], flags['allow-flow-errors']);
    }
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

  /**
   * `--watch`: the first deploy as usual, then one line per redeploy (one JSON line under --json, documented in
   * the README), until SIGINT/SIGTERM, which end it with exit 0.
   */
  private async watch(
    target: Target,
    mode: Mode | undefined,
    allowCycles: boolean,
    allowFlowErrors: boolean,
  ): Promise<DeployResult & { watch: Omit<WatchReport, 'deployed'> }> {
    const json = this.jsonEnabled();
    let report: WatchReport | undefined;
    await untilInterrupted(async (signal) => {
      report = await target.watch({
        ...(mode ? { mode } : {}),
        allowCycles,
        allowFlowErrors,
        signal,
        firstDeploy: async (plan) => {
          await runSteps(plan.steps, { quiet: json });
          const deployed = plan.result();
          for (const warning of deployed.warnings) this.warnUser(warning);
          this.log(renderDeployResult(deployed));
        },
        onWatching: ({ paths }) => {
          if (json) process.stdout.write(`${JSON.stringify({ watching: { paths } })}\n`);
          else process.stderr.write(`watching ${paths.join(', ')} for changes (Ctrl-C to stop)\n`);
        },
        onRedeploy: (redeploy) => this.printRedeploy(redeploy, json),
      });
    });
    const { deployed, redeploys, failed } = report!;
    return { ...deployed, watch: { redeploys, failed } };
  }

  private printRedeploy(redeploy: RedeployReport, json: boolean): void {
    const error = redeploy.error === undefined ? undefined : describeError(redeploy.error);
    if (json) {
      const { error: _raw, ...rest } = redeploy;
      const line = {
        redeploy: { ...rest, ok: !error, ...(error ? { error: { code: error.code, message: error.message } } : {}) },
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    if (error) process.stderr.write(`${renderRedeploy(redeploy, error.message)}\n`);
    else this.log(renderRedeploy(redeploy));
  }
}

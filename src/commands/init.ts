import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../lib/cli/base-command.js';
import { paint } from '../lib/cli/style.js';
import { checkStageName, MODES, type Mode } from '../lib/config/schema.js';
import { EXIT_CODES_HELP } from '../lib/errors.js';
import { defaultAppName, initProject, type InitResult } from '../lib/project/init.js';

export default class Init extends BaseCommand<typeof Init> {
  static summary = 'Scaffold a fulfillment project: config, handlers, state machine, event flow and sample orders.';
  static description = `Writes a new project into DIR (default: the current folder). On a terminal it asks for missing values; without one (CI) it never prompts and uses the defaults.\n\n${EXIT_CODES_HELP}`;
  static examples = [
    '<%= config.bin %> init my-shop --name my-shop --mode events --yes',
    '<%= config.bin %> init --force',
  ];
  static args = { dir: Args.directory({ description: 'Folder to create the project in.', required: false }) };
  static flags = {
    name: Flags.string({
      summary: 'App name (lowercase, dashes; used in AWS resource names). Default: the folder name.',
    }),
    mode: Flags.string({ summary: 'Default deploy mode.', options: [...MODES] }),
    region: Flags.string({ summary: 'AWS region.', default: undefined }),
    stage: Flags.string({
      summary: 'Default stage name.',
      default: 'dev',
      parse: async (input) => checkStageName(input),
    }),
    yes: Flags.boolean({ char: 'y', summary: 'Accept defaults; never prompt.', default: false }),
    force: Flags.boolean({ summary: 'Write into a non-empty folder, overwriting template files.', default: false }),
  };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(Init);
    const dir = args.dir ?? flags.dir;
    // Prompts are written to stderr (stdout carries only the result), so that is the terminal that matters.
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && !flags.yes && !this.jsonEnabled();
    let name = flags.name ?? defaultAppName(dir);
    let mode = (flags.mode as Mode | undefined) ?? 'orchestration';
    let region = flags.region ?? process.env.AWS_REGION ?? 'eu-central-1';
    if (interactive) {
      const { input, select } = await import('@inquirer/prompts');
      const context = { output: process.stderr };
      if (!flags.name)
        name = await input(
          {
            message: 'App name',
            default: name,
            validate: (v) => /^[a-z][a-z0-9-]{0,23}$/.test(v) || 'lowercase letters, digits and dashes',
          },
          context,
        );
      if (!flags.mode)
        mode = await select(
          { message: 'Default mode', choices: MODES.map((m) => ({ value: m, name: m })), default: mode },
          context,
        );
      if (!flags.region) region = await input({ message: 'AWS region', default: region }, context);
    }
    const result = initProject({ dir, name, mode, region, stage: flags.stage, force: flags.force });
    this.log(
      `${paint('green', '✔')} created ${result.app} in ${result.dir} (${result.files.length} files, mode ${result.mode})`,
    );
    this.log(`  next: cd ${dir} && fulfill deploy && fulfill send-order --payment creditCard --wait`);
    return result;
  }
}

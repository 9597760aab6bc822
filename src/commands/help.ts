import { Args, Command, Flags, loadHelpClass } from '@oclif/core';

/**
 * `fulfill help [COMMAND]`, as @oclif/plugin-help's command (same args, flag and output: oclif's Help class).
 * Our own so that it runs on the CLI's bundled @oclif/core (scripts/vendor.js): the plugin's command imported a
 * second, unbundled copy of @oclif/core, which made `fulfill help` slower than any other command.
 */
export default class Help extends Command {
  static description = 'Display help for <%= config.bin %>.';
  static args = {
    command: Args.string({ description: 'Command to show help for.', required: false }),
  };
  static flags = {
    'nested-commands': Flags.boolean({ char: 'n', description: 'Include all nested commands in the output.' }),
  };
  // `help events test-event`: the command's words are separate arguments.
  static strict = false;

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Help);
    const HelpClass = await loadHelpClass(this.config);
    await new HelpClass(this.config, { all: flags['nested-commands'] }).showHelp(argv as string[]);
  }
}

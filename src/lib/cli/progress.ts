import type { DeployStep } from '../deploy/result.js';
import { useColor } from './style.js';

/**
 * Runs steps with listr2 progress on stderr: the animated renderer on a terminal, plain lines otherwise (CI logs),
 * nothing under --json. The first failing step stops the run and its error propagates unchanged.
 */
export async function runSteps(steps: readonly DeployStep[], options: { quiet: boolean }): Promise<void> {
  if (options.quiet) {
    for (const step of steps) await step.run();
    return;
  }
  const { Listr, ListrLogger, ProcessOutput } = await import('listr2');
  // Progress goes to stderr, so `fulfill deploy > plan.txt` holds only the result.
  const tty = Boolean(process.stderr.isTTY) && useColor(process.stderr);
  const output = () => new ProcessOutput(process.stderr, process.stderr);
  const logger = () => new ListrLogger({ useIcons: true, processOutput: output() });
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_ctx: unknown, task: { title: string }) => {
        const note = await step.run();
        if (note) task.title = `${step.title} (${note})`;
      },
    })),
    {
      renderer: tty ? 'default' : 'simple',
      fallbackRenderer: 'simple',
      exitOnError: true,
      registerSignalListeners: false,
      // The failing step's own error message is not repeated: the command prints it once, as its one error line.
      processOutput: output(),
      rendererOptions: tty ? { collapseErrors: true, showErrorMessage: false, logger: logger() } : { logger: logger() },
      fallbackRendererOptions: { logger: logger() },
      collectErrors: false,
    } as never,
  );
  await list.run();
}

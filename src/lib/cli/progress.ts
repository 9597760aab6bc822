import type { DeployStep } from '../deploy/result.js';
import { useColor } from './style.js';

/**
 * Runs steps with listr2 progress: the animated renderer on a terminal, plain lines otherwise (CI logs),
 * nothing under --json. The first failing step stops the run and its error propagates unchanged.
 */
export async function runSteps(steps: readonly DeployStep[], options: { quiet: boolean }): Promise<void> {
  if (options.quiet) {
    for (const step of steps) await step.run();
    return;
  }
  const { Listr, ListrLogger } = await import('listr2');
  const tty = Boolean(process.stdout.isTTY) && useColor();
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
      // Progress, failures included, stays on stdout: stderr carries only the one-line error.
      rendererOptions: tty ? { collapseErrors: true, showErrorMessage: false } : { logger: new ListrLogger({ useIcons: true, toStderr: [] }) },
      fallbackRendererOptions: { logger: new ListrLogger({ useIcons: true, toStderr: [] }) },
      collectErrors: false,
    } as never,
  );
  await list.run();
}

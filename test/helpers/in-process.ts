import type { CliResult } from './cli.js';
import { cli } from './run-command.js';

const PROGRESS_LINE = /^\s*[❯✔✖◼↓⚠ℹ]/;

/**
 * `runCli`'s result shape for a command run in this process (`cli` from run-command.ts): the same parsing, base
 * command and output, without the ~1 s of CPU a subprocess costs here. For the e2e tests whose point is the
 * command's behaviour, not a separate process. Only one command at a time: output capture is process-wide.
 */
export async function runInProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  const { exit, stdout, stderr } = await cli(args, { dir: options.cwd, env: { NO_COLOR: '1', ...options.env } });
  const lines = stderr.split('\n');
  return {
    code: exit,
    stdout,
    stderr: lines.filter((l) => !PROGRESS_LINE.test(l)).join('\n'),
    progress: lines.filter((l) => PROGRESS_LINE.test(l)).join('\n'),
  };
}

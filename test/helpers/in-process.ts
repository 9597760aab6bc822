import type { CliResult } from './cli.js';
import { cli } from './run-command.js';

// The same line test as cli.ts's runCli: listr2's progress lines (❯ ✔ ✖ ...) on stderr.
const PROGRESS_LINE = /^\s*[❯✔✖◼↓⚠ℹ]/;

let configLoaded: Promise<unknown> | undefined;

/**
 * `runCli`'s contract (exit code, stdout, stderr without progress lines, progress) for a command run in this
 * process (run-command.ts): it runs in the project folder (process.chdir, so relative file arguments resolve as
 * a user's do; jest's workers are processes), and the environment is a subprocess's (NO_COLOR, no FULFILL_DEBUG)
 * plus `env`, and no terminal: stdin, stdout and stderr say they are not TTYs, as runCli's pipes (jest's own
 * streams may be a terminal under --runInBand). Commands run one at a time. For tests written against runCli that
 * need no separate process; note that jest gives the tests a copy of process.env, which processes the product
 * spawns (Graphviz) do not see.
 */
export async function runInProcess(
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<CliResult> {
  // oclif's config is loaded once from the package root (the jest cwd): before the first chdir.
  await (configLoaded ??= cli(['--version']));
  const run = await serialized(async () => {
    const saved = process.cwd();
    const streams = [process.stdin, process.stdout, process.stderr];
    const tty = streams.map((stream) => Object.getOwnPropertyDescriptor(stream, 'isTTY'));
    for (const stream of streams) Object.defineProperty(stream, 'isTTY', { value: false, configurable: true });
    process.chdir(options.cwd);
    try {
      return await cli(args, { dir: options.cwd, env: { NO_COLOR: '1', FULFILL_DEBUG: undefined, ...options.env } });
    } finally {
      process.chdir(saved);
      streams.forEach((stream, i) => {
        if (tty[i]) Object.defineProperty(stream, 'isTTY', tty[i]);
        else delete (stream as { isTTY?: boolean }).isTTY;
      });
    }
  });
  const lines = run.stderr.split('\n');
  return {
    code: run.exit,
    stdout: run.stdout,
    stderr: lines.filter((l) => !PROGRESS_LINE.test(l)).join('\n'),
    progress: lines.filter((l) => PROGRESS_LINE.test(l)).join('\n'),
  };
}

// The working directory, the environment and the captured output are the process's: one command at a time.
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(run: () => Promise<T>): Promise<T> {
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}

import { Config, Errors, flush, handle, run, settings } from '@oclif/core';
import { ExitCode } from '../errors.js';
import { describeError, type DescribedError, type JsonEnvelope } from './base-command.js';
import { paint } from './style.js';
import { answerVersion } from './version.js';

/** @oclif/plugin-not-found ends with this exit code; fulfill documents 2 (bad input) for an unknown command. */
const NOT_FOUND_EXIT = 127;

/**
 * The CLI's entry point around oclif's `run`: what happens before a command exists keeps the README's
 * contract too. `--version --json` prints the envelope, and an unknown command is exit 2 with a "did you
 * mean" suggestion (the not-found plugin only prompts on a terminal), as one envelope under --json.
 */
export async function main(argv: string[], root: string): Promise<void> {
  // fulfill runs the commands it was built with. Under NODE_ENV=test or development (a user's shell, or the test
  // suite's CLI subprocesses) oclif would otherwise look for a tsconfig.json, load typescript, register tsx and run
  // src/commands/*.ts in its place wherever those exist (in a checkout): 1.3 instead of 0.4 s of CPU per command.
  settings.enableAutoTranspile = false;
  const json = argv.includes('--json');
  if (answerVersion(argv)) return;
  try {
    await run(argv, root);
    await flush();
  } catch (error) {
    const oclifExit = (error as { oclif?: { exit?: number } }).oclif?.exit;
    // A command's own error was printed by BaseCommand.catch (as text or as the envelope): only the exit code is left.
    if (error instanceof Errors.ExitError || (error as { skipOclifErrorHandling?: boolean }).skipOclifErrorHandling) {
      await handle(error as Error);
      return;
    }
    const described = oclifExit === NOT_FOUND_EXIT ? await notFound(argv, root) : describeError(error);
    report(described, json);
    if (argv.includes('--debug') && (error as Error).stack) process.stderr.write(`${(error as Error).stack}\n`);
    process.exitCode = described.exit;
  }
}

function report(described: DescribedError, json: boolean): void {
  if (json) {
    const { exit, ...error } = described;
    const envelope: JsonEnvelope<unknown> = { status: exit, error, warnings: [] };
    process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`);
    return;
  }
  process.stderr.write(`${paint('red', 'Error:', process.stderr)} ${described.message}\n`);
  for (const suggestion of described.suggestions)
    process.stderr.write(`  ${paint('dim', '→', process.stderr)} ${suggestion}\n`);
}

async function notFound(argv: string[], root: string): Promise<DescribedError> {
  const words = argv.slice(
    0,
    argv.findIndex((a) => a.startsWith('-')) === -1 ? argv.length : argv.findIndex((a) => a.startsWith('-')),
  );
  const typed = words.join(' ');
  const config = await Config.load(root);
  const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id.replaceAll(':', ' '));
  const { default: levenshtein } = await import('fast-levenshtein');
  const closest = ids
    .map((id) => ({ id, distance: levenshtein.get(typed, id) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const suggestions = [
    ...(closest && closest.distance <= Math.max(2, Math.floor(typed.length / 3))
      ? [`Did you mean \`${config.bin} ${closest.id}\`?`]
      : []),
    `Run \`${config.bin} help\` for the list of commands.`,
  ];
  return {
    exit: ExitCode.BadInput,
    name: 'CommandNotFound',
    code: 'CommandNotFound',
    message: `"${typed}" is not a ${config.bin} command`,
    suggestions,
  };
}

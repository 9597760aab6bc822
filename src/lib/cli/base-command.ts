import { Command, Errors, Flags } from '@oclif/core';
import { ExitCode, UserError } from '../errors.js';
import { paint } from './style.js';

/** The `--json` envelope of every command (documented in the README, the `sf` convention). */
export interface JsonEnvelope<T> {
  status: number;
  result?: T;
  error?: { name: string; code: string; message: string; suggestions: string[]; data?: unknown };
  warnings: string[];
}

/** Marks an error already printed by `catch`, so oclif's handler does not print it again. */
class PrintedExit extends Errors.ExitError {
  override skipOclifErrorHandling = true;
}

/**
 * Every command's base: `--json` with one envelope, `--debug`, `--dir`, warnings collected for the
 * envelope, and errors rendered as one line (plus suggestions) with a documented exit code. As in the `sf`
 * base command, `catch` rethrows after printing, so the exit code is the same with and without `--json`.
 */
export abstract class BaseCommand<_T extends typeof Command> extends Command {
  static enableJsonFlag = true;

  static baseFlags = {
    dir: Flags.directory({
      char: 'C',
      summary: 'Project folder (with fulfill.config.json).',
      default: '.',
      env: 'FULFILL_DIR',
      helpGroup: 'GLOBAL',
    }),
    debug: Flags.boolean({
      summary: 'Print stack traces and internal details on errors.',
      default: false,
      env: 'FULFILL_DEBUG',
      helpGroup: 'GLOBAL',
    }),
  };

  protected collectedWarnings: string[] = [];
  /** Data attached to an error's JSON envelope (e.g. the outcome that did not meet --expect). */
  protected errorData: unknown;

  protected warnUser(message: string): void {
    this.collectedWarnings.push(message);
    if (!this.jsonEnabled()) process.stderr.write(`${paint('yellow', 'Warning:')} ${message}\n`);
  }

  protected override toSuccessJson(result: unknown): JsonEnvelope<unknown> {
    return { status: 0, result, warnings: this.collectedWarnings };
  }

  protected override toErrorJson(error: unknown): JsonEnvelope<unknown> {
    const { exit, name, code, message, suggestions } = describeError(error);
    return {
      status: exit,
      error: { name, code, message, suggestions, ...(this.errorData !== undefined ? { data: this.errorData } : {}) },
      warnings: this.collectedWarnings,
    };
  }

  override async catch(error: Error & { exitCode?: number }): Promise<never> {
    // oclif's own exits (e.g. --help, --version) pass through untouched.
    if (error instanceof Errors.ExitError) throw error;
    const described = describeError(error);
    const debug =
      this.argv.includes('--debug') || process.env.FULFILL_DEBUG === 'true' || process.env.FULFILL_DEBUG === '1';
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(error));
    } else {
      process.stderr.write(`${paint('red', 'Error:')} ${described.message}\n`);
      for (const suggestion of described.suggestions) process.stderr.write(`  ${paint('dim', '→')} ${suggestion}\n`);
    }
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = described.exit;
    throw new PrintedExit(described.exit);
  }
}

export interface DescribedError {
  exit: number;
  name: string;
  code: string;
  message: string;
  suggestions: string[];
}

/**
 * Who is at fault decides the exit code: the user (2), an unmet expectation (1), AWS (3), the clock (4), and
 * everything nobody planned for is a bug (70). One line of message; stack traces only with --debug.
 */
export function describeError(error: unknown): DescribedError {
  if (error instanceof UserError) {
    // A flag's own parser threw it: oclif prefixed "Parsing --flag" on a line of its own.
    const message = error.message.startsWith('Parsing --') ? parseErrorLine(error.message) : oneLine(error.message);
    return { exit: error.exit, name: error.name, code: error.code, message, suggestions: error.suggestions };
  }
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    oclif?: { exit?: number };
    $metadata?: { httpStatusCode?: unknown };
  };
  // oclif's flag and argument parsing errors are bad input (exit 2), with the reason oclif gave.
  if (
    error instanceof Errors.CLIError ||
    e.oclif?.exit === 2 ||
    /Parse|Flag|Arg|Nonexistent|Required/i.test(e.name ?? '')
  ) {
    return {
      exit: ExitCode.BadInput,
      name: 'BadInput',
      code: 'BadInput',
      message: parseErrorLine(e.message ?? String(error)),
      suggestions: ['See --help for the flags.'],
    };
  }
  // @inquirer/prompts: Ctrl-C (or a closed terminal) at a prompt.
  if (e.name === 'ExitPromptError' || e.name === 'AbortPromptError') {
    return {
      exit: ExitCode.BadInput,
      name: 'Cancelled',
      code: 'Cancelled',
      message: 'cancelled at the prompt (Ctrl-C); nothing was changed',
      suggestions: ['Pass the values as flags with --yes to skip the prompts.'],
    };
  }
  if (typeof e.$metadata?.httpStatusCode === 'number') {
    return {
      exit: ExitCode.AwsError,
      name: 'AwsError',
      code: 'AwsError',
      message: `AWS ${e.name ?? 'error'}: ${oneLine(e.message ?? '')}`,
      suggestions: [],
    };
  }
  return {
    exit: ExitCode.Internal,
    name: 'InternalError',
    code: 'Internal',
    message: `internal error: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${oneLine(e.message ?? String(error))}`,
    suggestions: ['Run again with --debug and report the output.'],
  };
}

/** The first non-empty line of a message (a multi-line message would break the one-line rule). */
function oneLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)[0] ?? text
  );
}

/**
 * oclif's parse errors span lines ("Parsing --count \n\tExpected an integer ... \nSee more help with --help"):
 * keep the flag and the reason on one line.
 */
export function parseErrorLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with --help$/.test(l) && !/^The following errors? occurred:$/.test(l));
  const parsing = /^Parsing (--[\w-]+)$/.exec(lines[0] ?? '');
  if (parsing && lines.length > 1) {
    const reason = lines.slice(1).join('; ');
    return reason.startsWith(parsing[1]) ? reason : `${parsing[1]}: ${reason}`;
  }
  return lines.join('; ') || message;
}

/**
 * Exit codes, one enum for every command (documented in the README and in each command's help).
 * Modelled on the `sf` CLI: the code tells CI *why* a run failed without parsing output.
 */
export enum ExitCode {
  Ok = 0,
  /** The command ran, but what was asked for did not happen (`--expect` not met, no pattern match, SLA breached). */
  ExpectationNotMet = 1,
  /** Bad input: flags, files, configuration, or a missing deployment. */
  BadInput = 2,
  /** AWS rejected a call (credentials, permissions, quotas, service errors). */
  AwsError = 3,
  /** Waited too long for an outcome. */
  Timeout = 4,
  /** The local state cannot be used: disk full, unwritable, a damaged database or deployment, a missing bundle. */
  LocalState = 5,
  /** A bug in fulfill itself. */
  Internal = 70,
}

export const EXIT_CODES_HELP = `EXIT CODES
  0  ok
  1  expectation not met (--expect, no match, SLA breached)
  2  bad input (flags, files, config, not deployed)
  3  AWS error
  4  timeout
  5  local state unusable (disk full, unwritable, damaged database or deployment, missing bundle: the message names the file)
  70 internal error (a bug: please report it with --debug output)`;

/** An error the user can fix. Rendered as one line (plus suggestions), never with a stack trace. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly suggestions: string[] = [],
    readonly exit: ExitCode = ExitCode.BadInput,
    readonly code = 'BadInput',
  ) {
    super(message);
  }
}

/** The command worked but the outcome was not the one asked for (exit 1). */
export class ExpectationError extends UserError {
  override name = 'ExpectationError';
  constructor(message: string, suggestions: string[] = []) {
    super(message, suggestions, ExitCode.ExpectationNotMet, 'ExpectationNotMet');
  }
}

/** Waited too long for an outcome (exit 4). */
export class TimeoutError extends UserError {
  override name = 'TimeoutError';
  constructor(message: string, suggestions: string[] = []) {
    super(message, suggestions, ExitCode.Timeout, 'Timeout');
  }
}

/** AWS answered with an error (exit 3): the message names the service and the operation that failed. */
export class AwsServiceError extends UserError {
  override name = 'AwsError';
  constructor(
    readonly service: string,
    readonly operation: string,
    detail: string,
    suggestions: string[] = [],
    code = 'AwsError',
  ) {
    super(`AWS ${service} ${operation}: ${detail}`, suggestions, ExitCode.AwsError, code);
  }
}

/**
 * A bug in fulfill (exit 70): an error nobody planned for. Shopify's CLI calls it `BugError`; unknown errors
 * are bugs too, so this class only names one where the code knows it has reached an impossible state.
 */
export class BugError extends Error {
  override name = 'BugError';
}

/** Formats a zod issue path as `a.b[0].c`, the way users read JSON. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(root)';
}

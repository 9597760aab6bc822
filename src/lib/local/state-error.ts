import { relative } from 'node:path';
import { ExitCode, UserError } from '../errors.js';

/**
 * The local state cannot be used: disk full, unwritable, a damaged database or deployment record, a missing
 * bundle. One line naming the file and the fix, exit code 5 (`ExitCode.LocalState`), never a stack trace.
 */
export class StateError extends UserError {
  override name = 'StateError';
  constructor(message: string, suggestions: string[] = [], exit: ExitCode = ExitCode.LocalState) {
    super(message, suggestions, exit, exit === ExitCode.LocalState ? 'LocalState' : 'BadInput');
  }
}

/** Turns what SQLite or the file system threw into a StateError that says what happened to which file. */
export function stateErrorFrom(error: unknown, file: string, stage?: string): StateError {
  const e = error as { code?: string; message?: string };
  const code = String(e.code ?? '');
  const where = shown(file);
  const redeploy = `Run \`fulfill deploy${stage ? ` --stage ${stage}` : ''}\` to repair the stage (a damaged database is moved aside).`;
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return new StateError(`${where}: the disk is full, so fulfill cannot record orders`, [
      'Free some disk space and run the command again.',
    ]);
  }
  if (
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_CANTOPEN') ||
    code === 'EACCES' ||
    code === 'EPERM' ||
    code === 'EROFS'
  ) {
    return new StateError(`${where}: cannot write the local state (${firstLine(e.message ?? code)})`, [
      "Check the folder's permissions and free space, then run the command again.",
    ]);
  }
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StateError(`${where}: the local state database is damaged (${firstLine(e.message ?? code)})`, [
      redeploy,
    ]);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StateError(`${where}: the local state stayed locked by another fulfill process for 10 s`, [
      'Stop the other process (serve, send-order) or try again.',
    ]);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StateError(`${where}: an I/O error while writing the local state (${firstLine(e.message ?? code)})`, [
      'Check the disk (space, health) and run the command again.',
    ]);
  }
  return new StateError(
    `${where}: the local state cannot be used (${code || 'error'}: ${firstLine(e.message ?? String(error))})`,
    [redeploy],
  );
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

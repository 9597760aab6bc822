import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { UserError } from '../errors.js';

export interface HandlerSpec {
  /** The handler's name: its file name without extension, e.g. `authorize-payment`. */
  readonly name: string;
  /** Absolute path of the TypeScript (or JavaScript) source. */
  readonly entry: string;
}

const HANDLER_FILE = /^([a-z][a-z0-9-]{0,30})\.(ts|mts|js|mjs)$/;

/**
 * Every top-level file in the handlers folder is one function; sub-folders (e.g. `lib/`) hold shared code
 * that esbuild bundles into the functions importing it.
 */
export function discoverHandlers(projectDir: string, handlersDir: string): HandlerSpec[] {
  const dir = join(projectDir, handlersDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UserError(`fulfill.config.json: "handlersDir" points to ${handlersDir}, which is not a folder`, [
      'Create the folder with one file per handler, or fix "handlersDir".',
    ]);
  }
  const handlers: HandlerSpec[] = [];
  for (const file of readdirSync(dir).sort()) {
    const path = join(dir, file);
    if (!statSync(path).isFile() || file.endsWith('.d.ts') || file.includes('.test.')) continue;
    const match = HANDLER_FILE.exec(file);
    if (!match) {
      throw new UserError(
        `${relative(projectDir, path)}: handler file names must be lowercase words joined by dashes, e.g. authorize-payment.ts`,
      );
    }
    handlers.push({ name: match[1], entry: path });
  }
  const names = new Set<string>();
  for (const handler of handlers) {
    if (names.has(handler.name))
      throw new UserError(
        `${handlersDir}: two files define the handler "${handler.name}" (${basename(handler.entry)})`,
      );
    names.add(handler.name);
  }
  if (handlers.length === 0)
    throw new UserError(`${handlersDir}: no handler files found`, [
      'Add one file per handler, e.g. handlers/authorize-payment.ts.',
    ]);
  return handlers;
}

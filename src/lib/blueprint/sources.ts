import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CONFIG_FILE, loadConfig } from '../config/schema.js';
import type { Blueprint } from './blueprint.js';
import { discoverHandlers } from './handlers.js';

/** The project's source files a deployment was made from, relative to the project folder, with their sha256. */
export type SourceHashes = Record<string, string>;

/**
 * What a deployment was made from: the config, the mode's wiring file (`workflow.asl.json` or `events.json`) and
 * every project file esbuild read for a bundle (its metafile inputs: handlers and what they import, not
 * node_modules). Recorded with the deployment, so `send-order` can tell cheaply (hashes, no bundling) whether
 * the sources changed since.
 */
export function recordSources(
  blueprint: Blueprint,
  bundles: ReadonlyArray<{ inputs?: readonly string[] }>,
): SourceHashes {
  const { projectDir, config } = blueprint;
  const files = new Set<string>([CONFIG_FILE, blueprint.workflow ? config.workflow : config.events]);
  for (const bundle of bundles) {
    for (const input of bundle.inputs ?? []) {
      const rel = relative(projectDir, input);
      if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('node_modules')) continue;
      files.add(rel.split(sep).join('/'));
    }
  }
  const hashes: SourceHashes = {};
  for (const file of [...files].sort()) {
    const hash = hashOf(join(projectDir, file));
    if (hash) hashes[file] = hash;
  }
  return hashes;
}

/**
 * The rule for "sources changed since the last deploy", shared by `status` and `send-order`: a recorded file
 * whose content differs or that is gone, and a handler file that the deployment does not have. It reads and
 * hashes the recorded files (a few small files, well under a millisecond) and lists the handlers folder.
 */
export function changedSources(
  projectDir: string,
  deployment: { sources?: SourceHashes; functions: ReadonlyArray<{ name: string }> },
): string[] {
  // A deployment recorded before sources were tracked: nothing to compare with (the next deploy records them).
  if (!deployment.sources) return [];
  const changed: string[] = [];
  for (const [file, recorded] of Object.entries(deployment.sources)) {
    const now = hashOf(join(projectDir, file));
    if (now === undefined) changed.push(`${file} (deleted)`);
    else if (now !== recorded) changed.push(file);
  }
  try {
    const config = loadConfig(projectDir);
    const deployed = new Set(deployment.functions.map((f) => f.name));
    for (const handler of discoverHandlers(projectDir, config.handlersDir)) {
      if (!deployed.has(handler.name))
        changed.push(`${relative(projectDir, handler.entry).split(sep).join('/')} (new)`);
    }
  } catch {
    // A config or handlers folder that does not load now: its file is already listed as changed.
  }
  return changed;
}

/** The warning `send-order` prints (and puts in the envelope's warnings) when sources changed. */
export function sourcesChangedWarning(changed: readonly string[]): string {
  const shown = changed.length > 5 ? [...changed.slice(0, 5), `${changed.length - 5} more`] : changed;
  return `sources changed since the last deploy: ${shown.join(', ')}; run \`fulfill deploy\` (or \`deploy --watch\`)`;
}

function hashOf(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

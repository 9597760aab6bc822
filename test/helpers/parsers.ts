import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/** Mermaid's own parser on the text (in a child process, see mermaid-parse.mjs). */
export function parseMermaid(text: string): { ok: boolean; diagramType?: string; error?: string } {
  const run = spawnSync(process.execPath, [join(ROOT, 'test', 'helpers', 'mermaid-parse.mjs')], {
    input: text,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`mermaid-parse.mjs failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** Whether Graphviz's dot is on PATH (CI installs it; elsewhere its tests are skipped with a warning). */
export function hasGraphviz(): boolean {
  const found = spawnSync('dot', ['-V'], { encoding: 'utf8' });
  if (found.error && process.env.CI)
    throw new Error('Graphviz dot is not on PATH: .ci/run installs it (apt-get install graphviz)');
  if (found.error) console.warn('Graphviz dot is not on PATH: skipping the dot tests (apt-get install graphviz)');
  return !found.error;
}

/** Graphviz's dot on the text: exit status, output and errors. */
export function runDot(text: string, format = 'svg'): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('dot', [`-T${format}`], { input: text, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

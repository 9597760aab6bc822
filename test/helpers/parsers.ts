import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './cli.js';

type MermaidVerdict = { ok: boolean; diagramType?: string; error?: string };

interface MermaidParser {
  child: ChildProcessWithoutNullStreams;
  waiting: Array<{ resolve: (verdict: MermaidVerdict) => void; reject: (error: Error) => void }>;
}

let parser: MermaidParser | undefined;

function startMermaidParser(): MermaidParser {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'helpers', 'mermaid-parse.mjs')], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const started: MermaidParser = { child, waiting: [] };
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    started.waiting.shift()?.resolve(JSON.parse(line) as MermaidVerdict);
  });
  child.on('exit', (code) => {
    if (parser === started) parser = undefined;
    for (const pending of started.waiting.splice(0)) {
      pending.reject(new Error(`mermaid-parse.mjs exited (${code}): ${stderr}`));
    }
  });
  return started;
}

/**
 * Mermaid's own parser on the text, in one child process per test file (see mermaid-parse.mjs); stop it with
 * `stopMermaidParser()` in afterAll.
 */
export function parseMermaid(text: string): Promise<MermaidVerdict> {
  const running = (parser ??= startMermaidParser());
  return new Promise((resolve, reject) => {
    running.waiting.push({ resolve, reject });
    running.child.stdin.write(`${JSON.stringify(text)}\n`);
  });
}

export function stopMermaidParser(): Promise<void> {
  const running = parser;
  parser = undefined;
  if (!running || running.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    running.child.on('exit', () => resolve());
    running.child.stdin.end();
  });
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

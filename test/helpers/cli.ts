import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'run.js');
export const TEMPLATE = join(ROOT, 'templates', 'project');

export interface CliResult {
  code: number;
  stdout: string;
  /** stderr without the progress lines (listr2's ❯ ✔ ✖ lines): what is left are warnings and the error. */
  stderr: string;
  /** The progress lines a deploy wrote to stderr. */
  progress: string;
}

const PROGRESS_LINE = /^\s*[❯✔✖◼↓⚠ℹ]/;

/**
 * The environment of a spawned CLI: the user's shell, not jest's. jest sets NODE_ENV=test, under which oclif
 * registers tsx and loads the commands from src/ (transpiled at every start, ~2.7 times the CPU of the built dist/
 * a user runs, and not the code `npm pack` ships); NODE_OPTIONS carries jest's --experimental-vm-modules; npm run's
 * npm_* settings are this package's. No colour: a CI log, not a terminal.
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  assertBuilt();
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '', ...extra };
  for (const key of Object.keys(env)) if (key === 'NODE_ENV' || key.startsWith('npm_')) delete env[key];
  return env;
}

let built = false;
/** A spawned CLI runs dist/ (every spawn takes its environment from childEnv): it must be built from this src/. */
function assertBuilt(): void {
  if (built) return;
  const entry = join(ROOT, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error('dist/ is missing: run npm run build first (npm test does)');
  const builtAt = statSync(entry).mtimeMs;
  const sources = readdirSync(join(ROOT, 'src'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
  const changed = sources.find((file) => statSync(file).mtimeMs > builtAt);
  if (changed) throw new Error(`${relative(ROOT, changed)} changed after the last build: run npm run build first`);
  built = true;
}

/** Runs the built CLI as a user does: a subprocess, no TTY, no colour. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: childEnv({ FULFILL_DEBUG: '', ...options.env }),
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error
          ? typeof (error as { code?: unknown }).code === 'number'
            ? (error as { code: number }).code
            : 1
          : 0;
        const lines = stderr.split('\n');
        resolve({
          code,
          stdout,
          stderr: lines.filter((l) => !PROGRESS_LINE.test(l)).join('\n'),
          progress: lines.filter((l) => PROGRESS_LINE.test(l)).join('\n'),
        });
      },
    );
  });
}

/** Parses the `--json` envelope printed on stdout. */
export function envelope<T = Record<string, unknown>>(
  result: CliResult,
): {
  status: number;
  result: T;
  error?: { name: string; code: string; message: string; data?: unknown };
  warnings: string[];
} {
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
  }
}

export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}

/** A fresh temp folder, removed by the returned cleanup. */
export function tempDir(prefix = 'fulfill-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A project copied from the template without running the CLI (fast, for in-process tests). */
export function templateProject(dir: string, config: Record<string, unknown> = {}): string {
  cpSync(TEMPLATE, dir, { recursive: true });
  writeConfig(dir, { ...TEST_PROJECT_CONFIG, ...config });
  return dir;
}

/** The fulfill.config.json of a test project, before a test's own settings. */
export const TEST_PROJECT_CONFIG = {
  app: 'test-shop',
  stage: 'test',
  mode: 'orchestration',
  target: 'local',
  region: 'eu-central-1',
} as const;

export function writeConfig(dir: string, config: Record<string, unknown>): void {
  writeFileSync(join(dir, 'fulfill.config.json'), JSON.stringify(config, null, 2));
}

import { existsSync, readFileSync } from 'node:fs';
import { arch, release } from 'node:os';
import type { JsonEnvelope } from './base-command.js';

/** The CLI's own package.json (dist/lib/cli -> the package root). */
function packageInfo(): { name: string; version: string } {
  return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
}

/**
 * `--version` and `--version --json`, answered before oclif is loaded: loading it (config, plugins, manifest)
 * is most of the command's time. Returns false when oclif must answer instead. Without --json the line is
 * oclif's `config.userAgent` (name/version platform-arch node-version); oclif calls WSL "wsl", detected with
 * the wsl-utils package, so wherever WSL is even hinted at, oclif answers and the output stays its own.
 */
export function answerVersion(argv: readonly string[]): boolean {
  if (argv.includes('--json') && ['--version', '-v', 'version'].includes(argv[0] ?? '')) {
    const { name, version } = packageInfo();
    const envelope: JsonEnvelope<unknown> = {
      status: 0,
      result: { name, version, node: process.version, platform: `${process.platform}-${process.arch}` },
      warnings: [],
    };
    process.stdout.write(`${JSON.stringify(envelope, null, 2)}\n`);
    return true;
  }
  // oclif's rule: --version as the first argument prints the version, whatever follows.
  if (argv[0] !== '--version' || mightBeWsl()) return false;
  const { name, version } = packageInfo();
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  process.stdout.write(`${name}/${version} ${process.platform}-${cpu} node-${process.version}\n`);
  return true;
}

/** The signs is-wsl looks for (kernel release, /proc/version, WSL's paths); any of them and oclif decides. */
function mightBeWsl(): boolean {
  if (process.platform !== 'linux') return false;
  if (release().toLowerCase().includes('microsoft')) return true;
  try {
    if (readFileSync('/proc/version', 'utf8').toLowerCase().includes('microsoft')) return true;
  } catch {
    // no /proc: look at the paths below
  }
  return existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL');
}

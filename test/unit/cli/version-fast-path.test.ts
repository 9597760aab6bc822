import { describe, expect, it, jest } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { Config } from '@oclif/core';
import { answerVersion } from '../../../src/lib/cli/version.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** What answerVersion writes to stdout, and whether it answered. */
function capture(argv: string[]): { answered: boolean; stdout: string } {
  let stdout = '';
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { answered: answerVersion(argv), stdout };
  } finally {
    write.mockRestore();
  }
}

// bin/run.js answers `--version` before oclif is loaded: the line must be the one oclif prints.
describe('the --version fast path', () => {
  it('prints oclif’s user agent line, whatever follows --version', async () => {
    const config = await Config.load(root);
    for (const argv of [['--version'], ['--version', 'deploy']]) {
      const { answered, stdout } = capture(argv);
      // Where WSL is hinted at, oclif answers (it names the platform "wsl"): nothing is printed here then.
      if (!answered) expect(stdout).toBe('');
      else expect(stdout).toBe(`${config.userAgent}\n`);
    }
  });

  it('prints the --json envelope for --version, -v and version', () => {
    for (const first of ['--version', '-v', 'version']) {
      const { answered, stdout } = capture([first, '--json']);
      expect(answered).toBe(true);
      expect(JSON.parse(stdout)).toEqual({
        status: 0,
        result: { name: 'fulfill', version: expect.any(String), node: process.version, platform: expect.any(String) },
        warnings: [],
      });
    }
  });

  it('leaves everything else to oclif', () => {
    for (const argv of [[], ['-v'], ['version'], ['deploy', '--version'], ['help']]) {
      expect(capture(argv)).toEqual({ answered: false, stdout: '' });
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { BIN, tempDir, templateProject } from '../../helpers/cli.js';

// oclif's development mode (NODE_ENV test or development, a tsconfig.json at the root) loads typescript, registers
// tsx and runs src/commands/*.ts in place of the built commands. The CLI turns it off (src/lib/cli/main.ts): the
// tests' CLI subprocesses, which inherit jest's NODE_ENV=test, and a user's NODE_ENV=development shell run the
// built CLI. oclif's debug output says which path it took.
describe('the CLI under NODE_ENV=test and development', () => {
  it.each(['test', 'development'])('runs the built commands (NODE_ENV=%s)', async (nodeEnv) => {
    const tmp = tempDir();
    try {
      const dir = templateProject(join(tmp.dir, 'shop'));
      const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [BIN, 'status', '--json'],
          {
            cwd: dir,
            env: { ...process.env, NODE_ENV: nodeEnv, DEBUG: 'oclif:config:ts-path', NODE_OPTIONS: '', NO_COLOR: '1' },
          },
          (error, out, err) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: out, stderr: err }),
        ),
      );
      // Not deployed yet: the documented answer (exit 2, the envelope says so).
      expect(code).toBe(2);
      expect(JSON.parse(stdout)).toMatchObject({
        status: 2,
        error: { message: 'stage "test" is not deployed on the local target' },
      });
      expect(stderr).toMatch(/Skipping typescript path lookup .* enableAutoTranspile is explicitly set to false/);
      expect(stderr).not.toMatch(/registering tsx|Found source directory/);
    } finally {
      tmp.cleanup();
    }
  });
});

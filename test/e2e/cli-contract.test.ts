import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { envelope, runCli, tempDir, templateProject } from '../helpers/cli.js';

// What only the real process shows: the entry point (help, --version, unknown commands), the stack trace
// with --debug, and that a hostile stage name touches nothing on disk. The bad-input rows themselves run in
// process (test/unit/cli/bad-input-table.test.ts).
describe('the CLI contract, as a subprocess', () => {
  const tmp = tempDir();
  const project = templateProject(join(tmp.dir, 'shop'));
  afterAll(() => tmp.cleanup());

  it('destroy --stage ../.. and FULFILL_STAGE=../../.. exit 2 and delete nothing', async () => {
    const flag = await runCli(['destroy', '--stage', '../..', '--yes'], { cwd: project });
    expect(flag.code).toBe(2);
    expect(flag.stderr.trim()).toBe('Error: --stage must be 1-16 lowercase letters, digits or dashes (got "../..")');
    const env = await runCli(['destroy', '--yes', '--json'], { cwd: project, env: { FULFILL_STAGE: '../../..' } });
    expect(env.code).toBe(2);
    expect(envelope(env)).toMatchObject({ status: 2, error: { message: expect.stringMatching(/^--stage must be/) } });
    expect(existsSync(join(project, 'fulfill.config.json'))).toBe(true);
    expect(existsSync(join(tmp.dir, 'shop'))).toBe(true);
  });

  it('help, -h and deploy -h work; an unknown command is exit 2 with a suggestion', async () => {
    for (const args of [['help'], ['-h'], ['deploy', '-h'], ['help', 'deploy']]) {
      const run = await runCli(args, { cwd: tmp.dir });
      expect({ args, code: run.code }).toEqual({ args, code: 0 });
      expect(run.stdout).toMatch(/USAGE/);
    }
    const typo = await runCli(['dpeloy'], { cwd: tmp.dir });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^Error: "dpeloy" is not a fulfill command\n {2}→ Did you mean `fulfill deploy`\?/m);
    const json = await runCli(['dpeloy', '--json'], { cwd: tmp.dir });
    expect(json.code).toBe(2);
    expect(envelope(json)).toMatchObject({ status: 2, error: { code: 'CommandNotFound' } });
  });

  it('--version --json is the envelope', async () => {
    const run = await runCli(['--version', '--json'], { cwd: tmp.dir });
    expect(run.code).toBe(0);
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(envelope(run)).toMatchObject({ status: 0, result: { name: 'fulfill', version } });
  });

  it('--debug adds the stack trace; without it there is none', async () => {
    const plain = await runCli(['send-order', '--quantity', '0'], { cwd: project });
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['send-order', '--quantity', '0', '--debug'], { cwd: project });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('init refuses a non-empty folder unless --force', async () => {
    const dir = templateProject(join(tmp.dir, 'full'));
    const refused = await runCli(['init', dir, '--yes'], { cwd: tmp.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^Error: .*is not empty/);
    expect((await runCli(['init', dir, '--yes', '--force', '--name', 'forced'], { cwd: tmp.dir })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'fulfill.config.json'), 'utf8')).app).toBe('forced');
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import { createClients, MAX_ATTEMPTS } from '../../src/lib/aws/clients.js';
import { envelope, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess as runCli } from '../helpers/in-process.js';

// The CLI path of `deploy --target aws`, against an endpoint on loopback that refuses connections:
// no real AWS, no network beyond this machine.
describe('deploy --target aws from the CLI', () => {
  const tmp = tempDir();
  templateProject(tmp.dir);
  afterAll(() => tmp.cleanup());
  const env = {
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };

  it('an unreachable AWS is exit 3 with one line saying nothing was changed', async () => {
    const run = await runCli(['deploy', '--target', 'aws'], { cwd: tmp.dir, env });
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^Error: AWS .*ECONNREFUSED 127\.0\.0\.1:9\. Nothing was changed\.$/);
    expect(lines.slice(1).every((l) => l.trim().startsWith('→'))).toBe(true);
    const json = await runCli(['deploy', '--target', 'aws', '--dry-run', '--json'], { cwd: tmp.dir, env });
    expect(json.code).toBe(3);
    expect(envelope(json)).toMatchObject({ status: 3, error: { code: 'AwsError' } });
  });

  it('leaves AWS_MAX_ATTEMPTS and AWS_RETRY_MODE to the SDK when the user set them (else 6 attempts, adaptive)', async () => {
    const settings = async () => {
      const { sts } = await createClients({ region: 'eu-west-1', endpointUrl: 'http://127.0.0.1:9' });
      const config = sts.config as unknown as {
        maxAttempts: () => Promise<number>;
        retryStrategy: () => Promise<{ mode: string }>;
      };
      return [await config.maxAttempts(), (await config.retryStrategy()).mode];
    };
    const saved = { attempts: process.env.AWS_MAX_ATTEMPTS, mode: process.env.AWS_RETRY_MODE };
    try {
      delete process.env.AWS_MAX_ATTEMPTS;
      delete process.env.AWS_RETRY_MODE;
      expect(await settings()).toEqual([MAX_ATTEMPTS, 'adaptive']);
      process.env.AWS_MAX_ATTEMPTS = '1';
      process.env.AWS_RETRY_MODE = 'standard';
      expect(await settings()).toEqual([1, 'standard']);
    } finally {
      for (const [key, value] of [
        ['AWS_MAX_ATTEMPTS', saved.attempts],
        ['AWS_RETRY_MODE', saved.mode],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('validates before connecting: a broken project is still exit 2', async () => {
    const run = await runCli(['deploy', '--target', 'aws', '--stage', 'Bad Stage'], { cwd: tmp.dir, env });
    expect(run.code).toBe(2);
  });
});

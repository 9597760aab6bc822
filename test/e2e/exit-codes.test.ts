import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, templateProject } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

// The documented exit codes as CI scripts see them: the real process's exit status and first stderr line, one
// spawned command per code (and the non-TTY refusal of destroy). `deploy --target aws` against an unreachable
// endpoint (exit 3) runs in process in aws-cli.test.ts: a second spawn for code 3 cost ~1.9 s of CPU, most of it
// loading the AWS SDK and asl-validator, for an exit status the send-order row already shows.
describe('exit codes', () => {
  const tmp = tempDir();
  const aws = {
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };

  beforeAll(async () => {
    templateProject(tmp.dir);
    // A slow seller lookup, so that a short --timeout expires.
    const file = join(tmp.dir, 'handlers', 'determine-seller.ts');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'return { sellerId',
        "if (order.customerId === 'slow') await new Promise((r) => setTimeout(r, 3000));\n  return { sellerId",
      ),
    );
    expect((await runInProcess(['deploy'], { cwd: tmp.dir })).code).toBe(0);
  });
  afterAll(() => tmp.cleanup());

  it.each([
    [0, 'ok', ['send-order', '--expect', 'succeeded']],
    [1, 'expectation not met', ['send-order', '--payment', 'giftCard', '--expect', 'succeeded']],
    [2, 'bad input', ['send-order', '--quantity', 'many']],
    [2, 'destroy without --yes and without a terminal', ['destroy', '--target', 'aws']],
    [3, 'AWS error for send-order', ['send-order', '--target', 'aws']],
    [4, 'timeout', ['send-order', '--customer', 'slow', '--timeout', '1']],
  ] as const)('%i: %s', async (code, _what, args) => {
    const run = await runCli([...args], { cwd: tmp.dir, env: aws });
    expect({ code: run.code, stderr: run.code ? run.stderr.split('\n')[0] : '' }).toEqual({
      code,
      stderr: code ? expect.stringMatching(/^Error: /) : '',
    });
  });
});

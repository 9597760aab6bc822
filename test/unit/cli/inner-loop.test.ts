import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, templateProject } from '../../helpers/cli.js';
import { cli } from '../../helpers/run-command.js';

const envelope = (stdout: string) =>
  JSON.parse(stdout) as { status: number; result: any; error?: any; warnings: string[] };

const WARNING = /sources changed since the last deploy: (.*); run `fulfill deploy` \(or `deploy --watch`\)/;

describe('the inner loop in process: send-order warns about undeployed sources, status says the same', () => {
  const tmp = tempDir('fulfill-inner-loop-');
  const dir = templateProject(join(tmp.dir, 'shop'));
  const rules = join(dir, 'handlers/lib/rules.ts');
  const original = readFileSync(rules, 'utf8');
  beforeAll(async () => {
    expect((await cli(['deploy'], { dir })).exit).toBe(0);
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it('no warning right after a deploy', async () => {
    const run = await cli(['send-order', '--json'], { dir });
    expect(envelope(run.stdout)).toMatchObject({ status: 0, warnings: [] });
  });

  it('an edited handler import: a warning on stderr and in the envelope, status shows drift; deploy clears it', async () => {
    writeFileSync(rules, original.replace('shop: 0.15', 'shop: 0.2'));
    const text = await cli(['send-order', '--seller', '3P'], { dir });
    expect(text.exit).toBe(0);
    expect(text.stderr).toMatch(WARNING);
    expect(WARNING.exec(text.stderr)![1]).toBe('handlers/lib/rules.ts');

    const json = envelope((await cli(['send-order', '--seller', '3P', '--json'], { dir })).stdout);
    expect(json.status).toBe(0);
    // Still the deployed code: the fee rate of the last deploy.
    expect(json.result.outcome.fee.rate).toBe(0.15);
    expect(json.warnings).toEqual([
      'sources changed since the last deploy: handlers/lib/rules.ts; run `fulfill deploy` (or `deploy --watch`)',
    ]);
    const status = envelope((await cli(['status', '--json'], { dir })).stdout);
    expect(status.result).toMatchObject({ drift: true, sourcesChanged: ['handlers/lib/rules.ts'] });

    expect((await cli(['deploy'], { dir })).exit).toBe(0);
    const after = envelope((await cli(['send-order', '--seller', '3P', '--json'], { dir })).stdout);
    expect(after.warnings).toEqual([]);
    expect(after.result.outcome.fee.rate).toBe(0.2);
  });

  it('a comment-only edit changes no code: a warning until deploy records the new sources, with no redeploy', async () => {
    const fee = join(dir, 'handlers/calculate-fee.ts');
    writeFileSync(fee, `${readFileSync(fee, 'utf8')}\n// a note\n`);
    const warned = envelope((await cli(['send-order', '--json'], { dir })).stdout);
    expect(warned.warnings[0]).toMatch(/: handlers\/calculate-fee\.ts;/);
    const before = envelope((await cli(['status', '--json'], { dir })).stdout).result;
    expect(before.drift).toBe(true);
    const deployed = await cli(['deploy', '--json'], { dir });
    // The deployment is the same (same deployed_at: a running serve keeps its backend); the hashes are new.
    expect(envelope(deployed.stdout).result.deployedAt).toBe(before.deployedAt);
    expect(envelope((await cli(['send-order', '--json'], { dir })).stdout).warnings).toEqual([]);
    expect(envelope((await cli(['status', '--json'], { dir })).stdout).result).toMatchObject({ drift: false });
  });

  it('a new handler file, the workflow and the config: each named', async () => {
    const extra = join(dir, 'handlers/audit-order.ts');
    writeFileSync(extra, 'export async function handler(event: unknown) { return event; }\n');
    const asl = join(dir, 'workflow.asl.json');
    const aslBefore = readFileSync(asl, 'utf8');
    writeFileSync(asl, `${aslBefore}\n`);
    const config = join(dir, 'fulfill.config.json');
    const configBefore = readFileSync(config, 'utf8');
    writeFileSync(config, `${configBefore}\n`);
    try {
      const run = envelope((await cli(['send-order', '--json'], { dir })).stdout);
      expect(run.warnings).toHaveLength(1);
      for (const named of ['fulfill.config.json', 'workflow.asl.json', 'handlers/audit-order.ts (new)'])
        expect(run.warnings[0]).toContain(named);
    } finally {
      rmSync(extra);
      writeFileSync(asl, aslBefore);
      writeFileSync(config, configBefore);
    }
    expect(envelope((await cli(['send-order', '--json'], { dir })).stdout).warnings).toEqual([]);
  });

  it('deploy --watch: the AWS target and --dry-run are one clear error, exit 2', async () => {
    const aws = await cli(['deploy', '--watch', '--target', 'aws', '--json'], { dir });
    expect(aws.exit).toBe(2);
    expect(envelope(aws.stdout).error.message).toBe(
      '--watch runs on the local target only; a stage on AWS is redeployed by `fulfill deploy`',
    );
    const dry = await cli(['deploy', '--watch', '--dry-run'], { dir });
    expect(dry.exit).toBe(2);
    expect(dry.stderr).toMatch(/^Error: --watch deploys on every change: drop --dry-run \(or --watch\)\n/);
  });
});

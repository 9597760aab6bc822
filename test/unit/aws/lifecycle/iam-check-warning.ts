import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBlueprint } from '../../../../src/lib/blueprint/blueprint.js';
import { bundleHandlers } from '../../../../src/lib/blueprint/bundle.js';
import { ordersFromFiles } from '../../../../src/lib/compare/orders.js';
import { runIamCheck } from '../../../../src/lib/iam/check.js';
import {
  policiesFingerprint,
  readLastCheck,
  recordLastCheck,
  sourcesFingerprint,
} from '../../../../src/lib/iam/last-check.js';
import type { PolicyDocument } from '../../../../src/lib/aws/policies.js';
import { ACCOUNT, FakeAws, REGION } from '../../../helpers/fake-aws.js';
import { cli } from '../../../helpers/run-command.js';
import { deploy, inputs, projects } from '../support.js';

// `deploy --target aws` warns when the stage's last `iam check` is missing, stale or failed, and deploys anyway.
const dirs = projects();
afterAll(() => dirs.cleanup());
const iamWarnings = (warnings: readonly string[]) => warnings.filter((w) => w.startsWith('iam check:'));

describe('deploy --target aws and the last iam check', () => {
  const dir = dirs.make('orchestration');

  it('warns when the stage has no check, and deploys', async () => {
    const fake = new FakeAws();
    const result = await deploy(fake, dir);
    expect(result.changes.some((c) => c.action === 'created')).toBe(true);
    expect(iamWarnings(result.warnings)).toEqual([
      'iam check: stage "ci" has no recorded check, so the handlers\' AWS calls are not checked against its policies; run `fulfill iam check`',
    ]);
  });

  it('says nothing after a passing check of what it deploys; stale once a handler or the policies change', async () => {
    const check = await runIamCheck({
      projectDir: dir,
      stage: 'ci',
      orders: ordersFromFiles(dir, ['orders/credit-card-1p.json'], 'warn'),
      timeoutMs: 30_000,
    });
    expect(check.passed).toBe(true);
    const fake = new FakeAws();
    expect(iamWarnings((await deploy(fake, dir)).warnings)).toEqual([]);

    const handler = join(dir, 'handlers', 'select-warehouse.ts');
    const source = readFileSync(handler, 'utf8');
    writeFileSync(handler, `${source}\nexport const revision = 2;\n`);
    expect(iamWarnings((await deploy(fake, dir)).warnings)).toEqual([
      `iam check: the last check (${check.checkedAt}) is stale: the handlers changed since; run \`fulfill iam check\``,
    ]);
    writeFileSync(handler, source);
    expect(iamWarnings((await deploy(fake, dir)).warnings)).toEqual([]);
    // A permission added in the config changes the functions' role.
    const configFile = join(dir, 'fulfill.config.json');
    const config = readFileSync(configFile, 'utf8');
    const parsed = JSON.parse(config) as { functions?: Record<string, unknown> };
    parsed.functions = {
      ...parsed.functions,
      permissions: { 'issue-invoices': [{ actions: ['s3:PutObject'], resources: ['arn:aws:s3:::inv/*'] }] },
    };
    writeFileSync(configFile, JSON.stringify(parsed));
    expect(iamWarnings((await deploy(fake, dir)).warnings)).toEqual([
      `iam check: the last check (${check.checkedAt}) is stale: the policies changed since; run \`fulfill iam check\``,
    ]);
    writeFileSync(configFile, config);
    // Another mode deploys other policies (and bundles).
    const other = iamWarnings((await deploy(fake, dir, { mode: 'events' })).warnings);
    expect(other).toHaveLength(1);
    expect(other[0]).toMatch(
      /is stale: it checked orchestration mode, the handlers changed since, the policies changed since; run `fulfill iam check --mode events`$/,
    );
  }, 120_000);

  it('warns when the last check failed, naming its first missing permission', async () => {
    const blueprint = loadBlueprint(dir);
    const bundles = await bundleHandlers(dir, blueprint.handlers, blueprint.mode);
    const checkedAt = '2026-12-01T10:00:00.000Z';
    recordLastCheck(dir, 'ci', {
      checkedAt,
      mode: 'orchestration',
      region: blueprint.region,
      sources: sourcesFingerprint(bundles),
      policies: policiesFingerprint(blueprint),
      passed: false,
      missing: 1,
      unused: 0,
      firstMissing: 'authorize-payment: dynamodb:GetItem on arn:aws:dynamodb:eu-central-1:000000000000:table/t',
    });
    const result = await deploy(new FakeAws(), dir);
    expect(iamWarnings(result.warnings)).toEqual([
      `iam check: the last check (${checkedAt}) failed: 1 missing permission(s), first authorize-payment: dynamodb:GetItem on arn:aws:dynamodb:eu-central-1:000000000000:table/t; those calls will be denied on AWS`,
    ]);
  });

  it('warns when the last check was incomplete (an order without an outcome)', async () => {
    const blueprint = loadBlueprint(dir);
    const bundles = await bundleHandlers(dir, blueprint.handlers, blueprint.mode);
    const last = readLastCheck(dir, 'ci')!;
    recordLastCheck(dir, 'ci', { ...last, passed: false, missing: 0, unfinished: 2, firstMissing: undefined });
    expect(last.sources).toBe(sourcesFingerprint(bundles));
    expect(iamWarnings((await deploy(new FakeAws(), dir)).warnings)).toEqual([
      `iam check: the last check (${last.checkedAt}) was incomplete: 2 order(s) got no outcome; run \`fulfill iam check\``,
    ]);
    recordLastCheck(dir, 'ci', last);
  });

  it('the command prints it on stderr, and under --json in the envelope warnings; the deploy still exits 0', async () => {
    expect(readLastCheck(dir, 'ci')?.passed).toBe(false);
    // The command waits for Lambda with the SDK waiters' real timing (a second between polls, DEFAULT_WAITER):
    // functions Active from their first read (`settleReads: 0`) spare this test 2 x 7 such seconds. The waits
    // themselves are tested through `deploy` in deploy.test.ts ("waits while a function left Pending ...").
    new FakeAws({ settleReads: 0 });
    const run = await cli(['deploy', '--target', 'aws', '--json'], { dir });
    expect(run.exit).toBe(0);
    const envelope = JSON.parse(run.stdout) as { status: number; warnings: string[] };
    expect(envelope.status).toBe(0);
    expect(iamWarnings(envelope.warnings)).toHaveLength(1);
    expect(iamWarnings(envelope.warnings)[0]).toMatch(/failed: 1 missing permission/);
    new FakeAws({ settleReads: 0 });
    const human = await cli(['deploy', '--target', 'aws'], { dir });
    expect(human.exit).toBe(0);
    expect(human.stderr).toMatch(/iam check: the last check \(.*\) failed: 1 missing permission/);
    expect(human.stdout).not.toContain('iam check:');
  }, 120_000);

  it('a check that cannot be read is a warning too, never a failed deploy', async () => {
    // Damaged as a whole: without its write-ahead log, whose frames SQLite would otherwise read the pages from.
    const db = join(dir, '.fulfill', 'local', 'ci', 'state.db');
    for (const suffix of ['-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
    writeFileSync(db, 'not a database');
    const result = await deploy(new FakeAws(), dir);
    expect(iamWarnings(result.warnings)).toEqual([
      expect.stringMatching(/^iam check: the last check of stage "ci" cannot be read \(.*\); run `fulfill iam check`$/),
    ]);
  });
});

describe('functions.permissions on AWS', () => {
  it("adds each entry to the functions' role, with the stage's account and region filled in", async () => {
    const dir = dirs.make('events', {
      functions: {
        permissions: {
          'authorize-payment': [
            { actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:${region}:${account}:table/blocked'] },
          ],
        },
      },
    });
    const fake = new FakeAws();
    await deploy(fake, dir);
    const policy = inputs(fake, 'PutRolePolicy').find((i) => i.RoleName === 'fulfill-shop-ci-functions-role')!;
    const document = JSON.parse(decodeURIComponent(policy.PolicyDocument as string)) as PolicyDocument;
    expect(document.Statement).toContainEqual({
      Sid: 'AuthorizePayment1',
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/blocked`],
    });
  });
});

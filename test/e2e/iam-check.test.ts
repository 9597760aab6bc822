import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IamCheckReport } from '../../src/lib/iam/check.js';
import { readLastCheck } from '../../src/lib/iam/last-check.js';
import { tempDir, templateProject } from '../helpers/cli.js';
import { cli } from '../helpers/run-command.js';

// Issue 15 item 4: `fulfill iam check` runs the sample orders locally, records every AWS call, and compares the
// calls with the policies `deploy --target aws` would create. In process (test/helpers/run-command.ts).
const TABLE = `arn:aws:dynamodb:eu-central-1:000000000000:table/blocked-instruments-test`;

/** authorize-payment looks the customer up in a DynamoDB table, which the generated policy does not grant. */
function useDynamoDb(dir: string): void {
  const file = join(dir, 'handlers', 'authorize-payment.ts');
  const source = readFileSync(file, 'utf8')
    .replace(
      "import { orderTotal } from './lib/rules.js';",
      "import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';\nimport { orderTotal } from './lib/rules.js';",
    )
    .replace(
      'Promise<Payment> {\n',
      `Promise<Payment> {
  const table = \`blocked-instruments-\${process.env.FULFILL_STAGE}\`;
  const key = { customerId: { S: order.customerId } };
  const blocked = await new DynamoDBClient({}).send(new GetItemCommand({ TableName: table, Key: key }));
  if (blocked.Item) throw new PaymentAuthorizationFailed('instrument blocked');
`,
    );
  expect(source).toContain('new GetItemCommand');
  writeFileSync(file, source);
}

function setPermissions(dir: string, permissions: unknown): void {
  const file = join(dir, 'fulfill.config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as { functions?: Record<string, unknown> };
  config.functions = { ...config.functions, permissions };
  writeFileSync(file, JSON.stringify(config, null, 2));
}

const report = (stdout: string) => JSON.parse(stdout) as { status: number; result: IamCheckReport; warnings: string[] };
const failure = (stdout: string) =>
  JSON.parse(stdout) as { status: number; error: { name: string; message: string; data: IamCheckReport } };

describe('fulfill iam check', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it.each(['orchestration', 'events'] as const)(
    'passes on the default project (%s): every call the run made is allowed, the result is kept with the stage',
    async (mode) => {
      const dir = templateProject(join(tmp.dir, `default-${mode}`), { mode });
      const run = await cli(['iam', 'check', '--json'], { dir });
      expect(run.exit).toBe(0);
      const { status, result } = report(run.stdout);
      expect(status).toBe(0);
      expect(result).toMatchObject({ passed: true, missing: [], mode, stage: 'test' });
      expect(result.orders.map((o) => o.status).sort()).toEqual(['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
      // Every role deploy creates, with the calls made under it, all allowed.
      const principals = result.roles.map((r) => r.principal);
      expect(principals).toEqual(
        mode === 'orchestration' ? ['functions', 'states', 'api'] : ['functions', 'api', 'events'],
      );
      for (const role of result.roles) {
        expect(role.calls.length).toBeGreaterThan(0);
        expect(role.calls.every((c) => c.allowed)).toBe(true);
      }
      // X-Ray is AWS's own use of the role: listed as not shown locally, never as a statement to remove.
      expect(result.unused.find((u) => u.action === 'xray:PutTraceSegments')?.reason).toBe('aws-side');
      // The throwaway stage is gone, the stage's own state holds only the result.
      expect(existsSync(join(dir, '.fulfill', 'iam-check'))).toBe(false);
      expect(readLastCheck(dir, 'test')).toMatchObject({ passed: true, mode, missing: 0 });
    },
    120_000,
  );

  it('names the missing DynamoDB permission and exits 1; with the permission in the config it exits 0', async () => {
    const dir = templateProject(join(tmp.dir, 'dynamodb'), { mode: 'events' });
    useDynamoDb(dir);
    const denied = await cli(['iam', 'check'], { dir });
    expect(denied.exit).toBe(1);
    expect(denied.stdout).toContain(`authorize-payment: dynamodb:GetItem on ${TABLE}`);
    // Progress lines first, then the one error line.
    expect(denied.stderr.split('\n').find((line) => line.startsWith('Error:'))).toBe(
      `Error: 1 missing permission(s); first: authorize-payment calls dynamodb:GetItem on ${TABLE}, which fulfill-test-shop-test-functions-role does not allow`,
    );
    expect(denied.stderr).toContain('"functions": { "permissions": { "authorize-payment"');
    expect(denied.stderr).not.toMatch(/\n\s+at /);

    const json = await cli(['iam', 'check', '--json'], { dir });
    expect(json.exit).toBe(1);
    const { status, error } = failure(json.stdout);
    expect(status).toBe(1);
    expect(error.name).toBe('ExpectationError');
    expect(error.data.missing).toEqual([
      {
        principal: 'functions',
        role: 'fulfill-test-shop-test-functions-role',
        by: 'authorize-payment',
        action: 'dynamodb:GetItem',
        resource: TABLE,
        statement: { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE },
        fix: expect.stringContaining('table/blocked-instruments-test'),
      },
    ]);
    // The handler got an empty success (no item) and carried on: the orders ended as without the lookup.
    expect(error.data.orders.map((o) => o.status).sort()).toEqual(['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(readLastCheck(dir, 'test')).toMatchObject({ passed: false, missing: 1 });

    // The fix the check suggests: the permission under functions.permissions, with ${account} for the account.
    setPermissions(dir, {
      'authorize-payment': [
        {
          actions: ['dynamodb:GetItem'],
          resources: ['arn:aws:dynamodb:${region}:${account}:table/blocked-instruments-test'],
        },
      ],
    });
    const fixed = await cli(['iam', 'check', '--json'], { dir });
    expect(fixed.exit).toBe(0);
    const { result } = report(fixed.stdout);
    expect(result.missing).toEqual([]);
    expect(result.roles[0].calls).toContainEqual({
      by: 'authorize-payment',
      action: 'dynamodb:GetItem',
      resource: TABLE,
      count: 3,
      allowed: true,
    });
    expect(readLastCheck(dir, 'test')).toMatchObject({ passed: true, missing: 0 });

    // A permission granted but never called is listed with the statement to remove.
    setPermissions(dir, {
      'authorize-payment': [
        { actions: ['dynamodb:GetItem'], resources: [TABLE.replace('000000000000', '${account}')] },
        { actions: ['dynamodb:PutItem'], resources: [TABLE] },
      ],
    });
    const extra = report((await cli(['iam', 'check', '--json'], { dir })).stdout).result;
    expect(extra.unused.filter((u) => u.reason === 'unused')).toEqual([
      expect.objectContaining({
        sid: 'AuthorizePayment2',
        action: 'dynamodb:PutItem',
        resource: TABLE,
        statement: { Sid: 'AuthorizePayment2', Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE },
        fix: expect.stringContaining('functions.permissions.authorize-payment'),
      }),
    ]);
  }, 180_000);

  it('an order without an outcome in time leaves the check incomplete: exit 4, kept as not passed', async () => {
    const dir = templateProject(join(tmp.dir, 'slow'));
    const run = await cli(['iam', 'check', '--file', 'orders/credit-card-1p.json', '--timeout', '1ms', '--json'], {
      dir,
    });
    expect(run.exit).toBe(4);
    const { status, error } = failure(run.stdout);
    expect(status).toBe(4);
    expect(error.message).toMatch(
      /^1 order\(s\) got no outcome, so their later calls were not checked; first: sample-1p/,
    );
    expect(error.data.orders).toEqual([expect.objectContaining({ status: 'NO_OUTCOME' })]);
    expect(error.data.passed).toBe(false);
    expect(readLastCheck(dir, 'test')).toMatchObject({ passed: false, missing: 0, unfinished: 1 });
    expect(existsSync(join(dir, '.fulfill', 'iam-check'))).toBe(false);
  }, 120_000);

  it('refuses bad input in one line, exit 2: a permission for no handler, an order that is not JSON', async () => {
    const dir = templateProject(join(tmp.dir, 'bad'));
    const bad = await cli(['iam', 'check', '--order', '{not json'], { dir });
    expect(bad.exit).toBe(2);
    expect(bad.stderr.split('\n')[0]).toMatch(/^Error: --order: not valid JSON/);
    setPermissions(dir, { 'no-such-handler': [{ actions: ['s3:GetObject'], resources: ['*'] }] });
    const unknown = await cli(['iam', 'check'], { dir });
    expect(unknown.exit).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe(
      'Error: fulfill.config.json: "functions.permissions.no-such-handler" names no handler in handlers/',
    );
    setPermissions(dir, { 'authorize-payment': [{ actions: ['GetItem'], resources: ['*'] }] });
    const action = await cli(['iam', 'check'], { dir });
    expect(action.exit).toBe(2);
    expect(action.stderr.split('\n')[0]).toMatch(
      /^Error: fulfill.config.json: "functions.permissions.authorize-payment\[0\].actions\[0\]" must be IAM actions/,
    );
  });
});

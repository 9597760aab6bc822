import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { awsDeploySteps } from '../../../src/lib/aws/deploy.js';
import { loadBlueprint } from '../../../src/lib/blueprint/blueprint.js';
import type { Mode } from '../../../src/lib/config/schema.js';
import { UserError } from '../../../src/lib/errors.js';
import { ACCOUNT, awsError, FakeAws, REGION } from '../../helpers/fake-aws.js';
import { tempDir, templateProject } from '../../helpers/cli.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const projects: Partial<Record<Mode, string>> = {};
function project(mode: Mode): string {
  if (!projects[mode]) {
    const dir = join(tmp.dir, mode);
    templateProject(dir, { app: 'shop', stage: 'ci', mode, region: REGION });
    projects[mode] = dir;
  }
  return projects[mode]!;
}

async function deploy(fake: FakeAws, mode: Mode, options: { dryRun?: boolean; dir?: string } = {}) {
  const blueprint = loadBlueprint(options.dir ?? project(mode), { mode });
  const { steps, result } = awsDeploySteps(blueprint, { clients: fake.clients, dryRun: options.dryRun, sleep: async () => {} });
  for (const step of steps) await step.run();
  return result();
}

const commands = (fake: FakeAws) => fake.mutatingCalls().map((c) => `${c.service}:${c.command}`);

describe.each(['orchestration', 'events'] as const)('deploy --target aws (%s)', (mode) => {
  it('first deploy creates the backend with the expected calls and inputs', async () => {
    const fake = new FakeAws();
    const result = await deploy(fake, mode);
    expect(result.endpoint).toMatch(new RegExp(`^https://api\\d+\\.execute-api\\.${REGION}\\.amazonaws\\.com/ci/orders$`));
    const calls = commands(fake);
    expect(calls.filter((c) => c === 'lambda:CreateFunction')).toHaveLength(7);
    const create = fake.calls.find((c) => c.command === 'CreateFunction')!.input;
    expect(create).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'index.handler', Timeout: 10, MemorySize: 256, TracingConfig: { Mode: 'Active' }, Tags: { 'fulfill:app': 'shop', 'fulfill:stage': 'ci' } });
    expect(create.Environment.Variables).toMatchObject({ FULFILL_APP: 'shop', FULFILL_STAGE: 'ci', FULFILL_MODE: mode });
    // Roles before functions, functions before the workflow or rules, the API last.
    const first = (name: string) => calls.indexOf(name);
    expect(first('iam:CreateRole')).toBeLessThan(first('lambda:CreateFunction'));
    expect(first('apigw:PutRestApi')).toBeGreaterThan(first('lambda:CreateFunction'));
    const api = JSON.parse(new TextDecoder().decode(fake.calls.find((c) => c.command === 'PutRestApi')!.input.body));
    const integration = api.paths['/orders'].post['x-amazon-apigateway-integration'];
    expect(integration.credentials).toBe(`arn:aws:iam::${ACCOUNT}:role/fulfill-shop-ci-api-role`);
    expect(api.paths['/orders'].options['x-amazon-apigateway-integration'].type).toBe('mock');
    expect(api.components.schemas.Order.required).toEqual(expect.arrayContaining(['orderId', 'items', 'shipTo']));
    if (mode === 'orchestration') {
      expect(integration.uri).toBe(`arn:aws:apigateway:${REGION}:states:action/StartExecution`);
      expect(integration.requestTemplates['application/json']).toContain(`"stateMachineArn": "arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fulfill-shop-ci-workflow"`);
      const sm = fake.calls.find((c) => c.command === 'CreateStateMachine')!.input;
      expect(sm).toMatchObject({ type: 'STANDARD', loggingConfiguration: { level: 'ALL', includeExecutionData: true }, tracingConfiguration: { enabled: true } });
      expect(JSON.parse(sm.definition).States.AuthorizePayment.Resource).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:fulfill-shop-ci-authorize-payment`);
      expect(calls.some((c) => c.startsWith('events:'))).toBe(false);
    } else {
      expect(integration.uri).toBe(`arn:aws:apigateway:${REGION}:events:action/PutEvents`);
      expect(integration.requestParameters['integration.request.header.X-Amz-Target']).toBe("'AWSEvents.PutEvents'");
      const rules = fake.calls.filter((c) => c.command === 'PutRule').map((c) => c.input);
      expect(rules.map((r) => r.Name)).toContain('fulfill-shop-ci-decide-fulfillment-3p');
      expect(JSON.parse(rules.find((r) => r.Name === 'fulfill-shop-ci-decide-fulfillment-3p')!.EventPattern)).toEqual({ source: ['fulfill.determine-seller'], 'detail-type': ['SellerDetermined'], detail: { seller: { type: ['3P'] } } });
      const targets = fake.calls.filter((c) => c.command === 'PutTargets').map((c) => c.input);
      const auth = targets.find((t) => t.Rule === 'fulfill-shop-ci-authorize-payment')!.Targets[0];
      expect(auth).toMatchObject({
        Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fulfill-shop-ci-authorize-payment`,
        InputTransformer: { InputPathsMap: { detail: '$.detail' }, InputTemplate: '{"Input": <detail>}' },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:fulfill-shop-ci-dlq` },
      });
      const permission = fake.calls.find((c) => c.command === 'AddPermission')!.input;
      expect(permission).toMatchObject({ Principal: 'events.amazonaws.com', SourceAccount: ACCOUNT, SourceArn: expect.stringMatching(/^arn:aws:events:.*:rule\/fulfill-shop-ci-bus\/fulfill-shop-ci-/) });
      expect(fake.calls.some((c) => c.command === 'PutRule' && c.input.Name === 'fulfill-shop-ci-all-events')).toBe(true);
      expect(calls).not.toContain('sfn:CreateStateMachine');
    }
  });

  it('a second deploy issues zero mutating calls', async () => {
    const fake = new FakeAws();
    await deploy(fake, mode);
    fake.reset();
    const again = await deploy(fake, mode);
    expect(commands(fake)).toEqual([]);
    expect(again.changes.every((c) => c.action === 'unchanged')).toBe(true);
  });

  it('--dry-run issues no mutating call and reports the plan', async () => {
    const fake = new FakeAws();
    const plan = await deploy(fake, mode, { dryRun: true });
    expect(commands(fake)).toEqual([]);
    expect(plan.dryRun).toBe(true);
    expect(plan.changes.filter((c) => c.kind === 'function' && !c.resource.includes('/')).map((c) => c.action)).toEqual(Array(7).fill('created'));
    expect(plan.changes.filter((c) => c.kind === 'api').map((c) => c.action)).toContain('created');
  });

  it('retries while a new role is not assumable yet, then succeeds', async () => {
    const fake = new FakeAws();
    fake.rolePropagation(3);
    await deploy(fake, mode);
    expect(fake.calls.filter((c) => c.command === 'CreateFunction')).toHaveLength(10);
    expect(Object.keys(fake.state.functions)).toHaveLength(7);
  });

  it('after call k of a first deploy fails, a re-run ends in the state of a clean deploy (every k)', async () => {
    const clean = new FakeAws();
    await deploy(clean, mode);
    const expected = clean.snapshot();
    const total = clean.mutatingCalls().length;
    expect(total).toBeGreaterThan(20);
    for (let k = 1; k <= total; k++) {
      const fake = new FakeAws();
      fake.failAt(k);
      const failed = await deploy(fake, mode).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(UserError);
      expect((failed as UserError).message).toMatch(/injected fault/);
      expect((failed as UserError).suggestions.join()).toMatch(/converges/);
      await deploy(fake, mode);
      expect({ k, state: fake.snapshot() }).toEqual({ k, state: expected });
    }
  }, 120_000);
});

describe('deploy --target aws across modes and failures', () => {
  it('switching modes removes what the other mode needed', async () => {
    const fake = new FakeAws();
    await deploy(fake, 'events', { dir: project('orchestration') });
    expect(Object.keys(fake.state.buses)).toEqual(['fulfill-shop-ci-bus']);
    await deploy(fake, 'orchestration', { dir: project('orchestration') });
    expect(fake.state.buses).toEqual({});
    expect(fake.state.rules).toEqual({});
    expect(fake.state.queues).toEqual({});
    expect(Object.values(fake.state.functions).every((f) => f.statements.length === 0)).toBe(true);
    expect(Object.values(fake.state.machines).map((m) => m.name)).toEqual(['fulfill-shop-ci-workflow']);
    await deploy(fake, 'events', { dir: project('orchestration') });
    expect(fake.state.machines).toEqual({});
    expect(fake.state.roles['fulfill-shop-ci-states-role']).toBeUndefined();
  });

  it('removes rules no longer in the config, and updates only what changed', async () => {
    const dir = join(tmp.dir, 'shrinking');
    templateProject(dir, { app: 'shop', stage: 'ci', mode: 'events', region: REGION });
    const fake = new FakeAws();
    await deploy(fake, 'events', { dir });
    const file = join(dir, 'events.json');
    const flow = JSON.parse(readFileSync(file, 'utf8'));
    flow.rules = flow.rules.filter((r: { name: string }) => r.name !== 'confirm-payment');
    writeFileSync(file, JSON.stringify(flow));
    const handler = join(dir, 'handlers', 'calculate-fee.ts');
    writeFileSync(handler, readFileSync(handler, 'utf8').replace('return { rate', 'const changed = true;\n  return { changed, rate'));
    fake.reset();
    const result = await deploy(fake, 'events', { dir });
    expect(fake.state.rules['fulfill-shop-ci-bus/fulfill-shop-ci-confirm-payment']).toBeUndefined();
    expect(result.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.kind} ${c.resource}`)).toEqual(
      expect.arrayContaining(['updated function fulfill-shop-ci-calculate-fee', 'deleted rule fulfill-shop-ci-confirm-payment', 'deleted permission fulfill-shop-ci-notify-customer/fulfill-fulfill-shop-ci-confirm-payment']),
    );
    expect(commands(fake)).toEqual(expect.arrayContaining(['lambda:UpdateFunctionCode', 'events:RemoveTargets', 'events:DeleteRule']));
    expect(commands(fake)).not.toContain('lambda:CreateFunction');
  });

  it('removes the function of a deleted handler, but not an untagged look-alike', async () => {
    const dir = join(tmp.dir, 'fewer-handlers');
    templateProject(dir, { app: 'shop', stage: 'ci', mode: 'orchestration', region: REGION });
    const fake = new FakeAws();
    await deploy(fake, 'orchestration', { dir });
    fake.state.functions['fulfill-shop-ci-legacy'] = { config: { FunctionName: 'fulfill-shop-ci-legacy' }, tags: { 'fulfill:app': 'shop', 'fulfill:stage': 'ci' }, statements: [] };
    fake.state.functions['fulfill-shop-ci-someone-elses'] = { config: { FunctionName: 'fulfill-shop-ci-someone-elses' }, tags: {}, statements: [] };
    await deploy(fake, 'orchestration', { dir });
    expect(Object.keys(fake.state.functions)).not.toContain('fulfill-shop-ci-legacy');
    expect(Object.keys(fake.state.functions)).toContain('fulfill-shop-ci-someone-elses');
  });

  it.each([
    ['AccessDenied names the action and resource', awsError('AccessDeniedException', `User: arn:aws:iam::${ACCOUNT}:user/ci is not authorized to perform: lambda:CreateFunction on resource: arn:aws:lambda:${REGION}:${ACCOUNT}:function:fulfill-shop-ci-authorize-payment`), /^access denied: .*lambda:CreateFunction on resource: .*authorize-payment\. Done before the failure: created fulfill-shop-ci-functions-role/, 'AwsAccessDenied'],
    ['a quota error', awsError('LimitExceededException', 'Cannot exceed quota for RolesPerAccount: 1000'), /^AWS quota or rate limit: LimitExceededException/, 'AwsQuota'],
  ])('%s', async (_name, error, message, code) => {
    const fake = new FakeAws();
    const k = await mutatingIndexOf(error.message.includes('lambda:CreateFunction') ? 'CreateFunction' : 'CreateRole');
    fake.failAt(k, error);
    const failed = (await deploy(fake, 'orchestration').catch((e: unknown) => e)) as UserError;
    expect(failed).toBeInstanceOf(UserError);
    expect(failed.exit).toBe(3);
    expect(failed.code).toBe(code);
    expect(failed.message).toMatch(message);
  });

  it('missing credentials are one clear line', async () => {
    const fake = new FakeAws();
    // What the SDK's default provider chain throws when it finds nothing (@smithy/property-provider).
    const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError', tryNextLink: false });
    (fake.clients.sts as unknown as { send: () => Promise<never> }).send = async () => {
      throw noCredentials;
    };
    const failed = (await deploy(fake, 'orchestration').catch((e: unknown) => e)) as UserError;
    expect(failed.code).toBe('AwsCredentials');
    expect(failed.message).toMatch(/^no AWS credentials found/);
  });
});

/** The position of a command among a clean first deploy's mutating calls (1-based). */
async function mutatingIndexOf(command: string, mode: Mode = 'orchestration'): Promise<number> {
  const clean = new FakeAws();
  await deploy(clean, mode);
  return clean.mutatingCalls().findIndex((c) => c.command === command) + 1;
}

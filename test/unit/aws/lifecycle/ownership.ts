import { afterAll, describe, expect, it } from '@jest/globals';
import { UserError } from '../../../../src/lib/errors.js';
import { ACCOUNT, awsError, FakeAws, REGION } from '../../../helpers/fake-aws.js';
import { deploy, destroy, ownedByStage, projects } from '../support.js';

// The ownership rule: a delete goes ahead only when the resource's own tags name this app and stage. Resources
// with colliding names but without those tags (made by hand, or another stage's) survive a first deploy in
// either mode, both mode switches and destroy; each is reported in one line.

const dirs = projects();
afterAll(() => dirs.cleanup());

const OTHER_STAGE = { 'fulfill:app': 'shop', 'fulfill:stage': 'prod' };
const asList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const NOT_TAGGED = 'not tagged fulfill:app/fulfill:stage for this stage';

/** Look-alikes of the resources one mode has and the other does not, planted before anything is deployed. */
const plant = {
  events(fake: FakeAws) {
    fake.state.buses['fulfill-shop-ci-bus'] = { tags: [] };
    fake.state.queues['fulfill-shop-ci-dlq'] = { attributes: {}, tags: { ...OTHER_STAGE } };
    fake.state.logGroups['/aws/events/fulfill-shop-ci-events'] = { tags: {} };
    fake.state.logPolicies['fulfill-shop-ci-events-to-logs'] = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'logs:PutLogEvents',
          Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/someone/else:*`,
        },
      ],
    });
  },
  orchestration(fake: FakeAws) {
    fake.state.roles['fulfill-shop-ci-states-role'] = {
      trust: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      tags: asList(OTHER_STAGE),
      policies: { mine: '{}' },
    };
    fake.state.machines[`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:fulfill-shop-ci-workflow`] = {
      name: 'fulfill-shop-ci-workflow',
      type: 'STANDARD',
      definition: '{}',
      roleArn: '',
      tags: [],
    };
    fake.state.logGroups['/aws/vendedlogs/states/fulfill-shop-ci-workflow'] = { tags: {} };
  },
  /** A function named like a removed handler of this stage, with its log group, both someone else's. */
  staleFunction(fake: FakeAws, tags: Record<string, string> = {}) {
    const name = 'fulfill-shop-ci-legacy';
    fake.state.functions[name] = {
      config: {
        FunctionName: name,
        FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        State: 'Active',
        LastUpdateStatus: 'Successful',
      },
      tags: { ...tags },
      statements: [],
    };
    fake.state.logGroups[`/aws/lambda/${name}`] = { tags: { ...tags } };
  },
};

const lookAlikes = {
  events: [
    '/aws/events/fulfill-shop-ci-events',
    'fulfill-shop-ci-bus',
    'fulfill-shop-ci-dlq',
    'fulfill-shop-ci-events-to-logs',
  ],
  orchestration: [
    '/aws/vendedlogs/states/fulfill-shop-ci-workflow',
    'fulfill-shop-ci-states-role',
    'fulfill-shop-ci-workflow',
  ],
  staleFunction: ['/aws/lambda/fulfill-shop-ci-legacy', 'fulfill-shop-ci-legacy'],
};

function survivors(fake: FakeAws): string[] {
  const s = fake.state;
  return [
    ...Object.keys(s.buses),
    ...Object.keys(s.queues),
    ...Object.keys(s.logGroups),
    ...Object.keys(s.logPolicies),
    ...Object.keys(s.roles),
    ...Object.values(s.machines).map((m) => String(m.name)),
    ...Object.keys(s.functions),
  ].sort();
}

const warned = (warnings: readonly string[]) =>
  warnings
    .filter((w) => w.startsWith('left '))
    .map((w) => /^left (\S+) alone: /.exec(w)?.[1])
    .sort();

describe.each([
  ['orchestration', 'events'],
  ['events', 'orchestration'],
] as const)('a first deploy in %s mode next to look-alikes of %s resources', (mode, other) => {
  it('leaves them alone, says so once each, and destroy leaves them too', async () => {
    const dir = dirs.make(mode);
    const fake = new FakeAws();
    plant[other](fake);
    plant.staleFunction(fake);
    const result = await deploy(fake, dir);
    const expected = [...lookAlikes[other], ...lookAlikes.staleFunction].sort();
    expect(survivors(fake)).toEqual(expect.arrayContaining(expected));
    expect(warned(result.warnings)).toEqual(expected);
    for (const line of result.warnings) expect(line).not.toContain('\n');
    expect(result.warnings).toContain(
      `left fulfill-shop-ci-${other === 'events' ? 'bus' : 'workflow'} alone: ${NOT_TAGGED}`,
    );

    const destroyed = await destroy(fake, dir);
    expect(survivors(fake)).toEqual(expected);
    expect(destroyed.skipped.map((s) => s.resource).sort()).toEqual(expected);
    expect(ownedByStage(fake)).toEqual([]);
  });
});

describe('a mode switch leaves look-alikes alone', () => {
  it("events -> orchestration: a queue, log group and logs policy that are not (or no longer) this stage's stay", async () => {
    const dir = dirs.make('events');
    const fake = new FakeAws();
    await deploy(fake, dir);
    // Someone took over three of the stage's resources (re-tagged, or replaced by hand under the same name).
    fake.state.queues['fulfill-shop-ci-dlq'].tags = { ...OTHER_STAGE };
    fake.state.logGroups['/aws/events/fulfill-shop-ci-events'].tags = {};
    const policy = JSON.parse(fake.state.logPolicies['fulfill-shop-ci-events-to-logs']) as {
      Statement: Array<{ Resource: string }>;
    };
    policy.Statement[0].Resource = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/events/other:*`;
    fake.state.logPolicies['fulfill-shop-ci-events-to-logs'] = JSON.stringify(policy);

    const result = await deploy(fake, dir, { mode: 'orchestration' });
    expect(fake.state.buses).toEqual({});
    expect(Object.keys(fake.state.queues)).toEqual(['fulfill-shop-ci-dlq']);
    expect(Object.keys(fake.state.logGroups)).toContain('/aws/events/fulfill-shop-ci-events');
    expect(Object.keys(fake.state.logPolicies)).toEqual(['fulfill-shop-ci-events-to-logs']);
    expect(warned(result.warnings)).toEqual([
      '/aws/events/fulfill-shop-ci-events',
      'fulfill-shop-ci-dlq',
      'fulfill-shop-ci-events-to-logs',
    ]);
    expect(result.warnings).toContain(
      "left fulfill-shop-ci-events-to-logs alone: its document grants on more than this stage's event log group",
    );
  });

  it("orchestration -> events: a Step Functions role and log group that are not this stage's stay", async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws();
    await deploy(fake, dir);
    fake.state.roles['fulfill-shop-ci-states-role'].tags = asList(OTHER_STAGE);
    fake.state.logGroups['/aws/vendedlogs/states/fulfill-shop-ci-workflow'].tags = {};

    const result = await deploy(fake, dir, { mode: 'events' });
    expect(fake.state.machines).toEqual({});
    expect(Object.keys(fake.state.roles)).toContain('fulfill-shop-ci-states-role');
    expect(Object.keys(fake.state.logGroups)).toContain('/aws/vendedlogs/states/fulfill-shop-ci-workflow');
    expect(warned(result.warnings)).toEqual([
      '/aws/vendedlogs/states/fulfill-shop-ci-workflow',
      'fulfill-shop-ci-states-role',
    ]);
  });
});

describe('a removed handler', () => {
  it('loses its function and its log group, both found again by a re-run after a failure between them', async () => {
    const dir = dirs.make('orchestration');
    const fake = new FakeAws();
    await deploy(fake, dir);
    // What a deploy made for a handler that has since been deleted from the project.
    plant.staleFunction(fake, { 'fulfill:app': 'shop', 'fulfill:stage': 'ci' });
    fake.failNext('DeleteLogGroup', awsError('ServiceUnavailableException', 'injected fault', 503));
    await expect(deploy(fake, dir)).rejects.toBeInstanceOf(UserError);
    expect(fake.state.functions['fulfill-shop-ci-legacy']).toBeUndefined();
    expect(fake.state.logGroups['/aws/lambda/fulfill-shop-ci-legacy']).toBeDefined();

    const rerun = await deploy(fake, dir);
    expect(fake.state.logGroups['/aws/lambda/fulfill-shop-ci-legacy']).toBeUndefined();
    expect(rerun.changes.filter((c) => c.action === 'deleted').map((c) => c.resource)).toEqual([
      '/aws/lambda/fulfill-shop-ci-legacy',
    ]);
    // Nothing left alone (the stage's missing `iam check` is its own warning, see iam-check-warning.ts).
    expect(warned(rerun.warnings)).toEqual([]);
  });
});

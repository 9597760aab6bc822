import { afterAll, describe, expect, it } from '@jest/globals';
import { destroyAws } from '../../../../src/lib/aws/destroy.js';
import { awsContext, type AwsContext } from '../../../../src/lib/aws/context.js';
import { loadBlueprint, type Blueprint } from '../../../../src/lib/blueprint/blueprint.js';
import { ACCOUNT, FakeAws } from '../../../helpers/fake-aws.js';
import { emptyFakeState } from '../../../helpers/fake-aws/model.js';
import { deploy, projects } from '../support.js';

const dirs = projects();
afterAll(() => dirs.cleanup());

async function deployed(
  mode: 'orchestration' | 'events',
): Promise<{ fake: FakeAws; blueprint: Blueprint; ctx: () => AwsContext }> {
  const dir = dirs.make(mode);
  const blueprint = loadBlueprint(dir);
  const fake = new FakeAws();
  await deploy(fake, dir);
  const ctx = (): AwsContext => awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} });
  return { fake, blueprint, ctx };
}

describe.each(['orchestration', 'events'] as const)('destroy --target aws (%s)', (mode) => {
  it('deletes everything in reverse dependency order, and a second run finds nothing', async () => {
    const { fake, blueprint, ctx } = await deployed(mode);
    fake.reset();
    const result = await destroyAws(ctx(), blueprint);
    const order = fake.mutatingCalls().map((c) => c.command);
    const first = (c: string) => order.indexOf(c);
    const last = (c: string) => order.lastIndexOf(c);
    expect(first('DeleteRestApi')).toBe(0);
    expect(last('DeleteFunction')).toBeLessThan(first('DeleteRole'));
    if (mode === 'events') {
      expect(last('DeleteRule')).toBeLessThan(first('DeleteFunction'));
      expect(first('DeleteEventBus')).toBeGreaterThan(last('DeleteRule'));
      expect(first('DeleteQueue')).toBeGreaterThan(last('DeleteFunction'));
    } else {
      expect(first('DeleteStateMachine')).toBeLessThan(first('DeleteFunction'));
    }
    expect(result.deleted.length).toBeGreaterThan(10);
    expect(result.skipped).toEqual([]);
    expect(fake.state).toEqual(emptyFakeState());
    fake.reset();
    const again = await destroyAws(ctx(), blueprint);
    expect(again.deleted).toEqual([]);
    expect(fake.mutatingCalls()).toEqual([]);
  });

  it('--keep-logs keeps the log groups', async () => {
    const { fake, blueprint, ctx } = await deployed(mode);
    await destroyAws(ctx(), blueprint, { keepLogs: true });
    expect(Object.keys(fake.state.logGroups).length).toBeGreaterThan(0);
    expect(fake.state.functions).toEqual({});
  });
});

describe('destroy --target aws leaves look-alikes alone', () => {
  it('does not delete untagged resources that only share fulfill names', async () => {
    const { fake, blueprint, ctx } = await deployed('orchestration');
    // Someone else's function and role with the same names, and another stage's tags on the state machine.
    fake.state.functions['fulfill-shop-ci-calculate-fee'].tags = {};
    fake.state.logGroups['/aws/lambda/fulfill-shop-ci-calculate-fee'].tags = {};
    fake.state.roles['fulfill-shop-ci-api-role'].tags = [];
    const sm = Object.values(fake.state.machines)[0];
    sm.tags = [
      { key: 'fulfill:app', value: 'shop' },
      { key: 'fulfill:stage', value: 'prod' },
    ];
    const result = await destroyAws(ctx(), blueprint);
    expect(result.skipped.map((s) => s.resource).sort()).toEqual([
      '/aws/lambda/fulfill-shop-ci-calculate-fee',
      'fulfill-shop-ci-api-role',
      'fulfill-shop-ci-calculate-fee',
      'fulfill-shop-ci-workflow',
    ]);
    expect(new Set(result.skipped.map((s) => s.reason))).toEqual(
      new Set(['not tagged fulfill:app/fulfill:stage for this stage']),
    );
    expect(Object.keys(fake.state.functions)).toEqual(['fulfill-shop-ci-calculate-fee']);
    expect(Object.keys(fake.state.roles)).toEqual(['fulfill-shop-ci-api-role']);
    expect(Object.keys(fake.state.machines)).toHaveLength(1);
    // Each resource is judged by its own tags: the look-alike log group stays too.
    expect(Object.keys(fake.state.logGroups)).toEqual(['/aws/lambda/fulfill-shop-ci-calculate-fee']);
  });
});

import { afterAll, describe, expect, it } from '@jest/globals';
import type { Mode } from '../../../../src/lib/config/schema.js';
import { UserError } from '../../../../src/lib/errors.js';
import type { FakeState } from '../../../helpers/fake-aws/model.js';
import { FakeAws } from '../../../helpers/fake-aws.js';
import { deploy, expectSameState, faultTable, injectedCall, projects, writes } from '../support.js';

// Convergence of a mode switch, in both directions: its clean-up of the other mode (every delete now reads the
// resource's tags first) must survive an interruption at any call too. Record the switch's mutating calls,
// then start each case from the recorded deployment of the first mode, fail call k once, and re-run.

const dirs = projects();
afterAll(() => dirs.cleanup());

interface Switch {
  dir: string;
  from: FakeState;
  switched: unknown;
  table: Array<[number, string]>;
}

const switches = {} as Record<Mode, Switch>;
for (const [from, to] of [
  ['events', 'orchestration'],
  ['orchestration', 'events'],
] as const) {
  const dir = dirs.make(from);
  const clean = new FakeAws();
  await deploy(clean, dir, { mode: to });
  const switching = new FakeAws();
  await deploy(switching, dir, { mode: from });
  const deployed = structuredClone(switching.state);
  switching.reset();
  await deploy(switching, dir, { mode: to });
  switches[to] = { dir, from: deployed, switched: clean.snapshot(), table: faultTable(switching) };
}

describe.each([
  ['events', 'orchestration'],
  ['orchestration', 'events'],
] as const)('switching %s -> %s, failing at one call, converges when re-run', (_from, to) => {
  const { dir, from, switched, table } = switches[to];

  it('has a table of every mutating call of the switch, its deletes included', () => {
    expect(table.length).toBeGreaterThan(to === 'orchestration' ? 40 : 50);
    expect(
      table.some(([, call]) => (to === 'orchestration' ? /DeleteEventBus/ : /DeleteStateMachine/).test(call)),
    ).toBe(true);
  });

  it.each(table)('call %i (%s) fails once', async (k, call) => {
    const fake = new FakeAws();
    fake.restore(from);
    fake.failAt(k);
    await expect(deploy(fake, dir, { mode: to })).rejects.toBeInstanceOf(UserError);
    expect(injectedCall(fake)).toBe(call);
    await deploy(fake, dir, { mode: to });
    expectSameState(fake.snapshot(), switched);
    fake.reset();
    await deploy(fake, dir, { mode: to });
    expect(writes(fake)).toEqual([]);
  });
});

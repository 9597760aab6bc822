import { afterAll, describe, expect, it } from '@jest/globals';
import { UserError } from '../../../src/lib/errors.js';
import { FakeAws } from '../../helpers/fake-aws.js';
import { deploy, projects, targetOf, writes } from './support.js';

// Convergence of a mode switch (events -> orchestration): its clean-up of the other mode must survive an
// interruption at any call too. Record the switch's mutating calls, then fail each one once and re-run.

const dirs = projects();
afterAll(() => dirs.cleanup());

const switchDir = dirs.make('events');
const switchTable: Array<[number, string]> = [];
let switchedState: unknown;
{
  const fake = new FakeAws();
  await deploy(fake, switchDir, { mode: 'orchestration' });
  switchedState = fake.snapshot();
  const switching = new FakeAws();
  await deploy(switching, switchDir, { mode: 'events' });
  switching.reset();
  await deploy(switching, switchDir, { mode: 'orchestration' });
  switchTable.push(...switching.mutatingCalls().map((c, i): [number, string] => [i + 1, `${c.service}:${c.command} ${targetOf(c)}`]));
}

describe('switching events -> orchestration, failing at one call, converges when re-run', () => {
  it('has a table of every mutating call of the switch', () => {
    expect(switchTable.length).toBeGreaterThan(40);
  });

  it.each(switchTable)('call %i (%s) fails once', async (k, call) => {
    const fake = new FakeAws();
    await deploy(fake, switchDir, { mode: 'events' });
    fake.failAt(k);
    await expect(deploy(fake, switchDir, { mode: 'orchestration' })).rejects.toBeInstanceOf(UserError);
    const injected = fake.calls.find((c) => c.error === 'ServiceUnavailableException')!;
    expect(`${injected.service}:${injected.command} ${targetOf(injected)}`).toBe(call);
    await deploy(fake, switchDir, { mode: 'orchestration' });
    expect(fake.snapshot()).toEqual(switchedState);
    fake.reset();
    await deploy(fake, switchDir, { mode: 'orchestration' });
    expect(writes(fake)).toEqual([]);
  });
});

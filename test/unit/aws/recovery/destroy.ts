import { afterAll, describe, expect, it } from '@jest/globals';
import type { Mode } from '../../../../src/lib/config/schema.js';
import { UserError } from '../../../../src/lib/errors.js';
import { emptyFakeState, type FakeState } from '../../../helpers/fake-aws/model.js';
import { FakeAws } from '../../../helpers/fake-aws.js';
import { deploy, destroy, faultTable, injectedCall, ownedByStage, projects, writes } from '../support.js';

// Convergence of destroy: record the mutating calls of a clean destroy of each mode, then, for every call k,
// destroy a fresh deployment with call k failing once, and re-run destroy: nothing tagged with the stage may
// remain, and a third run changes nothing. destroy finds what remains from AWS (tags, names, listings), so the
// function log groups of functions deleted before the failure are found too.

const dirs = projects();
afterAll(() => dirs.cleanup());

interface Recording {
  dir: string;
  deployed: FakeState;
  table: Array<[number, string]>;
}

const recorded = {} as Record<Mode, Recording>;
for (const mode of ['orchestration', 'events'] as const) {
  const dir = dirs.make(mode);
  const fake = new FakeAws();
  await deploy(fake, dir);
  const deployed = structuredClone(fake.state);
  fake.reset();
  await destroy(fake, dir);
  recorded[mode] = {
    dir,
    deployed,
    table: faultTable(fake),
  };
}

describe.each(['orchestration', 'events'] as const)(
  'destroy (%s) that fails at one call converges when re-run',
  (mode) => {
    const { dir, deployed, table } = recorded[mode];

    it('has a table of every mutating call, function log groups included', () => {
      expect(table.length).toBeGreaterThan(mode === 'events' ? 25 : 20);
      expect(table.filter(([, call]) => /DeleteLogGroup \/aws\/lambda\//.test(call))).toHaveLength(7);
    });

    it.each(table)('call %i (%s) fails once', async (k, call) => {
      const fake = new FakeAws();
      fake.restore(deployed);
      fake.failAt(k);
      const failed = await destroy(fake, dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(UserError);
      expect((failed as UserError).message).toMatch(/^AWS \w+ \w+: ServiceUnavailableException: injected fault\./);
      expect((failed as UserError).suggestions.at(-1)).toMatch(/fulfill destroy --target aws` again/);
      expect(injectedCall(fake)).toBe(call);
      expect(ownedByStage(fake)).not.toEqual([]);

      const rerun = await destroy(fake, dir);
      expect(ownedByStage(fake)).toEqual([]);
      expect(rerun.skipped).toEqual([]);
      expect(fake.state).toEqual(emptyFakeState());
      fake.reset();
      expect((await destroy(fake, dir)).deleted).toEqual([]);
      expect(writes(fake)).toEqual([]);
    });
  },
);

import { afterAll, describe, expect, it } from '@jest/globals';
import type { Mode } from '../../../../src/lib/config/schema.js';
import { UserError } from '../../../../src/lib/errors.js';
import { FakeAws } from '../../../helpers/fake-aws.js';
import { deploy, expectSameState, faultTable, injectedCall, projects, writes } from '../support.js';

// Convergence after any failure: record a clean first deploy of each mode, then, for every mutating call k
// of it, run a deploy in which call k fails once, re-run, and compare with the clean deploy's state.

const dirs = projects();
afterAll(() => dirs.cleanup());

interface Recording {
  dir: string;
  state: unknown;
  table: Array<[number, string]>;
}

const recorded = {} as Record<Mode, Recording>;
for (const mode of ['orchestration', 'events'] as const) {
  const dir = dirs.make(mode);
  const fake = new FakeAws();
  await deploy(fake, dir);
  recorded[mode] = {
    dir,
    state: fake.snapshot(),
    table: faultTable(fake),
  };
}

describe.each(['orchestration', 'events'] as const)(
  'a first deploy (%s) that fails at one call converges when re-run',
  (mode) => {
    const { dir, state, table } = recorded[mode];

    it('has a table of every mutating call', () => {
      expect(table.length).toBeGreaterThan(mode === 'events' ? 60 : 30);
    });

    it.each(table)('call %i (%s) fails once', async (k, call) => {
      const fake = new FakeAws();
      fake.failAt(k);
      const failed = await deploy(fake, dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failed).toBeInstanceOf(UserError);
      const error = failed as UserError;
      expect(error.message).toMatch(
        /^AWS \w+ \w+: ServiceUnavailableException: injected fault\. (Nothing was changed|\d+ changes? (was|were) made before the failure)/,
      );
      expect(error.suggestions.at(-1)).toMatch(/again: it converges/);
      expect(injectedCall(fake)).toBe(call);

      await deploy(fake, dir);
      expectSameState(fake.snapshot(), state);
      fake.reset();
      await deploy(fake, dir);
      expect(writes(fake)).toEqual([]);
    });
  },
);

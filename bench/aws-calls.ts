#!/usr/bin/env node
// AWS calls of `fulfill deploy --target aws`, per mode, against the in-memory AWS model that the unit tests
// use (test/helpers/fake-aws/, TypeScript: bench/run.js runs this file through tsx), driving the deployer
// as built in dist/: no network, no credentials.
//   first deploy    every call of a deploy to an empty account
//   no-op redeploy  every call of the same deploy again (all reads: it changes nothing)
//   critical path   the longest chain of dependent calls: the model answers in round trips (all calls issued
//                   while the previous round was in flight are answered together), with no limit on
//                   parallelism; the run's number of rounds is its critical path. Also shown: the rounds at
//                   the deployer's default parallelism (4 functions, log groups or rules at a time).
// Lambda is modelled as reporting Active at the waiter's first check (real functions take a few polls).
// Run after `npm run build`: node --import tsx bench/aws-calls.ts
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const template = fileURLToPath(new URL('../templates/project', import.meta.url));
const { awsDeploySteps, DEFAULT_CONCURRENCY } = await import(new URL('lib/aws/deploy.js', dist).href);
const { loadBlueprint } = await import(new URL('lib/blueprint/blueprint.js', dist).href);
const { bundleHandlers } = await import(new URL('lib/blueprint/bundle.js', dist).href);
const { FakeAwsModel, fakeClients, isMutating } = await import('../test/helpers/fake-aws/model.js');

/** Runs every step of a deploy against `model`; returns its calls and round trips. */
async function run(model, blueprint, bundles, concurrency) {
  model.reset();
  const { steps } = awsDeploySteps(blueprint, {
    clients: fakeClients(model),
    sleep: async () => {},
    concurrency,
    bundle: async () => bundles,
  });
  for (const step of steps) await step.run();
  return {
    calls: model.calls.length,
    writes: model.calls.filter((c) => isMutating(c.command)).length,
    rounds: model.roundTrips(),
  };
}

const root = mkdtempSync(join(tmpdir(), 'fulfill-bench-aws-'));
try {
  for (const mode of ['orchestration', 'events']) {
    const dir = join(root, mode);
    cpSync(template, dir, { recursive: true });
    writeFileSync(
      join(dir, 'fulfill.config.json'),
      JSON.stringify({ app: 'bench', stage: 'bench', mode, region: 'eu-central-1' }),
    );
    const blueprint = loadBlueprint(dir, { mode });
    const bundles = await bundleHandlers(dir, blueprint.handlers, mode);

    const unlimited = new FakeAwsModel({ rounds: true, settleReads: 0 });
    const first = await run(unlimited, blueprint, bundles, Number.POSITIVE_INFINITY);
    const noop = await run(unlimited, blueprint, bundles, Number.POSITIVE_INFINITY);
    const bounded = new FakeAwsModel({ rounds: true, settleReads: 0 });
    const firstBounded = await run(bounded, blueprint, bundles, DEFAULT_CONCURRENCY);
    const noopBounded = await run(bounded, blueprint, bundles, DEFAULT_CONCURRENCY);
    if (first.calls !== firstBounded.calls || noop.calls !== noopBounded.calls || noop.writes !== 0)
      throw new Error(`bench: inconsistent runs in ${mode} mode`);

    console.log(
      `aws calls (${mode}): first deploy ${first.calls}, no-op redeploy ${noop.calls}, critical path ${first.rounds}`,
    );
    console.log(
      `  first deploy: ${first.writes} mutating; no-op redeploy: ${noop.writes} mutating, critical path ${noop.rounds}; round trips at ${DEFAULT_CONCURRENCY} at a time: ${firstBounded.rounds} and ${noopBounded.rounds}`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

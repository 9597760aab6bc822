// AWS calls of `deploy --target aws`, per mode, against the in-memory fake (test/helpers/fake-aws.ts):
// a first deploy, a no-op re-deploy, and the critical path (the longest chain of dependent calls: steps run
// in order; inside the roles and functions steps, each role or function is an independent chain).
// Run by bench/run.js with `node --import tsx`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsDeploySteps } from '../src/lib/aws/deploy.js';
import { loadBlueprint } from '../src/lib/blueprint/blueprint.js';
import { initProject } from '../src/lib/project/init.js';
import { FakeAws, isMutating } from '../test/helpers/fake-aws.js';

const PARALLEL_KEYS: Record<string, (input: Record<string, unknown>) => string | undefined> = {
  'IAM roles': (i) => (i.RoleName as string | undefined),
  'Lambda functions': (i) => (i.FunctionName as string | undefined)?.split(':').at(-1),
};

for (const mode of ['orchestration', 'events'] as const) {
  const dir = mkdtempSync(join(tmpdir(), `fulfill-bench-aws-${mode}-`));
  try {
    initProject({ dir, name: 'bench', mode, region: 'eu-central-1', stage: 'bench', force: true });
    const fake = new FakeAws();
    let critical = 0;
    const run = async (measure: boolean) => {
      const { steps } = awsDeploySteps(loadBlueprint(dir, { mode }), { clients: fake.clients, sleep: async () => {} });
      for (const step of steps) {
        const before = fake.calls.length;
        await step.run();
        if (!measure) continue;
        const calls = fake.calls.slice(before);
        const key = Object.entries(PARALLEL_KEYS).find(([title]) => step.title.startsWith(title))?.[1];
        if (!key) critical += calls.length;
        else {
          const chains = new Map<string, number>();
          for (const c of calls) chains.set(key(c.input) ?? '-', (chains.get(key(c.input) ?? '-') ?? 0) + 1);
          critical += Math.max(0, ...chains.values());
        }
      }
    };
    await run(true);
    const first = fake.calls.length;
    const firstMutating = fake.calls.filter((c) => isMutating(c.command)).length;
    fake.reset();
    await run(false);
    const noop = fake.calls.length;
    const noopMutating = fake.calls.filter((c) => isMutating(c.command)).length;
    console.log(`aws calls (${mode}): first deploy ${first} (${firstMutating} mutating), no-op redeploy ${noop} (${noopMutating} mutating), critical path ${critical} calls`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

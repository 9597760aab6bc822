import { expect } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { awsContext } from '../../../src/lib/aws/context.js';
import { awsDeploySteps, type AwsDeployOptions } from '../../../src/lib/aws/deploy.js';
import { destroyAws, type DestroyResult } from '../../../src/lib/aws/destroy.js';
import { loadBlueprint, type Blueprint } from '../../../src/lib/blueprint/blueprint.js';
import { bundleHandlers, type HandlerBundle } from '../../../src/lib/blueprint/bundle.js';
import type { Mode } from '../../../src/lib/config/schema.js';
import type { DeployResult } from '../../../src/lib/deploy/result.js';
import type { FakeCall } from '../../helpers/fake-aws/model.js';
import type { FakeAws } from '../../helpers/fake-aws.js';
import { ACCOUNT, REGION } from '../../helpers/fake-aws.js';
import { taggedResources } from '../../helpers/fake-aws/tagging.js';
import { tempDir } from '../../helpers/cli.js';
import { quickTemplateProject } from '../../helpers/project.js';

/** Projects copied from the template (app "shop", stage "ci"), in one temp folder per test file. */
export function projects() {
  const tmp = tempDir('fulfill-aws-test-');
  let n = 0;
  return {
    cleanup: tmp.cleanup,
    /** A fresh project in `mode`; `config` overrides fulfill.config.json. */
    make(mode: Mode, config: Record<string, unknown> = {}): string {
      const dir = join(tmp.dir, `${mode}-${n++}`);
      quickTemplateProject(dir, { app: 'shop', stage: 'ci', mode, region: REGION, ...config });
      return dir;
    },
  };
}

// esbuild output depends on the sources and their paths (it writes cwd-relative path comments): reuse it
// across the many deploys of a project in a test file.
const bundleCache = new Map<string, Promise<HandlerBundle[]>>();
const cachedBundles: typeof bundleHandlers = (projectDir, handlers, mode) => {
  const key = createHash('sha256')
    .update(`${projectDir}\0${mode}`)
    .update(handlers.map((h) => `${h.name}\0${readFileSync(h.entry, 'utf8')}`).join('\0'))
    .digest('hex');
  if (!bundleCache.has(key)) bundleCache.set(key, bundleHandlers(projectDir, handlers, mode));
  return bundleCache.get(key)!;
};

// Loading a blueprint validates the ASL (asl-validator: ~90 ms): reuse it while the project files are unchanged.
const blueprintCache = new Map<string, Blueprint>();
function blueprintOf(dir: string, mode: Mode | undefined): Blueprint {
  const files = ['fulfill.config.json', 'workflow.asl.json', 'events.json'].map((f) =>
    existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '',
  );
  const key = [dir, mode ?? '', ...files, ...readdirSync(join(dir, 'handlers'))].join('\0');
  if (!blueprintCache.has(key)) blueprintCache.set(key, loadBlueprint(dir, mode ? { mode } : {}));
  return blueprintCache.get(key)!;
}

/** Deploys like the command does (all steps in order), against the fake, with no real waiting. */
export async function deploy(
  fake: FakeAws,
  dir: string,
  options: AwsDeployOptions & { mode?: Mode } = {},
): Promise<DeployResult> {
  const { mode, ...rest } = options;
  const blueprint = blueprintOf(dir, mode);
  const { steps, result } = awsDeploySteps(blueprint, {
    clients: fake.clients,
    sleep: async () => {},
    waiter: { minDelay: 0.001, maxDelay: 0.002, maxWaitTime: 5 },
    bundle: cachedBundles,
    ...rest,
  });
  for (const step of steps) await step.run();
  return result();
}

/**
 * `expect(actual).toEqual(expected)` for the fake's snapshots, which the recovery tables compare hundreds of times:
 * deep-strictly equal values pass toEqual, and node's isDeepStrictEqual decides that several times faster than
 * jest's equality; anything else goes through toEqual, which fails with the difference (or passes where only
 * toEqual's leniency, e.g. about undefined members, makes the two equal).
 */
export function expectSameState(actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual).toEqual(expected);
}

/** The mutating calls recorded so far, as `service:Command`. */
export function writes(fake: FakeAws): string[] {
  return fake.mutatingCalls().map((c) => `${c.service}:${c.command}`);
}

/** Inputs of every call of a command. */
export function inputs(fake: FakeAws, command: string): Array<Record<string, any>> {
  return fake.calls.filter((c) => c.command === command && !c.error).map((c) => c.input);
}

export function changed(result: DeployResult): string[] {
  return result.changes.filter((c) => c.action !== 'unchanged').map((c) => `${c.action} ${c.kind} ${c.resource}`);
}

/** What a recorded call acts on (role, function, log group, rule, ...), without the stage prefix. */
export function targetOf(call: FakeCall): string {
  const i = call.input;
  const name =
    i.RoleName ??
    i.FunctionName ??
    i.logGroupName ??
    i.policyName ??
    i.QueueName ??
    i.Rule ??
    i.Name ??
    i.name ??
    i.stageName ??
    i.QueueUrl?.split('/').at(-1) ??
    i.restApiId ??
    '';
  return String(name).replace(/^fulfill-shop-ci-/, '');
}

/** A recorded call as the fault tables name it: `service:Command target`. */
export function callLabel(call: FakeCall): string {
  return `${call.service}:${call.command} ${targetOf(call)}`;
}

/** Every mutating call the fake recorded, numbered from 1 as `failAt` counts them: the rows of a fault table. */
export function faultTable(fake: FakeAws): Array<[number, string]> {
  return fake.mutatingCalls().map((call, i): [number, string] => [i + 1, callLabel(call)]);
}

/** The label of the call `failAt` made fail. */
export function injectedCall(fake: FakeAws): string {
  return callLabel(fake.calls.find((c) => c.error === 'ServiceUnavailableException')!);
}

/** Destroys the project's stage like the command does, against the fake. */
export async function destroy(
  fake: FakeAws,
  dir: string,
  options: { keepLogs?: boolean } = {},
): Promise<DestroyResult> {
  const blueprint = blueprintOf(dir, undefined);
  return destroyAws(awsContext(fake.clients, blueprint.names, ACCOUNT, { sleep: async () => {} }), blueprint, options);
}

/**
 * Everything in the fake that carries the tags of app "shop", stage "ci", and the logs resource policies (which
 * cannot be tagged) that grant on the stage's event log group.
 */
export function ownedByStage(fake: FakeAws): string[] {
  const tagged = taggedResources(fake)
    .filter((r) => r.tags['fulfill:app'] === 'shop' && r.tags['fulfill:stage'] === 'ci')
    .map((r) => r.arn);
  const policies = Object.entries(fake.state.logPolicies)
    .filter(([, doc]) => doc.includes(':log-group:/aws/events/fulfill-shop-ci-events:'))
    .map(([name]) => name);
  return [...tagged, ...policies].sort();
}

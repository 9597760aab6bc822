import { apiModel, type ApiModel } from '../api/model.js';
import { fingerprint, type Blueprint } from '../blueprint/blueprint.js';
import { bundleHandlers, checkExternals, type HandlerBundle } from '../blueprint/bundle.js';
import { functionEnvironment } from '../blueprint/functions.js';
import { resolveWorkflow, type AslDefinition } from '../blueprint/workflow.js';
import { LOCAL_ACCOUNT_ID } from '../blueprint/naming.js';
import type { EventFlow } from '../blueprint/event-flow.js';
import { checkFlowForDeploy } from '../blueprint/flow-check.js';
import { recordSources } from '../blueprint/sources.js';
import type { DeployChange, DeployResult, DeployStep } from '../deploy/result.js';
import { LocalStore, type LocalDeployment } from './store.js';

export type { DeployChange, DeployResult, DeployStep } from '../deploy/result.js';

/** What the local target needs at run time, recorded in the stage's state.db (bundles under build/). */
export interface LocalRuntimeSpec extends LocalDeployment {
  api: ApiModel;
  functionsConfig: {
    timeoutSeconds: number;
    memoryMb: number;
    concurrency?: number;
    environment: Record<string, Record<string, string>>;
  };
  workflow?: { definition: AslDefinition; tasks: Array<[string, string]> };
  events?: Omit<EventFlow, 'file'>;
}

export interface DeployOptions {
  allowCycles?: boolean;
  allowFlowErrors?: boolean;
  /** Compute what would change, write nothing (`--dry-run`, and `status` for drift). */
  dryRun?: boolean;
  now?: () => Date;
  /** Record the stage in this folder instead of `.fulfill/local/<stage>` (`iam check`'s throwaway run). */
  stateDir?: string;
  /** Bundles the handlers (default: all of them with esbuild); `deploy --watch` passes its cache of bundles. */
  bundle?: (blueprint: Blueprint) => Promise<HandlerBundle[]>;
}

/**
 * Deploys a blueprint to the local target, as a list of steps the command shows as progress.
 * Like the AWS deployer it reports per resource whether it was created, updated or unchanged.
 */
export function localDeploySteps(
  blueprint: Blueprint,
  options: DeployOptions = {},
): { steps: DeployStep[]; result: () => DeployResult } {
  const store = new LocalStore(blueprint.projectDir, blueprint.stage, options.stateDir);
  let bundles: HandlerBundle[] = [];
  let result: DeployResult | undefined;
  const warnings: string[] = [];
  const steps: DeployStep[] = [
    {
      title:
        blueprint.mode === 'orchestration'
          ? `Validate ${blueprint.workflow!.file}`
          : `Validate ${blueprint.events!.file} and check the event flow`,
      run: async () => {
        if (blueprint.events) {
          warnings.push(...checkFlowForDeploy(blueprint, options));
          return `${blueprint.events.rules.length} rules`;
        }
        return `${blueprint.workflow!.tasks.size} Task states`;
      },
    },
    {
      title: `Bundle ${blueprint.handlers.length} handlers with esbuild`,
      run: async () => {
        bundles = await (options.bundle ?? defaultBundle)(blueprint);
        checkExternals(blueprint.projectDir, bundles);
        return `${(bundles.reduce((n, b) => n + b.code.length, 0) / 1024).toFixed(1)} KiB`;
      },
    },
    {
      title: options.dryRun
        ? `Compare with the recorded deployment in .fulfill/local/${blueprint.stage}`
        : `Record the ${blueprint.mode} deployment in .fulfill/local/${blueprint.stage}`,
      run: async () => {
        // deploy repairs a damaged stage (old JSON state, a damaged database or record): it records it afresh.
        // A dry run (and `status`) reports the damage instead, as one line.
        const previous = store.readDeployment(options.dryRun ? {} : { repair: true }) as LocalRuntimeSpec | undefined;
        const now = (options.now ?? (() => new Date()))();
        // A new deployment is always later than the one it replaces: `serve` notices a redeploy by deployed_at,
        // and `deploy --watch` can redeploy twice within one millisecond.
        const after = previous ? Date.parse(previous.deployedAt) + 1 : 0;
        const spec = runtimeSpec(
          blueprint,
          bundles,
          new Date(Math.max(now.getTime(), Number.isFinite(after) ? after : 0)),
        );
        const changes = diffDeployment(blueprint, previous, spec, (fn) => store.bundleIntact(fn));
        const changed = changes.filter((c) => c.action !== 'unchanged').length;
        if (changed > 0 && !options.dryRun) store.writeDeployment(spec, bundles);
        else if (previous && !options.dryRun && JSON.stringify(previous.sources) !== JSON.stringify(spec.sources)) {
          // Sources changed but the code they make did not (a comment, a formatting change): the same deployment
          // (same deployed_at, so `serve` keeps its backend) now records the new hashes, and drift is gone.
          store.writeDeployment({ ...previous, sources: spec.sources }, []);
        }
        store.close();
        const effective = changed > 0 || !previous ? spec : previous;
        result = {
          target: 'local',
          app: blueprint.config.app,
          stage: blueprint.stage,
          mode: blueprint.mode,
          region: blueprint.region,
          deployedAt: effective.deployedAt,
          changes,
          endpoint: `local:POST /orders (fulfill send-order, or fulfill serve for HTTP)`,
          warnings,
          ...(options.dryRun ? { dryRun: true } : {}),
        };
        return changed === 0 ? 'no changes' : `${changed} ${options.dryRun ? 'would change' : 'changed'}`;
      },
    },
  ];
  return {
    steps,
    result: () => {
      if (!result) throw new Error('deploy result read before the deploy finished');
      return result;
    },
  };
}

function defaultBundle(blueprint: Blueprint): Promise<HandlerBundle[]> {
  return bundleHandlers(blueprint.projectDir, blueprint.handlers, blueprint.mode);
}

function runtimeSpec(blueprint: Blueprint, bundles: readonly HandlerBundle[], now: Date): LocalRuntimeSpec {
  const { names, config } = blueprint;
  const api = apiModel(blueprint, LOCAL_ACCOUNT_ID);
  const environment = Object.fromEntries(
    blueprint.handlers.map((h) => [h.name, functionEnvironment(blueprint, h.name)]),
  );
  const { timeoutSeconds, memoryMb, concurrency } = config.functions;
  const functionsConfig = { timeoutSeconds, memoryMb, ...(concurrency ? { concurrency } : {}), environment };
  const workflow = blueprint.workflow
    ? {
        definition: resolveWorkflow(blueprint.workflow, (h) => names.inAccount(LOCAL_ACCOUNT_ID).functionArn(h)),
        tasks: [...blueprint.workflow.tasks],
      }
    : undefined;
  const events = blueprint.events ? (({ file: _file, ...rest }) => rest)(blueprint.events) : undefined;
  const functions = bundles.map((b) => ({
    name: b.name,
    functionName: names.functionName(b.name),
    sha256: b.sha256,
    file: `${b.name}.cjs`,
  }));
  return {
    app: config.app,
    stage: blueprint.stage,
    mode: blueprint.mode,
    region: blueprint.region,
    deployedAt: now.toISOString(),
    fingerprint: fingerprint({ functions, api, functionsConfig, workflow, events, mode: blueprint.mode }),
    functions,
    sources: recordSources(blueprint, bundles),
    api,
    functionsConfig,
    ...(workflow ? { workflow } : {}),
    ...(events ? { events } : {}),
  };
}

function diffDeployment(
  blueprint: Blueprint,
  previous: LocalRuntimeSpec | undefined,
  next: LocalRuntimeSpec,
  bundleIntact: (fn: { file: string; sha256: string }) => boolean,
): DeployChange[] {
  const { names } = blueprint;
  const changes: DeployChange[] = [];
  const before = new Map((previous?.functions ?? []).map((f) => [f.name, f]));
  const sameMode = previous?.mode === next.mode;
  for (const fn of next.functions) {
    const old = before.get(fn.name);
    const oldEnv = JSON.stringify(previous?.functionsConfig.environment[fn.name]);
    const why = [
      ...(old && old.sha256 !== fn.sha256 ? ['code changed'] : []),
      ...(old && oldEnv !== JSON.stringify(next.functionsConfig.environment[fn.name]) ? ['environment changed'] : []),
      ...(old && old.sha256 === fn.sha256 && !bundleIntact(old) ? [`bundle build/${old.file} missing or damaged`] : []),
      ...(old &&
      (previous!.functionsConfig.timeoutSeconds !== next.functionsConfig.timeoutSeconds ||
        previous!.functionsConfig.memoryMb !== next.functionsConfig.memoryMb ||
        previous!.functionsConfig.concurrency !== next.functionsConfig.concurrency)
        ? ['configuration changed']
        : []),
    ];
    changes.push({
      resource: fn.functionName,
      kind: 'function',
      action: !old ? 'created' : why.length ? 'updated' : 'unchanged',
      ...(why.length ? { why } : {}),
    });
  }
  for (const old of before.values()) {
    if (!next.functions.some((f) => f.name === old.name))
      changes.push({ resource: old.functionName, kind: 'function', action: 'deleted' });
  }
  if (next.workflow) {
    const had = sameMode ? previous?.workflow : undefined;
    const changed = had && JSON.stringify(had.definition) !== JSON.stringify(next.workflow.definition);
    changes.push({
      resource: names.stateMachineName(),
      kind: 'state-machine',
      action: !had ? 'created' : changed ? 'updated' : 'unchanged',
      ...(changed ? { why: ['definition changed'] } : {}),
    });
  } else if (previous?.workflow) {
    changes.push({ resource: names.stateMachineName(), kind: 'state-machine', action: 'deleted' });
  }
  if (next.events) {
    const had = sameMode ? previous?.events : undefined;
    if (!had) changes.push({ resource: names.busName(), kind: 'event-bus', action: 'created' });
    else changes.push({ resource: names.busName(), kind: 'event-bus', action: 'unchanged' });
    const oldRules = new Map((had?.rules ?? []).map((r) => [r.name, JSON.stringify(r)]));
    for (const rule of next.events.rules) {
      const old = oldRules.get(rule.name);
      changes.push({
        resource: names.resource(rule.name),
        kind: 'rule',
        action: old === undefined ? 'created' : old !== JSON.stringify(rule) ? 'updated' : 'unchanged',
      });
      oldRules.delete(rule.name);
    }
    for (const name of oldRules.keys())
      changes.push({ resource: names.resource(name), kind: 'rule', action: 'deleted' });
  } else if (previous?.events) {
    changes.push({ resource: names.busName(), kind: 'event-bus', action: 'deleted' });
  }
  const apiChanged = previous && JSON.stringify(previous.api) !== JSON.stringify(next.api);
  changes.push({
    resource: names.apiName(),
    kind: 'api',
    action: !previous ? 'created' : apiChanged ? 'updated' : 'unchanged',
    ...(apiChanged ? { why: ['integration or model changed'] } : {}),
  });
  return changes;
}

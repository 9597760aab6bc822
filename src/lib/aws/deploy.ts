import { apiModel } from '../api/model.js';
import type { Blueprint } from '../blueprint/blueprint.js';
import { bundleHandlers, type HandlerBundle } from '../blueprint/bundle.js';
import { checkFlowForDeploy } from '../blueprint/flow-check.js';
import { functionEnvironment } from '../blueprint/functions.js';
import { resolveWorkflow } from '../blueprint/workflow.js';
import type { DeployChange, DeployResult, DeployStep } from '../deploy/result.js';
import { ensureApi, openApiDocument } from './apigw.js';
import type { AwsClients, AwsOptions } from './clients.js';
import { all, connectAws, deployFailure, mapLimit, type AwsContext, type WaiterTiming } from './context.js';
import { deleteBus, ensureArchive, ensureBus, ensureRules, ownedBus, type RuleSpec } from './events.js';
import { deleteRole, ensureRole } from './iam.js';
import { ensureFunction, removeEventsWiring, removeStaleFunctions } from './lambda.js';
import { deleteLogGroup, deleteLogsResourcePolicy, ensureLogGroup, ensureLogsResourcePolicy } from './logs.js';
import { taggedResources } from './ownership.js';
import { deadLetterQueuePolicy, eventLogsResourcePolicy, roleSpecs } from './policies.js';
import { lastCheckWarning } from '../iam/last-check.js';
import { deleteStateMachine, ensureStateMachine } from './sfn.js';
import { deleteQueue, ensureQueue } from './sqs.js';

export interface AwsDeployOptions extends Partial<AwsOptions> {
  /** Plan only: read and compare everything, write nothing; `changes` say what would happen. */
  dryRun?: boolean;
  allowCycles?: boolean;
  allowFlowErrors?: boolean;
  /** Injected clients (tests, bench); otherwise created from region/profile/endpoint. */
  clients?: AwsClients;
  /** Back-off sleep for eventually consistent errors (tests inject a no-op). */
  sleep?: (ms: number) => Promise<void>;
  /** SDK waiter timing in seconds (tests shrink it). */
  waiter?: WaiterTiming;
  /** How long to keep retrying "role not assumable yet", in ms. */
  patienceMs?: number;
  /** Independent resources (functions, log groups, rules) created or updated at the same time. */
  concurrency?: number;
  /** The bundler (tests and the bench reuse bundles across runs); esbuild by default. */
  bundle?: typeof bundleHandlers;
}

export const DEFAULT_CONCURRENCY = 4;
const DEPLOY_COMMAND = 'fulfill deploy --target aws';

/** The state one deploy's steps share: filled in as the steps run. */
interface DeployRun {
  readonly blueprint: Blueprint;
  readonly options: AwsDeployOptions;
  readonly concurrency: number;
  readonly warnings: string[];
  bundles: HandlerBundle[];
  ctx?: AwsContext;
  endpoint: string;
}

/**
 * Deploys a blueprint to AWS with SDK calls in dependency order:
 *   roles, log groups (and in events mode the dead-letter queue, the bus, the logs resource policy), in parallel
 *   -> functions (parallel, up to `concurrency`) -> the state machine, or the rules with their targets
 *   -> the API and its stage -> removal of what the config or the other mode no longer needs.
 * Every resource is one `ensure` (read, compare, write only what differs), so a re-run changes nothing and a
 * run after a failure finishes the job; under --dry-run the same functions record what they would do.
 */
export function awsDeploySteps(
  blueprint: Blueprint,
  options: AwsDeployOptions = {},
): { steps: DeployStep[]; result: () => DeployResult; context: () => AwsContext | undefined } {
  const run: DeployRun = {
    blueprint,
    options,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    warnings: [],
    bundles: [],
    endpoint: '',
  };
  const { mode, handlers } = blueprint;
  const steps: DeployStep[] = [
    {
      title: `Validate the ${mode === 'orchestration' ? 'state machine' : 'event flow'} and bundle ${handlers.length} handlers`,
      run: () => validateAndBundle(run),
    },
    { title: 'Connect to AWS', run: () => connect(run) },
    awsStep(
      run,
      mode === 'events' ? 'IAM roles, log groups, dead-letter queue and event bus' : 'IAM roles and log groups',
      ensureFoundations,
    ),
    awsStep(run, `Lambda functions (${handlers.length}, ${run.concurrency} at a time)`, ensureFunctions),
    mode === 'orchestration'
      ? awsStep(run, 'Step Functions state machine', ensureWorkflow)
      : awsStep(run, `EventBridge rules and targets (${blueprint.events!.rules.length} + catch-all)`, ensureEventRules),
    awsStep(run, 'API Gateway REST API and stage', ensureOrdersApi),
    awsStep(run, `Remove what ${mode} mode and the project no longer need`, (run, ctx) =>
      removeLeftovers(ctx, run.blueprint, run.concurrency),
    ),
  ];
  return { steps, context: () => run.ctx, result: () => deployResult(run) };
}

/** A step that talks to AWS: says what it changed, and turns a failure into one line with what was done so far. */
function awsStep(
  run: DeployRun,
  title: string,
  body: (run: DeployRun, ctx: AwsContext) => Promise<string | void>,
): DeployStep {
  return {
    title,
    run: async () => {
      const ctx = run.ctx!;
      const before = ctx.changes.length;
      try {
        const note = await body(run, ctx);
        return note ?? summarize(ctx.changes.slice(before), ctx.dryRun);
      } catch (error) {
        throw deployFailure(error, ctx, DEPLOY_COMMAND);
      }
    },
  };
}

/** Before any AWS call: the event flow is checked (flow errors refused unless allowed) and the handlers bundled. */
async function validateAndBundle(run: DeployRun): Promise<string> {
  const { blueprint, options } = run;
  // An event flow with a cycle or another flow error is refused unless allowed.
  if (blueprint.events) run.warnings.push(...checkFlowForDeploy(blueprint, options));
  run.bundles = await (options.bundle ?? bundleHandlers)(blueprint.projectDir, blueprint.handlers, blueprint.mode);
  // `fulfill iam check` missing, stale or failed: a warning, never a failed deploy.
  const iamCheck = lastCheckWarning(blueprint, run.bundles);
  if (iamCheck) run.warnings.push(iamCheck);
  return `${(run.bundles.reduce((n, b) => n + b.code.length, 0) / 1024).toFixed(1)} KiB`;
}

async function connect(run: DeployRun): Promise<string> {
  const { blueprint, options } = run;
  run.ctx = await connectAws(blueprint.names, { ...options, dryRun: options.dryRun ?? false }, DEPLOY_COMMAND);
  return `account ${run.ctx.account}, ${blueprint.region}`;
}

/** What the functions need to exist first: roles and log groups, and in events mode the queue, the bus and the logs policy. */
async function ensureFoundations({ blueprint, concurrency }: DeployRun, ctx: AwsContext): Promise<void> {
  const { names } = ctx;
  const events = blueprint.mode === 'events';
  const logGroups = [
    ...blueprint.handlers.map((h) => names.functionLogGroup(h.name)),
    events ? names.eventLogGroup() : names.stateMachineLogGroup(),
  ];
  await all([
    () => mapLimit(roleSpecs(blueprint, names), concurrency, (spec) => ensureRole(ctx, spec)),
    () => mapLimit(logGroups, concurrency, (group) => ensureLogGroup(ctx, group)),
    ...(events
      ? [
          () => ensureQueue(ctx, names.deadLetterQueue(), deadLetterQueuePolicy(names)),
          async () => {
            await ensureBus(ctx, names.busName());
            await ensureArchive(ctx, names.busArn());
          },
          () => ensureLogsResourcePolicy(ctx, names.eventLogsPolicy(), eventLogsResourcePolicy(names)),
        ]
      : []),
  ]);
}

async function ensureFunctions({ blueprint, bundles, concurrency }: DeployRun, ctx: AwsContext): Promise<void> {
  const { names } = ctx;
  const flow = blueprint.events;
  await mapLimit(bundles, concurrency, (bundle) =>
    ensureFunction(ctx, {
      name: names.functionName(bundle.name),
      code: bundle.code,
      roleArn: names.roleArn('functions'),
      environment: functionEnvironment(blueprint, bundle.name),
      timeoutSeconds: blueprint.config.functions.timeoutSeconds,
      memoryMb: blueprint.config.functions.memoryMb,
      ...(flow
        ? {
            events: {
              // EventBridge invokes asynchronously: Lambda's own retries of function errors, then the dead-letter queue.
              asyncInvoke: {
                maximumRetryAttempts: flow.delivery.maximumRetryAttempts,
                maximumEventAgeSeconds: flow.delivery.maximumEventAgeSeconds,
                onFailure: names.deadLetterQueueArn(),
              },
              ruleArns: flow.rules.filter((r) => r.target === bundle.name).map((r) => names.ruleArn(r.name)),
            },
          }
        : {}),
    }),
  );
}

async function ensureWorkflow({ blueprint }: DeployRun, ctx: AwsContext): Promise<void> {
  const { names } = ctx;
  await ensureStateMachine(ctx, {
    name: names.stateMachineName(),
    definition: resolveWorkflow(blueprint.workflow!, (h) => names.functionArn(h)),
    roleArn: names.roleArn('states'),
    logGroupArn: names.logGroupStreamsArn(names.stateMachineLogGroup()),
  });
}

async function ensureEventRules({ blueprint, concurrency }: DeployRun, ctx: AwsContext): Promise<void> {
  const { names } = ctx;
  const flow = blueprint.events!;
  const delivery = {
    RetryPolicy: {
      MaximumRetryAttempts: flow.delivery.maximumRetryAttempts,
      MaximumEventAgeInSeconds: flow.delivery.maximumEventAgeSeconds,
    },
    DeadLetterConfig: { Arn: names.deadLetterQueueArn() },
  };
  const rules: RuleSpec[] = flow.rules.map((rule) => ({
    name: names.resource(rule.name),
    ...(rule.description ? { description: rule.description } : {}),
    pattern: rule.pattern,
    targets: [
      {
        Id: rule.target,
        Arn: names.functionArn(rule.target),
        ...(rule.inputTransformer ? { InputTransformer: rule.inputTransformer } : {}),
        ...delivery,
      },
    ],
  }));
  // Every event on the bus also goes to the event log group, which `fulfill logs` and `trace` read.
  rules.push({
    name: names.resource(names.catchAllRule),
    description: 'fulfill: every event on the bus to CloudWatch Logs',
    pattern: { source: [{ prefix: '' }] },
    targets: [{ Id: 'event-log', Arn: names.logGroupArn(names.eventLogGroup()), ...delivery }],
  });
  await ensureRules(ctx, names.busName(), rules, concurrency);
}

async function ensureOrdersApi(run: DeployRun, ctx: AwsContext): Promise<string> {
  const { names } = ctx;
  const model = apiModel(run.blueprint, ctx.account);
  const document = openApiDocument(names.apiName(), model, ctx.region, names.roleArn('api'));
  const api = await ensureApi(ctx, {
    name: names.apiName(),
    stage: run.blueprint.stage,
    document,
    throttle: model.throttle,
  });
  run.endpoint = api.endpoint;
  return `${api.change.action === 'unchanged' ? '' : `${ctx.dryRun ? 'would be ' : ''}${api.change.action}: `}${run.endpoint}`;
}

function deployResult({ blueprint, ctx, endpoint, warnings, options }: DeployRun): DeployResult {
  return {
    target: 'aws',
    app: blueprint.config.app,
    stage: blueprint.stage,
    mode: blueprint.mode,
    region: blueprint.region,
    ...(ctx ? { account: ctx.account } : {}),
    deployedAt: new Date().toISOString(),
    changes: ctx?.changes ?? [],
    endpoint,
    warnings: [...warnings, ...(ctx?.skipped ?? []).map((s) => `left ${s.resource} alone: ${s.reason}`)],
    ...(options.dryRun ? { dryRun: true } : {}),
  };
}

/**
 * After the new wiring is live: what belongs to handlers that are gone, and the other mode's resources, as
 * independent chains run together. Leaving events mode removes, per function, the EventBridge permissions
 * and the asynchronous invocation settings, then the rules and the bus: the bus goes last of those, so that
 * a run interrupted there finds it and finishes. Leaving orchestration mode removes the state machine, then
 * its role. Every delete checks the resource's tags first (ownership.ts): a look-alike stays, with a warning.
 */
export async function removeLeftovers(
  ctx: AwsContext,
  blueprint: Blueprint,
  concurrency = DEFAULT_CONCURRENCY,
): Promise<void> {
  const { names } = ctx;
  const staleFunctions = () =>
    removeStaleFunctions(ctx, new Set(blueprint.handlers.map((h) => names.functionName(h.name))), taggedResources(ctx));
  if (blueprint.mode === 'orchestration') {
    await all([
      staleFunctions,
      async () => {
        if (!(await ownedBus(ctx, names.busName()))) return;
        await mapLimit(blueprint.handlers, concurrency, (h) => removeEventsWiring(ctx, names.functionName(h.name)));
        await deleteBus(ctx, names.busName());
      },
      () => deleteQueue(ctx, names.deadLetterQueue()),
      () => deleteLogsResourcePolicy(ctx, names.eventLogsPolicy()),
      () => deleteLogGroup(ctx, names.eventLogGroup()),
    ]);
  } else {
    await all([
      staleFunctions,
      async () => {
        await deleteStateMachine(ctx, names.stateMachineName());
        await deleteRole(ctx, names.roleName('states'));
      },
      () => deleteLogGroup(ctx, names.stateMachineLogGroup()),
    ]);
  }
}

function summarize(changes: readonly DeployChange[], dryRun: boolean): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const verbs = dryRun
    ? { created: 'to create', updated: 'to update', deleted: 'to delete', unchanged: 'unchanged' }
    : { created: 'created', updated: 'updated', deleted: 'deleted', unchanged: 'unchanged' };
  const parts = (['created', 'updated', 'deleted', 'unchanged'] as const)
    .filter((a) => counts.get(a))
    .map((a) => `${counts.get(a)} ${verbs[a]}`);
  return parts.join(', ') || 'nothing to do';
}

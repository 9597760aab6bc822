import { DescribeEventBusCommand } from '@aws-sdk/client-eventbridge';
import { apiModel } from '../api/model.js';
import type { Blueprint } from '../blueprint/blueprint.js';
import { bundleHandlers, type HandlerBundle } from '../blueprint/bundle.js';
import { checkFlowForDeploy } from '../blueprint/flow-check.js';
import { functionEnvironment } from '../blueprint/functions.js';
import { resolveWorkflow } from '../blueprint/workflow.js';
import type { DeployChange, DeployResult, DeployStep } from '../deploy/result.js';
import { ensureApi, openApiDocument } from './apigw.js';
import { callerAccount, createClients, type AwsClients, type AwsOptions } from './clients.js';
import { all, deployFailure, findOrUndefined, guardClients, mapLimit, ownerTags, type AwsContext, type WaiterTiming } from './context.js';
import { deleteBus, ensureBus, ensureRules, type RuleSpec } from './events.js';
import { deleteRole, ensureRole, roleArn } from './iam.js';
import { ensureFunction, functionArn, removeEventsWiring, removeStaleFunctions } from './lambda.js';
import { deleteLogGroup, deleteLogsResourcePolicy, ensureLogGroup, ensureLogsResourcePolicy, logGroupArn } from './logs.js';
import { awsResourceNames, deadLetterQueuePolicy, eventLogsResourcePolicy, roleSpecs } from './policies.js';
import { deleteStateMachine, ensureStateMachine } from './sfn.js';
import { deleteQueue, ensureQueue, queueArn } from './sqs.js';

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

/**
 * Deploys a blueprint to AWS with SDK calls in dependency order:
 *   roles, log groups (and in events mode the dead-letter queue, the bus, the logs resource policy), in parallel
 *   -> functions (parallel, up to `concurrency`) -> the state machine, or the rules with their targets
 *   -> the API and its stage -> removal of what the config or the other mode no longer needs.
 * Every resource is one `ensure` (read, compare, write only what differs), so a re-run changes nothing and a
 * run after a failure finishes the job; under --dry-run the same functions record what they would do.
 */
export function awsDeploySteps(blueprint: Blueprint, options: AwsDeployOptions = {}): { steps: DeployStep[]; result: () => DeployResult; context: () => AwsContext | undefined } {
  const { names, mode } = blueprint;
  const res = awsResourceNames(blueprint);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const warnings: string[] = [];
  let bundles: HandlerBundle[] = [];
  let ctx: AwsContext | undefined;
  let endpoint = '';

  const step = (title: string, run: (ctx: AwsContext) => Promise<string | void>): DeployStep => ({
    title,
    run: async () => {
      const before = ctx?.changes.length ?? 0;
      try {
        const note = await run(ctx!);
        return note ?? summarize(ctx?.changes.slice(before) ?? [], options.dryRun ?? false);
      } catch (error) {
        throw deployFailure(error, ctx, DEPLOY_COMMAND);
      }
    },
  });

  const steps: DeployStep[] = [
    {
      title: `Validate the ${mode === 'orchestration' ? 'state machine' : 'event flow'} and bundle ${blueprint.handlers.length} handlers`,
      run: async () => {
        // Before any AWS call: an event flow with a cycle or another flow error is refused unless allowed.
        if (blueprint.events) warnings.push(...checkFlowForDeploy(blueprint, options));
        bundles = await (options.bundle ?? bundleHandlers)(blueprint.projectDir, blueprint.handlers, mode);
        return `${(bundles.reduce((n, b) => n + b.code.length, 0) / 1024).toFixed(1)} KiB`;
      },
    },
    {
      title: 'Connect to AWS',
      run: async () => {
        try {
          const clients = options.clients ?? (await createClients({ region: options.region ?? blueprint.region, profile: options.profile, endpointUrl: options.endpointUrl }));
          const account = await callerAccount(clients);
          ctx = {
            clients: guardClients(clients, options.dryRun ?? false),
            account,
            region: blueprint.region,
            names,
            tags: ownerTags(names),
            dryRun: options.dryRun ?? false,
            changes: [],
            sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
            ...(options.waiter ? { waiter: options.waiter } : {}),
            ...(options.patienceMs !== undefined ? { patienceMs: options.patienceMs } : {}),
          };
          return `account ${account}, ${blueprint.region}`;
        } catch (error) {
          throw deployFailure(error, undefined, DEPLOY_COMMAND);
        }
      },
    },
    step(mode === 'events' ? 'IAM roles, log groups, dead-letter queue and event bus' : 'IAM roles and log groups', async (ctx) => {
      const logGroups = [...blueprint.handlers.map((h) => res.functionLogGroup(h.name)), mode === 'events' ? res.eventLogGroup : res.stateMachineLogGroup];
      await all([
        () => mapLimit(roleSpecs(blueprint, ctx.account), concurrency, (spec) => ensureRole(ctx, spec)),
        () => mapLimit(logGroups, concurrency, (group) => ensureLogGroup(ctx, group)),
        ...(mode === 'events'
          ? [
              () => ensureQueue(ctx, res.deadLetterQueue, deadLetterQueuePolicy(blueprint, ctx.account, queueArn(ctx, res.deadLetterQueue))),
              () => ensureBus(ctx, names.busName()),
              () => ensureLogsResourcePolicy(ctx, res.eventLogsPolicy, eventLogsResourcePolicy(blueprint, ctx.account)),
            ]
          : []),
      ]);
    }),
    step(`Lambda functions (${blueprint.handlers.length}, ${concurrency} at a time)`, async (ctx) => {
      const flow = blueprint.events;
      await mapLimit(bundles, concurrency, (bundle) =>
        ensureFunction(ctx, {
          name: names.functionName(bundle.name),
          code: bundle.code,
          roleArn: roleArn(ctx, names.roleName('functions')),
          environment: functionEnvironment(blueprint, bundle.name),
          timeoutSeconds: blueprint.config.functions.timeoutSeconds,
          memoryMb: blueprint.config.functions.memoryMb,
          ...(flow
            ? {
                events: {
                  // EventBridge invokes asynchronously: Lambda's own retries of function errors, then the dead-letter queue.
                  asyncInvoke: { maximumRetryAttempts: flow.delivery.maximumRetryAttempts, maximumEventAgeSeconds: flow.delivery.maximumEventAgeSeconds, onFailure: queueArn(ctx, res.deadLetterQueue) },
                  ruleArns: flow.rules.filter((r) => r.target === bundle.name).map((r) => names.ruleArn(r.name, ctx.account)),
                },
              }
            : {}),
        }),
      );
    }),
    mode === 'orchestration'
      ? step('Step Functions state machine', async (ctx) => {
          await ensureStateMachine(ctx, {
            name: names.stateMachineName(),
            definition: resolveWorkflow(blueprint.workflow!, (h) => names.functionArn(h, ctx.account)),
            roleArn: roleArn(ctx, names.roleName('states')),
            logGroupArn: logGroupArn(ctx, res.stateMachineLogGroup),
          });
        })
      : step(`EventBridge rules and targets (${blueprint.events!.rules.length} + catch-all)`, async (ctx) => {
          const flow = blueprint.events!;
          const delivery = {
            RetryPolicy: { MaximumRetryAttempts: flow.delivery.maximumRetryAttempts, MaximumEventAgeInSeconds: flow.delivery.maximumEventAgeSeconds },
            DeadLetterConfig: { Arn: queueArn(ctx, res.deadLetterQueue) },
          };
          const rules: RuleSpec[] = flow.rules.map((rule) => ({
            name: names.resource(rule.name),
            ...(rule.description ? { description: rule.description } : {}),
            pattern: rule.pattern,
            targets: [{ Id: rule.target, Arn: functionArn(ctx, names.functionName(rule.target)), ...(rule.inputTransformer ? { InputTransformer: rule.inputTransformer } : {}), ...delivery }],
          }));
          // Every event on the bus also goes to the event log group, which `fulfill logs` and `trace` read.
          rules.push({
            name: res.catchAllRule,
            description: 'fulfill: every event on the bus to CloudWatch Logs',
            pattern: { source: [{ prefix: '' }] },
            targets: [{ Id: 'event-log', Arn: logGroupArn(ctx, res.eventLogGroup).replace(/:\*$/, ''), ...delivery }],
          });
          await ensureRules(ctx, names.busName(), rules, concurrency);
        }),
    step('API Gateway REST API and stage', async (ctx) => {
      const model = apiModel(blueprint, ctx.account);
      const api = await ensureApi(ctx, { name: names.apiName(), stage: blueprint.stage, document: openApiDocument(names.apiName(), model, blueprint.region, roleArn(ctx, names.roleName('api'))), throttle: model.throttle });
      endpoint = api.endpoint;
      return `${api.change.action === 'unchanged' ? '' : `${options.dryRun ? 'would be ' : ''}${api.change.action}: `}${endpoint}`;
    }),
    step(`Remove what ${mode} mode and the project no longer need`, async (ctx) => {
      await removeLeftovers(ctx, blueprint, concurrency);
    }),
  ];

  return {
    steps,
    context: () => ctx,
    result: () => ({
      target: 'aws',
      app: blueprint.config.app,
      stage: blueprint.stage,
      mode,
      region: blueprint.region,
      ...(ctx ? { account: ctx.account } : {}),
      deployedAt: new Date().toISOString(),
      changes: ctx?.changes ?? [],
      endpoint,
      warnings,
      ...(options.dryRun ? { dryRun: true } : {}),
    }),
  };
}

/**
 * After the new wiring is live: functions whose handler is gone, and the other mode's resources, as
 * independent chains run together. Leaving events mode removes, per function, the EventBridge permissions
 * and the asynchronous invocation settings, then the rules and the bus: the bus goes last of those, so that
 * a run interrupted there finds it and finishes. Leaving orchestration mode removes the state machine, then
 * its role.
 */
export async function removeLeftovers(ctx: AwsContext, blueprint: Blueprint, concurrency = DEFAULT_CONCURRENCY): Promise<void> {
  const { names } = blueprint;
  const res = awsResourceNames(blueprint);
  const staleFunctions = () => removeStaleFunctions(ctx, names.resource(''), new Set(blueprint.handlers.map((h) => names.functionName(h.name))));
  if (blueprint.mode === 'orchestration') {
    await all([
      staleFunctions,
      async () => {
        if (!(await findOrUndefined(() => ctx.clients.events.send(new DescribeEventBusCommand({ Name: names.busName() }))))) return;
        await mapLimit(blueprint.handlers, concurrency, (h) => removeEventsWiring(ctx, names.functionName(h.name)));
        await deleteBus(ctx, names.busName());
      },
      () => deleteQueue(ctx, res.deadLetterQueue),
      () => deleteLogsResourcePolicy(ctx, res.eventLogsPolicy),
      () => deleteLogGroup(ctx, res.eventLogGroup),
    ]);
  } else {
    await all([
      staleFunctions,
      async () => {
        await deleteStateMachine(ctx, names.stateMachineName());
        await deleteRole(ctx, names.roleName('states'));
      },
      () => deleteLogGroup(ctx, res.stateMachineLogGroup),
    ]);
  }
}

function summarize(changes: readonly DeployChange[], dryRun: boolean): string {
  const counts = new Map<string, number>();
  for (const c of changes) counts.set(c.action, (counts.get(c.action) ?? 0) + 1);
  const verbs = dryRun ? { created: 'to create', updated: 'to update', deleted: 'to delete', unchanged: 'unchanged' } : { created: 'created', updated: 'updated', deleted: 'deleted', unchanged: 'unchanged' };
  const parts = (['created', 'updated', 'deleted', 'unchanged'] as const).filter((a) => counts.get(a)).map((a) => `${counts.get(a)} ${verbs[a]}`);
  return parts.join(', ') || 'nothing to do';
}

import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { apiModel } from '../api/model.js';
import type { Blueprint } from '../blueprint/blueprint.js';
import { bundleHandlers, type HandlerBundle } from '../blueprint/bundle.js';
import { checkFlowForCycles } from '../blueprint/flow-graph.js';
import { functionEnvironment } from '../blueprint/functions.js';
import { resolveWorkflow } from '../blueprint/workflow.js';
import { UserError } from '../errors.js';
import type { DeployResult, DeployStep } from '../deploy/result.js';
import { deleteApi, ensureApi, openApiDocument } from './apigw.js';
import { createClients, type AwsClients, type AwsOptions } from './clients.js';
import { deployFailure, ownerTags, type AwsContext } from './context.js';
import { deleteBus, ensureBus, ensureRule, removeStaleRules } from './events.js';
import { deleteRole, ensureRole } from './iam.js';
import { ensureAsyncInvokeConfig, ensureFunction, ensureInvokePermissions, removeStaleFunctions } from './lambda.js';
import { ensureLogGroup, ensureLogsResourcePolicy } from './logs.js';
import { awsResourceNames, deadLetterQueuePolicy, eventLogsResourcePolicy, roleSpecs } from './policies.js';
import { deleteStateMachine, ensureStateMachine } from './sfn.js';
import { deleteQueue, ensureQueue } from './sqs.js';

export interface AwsDeployOptions extends Partial<AwsOptions> {
  dryRun?: boolean;
  allowCycles?: boolean;
  /** Injected clients (tests); otherwise created from region/profile/endpoint. */
  clients?: AwsClients;
  sleep?: (ms: number) => Promise<void>;
  /** Functions deployed in parallel. */
  concurrency?: number;
}

/**
 * Deploys a blueprint to AWS with SDK calls in dependency order: roles -> queue/bus/log groups -> functions ->
 * state machine or rules -> API, then removes what the other mode needed. Every resource is one `ensure`
 * (read, compare, write only if different), so a re-run changes nothing and a run after a failure finishes
 * the job. Under dry run the same functions report what they would do.
 */
export function awsDeploySteps(blueprint: Blueprint, options: AwsDeployOptions = {}): { steps: DeployStep[]; result: () => DeployResult; context: () => AwsContext | undefined } {
  let ctx: AwsContext | undefined;
  let bundles: HandlerBundle[] = [];
  const roles = new Map<string, string>();
  let dlqArn = '';
  let stateMachineLogGroupArn = '';
  let endpoint = '';
  const warnings: string[] = [];
  const { names } = blueprint;
  const res = awsResourceNames(blueprint);
  const step = (title: string, run: () => Promise<string | void>): DeployStep => ({
    title,
    run: async () => {
      try {
        return await run();
      } catch (error) {
        if (error instanceof UserError) throw error;
        throw deployFailure(error, ctx);
      }
    },
  });

  const steps: DeployStep[] = [
    step(`Validate the ${blueprint.mode === 'orchestration' ? 'state machine' : 'event flow'} and bundle ${blueprint.handlers.length} handlers`, async () => {
      if (blueprint.events) warnings.push(...checkFlowForCycles(blueprint, { allowCycles: options.allowCycles ?? false }).map((c) => `event flow cycle allowed by --allow-cycles: ${c}`));
      bundles = await bundleHandlers(blueprint.projectDir, blueprint.handlers, blueprint.mode);
    }),
    step('Connect to AWS', async () => {
      const clients = options.clients ?? (await createClients({ region: options.region ?? blueprint.region, profile: options.profile, endpointUrl: options.endpointUrl }));
      const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
      if (!identity.Account) throw new UserError('could not determine the AWS account (STS GetCallerIdentity returned none)');
      ctx = { clients, account: identity.Account, region: blueprint.region, names, tags: ownerTags(names), dryRun: options.dryRun ?? false, changes: [], sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))) };
      return `account ${identity.Account}, ${blueprint.region}`;
    }),
    step('IAM roles', async () => {
      const specs = roleSpecs(blueprint, ctx!.account);
      await Promise.all(specs.map(async (spec) => roles.set(spec.kind, await ensureRole(ctx!, spec))));
    }),
    step(blueprint.mode === 'events' ? 'Event bus, dead-letter queue and event log group' : 'State machine log group', async () => {
      if (blueprint.mode === 'events') {
        dlqArn = await ensureQueue(ctx!, res.deadLetterQueue, (arn) => deadLetterQueuePolicy(blueprint, ctx!.account, arn));
        await ensureBus(ctx!, names.busName());
        await ensureLogGroup(ctx!, res.eventLogGroup);
        await ensureLogsResourcePolicy(ctx!, names.resource('events-to-logs'), eventLogsResourcePolicy(blueprint, ctx!.account));
      } else {
        stateMachineLogGroupArn = await ensureLogGroup(ctx!, res.stateMachineLogGroup);
      }
    }),
    step(`Lambda functions (${blueprint.handlers.length})`, async () => {
      await mapLimit(bundles, options.concurrency ?? 4, async (bundle) => {
        await ensureFunction(ctx!, {
          name: names.functionName(bundle.name),
          code: bundle.code,
          roleArn: roles.get('functions')!,
          environment: functionEnvironment(blueprint, bundle.name),
          timeoutSeconds: blueprint.config.functions.timeoutSeconds,
          memoryMb: blueprint.config.functions.memoryMb,
        });
        if (blueprint.events) {
          await ensureAsyncInvokeConfig(ctx!, names.functionName(bundle.name), blueprint.events.delivery.maximumRetryAttempts, blueprint.events.delivery.maximumEventAgeSeconds, dlqArn);
        }
      });
    }),
    step(blueprint.mode === 'events' ? `Rules and targets (${blueprint.events?.rules.length ?? 0} + catch-all)` : 'Step Functions state machine', async () => {
      if (blueprint.mode === 'orchestration') {
        await ensureStateMachine(ctx!, {
          name: names.stateMachineName(),
          definition: resolveWorkflow(blueprint.workflow!, (h) => names.functionArn(h, ctx!.account)),
          roleArn: roles.get('states')!,
          logGroupArn: stateMachineLogGroupArn,
        });
        return;
      }
      const flow = blueprint.events!;
      const bus = names.busName();
      const keep = new Set<string>();
      const rulesByTarget = new Map<string, string[]>();
      for (const rule of flow.rules) {
        const name = names.resource(rule.name);
        keep.add(name);
        const arn = await ensureRule(ctx!, bus, {
          name,
          ...(rule.description ? { description: rule.description } : {}),
          pattern: rule.pattern,
          targets: [
            {
              Id: rule.target,
              Arn: names.functionArn(rule.target, ctx!.account),
              ...(rule.inputTransformer ? { InputTransformer: rule.inputTransformer } : {}),
              RetryPolicy: { MaximumRetryAttempts: flow.delivery.maximumRetryAttempts, MaximumEventAgeInSeconds: flow.delivery.maximumEventAgeSeconds },
              DeadLetterConfig: { Arn: dlqArn },
            },
          ],
        });
        rulesByTarget.set(rule.target, [...(rulesByTarget.get(rule.target) ?? []), arn]);
      }
      // Every event on the bus also goes to the event log group, which `fulfill logs` and `trace` read.
      keep.add(res.catchAllRule);
      await ensureRule(ctx!, bus, {
        name: res.catchAllRule,
        description: 'fulfill: every event on the bus to CloudWatch Logs',
        pattern: { source: [{ prefix: '' }] },
        targets: [{ Id: 'event-log', Arn: `arn:aws:logs:${blueprint.region}:${ctx!.account}:log-group:${res.eventLogGroup}` }],
      });
      await removeStaleRules(ctx!, bus, names.resource(''), keep);
      for (const handler of blueprint.handlers) await ensureInvokePermissions(ctx!, names.functionName(handler.name), rulesByTarget.get(handler.name) ?? []);
    }),
    step('API Gateway REST API', async () => {
      const model = apiModel(blueprint, ctx!.account);
      endpoint = await ensureApi(ctx!, { name: names.apiName(), stage: blueprint.stage, document: openApiDocument(names.apiName(), model, blueprint.region, roles.get('api')!), throttle: model.throttle });
      return endpoint;
    }),
    step('Remove what is no longer needed', async () => {
      // Functions whose handler file is gone (after the rules and the state machine stopped using them).
      await removeStaleFunctions(ctx!, names.resource(''), new Set(blueprint.handlers.map((h) => names.functionName(h.name))));
      if (blueprint.mode === 'events') {
        await deleteStateMachine(ctx!, names.stateMachineName());
        await deleteRole(ctx!, names.roleName('states'));
      } else {
        await deleteBus(ctx!, names.busName(), names.resource(''));
        await deleteQueue(ctx!, res.deadLetterQueue);
        for (const handler of blueprint.handlers) await ensureInvokePermissions(ctx!, names.functionName(handler.name), []);
      }
    }),
  ];

  return {
    steps,
    context: () => ctx,
    result: () => ({
      target: 'aws',
      app: blueprint.config.app,
      stage: blueprint.stage,
      mode: blueprint.mode,
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

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}



import { ListTagsForResourceCommand as ListEventTags } from '@aws-sdk/client-eventbridge';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { ListTagsForResourceCommand as ListStateMachineTags } from '@aws-sdk/client-sfn';
import { GetQueueUrlCommand, ListQueueTagsCommand } from '@aws-sdk/client-sqs';
import type { Blueprint } from '../blueprint/blueprint.js';
import type { DeployChange } from '../deploy/result.js';
import { deleteApi } from './apigw.js';
import { deployFailure, isNotFound, type AwsContext } from './context.js';
import { deleteBus } from './events.js';
import { deleteRole } from './iam.js';
import { deleteFunction, listStageFunctions } from './lambda.js';
import { deleteLogGroup, deleteLogsResourcePolicy } from './logs.js';
import { awsResourceNames } from './policies.js';
import { deleteStateMachine, findStateMachine } from './sfn.js';
import { deleteQueue } from './sqs.js';

export interface DestroyResult {
  deleted: DeployChange[];
  /** Resources with a fulfill name but without this stage's tags: not ours, left alone. */
  skipped: Array<{ resource: string; reason: string }>;
}

/**
 * Deletes everything the stage owns, in reverse dependency order: the API, the rules and their targets with
 * the bus, the state machine, the functions (their permissions go with them), the dead-letter queue, the log
 * groups (unless keepLogs), the logs resource policy, and the roles with their inline policies. A resource
 * with one of fulfill's names is deleted only when it carries this app's and stage's tags. Idempotent: what
 * is already gone is skipped silently, so a second run deletes nothing.
 */
export async function destroyAws(ctx: AwsContext, blueprint: Blueprint, options: { keepLogs?: boolean } = {}): Promise<DestroyResult> {
  const { names } = blueprint;
  const res = awsResourceNames(blueprint);
  const skipped: DestroyResult['skipped'] = [];
  const owned = (tags: Record<string, string | undefined> | undefined, resource: string) => {
    const ours = tags?.['fulfill:app'] === names.app && tags?.['fulfill:stage'] === names.stage;
    if (!ours) skipped.push({ resource, reason: 'not tagged fulfill:app/fulfill:stage for this stage' });
    return ours;
  };
  try {
    await deleteApi(ctx, names.apiName()); // found by name and tags only

    const busArn = names.busArn(ctx.account);
    const busTags = await tagsOrMissing(() => ctx.clients.events.send(new ListEventTags({ ResourceARN: busArn })).then((r) => toRecord(r.Tags?.map((t) => ({ key: t.Key, value: t.Value })))));
    if (busTags && owned(busTags, names.busName())) await deleteBus(ctx, names.busName());

    const smArn = await findStateMachine(ctx, names.stateMachineName());
    if (smArn) {
      const tags = toRecord((await ctx.clients.sfn.send(new ListStateMachineTags({ resourceArn: smArn }))).tags);
      if (owned(tags, names.stateMachineName())) await deleteStateMachine(ctx, names.stateMachineName());
    }

    // The current handlers' functions, and any older ones of this stage still in the account.
    const functionNames = new Set([...blueprint.handlers.map((h) => names.functionName(h.name)), ...(await listStageFunctions(ctx, names.resource('')))]);
    const ownedFunctions: string[] = [];
    for (const name of functionNames) {
      const tags = await tagsOrMissing(() => ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name })).then((r) => r.Tags ?? {}));
      if (tags && owned(tags, name)) {
        await deleteFunction(ctx, name);
        ownedFunctions.push(name);
      }
    }

    const queueTags = await tagsOrMissing(async () => {
      const url = (await ctx.clients.sqs.send(new GetQueueUrlCommand({ QueueName: res.deadLetterQueue }))).QueueUrl!;
      return (await ctx.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
    });
    if (queueTags && owned(queueTags, res.deadLetterQueue)) await deleteQueue(ctx, res.deadLetterQueue);

    if (!options.keepLogs) {
      // The deployer creates the functions' log groups; they are ours when the function was.
      for (const name of ownedFunctions) await deleteLogGroup(ctx, `/aws/lambda/${name}`);
      await deleteLogGroup(ctx, res.stateMachineLogGroup);
      await deleteLogGroup(ctx, res.eventLogGroup);
    }
    await deleteLogsResourcePolicy(ctx, res.eventLogsPolicy);

    for (const kind of ['api', 'states', 'functions'] as const) {
      const name = names.roleName(kind);
      const tags = await tagsOrMissing(() => ctx.clients.iam.send(new GetRoleCommand({ RoleName: name })).then((r) => toRecord(r.Role?.Tags?.map((t) => ({ key: t.Key, value: t.Value })))));
      if (tags && owned(tags, name)) await deleteRole(ctx, name);
    }
  } catch (error) {
    throw deployFailure(error, ctx, 'fulfill destroy --target aws');
  }
  return { deleted: ctx.changes.filter((c) => c.action === 'deleted'), skipped };
}

async function tagsOrMissing(read: () => Promise<Record<string, string | undefined>>): Promise<Record<string, string | undefined> | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

function toRecord(tags: Array<{ key?: string; value?: string }> | undefined): Record<string, string | undefined> {
  return Object.fromEntries((tags ?? []).map((t) => [t.key ?? '', t.value]));
}

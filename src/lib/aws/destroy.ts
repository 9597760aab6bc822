import { lambdaLogGroup } from '../blueprint/naming.js';
import type { Blueprint } from '../blueprint/blueprint.js';
import type { DeployChange } from '../deploy/result.js';
import { deleteApi } from './apigw.js';
import { deployFailure, type AwsContext, type Skipped } from './context.js';
import { deleteBus } from './events.js';
import { deleteRole } from './iam.js';
import { deleteFunction, listStageFunctions } from './lambda.js';
import { deleteLogGroup, deleteLogsResourcePolicy, listLogGroups } from './logs.js';
import { namesOf, taggedResources } from './ownership.js';
import { deleteStateMachine } from './sfn.js';
import { deleteQueue } from './sqs.js';

export interface DestroyResult {
  deleted: DeployChange[];
  /** Resources with a fulfill name but without this stage's tags: not ours, left alone. */
  skipped: Skipped[];
}

const union = (...lists: ReadonlyArray<readonly string[]>): string[] => [...new Set(lists.flat())];

/**
 * Deletes everything the stage owns, in reverse dependency order: the API, the rules and their targets with
 * the bus, the state machine, the functions (their permissions go with them), the dead-letter queue, the log
 * groups (unless keepLogs), the logs resource policy, and the roles with their inline policies.
 *
 * What remains is discovered from AWS on every run, not from what this run deleted: everything carrying the
 * stage's tags (Resource Groups Tagging API), plus the stage's names of both modes and the name listings under
 * the stage prefix (functions, log groups), which also cover what the tagging index has not caught up with. So
 * a run that failed at any call is finished by the next one. Each candidate is deleted only when its own tags
 * say it is this stage's (ownership.ts); anything else is left alone and reported in `skipped`. Idempotent: a
 * second run deletes nothing.
 */
export async function destroyAws(
  ctx: AwsContext,
  blueprint: Pick<Blueprint, 'handlers'>,
  options: { keepLogs?: boolean } = {},
): Promise<DestroyResult> {
  const { names } = ctx;
  try {
    const tagged = await taggedResources(ctx);

    await deleteApi(ctx, names.apiName(), namesOf(tagged, 'apigateway', 'restapis'));
    for (const bus of union([names.busName()], namesOf(tagged, 'events', 'event-bus'))) await deleteBus(ctx, bus);
    for (const machine of union([names.stateMachineName()], namesOf(tagged, 'states', 'stateMachine')))
      await deleteStateMachine(ctx, machine);

    const functions = union(
      blueprint.handlers.map((h) => names.functionName(h.name)),
      await listStageFunctions(ctx),
      namesOf(tagged, 'lambda', 'function'),
    );
    for (const fn of functions) await deleteFunction(ctx, fn);
    for (const queue of union([names.deadLetterQueue()], namesOf(tagged, 'sqs', ''))) await deleteQueue(ctx, queue);

    if (!options.keepLogs) {
      const known = [names.stateMachineLogGroup(), names.eventLogGroup(), ...functions.map(lambdaLogGroup)];
      const listed = await Promise.all(names.logGroupPrefixes().map((prefix) => listLogGroups(ctx, prefix)));
      for (const group of union(known, ...listed, namesOf(tagged, 'logs', 'log-group')))
        await deleteLogGroup(ctx, group);
    }
    await deleteLogsResourcePolicy(ctx, names.eventLogsPolicy());

    const roles = union(
      (['api', 'states', 'functions'] as const).map((kind) => names.roleName(kind)),
      namesOf(tagged, 'iam', 'role'),
    );
    for (const role of roles) await deleteRole(ctx, role);
  } catch (error) {
    throw deployFailure(error, ctx, 'fulfill destroy --target aws');
  }
  return { deleted: ctx.changes.filter((c) => c.action === 'deleted'), skipped: ctx.skipped };
}

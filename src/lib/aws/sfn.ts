import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  ListTagsForResourceCommand,
  UpdateStateMachineCommand,
  type DescribeStateMachineCommandOutput,
  type LoggingConfiguration,
} from '@aws-sdk/client-sfn';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import {
  apply,
  errorName,
  ignoreNotFound,
  isRoleNotReady,
  retryWhile,
  retryWhileRolePropagates,
  unchanged,
  type AwsContext,
} from './context.js';
import { mayDelete } from './ownership.js';

export interface StateMachineSpec {
  name: string;
  definition: unknown;
  roleArn: string;
  /** The log group ARN, ending in `:*` as Step Functions requires. */
  logGroupArn: string;
}

/** A state machine by its (deterministic) ARN: one read, no listing. */
export async function describeStateMachine(
  ctx: AwsContext,
  name: string,
): Promise<DescribeStateMachineCommandOutput | undefined> {
  try {
    const have = await ctx.clients.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: stateMachineArnOf(ctx, name) }),
    );
    // Step Functions: a deleted state machine stays DELETING for a while; it is gone for our purposes.
    return have.status === 'DELETING' ? undefined : have;
  } catch (error) {
    if (errorName(error) === 'StateMachineDoesNotExist') return undefined;
    throw error;
  }
}

/** The ARN of a state machine of this stage by its full name (Step Functions ARNs end in the name). */
function stateMachineArnOf(ctx: AwsContext, name: string): string {
  return ctx.names.stateMachineArn().replace(/[^:]+$/, name);
}

export async function findStateMachine(ctx: AwsContext, name: string): Promise<string | undefined> {
  return (await describeStateMachine(ctx, name))?.stateMachineArn;
}

/** A STANDARD state machine with full logging (execution data included) and X-Ray tracing, updated only where it differs. */
export async function ensureStateMachine(ctx: AwsContext, want: StateMachineSpec): Promise<DeployChange> {
  const { sfn } = ctx.clients;
  const loggingConfiguration: LoggingConfiguration = {
    level: 'ALL',
    includeExecutionData: true,
    destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: want.logGroupArn } }],
  };
  const settings = {
    definition: JSON.stringify(want.definition),
    roleArn: want.roleArn,
    loggingConfiguration,
    tracingConfiguration: { enabled: true },
  };
  const have = await describeStateMachine(ctx, want.name);
  if (!have) {
    const change: DeployChange = { resource: want.name, kind: 'state-machine', action: 'created' };
    // Besides a role that is not assumable yet: a state machine of this name still being deleted (a quick
    // switch of modes back and forth) refuses the create for a while.
    const transient = (error: unknown) => isRoleNotReady(error) || errorName(error) === 'StateMachineDeleting';
    await apply(ctx, change, () =>
      retryWhile(ctx, transient, () =>
        sfn.send(
          new CreateStateMachineCommand({
            name: want.name,
            type: 'STANDARD',
            ...settings,
            tags: Object.entries(ctx.tags).map(([key, value]) => ({ key, value })),
          }),
        ),
      ),
    );
    return change;
  }
  const why = stateMachineDiff(have, settings);
  if (why.length === 0) return unchanged(ctx, 'state-machine', want.name);
  const change: DeployChange = { resource: want.name, kind: 'state-machine', action: 'updated', why };
  await apply(ctx, change, () =>
    retryWhileRolePropagates(ctx, () =>
      sfn.send(new UpdateStateMachineCommand({ stateMachineArn: have.stateMachineArn!, ...settings })),
    ),
  );
  return change;
}

export function stateMachineDiff(
  have: Pick<
    DescribeStateMachineCommandOutput,
    'definition' | 'roleArn' | 'loggingConfiguration' | 'tracingConfiguration'
  >,
  want: {
    definition: string;
    roleArn: string;
    loggingConfiguration: LoggingConfiguration;
    tracingConfiguration: { enabled: boolean };
  },
): string[] {
  const why: string[] = [];
  // Step Functions returns the definition as it was sent: the same text needs no parsing and sorting.
  if (
    have.definition !== want.definition &&
    canonical(JSON.parse(have.definition ?? '{}')) !== canonical(JSON.parse(want.definition))
  )
    why.push('definition changed');
  if (have.roleArn !== want.roleArn) why.push('role changed');
  if (canonical(have.loggingConfiguration ?? {}) !== canonical(want.loggingConfiguration)) why.push('logging changed');
  if (Boolean(have.tracingConfiguration?.enabled) !== want.tracingConfiguration.enabled) why.push('tracing changed');
  return why;
}

/** Deletes a state machine of this stage; one without its tags stays. */
export async function deleteStateMachine(ctx: AwsContext, name: string): Promise<void> {
  const arn = await findStateMachine(ctx, name);
  if (!arn) return;
  const tags = await ignoreNotFound(() => ctx.clients.sfn.send(new ListTagsForResourceCommand({ resourceArn: arn })));
  if (!tags || !mayDelete(ctx, name, tags.tags)) return;
  await apply(ctx, { resource: name, kind: 'state-machine', action: 'deleted' }, () =>
    ctx.clients.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn })),
  );
}

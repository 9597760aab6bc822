import { CreateStateMachineCommand, DeleteStateMachineCommand, DescribeStateMachineCommand, ListStateMachinesCommand, UpdateStateMachineCommand, type DescribeStateMachineCommandOutput, type LoggingConfiguration } from '@aws-sdk/client-sfn';
import { canonical } from './iam.js';
import { apply, retryWhileRolePropagates, unchanged, type AwsContext } from './context.js';

export interface StateMachineSpec {
  name: string;
  definition: unknown;
  roleArn: string;
  logGroupArn: string;
}

export async function findStateMachine(ctx: AwsContext, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await ctx.clients.sfn.send(new ListStateMachinesCommand({ nextToken }));
    const hit = page.stateMachines?.find((m) => m.name === name);
    if (hit) return hit.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** A STANDARD state machine with full logging (execution data included) and X-Ray tracing. */
export async function ensureStateMachine(ctx: AwsContext, want: StateMachineSpec): Promise<string> {
  const { sfn } = ctx.clients;
  const loggingConfiguration: LoggingConfiguration = { level: 'ALL', includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: want.logGroupArn } }] };
  const settings = { definition: JSON.stringify(want.definition), roleArn: want.roleArn, loggingConfiguration, tracingConfiguration: { enabled: true } };
  const arn = await findStateMachine(ctx, want.name);
  if (!arn) {
    const created = await apply(ctx, { resource: want.name, kind: 'state-machine', action: 'created' }, () =>
      retryWhileRolePropagates(ctx, () => sfn.send(new CreateStateMachineCommand({ name: want.name, type: 'STANDARD', ...settings, tags: Object.entries(ctx.tags).map(([key, value]) => ({ key, value })) }))),
    );
    return created?.stateMachineArn ?? `arn:aws:states:${ctx.region}:${ctx.account}:stateMachine:${want.name}`;
  }
  const have = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
  const why = stateMachineDiff(have, settings);
  if (why.length === 0) {
    unchanged(ctx, 'state-machine', want.name);
    return arn;
  }
  await apply(ctx, { resource: want.name, kind: 'state-machine', action: 'updated', why }, () =>
    retryWhileRolePropagates(ctx, () => sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arn, ...settings }))),
  );
  return arn;
}

export function stateMachineDiff(have: Pick<DescribeStateMachineCommandOutput, 'definition' | 'roleArn' | 'loggingConfiguration' | 'tracingConfiguration'>, want: { definition: string; roleArn: string; loggingConfiguration: LoggingConfiguration; tracingConfiguration: { enabled: boolean } }): string[] {
  const why: string[] = [];
  if (canonical(JSON.parse(have.definition ?? '{}')) !== canonical(JSON.parse(want.definition))) why.push('definition changed');
  if (have.roleArn !== want.roleArn) why.push('role changed');
  if (canonical(have.loggingConfiguration ?? {}) !== canonical(want.loggingConfiguration)) why.push('logging changed');
  if (Boolean(have.tracingConfiguration?.enabled) !== want.tracingConfiguration.enabled) why.push('tracing changed');
  return why;
}

export async function deleteStateMachine(ctx: AwsContext, name: string): Promise<void> {
  const arn = await findStateMachine(ctx, name);
  if (!arn) return;
  await apply(ctx, { resource: name, kind: 'state-machine', action: 'deleted' }, () => ctx.clients.sfn.send(new DeleteStateMachineCommand({ stateMachineArn: arn })));
}

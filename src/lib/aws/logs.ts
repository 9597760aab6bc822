import { CreateLogGroupCommand, DeleteLogGroupCommand, DeleteResourcePolicyCommand, DescribeLogGroupsCommand, DescribeResourcePoliciesCommand, PutResourcePolicyCommand, PutRetentionPolicyCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from './iam.js';
import { apply, errorName, isNotFound, unchanged, type AwsContext } from './context.js';
import type { PolicyDocument } from './policies.js';

export const RETENTION_DAYS = 30;

/**
 * One DescribeLogGroups listing per name prefix (`/aws/lambda/fulfill-<app>-<stage>-`, ...) and deploy, shared
 * by every log group under it: seven function log groups cost one read, not seven.
 */
const listings = new WeakMap<AwsContext, Map<string, Promise<Map<string, LogGroup>>>>();

export async function findLogGroup(ctx: AwsContext, name: string): Promise<LogGroup | undefined> {
  const stagePrefix = ctx.names.resource('');
  const at = name.indexOf(stagePrefix);
  const prefix = at >= 0 ? name.slice(0, at + stagePrefix.length) : name;
  const byPrefix = listings.get(ctx) ?? new Map<string, Promise<Map<string, LogGroup>>>();
  listings.set(ctx, byPrefix);
  let listing = byPrefix.get(prefix);
  if (!listing) {
    listing = (async () => {
      const groups = new Map<string, LogGroup>();
      let nextToken: string | undefined;
      do {
        const page = await ctx.clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }));
        for (const group of page.logGroups ?? []) if (group.logGroupName) groups.set(group.logGroupName, group);
        nextToken = page.nextToken;
      } while (nextToken);
      return groups;
    })();
    byPrefix.set(prefix, listing);
  }
  return (await listing).get(name);
}

export function logGroupArn(ctx: Pick<AwsContext, 'region' | 'account'>, name: string): string {
  return `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}:*`;
}

/** A log group with retention and tags (CreateLogGroup takes tags but no retention: two writes). */
export async function ensureLogGroup(ctx: AwsContext, name: string): Promise<DeployChange> {
  const { logs } = ctx.clients;
  const found = await findLogGroup(ctx, name);
  if (!found) {
    const change: DeployChange = { resource: name, kind: 'log-group', action: 'created' };
    await apply(ctx, change, async () => {
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { ...ctx.tags } }));
      } catch (error) {
        // Something wrote to it between our read and this call (e.g. Lambda creating its own group).
        if (errorName(error) !== 'ResourceAlreadyExistsException') throw error;
      }
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: RETENTION_DAYS }));
    });
    return change;
  }
  if (found.retentionInDays === RETENTION_DAYS) return unchanged(ctx, 'log-group', name);
  const change: DeployChange = { resource: name, kind: 'log-group', action: 'updated', why: [`retention ${found.retentionInDays ?? 'never expires'} -> ${RETENTION_DAYS} days`] };
  await apply(ctx, change, () => logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: RETENTION_DAYS })));
  return change;
}

export async function deleteLogGroup(ctx: AwsContext, name: string): Promise<void> {
  if (!(await findLogGroup(ctx, name))) return;
  await apply(ctx, { resource: name, kind: 'log-group', action: 'deleted' }, async () => {
    try {
      await ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  });
}

async function findResourcePolicy(ctx: AwsContext, name: string): Promise<string | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await ctx.clients.logs.send(new DescribeResourcePoliciesCommand({ nextToken }));
    const hit = page.resourcePolicies?.find((p) => p.policyName === name);
    if (hit) return hit.policyDocument ?? '';
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** An account-level CloudWatch Logs resource policy (at most 10 per account and region: fulfill uses one per stage, in events mode). */
export async function ensureLogsResourcePolicy(ctx: AwsContext, name: string, policy: PolicyDocument): Promise<DeployChange> {
  const have = await findResourcePolicy(ctx, name);
  if (have && canonical(JSON.parse(have)) === canonical(policy)) return unchanged(ctx, 'policy', name);
  const change: DeployChange = { resource: name, kind: 'policy', action: have === undefined ? 'created' : 'updated', ...(have === undefined ? {} : { why: ['policy changed'] }) };
  await apply(ctx, change, () => ctx.clients.logs.send(new PutResourcePolicyCommand({ policyName: name, policyDocument: JSON.stringify(policy) })));
  return change;
}

export async function deleteLogsResourcePolicy(ctx: AwsContext, name: string): Promise<void> {
  if ((await findResourcePolicy(ctx, name)) === undefined) return;
  await apply(ctx, { resource: name, kind: 'policy', action: 'deleted' }, async () => {
    try {
      await ctx.clients.logs.send(new DeleteResourcePolicyCommand({ policyName: name }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  });
}

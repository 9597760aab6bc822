import { CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, DescribeResourcePoliciesCommand, PutResourcePolicyCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { canonical } from './iam.js';
import { apply, unchanged, type AwsContext } from './context.js';
import type { PolicyDocument } from './policies.js';

export const RETENTION_DAYS = 30;

/** Ensures a log group (with retention and tags); returns its ARN. */
export async function ensureLogGroup(ctx: AwsContext, name: string): Promise<string> {
  const { logs } = ctx.clients;
  const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.find((g) => g.logGroupName === name);
  const arn = `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${name}:*`;
  if (!found) {
    await apply(ctx, { resource: name, kind: 'log-group', action: 'created' }, async () => {
      try {
        await logs.send(new CreateLogGroupCommand({ logGroupName: name, tags: { ...ctx.tags } }));
      } catch (error) {
        // A concurrent or half-finished earlier run may have created it.
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
      }
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: RETENTION_DAYS }));
    });
  } else if (found.retentionInDays !== RETENTION_DAYS) {
    await apply(ctx, { resource: name, kind: 'log-group', action: 'updated', why: ['retention'] }, () => logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: RETENTION_DAYS })));
  } else {
    unchanged(ctx, 'log-group', name);
  }
  return arn;
}

export async function ensureLogsResourcePolicy(ctx: AwsContext, name: string, policy: PolicyDocument): Promise<void> {
  const { logs } = ctx.clients;
  const have = (await logs.send(new DescribeResourcePoliciesCommand({}))).resourcePolicies?.find((p) => p.policyName === name);
  if (have?.policyDocument && canonical(JSON.parse(have.policyDocument)) === canonical(policy)) return;
  await apply(ctx, { resource: name, kind: 'policy', action: have ? 'updated' : 'created' }, () => logs.send(new PutResourcePolicyCommand({ policyName: name, policyDocument: JSON.stringify(policy) })));
}

export async function deleteLogGroup(ctx: AwsContext, name: string): Promise<void> {
  const { logs } = ctx.clients;
  const found = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }))).logGroups?.some((g) => g.logGroupName === name);
  if (!found) return;
  await apply(ctx, { resource: name, kind: 'log-group', action: 'deleted' }, () => logs.send(new DeleteLogGroupCommand({ logGroupName: name })));
}

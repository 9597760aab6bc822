import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DeleteResourcePolicyCommand,
  DescribeLogGroupsCommand,
  DescribeResourcePoliciesCommand,
  ListTagsForResourceCommand,
  PutResourcePolicyCommand,
  PutRetentionPolicyCommand,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import { safeJson } from '../json.js';
import { apply, errorName, ignoreNotFound, unchanged, type AwsContext } from './context.js';
import { leaveAlone, mayDelete } from './ownership.js';
import type { PolicyDocument } from './policies.js';

export const RETENTION_DAYS = 30;

/**
 * One DescribeLogGroups listing per name prefix (`/aws/lambda/fulfill-<app>-<stage>-`, ...) and deploy, shared
 * by every log group under it: seven function log groups cost one read, not seven.
 */
const listings = new WeakMap<AwsContext, Map<string, Promise<Map<string, LogGroup>>>>();

function listing(ctx: AwsContext, prefix: string): Promise<Map<string, LogGroup>> {
  const byPrefix = listings.get(ctx) ?? new Map<string, Promise<Map<string, LogGroup>>>();
  listings.set(ctx, byPrefix);
  let groups = byPrefix.get(prefix);
  if (!groups) {
    groups = (async () => {
      const found = new Map<string, LogGroup>();
      let nextToken: string | undefined;
      do {
        const page = await ctx.clients.logs.send(
          new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken }),
        );
        for (const group of page.logGroups ?? []) if (group.logGroupName) found.set(group.logGroupName, group);
        nextToken = page.nextToken;
      } while (nextToken);
      return found;
    })();
    byPrefix.set(prefix, groups);
  }
  return groups;
}

/** The listing a log group belongs to: its name up to and including the stage prefix. */
function listingPrefix(ctx: AwsContext, name: string): string {
  const at = name.indexOf(ctx.names.prefix);
  return at >= 0 ? name.slice(0, at + ctx.names.prefix.length) : name;
}

export async function findLogGroup(ctx: AwsContext, name: string): Promise<LogGroup | undefined> {
  return (await listing(ctx, listingPrefix(ctx, name))).get(name);
}

/** Names of the log groups under a prefix that contains the stage prefix (e.g. `/aws/lambda/fulfill-shop-ci-`). */
export async function listLogGroups(ctx: AwsContext, prefix: string): Promise<string[]> {
  return [...(await listing(ctx, listingPrefix(ctx, prefix))).keys()].filter((name) => name.startsWith(prefix));
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
  const change: DeployChange = {
    resource: name,
    kind: 'log-group',
    action: 'updated',
    why: [`retention ${found.retentionInDays ?? 'never expires'} -> ${RETENTION_DAYS} days`],
  };
  await apply(ctx, change, () =>
    logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: RETENTION_DAYS })),
  );
  return change;
}

/** Deletes a log group of this stage; one without its tags (created by hand, or by Lambda itself) stays. */
export async function deleteLogGroup(ctx: AwsContext, name: string): Promise<void> {
  if (!(await findLogGroup(ctx, name))) return;
  const tags = await ignoreNotFound(() =>
    ctx.clients.logs.send(new ListTagsForResourceCommand({ resourceArn: ctx.names.logGroupArn(name) })),
  );
  if (!tags || !mayDelete(ctx, name, tags.tags)) return;
  await apply(ctx, { resource: name, kind: 'log-group', action: 'deleted' }, () =>
    ignoreNotFound(() => ctx.clients.logs.send(new DeleteLogGroupCommand({ logGroupName: name }))),
  );
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
export async function ensureLogsResourcePolicy(
  ctx: AwsContext,
  name: string,
  policy: PolicyDocument,
): Promise<DeployChange> {
  const have = await findResourcePolicy(ctx, name);
  if (have && canonical(JSON.parse(have)) === canonical(policy)) return unchanged(ctx, 'policy', name);
  const change: DeployChange = {
    resource: name,
    kind: 'policy',
    action: have === undefined ? 'created' : 'updated',
    ...(have === undefined ? {} : { why: ['policy changed'] }),
  };
  await apply(ctx, change, () =>
    ctx.clients.logs.send(new PutResourcePolicyCommand({ policyName: name, policyDocument: JSON.stringify(policy) })),
  );
  return change;
}

/**
 * Deletes the stage's logs resource policy. Account-level resource policies carry no tags: the policy is this
 * stage's when every statement grants on this stage's event log group only (what fulfill writes).
 */
export async function deleteLogsResourcePolicy(ctx: AwsContext, name: string): Promise<void> {
  const document = await findResourcePolicy(ctx, name);
  if (document === undefined) return;
  const ours = `${ctx.names.logGroupArn(ctx.names.eventLogGroup())}:`;
  const statements =
    (safeJson(document) as { Statement?: Array<{ Resource?: string | string[] }> } | undefined)?.Statement ?? [];
  const owned =
    statements.length > 0 && statements.every((st) => [st.Resource ?? []].flat().every((r) => r.startsWith(ours)));
  if (!owned) return leaveAlone(ctx, name, "its document grants on more than this stage's event log group");
  await apply(ctx, { resource: name, kind: 'policy', action: 'deleted' }, () =>
    ignoreNotFound(() => ctx.clients.logs.send(new DeleteResourcePolicyCommand({ policyName: name }))),
  );
}

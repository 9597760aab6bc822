import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsContext } from './context.js';

/**
 * The one ownership rule for every delete (destroy, mode switch, removed handler, leftover clean-up): a resource
 * is this stage's when its own tags, read from its service just before the delete, say `fulfill:app` = the app
 * and `fulfill:stage` = the stage. Anything else with a colliding name is left alone, and the user is told in
 * one line. (Names alone are not proof: anyone can create `fulfill-shop-ci-bus` by hand.)
 */
export const NOT_TAGGED = 'not tagged fulfill:app/fulfill:stage for this stage';

type TagInput =
  | Record<string, string | undefined>
  | ReadonlyArray<{ Key?: string; Value?: string } | { key?: string; value?: string }>
  | undefined;

/** Tags as a map, whichever shape the service returns (IAM/EventBridge `Key`/`Value`, Step Functions `key`/`value`, or a map). */
export function tagMap(tags: TagInput): Record<string, string | undefined> {
  if (!tags) return {};
  if (!Array.isArray(tags)) return tags as Record<string, string | undefined>;
  return Object.fromEntries(
    (tags as ReadonlyArray<Record<string, string | undefined>>).map((t) => [t.Key ?? t.key ?? '', t.Value ?? t.value]),
  );
}

export function isOwned(ctx: Pick<AwsContext, 'tags'>, tags: TagInput): boolean {
  const map = tagMap(tags);
  return map['fulfill:app'] === ctx.tags['fulfill:app'] && map['fulfill:stage'] === ctx.tags['fulfill:stage'];
}

/** Whether the resource may be deleted; if not, records (once) that it was left alone and why. */
export function mayDelete(
  ctx: Pick<AwsContext, 'tags' | 'skipped'>,
  resource: string,
  tags: TagInput,
  reason = NOT_TAGGED,
): boolean {
  if (isOwned(ctx, tags)) return true;
  leaveAlone(ctx, resource, reason);
  return false;
}

export function leaveAlone(ctx: Pick<AwsContext, 'skipped'>, resource: string, reason: string): void {
  if (!ctx.skipped.some((s) => s.resource === resource)) ctx.skipped.push({ resource, reason });
}

/** A resource found by its tags, with what its ARN says. */
export interface TaggedResource {
  arn: string;
  /** The ARN's service: lambda, states, events, sqs, logs, apigateway, iam. */
  service: string;
  /** The kind inside the service: function, stateMachine, event-bus, rule, log-group, restapis, role, or '' (SQS). */
  type: string;
  /** The resource's name (an API's id), as the service's own calls take it. */
  name: string;
}

/**
 * Splits an ARN into service, type and name for the shapes fulfill creates:
 * `arn:aws:lambda:r:a:function:NAME`, `arn:aws:states:r:a:stateMachine:NAME`, `arn:aws:events:r:a:event-bus/NAME`,
 * `arn:aws:events:r:a:rule/BUS/NAME`, `arn:aws:sqs:r:a:NAME`, `arn:aws:logs:r:a:log-group:NAME[:*]`,
 * `arn:aws:apigateway:r::/restapis/ID[/stages/STAGE]`, `arn:aws:iam::a:role/NAME`.
 */
export function parseArn(arn: string): TaggedResource | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const service = parts[2];
  const rest = parts.slice(5).join(':');
  switch (service) {
    case 'lambda':
    case 'states':
      return { arn, service, type: parts[5], name: parts[6] ?? '' };
    case 'logs':
      return { arn, service, type: 'log-group', name: rest.replace(/^log-group:/, '').replace(/:\*$/, '') };
    case 'sqs':
      return { arn, service, type: '', name: rest };
    case 'apigateway': {
      const id = /^\/restapis\/([^/]+)/.exec(rest)?.[1];
      return id ? { arn, service, type: 'restapis', name: id } : undefined;
    }
    case 'events':
    case 'iam': {
      const [type, ...path] = rest.split('/');
      return { arn, service, type: type, name: path.at(-1) ?? '' };
    }
    default:
      return undefined;
  }
}

/**
 * Everything in the region that carries this stage's tags (Resource Groups Tagging API GetResources with both
 * tag filters, paged). The listing is eventually consistent: callers still read each resource's own tags
 * before deleting it (a just-deleted resource may still be listed; a just-created one may not be yet).
 */
export async function taggedResources(ctx: AwsContext): Promise<TaggedResource[]> {
  const found: TaggedResource[] = [];
  let PaginationToken: string | undefined;
  do {
    const page = await ctx.clients.tagging.send(
      new GetResourcesCommand({
        TagFilters: Object.entries(ctx.tags).map(([Key, value]) => ({ Key, Values: [value] })),
        ResourcesPerPage: 100,
        ...(PaginationToken ? { PaginationToken } : {}),
      }),
    );
    for (const mapping of page.ResourceTagMappingList ?? []) {
      const resource = mapping.ResourceARN ? parseArn(mapping.ResourceARN) : undefined;
      if (resource) found.push(resource);
    }
    PaginationToken = page.PaginationToken || undefined;
  } while (PaginationToken);
  return found;
}

/** Names of the tagged resources of one service and type, without duplicates. */
export function namesOf(resources: readonly TaggedResource[], service: string, type: string): string[] {
  return [...new Set(resources.filter((r) => r.service === service && r.type === type).map((r) => r.name))];
}

import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, page, type Any, type Handler } from './model.js';

type Tags = Record<string, string>;

const fromList = (tags: ReadonlyArray<Any> | undefined): Tags =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? t.key, t.Value ?? t.value]));

/** Every taggable resource of the model with its ARN (as AWS names it) and its tags as a map. */
export function taggedResources(model: FakeAwsModel): Array<{ arn: string; tags: Tags }> {
  const s = model.state;
  const arn = (service: string, rest: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${rest}`;
  return [
    ...Object.entries(s.roles).map(([name, r]) => ({
      arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
      tags: fromList(r.tags),
    })),
    ...Object.values(s.functions).map((f) => ({ arn: String(f.config.FunctionArn), tags: { ...f.tags } })),
    ...Object.entries(s.machines).map(([machineArn, m]) => ({ arn: machineArn, tags: fromList(m.tags) })),
    ...Object.entries(s.logGroups).map(([name, g]) => ({ arn: arn('logs', `log-group:${name}`), tags: { ...g.tags } })),
    ...Object.entries(s.queues).map(([name, q]) => ({ arn: arn('sqs', name), tags: { ...q.tags } })),
    ...Object.entries(s.buses).map(([name, b]) => ({
      arn: arn('events', `event-bus/${name}`),
      tags: fromList(b.tags),
    })),
    ...Object.entries(s.rules).map(([key, r]) => ({ arn: arn('events', `rule/${key}`), tags: fromList(r.tags) })),
    ...Object.entries(s.apis).flatMap(([id, a]) => [
      { arn: `arn:aws:apigateway:${REGION}::/restapis/${id}`, tags: { ...a.tags } },
      ...Object.entries(a.stages).map(([stage, st]) => ({
        arn: `arn:aws:apigateway:${REGION}::/restapis/${id}/stages/${stage}`,
        tags: { ...st.tags },
      })),
    ]),
  ];
}

/**
 * Resource Groups Tagging API: GetResources with TagFilters (every filter must match: the key with one of its
 * values, or any value when Values is empty), paged. AWS's index is eventually consistent; this one is exact.
 */
export function taggingHandlers(model: FakeAwsModel): Record<string, Handler> {
  return {
    GetResources: (i) => {
      const filters: Array<{ Key: string; Values?: string[] }> = i.TagFilters ?? [];
      const matching = taggedResources(model)
        .filter((r) => filters.every((f) => f.Key in r.tags && (!f.Values?.length || f.Values.includes(r.tags[f.Key]))))
        .map((r) => ({ ResourceARN: r.arn, Tags: Object.entries(r.tags).map(([Key, Value]) => ({ Key, Value })) }));
      const result = page(
        matching,
        i.PaginationToken || undefined,
        i.ResourcesPerPage ?? 50,
        'ResourceTagMappingList',
        'PaginationToken',
      );
      // The Tagging API returns an empty PaginationToken on the last page.
      return { PaginationToken: '', ...result };
    },
  };
}

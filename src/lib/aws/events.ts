import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type Target,
} from '@aws-sdk/client-eventbridge';
import { canonical } from './iam.js';
import { apply, isNotFound, unchanged, type AwsContext } from './context.js';

export interface RuleSpec {
  /** The full rule name, fulfill-<app>-<stage>-<rule>. */
  name: string;
  description?: string;
  pattern: Record<string, unknown>;
  targets: Target[];
}

export async function ensureBus(ctx: AwsContext, name: string): Promise<string> {
  const { events } = ctx.clients;
  try {
    const have = await events.send(new DescribeEventBusCommand({ Name: name }));
    unchanged(ctx, 'event-bus', name);
    return have.Arn!;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const created = await apply(ctx, { resource: name, kind: 'event-bus', action: 'created' }, () =>
    events.send(new CreateEventBusCommand({ Name: name, Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })) })),
  );
  return created?.EventBusArn ?? `arn:aws:events:${ctx.region}:${ctx.account}:event-bus/${name}`;
}

/** A rule with its pattern and its targets (input transformer, retry policy, dead-letter queue). */
export async function ensureRule(ctx: AwsContext, bus: string, want: RuleSpec): Promise<string> {
  const { events } = ctx.clients;
  let have: { EventPattern?: string; State?: string; Arn?: string; Description?: string } | undefined;
  try {
    have = await events.send(new DescribeRuleCommand({ Name: want.name, EventBusName: bus }));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const arn = have?.Arn ?? `arn:aws:events:${ctx.region}:${ctx.account}:rule/${bus}/${want.name}`;
  const patternChanged = have && (canonical(JSON.parse(have.EventPattern ?? '{}')) !== canonical(want.pattern) || have.State !== 'ENABLED' || (have.Description ?? undefined) !== want.description);
  if (!have || patternChanged) {
    await apply(ctx, { resource: want.name, kind: 'rule', action: have ? 'updated' : 'created', ...(have ? { why: ['pattern changed'] } : {}) }, () =>
      events.send(
        new PutRuleCommand({
          Name: want.name,
          EventBusName: bus,
          EventPattern: JSON.stringify(want.pattern),
          State: 'ENABLED',
          ...(want.description ? { Description: want.description } : {}),
          Tags: Object.entries(ctx.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }
  const current = have ? ((await events.send(new ListTargetsByRuleCommand({ Rule: want.name, EventBusName: bus }))).Targets ?? []) : [];
  const sameTargets = canonical(sortById(current)) === canonical(sortById(want.targets));
  if (!sameTargets) {
    await apply(ctx, { resource: `${want.name}/targets`, kind: 'target', action: current.length ? 'updated' : 'created' }, async () => {
      const stale = current.filter((t) => !want.targets.some((w) => w.Id === t.Id)).map((t) => t.Id!);
      if (stale.length) await events.send(new RemoveTargetsCommand({ Rule: want.name, EventBusName: bus, Ids: stale }));
      const result = await events.send(new PutTargetsCommand({ Rule: want.name, EventBusName: bus, Targets: want.targets }));
      if (result.FailedEntryCount) throw new Error(`PutTargets failed for ${want.name}: ${result.FailedEntries?.map((f) => `${f.ErrorCode} ${f.ErrorMessage}`).join('; ')}`);
    });
  } else if (have && !patternChanged) {
    unchanged(ctx, 'rule', want.name);
  }
  return arn;
}

/** Removes rules on the bus that fulfill made for this stage and that are no longer wanted. */
export async function removeStaleRules(ctx: AwsContext, bus: string, prefix: string, keep: ReadonlySet<string>): Promise<void> {
  const { events } = ctx.clients;
  let nextToken: string | undefined;
  const stale: string[] = [];
  do {
    let page;
    try {
      page = await events.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: prefix, NextToken: nextToken }));
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const rule of page.Rules ?? []) if (rule.Name && !keep.has(rule.Name)) stale.push(rule.Name);
    nextToken = page.NextToken;
  } while (nextToken);
  for (const name of stale) await deleteRule(ctx, bus, name);
}

export async function deleteRule(ctx: AwsContext, bus: string, name: string): Promise<void> {
  const { events } = ctx.clients;
  await apply(ctx, { resource: name, kind: 'rule', action: 'deleted' }, async () => {
    const targets = (await events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus }))).Targets ?? [];
    if (targets.length) await events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: targets.map((t) => t.Id!) }));
    await events.send(new DeleteRuleCommand({ Name: name, EventBusName: bus }));
  });
}

export async function deleteBus(ctx: AwsContext, name: string, rulePrefix: string): Promise<void> {
  try {
    await ctx.clients.events.send(new DescribeEventBusCommand({ Name: name }));
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  await removeStaleRules(ctx, name, rulePrefix, new Set());
  await apply(ctx, { resource: name, kind: 'event-bus', action: 'deleted' }, () => ctx.clients.events.send(new DeleteEventBusCommand({ Name: name })));
}

function sortById(targets: Target[]): Target[] {
  return [...targets].sort((a, b) => (a.Id ?? '').localeCompare(b.Id ?? ''));
}

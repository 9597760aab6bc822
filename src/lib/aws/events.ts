import { createHash } from 'node:crypto';
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  DeleteArchiveCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  UpdateArchiveCommand,
  type Rule,
  type Target,
} from '@aws-sdk/client-eventbridge';
import type { StageNames } from '../blueprint/naming.js';
import type { DeployChange } from '../deploy/result.js';
import { canonical } from '../json.js';
import { apply, ignoreNotFound, mapLimit, tagList, unchanged, type AwsContext } from './context.js';
import { leaveAlone, mayDelete } from './ownership.js';

export interface RuleSpec {
  /** The full rule name, fulfill-<app>-<stage>-<rule>. */
  name: string;
  description?: string;
  pattern: Record<string, unknown>;
  targets: Target[];
}

export async function ensureBus(ctx: AwsContext, name: string): Promise<DeployChange> {
  const { events } = ctx.clients;
  if (await ignoreNotFound(() => events.send(new DescribeEventBusCommand({ Name: name }))))
    return unchanged(ctx, 'event-bus', name);
  const change: DeployChange = { resource: name, kind: 'event-bus', action: 'created' };
  await apply(ctx, change, () => events.send(new CreateEventBusCommand({ Name: name, Tags: tagList(ctx) })));
  return change;
}

/** This stage's rules on the bus, with pattern, state and description (ListRules returns them: no DescribeRule per rule). */
async function listRules(ctx: AwsContext, bus: string): Promise<Map<string, Rule>> {
  const rules = new Map<string, Rule>();
  let NextToken: string | undefined;
  do {
    const page = await ignoreNotFound(() =>
      ctx.clients.events.send(new ListRulesCommand({ EventBusName: bus, NamePrefix: ctx.names.prefix, NextToken })),
    );
    if (!page) return rules; // no bus yet (dry run of a first deploy)
    for (const rule of page.Rules ?? []) if (rule.Name) rules.set(rule.Name, rule);
    NextToken = page.NextToken;
  } while (NextToken);
  return rules;
}

/**
 * The rules of the event flow, each with its targets, and nothing else of this stage on the bus: rules
 * missing from the config are deleted (targets first, as EventBridge requires).
 */
export async function ensureRules(
  ctx: AwsContext,
  bus: string,
  wanted: readonly RuleSpec[],
  concurrency = 4,
): Promise<DeployChange[]> {
  const have = await listRules(ctx, bus);
  const changes = await mapLimit(wanted, concurrency, (spec) => ensureRule(ctx, bus, spec, have.get(spec.name)));
  const keep = new Set(wanted.map((w) => w.name));
  for (const name of have.keys()) if (!keep.has(name)) await deleteRule(ctx, bus, name);
  return changes;
}

/** A rule with its pattern and its targets (input transformer, retry policy, dead-letter queue), as one change. */
export async function ensureRule(
  ctx: AwsContext,
  bus: string,
  want: RuleSpec,
  have: Rule | undefined,
): Promise<DeployChange> {
  const { events } = ctx.clients;
  const putRule = () =>
    events.send(
      new PutRuleCommand({
        Name: want.name,
        EventBusName: bus,
        EventPattern: JSON.stringify(want.pattern),
        State: 'ENABLED',
        ...(want.description ? { Description: want.description } : {}),
        Tags: tagList(ctx),
      }),
    );
  const putTargets = async () => {
    const result = await events.send(
      new PutTargetsCommand({ Rule: want.name, EventBusName: bus, Targets: want.targets }),
    );
    if (result.FailedEntryCount) {
      const error = new Error(
        `PutTargets on ${want.name} failed: ${result.FailedEntries?.map((f) => `${f.TargetId}: ${f.ErrorCode} ${f.ErrorMessage}`).join('; ')}`,
      );
      error.name = result.FailedEntries?.[0]?.ErrorCode ?? 'PutTargetsFailed';
      throw error;
    }
  };
  if (!have) {
    const change: DeployChange = { resource: want.name, kind: 'rule', action: 'created' };
    await apply(ctx, change, async () => {
      await putRule();
      await putTargets();
    });
    return change;
  }
  const ruleWhy = [
    ...(canonical(JSON.parse(have.EventPattern ?? '{}')) !== canonical(want.pattern) ? ['pattern changed'] : []),
    ...(have.State !== 'ENABLED' ? [`state ${have.State}`] : []),
    ...((have.Description ?? '') !== (want.description ?? '') ? ['description changed'] : []),
  ];
  const current =
    (await events.send(new ListTargetsByRuleCommand({ Rule: want.name, EventBusName: bus }))).Targets ?? [];
  const stale = current.filter((t) => !want.targets.some((w) => w.Id === t.Id)).map((t) => t.Id!);
  const targetsChanged = want.targets.some((w) => canonical(current.find((t) => t.Id === w.Id)) !== canonical(w));
  const why = [
    ...ruleWhy,
    ...(targetsChanged ? ['targets changed'] : []),
    ...(stale.length ? [`stale targets ${stale.join(', ')}`] : []),
  ];
  if (why.length === 0) return unchanged(ctx, 'rule', want.name);
  const change: DeployChange = { resource: want.name, kind: 'rule', action: 'updated', why };
  await apply(ctx, change, async () => {
    if (ruleWhy.length) await putRule();
    if (stale.length) await events.send(new RemoveTargetsCommand({ Rule: want.name, EventBusName: bus, Ids: stale }));
    if (targetsChanged) await putTargets();
  });
  return change;
}

/** Deletes a rule of this stage with its targets (EventBridge refuses to delete a rule that has targets); one without its tags stays. */
export async function deleteRule(ctx: AwsContext, bus: string, name: string): Promise<boolean> {
  const { events } = ctx.clients;
  const targets = (
    await ignoreNotFound(() => events.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: bus })))
  )?.Targets;
  if (!targets) return true;
  // Rule names are `<stage prefix><rule>`: only the stage's rules are listed (ListRules with the prefix).
  const tags = await ignoreNotFound(() =>
    events.send(
      new ListTagsForResourceCommand({ ResourceARN: ctx.names.ruleArn(name.slice(ctx.names.prefix.length)) }),
    ),
  );
  if (!tags) return true;
  if (!mayDelete(ctx, name, tags.Tags)) return false;
  await apply(ctx, { resource: name, kind: 'rule', action: 'deleted' }, async () => {
    if (targets.length)
      await events.send(new RemoveTargetsCommand({ Rule: name, EventBusName: bus, Ids: targets.map((t) => t.Id!) }));
    await ignoreNotFound(() => events.send(new DeleteRuleCommand({ Name: name, EventBusName: bus })));
  });
  return true;
}

/** How long the bus's archive keeps events for `fulfill replay` (the dead-letter queue's 14 days). */
export const ARCHIVE_RETENTION_DAYS = 14;
const ARCHIVE_DESCRIPTION = 'fulfill: every event on the stage bus, for fulfill replay';

/**
 * The stage's archive name: `fulfill-<app>-<stage>-archive`, shortened with a hash past EventBridge's 48
 * characters (archive names are 1-48 of [.-_A-Za-z0-9]).
 */
export function archiveName(names: Pick<StageNames, 'resource'>): string {
  const name = names.resource('archive');
  if (name.length <= 48) return name;
  return `${name.slice(0, 39)}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
}

/**
 * The bus's archive (every event, ARCHIVE_RETENTION_DAYS), which `fulfill replay --target aws` replays from.
 * EventBridge archives take no tags: an archive of this name whose source is another bus is left alone.
 */
export async function ensureArchive(ctx: AwsContext, busArn: string): Promise<DeployChange> {
  const { events } = ctx.clients;
  const name = archiveName(ctx.names);
  const have = await ignoreNotFound(() => events.send(new DescribeArchiveCommand({ ArchiveName: name })));
  if (!have) {
    const change: DeployChange = { resource: name, kind: 'archive', action: 'created' };
    await apply(ctx, change, () =>
      events.send(
        new CreateArchiveCommand({
          ArchiveName: name,
          EventSourceArn: busArn,
          RetentionDays: ARCHIVE_RETENTION_DAYS,
          Description: ARCHIVE_DESCRIPTION,
        }),
      ),
    );
    return change;
  }
  if (have.EventSourceArn !== busArn) {
    leaveAlone(ctx, name, `it archives ${have.EventSourceArn}, not this stage's bus`);
    return unchanged(ctx, 'archive', name);
  }
  const why = [
    ...(have.RetentionDays !== ARCHIVE_RETENTION_DAYS ? ['retention changed'] : []),
    ...(have.EventPattern ? ['event pattern set'] : []),
  ];
  if (why.length === 0) return unchanged(ctx, 'archive', name);
  const change: DeployChange = { resource: name, kind: 'archive', action: 'updated', why };
  // UpdateArchive with an empty pattern clears it: every event is archived again.
  await apply(ctx, change, () =>
    events.send(
      new UpdateArchiveCommand({
        ArchiveName: name,
        RetentionDays: ARCHIVE_RETENTION_DAYS,
        Description: ARCHIVE_DESCRIPTION,
        EventPattern: '',
      }),
    ),
  );
  return change;
}

/** Deletes the stage's archive of `busArn` (before its bus); an archive of another bus stays. */
export async function deleteArchive(ctx: AwsContext, busArn: string): Promise<void> {
  const { events } = ctx.clients;
  const name = archiveName(ctx.names);
  const have = await ignoreNotFound(() => events.send(new DescribeArchiveCommand({ ArchiveName: name })));
  if (!have) return;
  if (have.EventSourceArn !== busArn)
    return leaveAlone(ctx, name, `it archives ${have.EventSourceArn}, not this stage's bus`);
  await apply(ctx, { resource: name, kind: 'archive', action: 'deleted' }, () =>
    ignoreNotFound(() => events.send(new DeleteArchiveCommand({ ArchiveName: name }))),
  );
}

/** Whether the bus exists and carries this stage's tags (a look-alike is recorded as left alone). */
export async function ownedBus(ctx: AwsContext, name: string): Promise<boolean> {
  const { events } = ctx.clients;
  const bus = await ignoreNotFound(() => events.send(new DescribeEventBusCommand({ Name: name })));
  if (!bus?.Arn) return false;
  const tags = await ignoreNotFound(() => events.send(new ListTagsForResourceCommand({ ResourceARN: bus.Arn })));
  return tags !== undefined && mayDelete(ctx, name, tags.Tags);
}

/**
 * Deletes the stage's bus: first the stage's rules on it, then the bus. A bus without this stage's tags stays,
 * and so does one that still has rules fulfill may not delete (EventBridge refuses to delete a bus with rules).
 */
export async function deleteBus(ctx: AwsContext, name: string): Promise<void> {
  const { events } = ctx.clients;
  if (!(await ownedBus(ctx, name))) return;
  // Its archive first: an archive's source bus is checked by its tags (archives take none themselves).
  if (name === ctx.names.busName()) await deleteArchive(ctx, ctx.names.busArn());
  let clear = true;
  for (const rule of (await listRules(ctx, name)).keys()) if (!(await deleteRule(ctx, name, rule))) clear = false;
  if (!clear) return leaveAlone(ctx, name, 'it still has rules that are not tagged for this stage');
  await apply(ctx, { resource: name, kind: 'event-bus', action: 'deleted' }, () =>
    ignoreNotFound(() => events.send(new DeleteEventBusCommand({ Name: name }))),
  );
}

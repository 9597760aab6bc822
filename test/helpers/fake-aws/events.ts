import type { FakeAwsModel } from './model.js';
import { ACCOUNT, REGION, fail, page, type Handler } from './model.js';

/** EventBridge: buses and their rules with targets, both tagged. */
export function eventsHandlers(model: FakeAwsModel): Record<string, Handler> {
  const s = model.state;
  const key = (bus: string, name: string) => `${bus}/${name}`;
  const bus = (name: string) => s.buses[name] ?? fail('ResourceNotFoundException', `Event bus ${name} does not exist.`);
  const rule = (busName: string, name: string) =>
    s.rules[key(busName, name)] ??
    fail('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${busName}.`);
  const archiveArn = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:archive/${name}`;
  const ruleArn = (busName: string, name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${busName}/${name}`;
  const describe = (busName: string, name: string) => {
    const r = rule(busName, name);
    return {
      Name: name,
      Arn: ruleArn(busName, name),
      EventBusName: busName,
      EventPattern: r.pattern,
      State: r.state,
      ...(r.description !== undefined ? { Description: r.description } : {}),
    };
  };
  return {
    DescribeEventBus: (i) => (
      bus(i.Name),
      { Name: i.Name, Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${i.Name}` }
    ),
    CreateEventBus: (i) => {
      if (s.buses[i.Name]) fail('ResourceAlreadyExistsException', `Event bus ${i.Name} already exists.`);
      s.buses[i.Name] = { tags: i.Tags ?? [] };
      return { EventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${i.Name}` };
    },
    // A bus (`event-bus/<bus>`) or a rule (`rule/<bus>/<rule>`).
    ListTagsForResource: (i) => {
      const [kind, ...path] = String(i.ResourceARN).split(':').at(-1)!.split('/');
      return { Tags: kind === 'rule' ? (rule(path[0], path[1]).tags ?? []) : bus(path[0]).tags };
    },
    DeleteEventBus: (i) => {
      // An archive keeps a managed rule on its bus (Events-Archive-<name>): the bus goes after its archives.
      const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${i.Name}`;
      if (
        Object.keys(s.rules).some((k) => k.startsWith(`${i.Name}/`)) ||
        Object.values(s.archives).some((a) => a.source === busArn)
      )
        fail('ValidationException', 'Cannot delete event bus because it has rules.');
      delete s.buses[i.Name];
    },
    DescribeArchive: (i) => {
      const a =
        s.archives[i.ArchiveName] ?? fail('ResourceNotFoundException', `Archive ${i.ArchiveName} does not exist.`);
      return {
        ArchiveName: i.ArchiveName,
        ArchiveArn: archiveArn(i.ArchiveName),
        EventSourceArn: a.source,
        RetentionDays: a.retentionDays,
        State: 'ENABLED',
        ...(a.description !== undefined ? { Description: a.description } : {}),
        ...(a.pattern ? { EventPattern: a.pattern } : {}),
      };
    },
    CreateArchive: (i) => {
      if (s.archives[i.ArchiveName]) fail('ResourceAlreadyExistsException', `Archive ${i.ArchiveName} already exists.`);
      bus(String(i.EventSourceArn).split('/').at(-1)!);
      s.archives[i.ArchiveName] = {
        source: i.EventSourceArn,
        retentionDays: i.RetentionDays ?? 0,
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        ...(i.EventPattern ? { pattern: i.EventPattern } : {}),
      };
      return { ArchiveArn: archiveArn(i.ArchiveName), State: 'ENABLED' };
    },
    UpdateArchive: (i) => {
      const a =
        s.archives[i.ArchiveName] ?? fail('ResourceNotFoundException', `Archive ${i.ArchiveName} does not exist.`);
      if (i.RetentionDays !== undefined) a.retentionDays = i.RetentionDays;
      if (i.Description !== undefined) a.description = i.Description;
      if (i.EventPattern !== undefined) {
        if (i.EventPattern) a.pattern = i.EventPattern;
        else delete a.pattern;
      }
      return { ArchiveArn: archiveArn(i.ArchiveName), State: 'ENABLED' };
    },
    DeleteArchive: (i) => {
      if (!s.archives[i.ArchiveName]) fail('ResourceNotFoundException', `Archive ${i.ArchiveName} does not exist.`);
      delete s.archives[i.ArchiveName];
    },
    // A replay: the archive and the destination bus must exist, the destination must be the archive's source,
    // and FilterArns must be rules of it. It is STARTING, then COMPLETED on the next DescribeReplay.
    StartReplay: (i) => {
      const name = String(i.ReplayName);
      if (model.replays[name]) fail('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
      const archive = String(i.EventSourceArn).split('/').at(-1)!;
      const a = s.archives[archive] ?? fail('ResourceNotFoundException', `Archive ${archive} does not exist.`);
      if (i.Destination?.Arn !== a.source)
        fail('ValidationException', 'Parameter Destination.Arn is not valid. Reason: it must be the archive source.');
      const busName = String(a.source).split('/').at(-1)!;
      for (const filter of i.Destination?.FilterArns ?? []) rule(busName, String(filter).split('/').at(-1)!);
      if (!(new Date(i.EventStartTime) < new Date(i.EventEndTime)))
        fail('ValidationException', 'Parameter EventStartTime is not valid. Reason: it must be before EventEndTime.');
      model.replays[name] = { ...i, State: 'STARTING', reads: 0 };
      return { ReplayArn: `arn:aws:events:${REGION}:${ACCOUNT}:replay/${name}`, State: 'STARTING' };
    },
    DescribeReplay: (i) => {
      const r =
        model.replays[i.ReplayName] ?? fail('ResourceNotFoundException', `Replay ${i.ReplayName} does not exist.`);
      r.State = r.reads++ === 0 ? 'RUNNING' : 'COMPLETED';
      return { ReplayName: i.ReplayName, State: r.State, EventSourceArn: r.EventSourceArn, Destination: r.Destination };
    },
    DescribeRule: (i) => describe(i.EventBusName, i.Name),
    PutRule: (i) => {
      bus(i.EventBusName);
      JSON.parse(i.EventPattern);
      const existing = s.rules[key(i.EventBusName, i.Name)];
      s.rules[key(i.EventBusName, i.Name)] = {
        pattern: i.EventPattern,
        state: i.State ?? 'ENABLED',
        ...(i.Description !== undefined ? { description: i.Description } : {}),
        tags: existing?.tags ?? i.Tags ?? [],
        targets: existing?.targets ?? {},
      };
      return { RuleArn: ruleArn(i.EventBusName, i.Name) };
    },
    ListRules: (i) => {
      bus(i.EventBusName);
      const names = Object.keys(s.rules)
        .filter((k) => k.startsWith(`${i.EventBusName}/${i.NamePrefix ?? ''}`))
        .map((k) => k.slice(i.EventBusName.length + 1))
        .sort();
      return page(
        names.map((n) => describe(i.EventBusName, n)),
        i.NextToken,
        i.Limit ?? 100,
        'Rules',
        'NextToken',
      );
    },
    ListTargetsByRule: (i) => ({ Targets: Object.values(rule(i.EventBusName, i.Rule).targets) }),
    PutTargets: (i) => {
      const r = rule(i.EventBusName, i.Rule);
      for (const t of i.Targets) {
        if (!/^arn:aws:/.test(t.Arn)) fail('ValidationException', `Parameter ${t.Arn} is not valid.`);
        r.targets[t.Id] = t;
      }
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    RemoveTargets: (i) => {
      const r = rule(i.EventBusName, i.Rule);
      for (const id of i.Ids) delete r.targets[id];
      return { FailedEntryCount: 0, FailedEntries: [] };
    },
    DeleteRule: (i) => {
      const r = rule(i.EventBusName, i.Name);
      if (Object.keys(r.targets).length) fail('ValidationException', "Rule can't be deleted since it has targets.");
      delete s.rules[key(i.EventBusName, i.Name)];
    },
  };
}

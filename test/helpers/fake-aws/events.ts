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
      if (Object.keys(s.rules).some((k) => k.startsWith(`${i.Name}/`)))
        fail('ValidationException', 'Cannot delete event bus because it has rules.');
      delete s.buses[i.Name];
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

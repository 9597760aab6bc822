import { LOCAL_ACCOUNT_ID, naming } from '../blueprint/naming.js';
import { UserError } from '../errors.js';
import { text } from '../json.js';
import { compilePattern } from '../events/pattern.js';
import type { LogEntry } from '../logs/entry.js';
import {
  eventsModeOnly,
  type RedriveLetterReport,
  type RedriveReport,
  type RedriveRequest,
  type ReplayedEvent,
  type ReplayReport,
  type ReplayRequest,
  type RerunExecution,
} from '../targets/target.js';
import { LocalBackend } from './backend.js';
import type { EventEnvelope, RedriveLetter } from './bus.js';
import type { LocalRuntimeSpec } from './deploy.js';
import { LocalStore, type RedrivableLetter } from './store.js';

/** The deployed events-mode stage, or the one-line error: not deployed, orchestration, an unknown --rule. */
function eventsStage(projectDir: string, stage: string, command: 'redrive' | 'replay', rule: string | undefined) {
  const store = new LocalStore(projectDir, stage);
  const deployment = store.readDeployment() as LocalRuntimeSpec | undefined;
  if (!deployment)
    throw new UserError(`stage "${stage}" is not deployed on the local target`, [
      'Run `fulfill deploy` first (add --stage if you use another stage).',
    ]);
  if (deployment.mode !== 'events' || !deployment.events) {
    store.close();
    throw eventsModeOnly(command, stage);
  }
  const flow = deployment.events;
  if (rule !== undefined && !flow.rules.some((r) => r.name === rule)) {
    store.close();
    throw new UserError(
      `--rule: stage "${stage}" has no rule "${rule}" (its rules: ${flow.rules.map((r) => r.name).join(', ')})`,
    );
  }
  return { store, deployment, flow };
}

/**
 * `fulfill redrive` on the local target: the stage's dead letters (filtered by order and rule), re-delivered
 * by the event bus in one new execution per order (`LocalEventBus.redrive`). Why a new execution: the
 * execution the letter failed keeps its one outcome (FAILED, as recorded), and the redrive's execution gets
 * its own, visible with `logs/trace --execution N`, the way a resent order id starts a new one.
 */
export async function redriveLocal(projectDir: string, stage: string, request: RedriveRequest): Promise<RedriveReport> {
  const { store, flow } = eventsStage(projectDir, stage, 'redrive', request.rule);
  const rules = new Set(flow.rules.map((r) => r.name));
  let letters: RedrivableLetter[];
  try {
    letters = store.deadLettersToRedrive({
      ...(request.orderId ? { orderId: request.orderId } : {}),
      ...(request.rule ? { rule: request.rule } : {}),
    });
  } finally {
    store.close();
  }
  const reports = new Map<number, RedriveLetterReport>(
    letters.map((letter) => [
      letter.id,
      {
        orderId: letter.orderId,
        rule: letter.rule,
        target: letter.target,
        eventId: text(letter.event.id ?? ''),
        detailType: text(letter.event['detail-type'] ?? ''),
        fromExecution: letter.execution,
        error: letter.error,
        // A letter of a rule the stage no longer has (renamed or removed since) has nowhere to go.
        ...(rules.has(letter.rule) || letter.rule === NOT_ROUTED
          ? { result: 'pending' as const }
          : { result: 'skipped' as const, reason: `the stage has no rule "${letter.rule}" any more` }),
      },
    ]),
  );
  const base = { target: 'local' as const, stage, dryRun: request.dryRun };
  const redrivable = letters.filter((l) => reports.get(l.id)!.result === 'pending');
  if (request.dryRun || redrivable.length === 0) {
    const list = [...reports.values()];
    return { ...base, letters: list, executions: [], summary: redriveSummary(list, [], request) };
  }
  const byOrder = new Map<string, RedrivableLetter[]>();
  for (const letter of redrivable) byOrder.set(letter.orderId, [...(byOrder.get(letter.orderId) ?? []), letter]);
  const backend = await LocalBackend.start(projectDir, stage, { prewarm: false });
  const executions: RerunExecution[] = [];
  try {
    const bus = backend.events!;
    await Promise.all(
      [...byOrder].map(async ([orderId, group]) => {
        const input = group.find((l) => l.input)?.input ?? JSON.stringify(group[0].event.detail ?? { orderId });
        const run = await bus.redrive(orderId, input, group.map(toRedriveLetter));
        group.forEach((letter, i) => {
          const report = reports.get(letter.id)!;
          if (!run) Object.assign(report, { result: 'skipped', reason: 'the order has an execution running' });
          else report.result = run.delivered[i] ? 'redelivered' : 'dead-lettered-again';
        });
        if (run)
          executions.push({ orderId, execution: run.execution, status: run.outcome.status, outcome: run.outcome });
      }),
    );
  } finally {
    await backend.close();
  }
  executions.sort((a, b) => a.orderId.localeCompare(b.orderId));
  const list = [...reports.values()];
  return { ...base, letters: list, executions, summary: redriveSummary(list, executions, request) };
}

/** What the store records for a queued delivery an interrupted execution left unrouted. */
const NOT_ROUTED = '(not routed)';

function toRedriveLetter(letter: RedrivableLetter): RedriveLetter {
  return {
    id: letter.id,
    rule: letter.rule,
    target: letter.target,
    execution: letter.execution,
    attempts: letter.attempts,
    error: letter.error,
    event: letter.event as EventEnvelope & Record<string, unknown>,
  };
}

function redriveSummary(letters: RedriveLetterReport[], executions: RerunExecution[], request: RedriveRequest) {
  if (letters.length === 0) {
    const filters = [
      ...(request.orderId ? [`order ${request.orderId}`] : []),
      ...(request.rule ? [`rule ${request.rule}`] : []),
    ];
    return `nothing to redrive: no dead letters${filters.length ? ` for ${filters.join(', ')}` : ''}`;
  }
  const count = (result: RedriveLetterReport['result']) => letters.filter((l) => l.result === result).length;
  if (request.dryRun)
    return `dry run: ${count('pending')} dead letter(s) would be redriven, ${count('skipped')} skipped`;
  const outcomes = executions.map((x) => `${x.orderId} execution ${x.execution} ${x.status}`).join(', ');
  return `redrove ${letters.length} dead letter(s): ${count('redelivered')} redelivered, ${count('dead-lettered-again')} dead-lettered again, ${count('skipped')} skipped${outcomes ? `; ${outcomes}` : ''}`;
}

/**
 * `fulfill replay` on the local target: the events recorded as put on the bus (`EventPublished` entries), in
 * their original order, for one order (its latest execution that published any) or every order since a time;
 * each order's events are replayed in a new execution of it (`LocalEventBus.replay`).
 */
export async function replayLocal(projectDir: string, stage: string, request: ReplayRequest): Promise<ReplayReport> {
  const { store, deployment, flow } = eventsStage(projectDir, stage, 'replay', request.rule);
  const replayName = `fulfill-replay-${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${Math.random().toString(36).slice(2, 6)}`;
  let published: LogEntry[];
  const inputs = new Map<string, string>();
  try {
    published = store
      .readLog({
        ...(request.orderId ? { orderId: request.orderId } : {}),
        ...(request.since !== undefined ? { since: request.since } : {}),
        sources: ['events'],
      })
      .filter((e) => e.type === 'EventPublished' && e.orderId !== '-' && e.details?.detail !== undefined);
    if (request.orderId) {
      // The order's latest submission (its events begin with the order placed): a redrive's or replay's own
      // execution holds only what its targets published, not the order's whole flow.
      const placed = published.filter((e) => e.name === flow.orderPlaced && e.details?.source === flow.source);
      const latest = Math.max(0, ...(placed.length ? placed : published).map((e) => e.execution ?? 0));
      published = published.filter((e) => (e.execution ?? 0) === latest);
    }
    for (const orderId of new Set(published.map((e) => e.orderId))) {
      const input = store.latestExecution(orderId)?.input;
      if (input) inputs.set(orderId, input);
    }
  } finally {
    store.close();
  }
  const names = naming(deployment.app, deployment.stage, deployment.region, LOCAL_ACCOUNT_ID);
  const matchers = flow.rules
    .filter((r) => request.rule === undefined || r.name === request.rule)
    .map((r) => ({ name: r.name, matches: compilePattern(r.pattern) }));
  const plan = published.map((entry) => {
    const event = envelopeOf(entry, names.busArn().split(':')[4], deployment.region);
    const withName = { ...event, 'replay-name': replayName };
    return { entry, event, rules: matchers.filter((m) => m.matches(withName)).map((m) => m.name) };
  });
  const replayed = plan.filter((p) => p.rules.length > 0);
  const events: ReplayedEvent[] = replayed.map(({ entry, event, rules }) => ({
    orderId: entry.orderId,
    eventId: event.id,
    detailType: event['detail-type'],
    source: event.source,
    publishedAt: entry.timestamp,
    rules,
  }));
  const base = { target: 'local' as const, stage, dryRun: request.dryRun, replayName, events };
  const skipped = plan.length - replayed.length;
  if (request.dryRun || replayed.length === 0)
    return { ...base, skipped, executions: [], summary: replaySummary(events, skipped, [], request) };
  const byOrder = new Map<string, typeof replayed>();
  for (const item of replayed) byOrder.set(item.entry.orderId, [...(byOrder.get(item.entry.orderId) ?? []), item]);
  const backend = await LocalBackend.start(projectDir, stage, { prewarm: false });
  const executions: RerunExecution[] = [];
  const busy: string[] = [];
  try {
    const bus = backend.events!;
    await Promise.all(
      [...byOrder].map(async ([orderId, items]) => {
        const input = inputs.get(orderId) ?? JSON.stringify(items[0].event.detail);
        const run = await bus.replay(orderId, input, replayName, items);
        if (!run) busy.push(orderId);
        else executions.push({ orderId, execution: run.execution, status: run.outcome.status, outcome: run.outcome });
      }),
    );
  } finally {
    await backend.close();
  }
  executions.sort((a, b) => a.orderId.localeCompare(b.orderId));
  const notReplayed = events.filter((e) => busy.includes(e.orderId)).length;
  return {
    ...base,
    events: events.filter((e) => !busy.includes(e.orderId)),
    skipped: skipped + notReplayed,
    executions,
    summary:
      replaySummary(events, skipped, executions, request) +
      (busy.length ? `; not replayed (an execution is running): ${busy.join(', ')}` : ''),
  };
}

/** The envelope as it was put on the bus, from its `EventPublished` entry (the id, source, detail and time). */
function envelopeOf(entry: LogEntry, account: string, region: string): EventEnvelope {
  const details = entry.details ?? {};
  return {
    version: '0',
    id: String(details.eventId),
    'detail-type': entry.name ?? '',
    source: String(details.source),
    account,
    time: entry.timestamp.replace(/\.\d{3}Z$/, 'Z'),
    region,
    // Not recorded in the log; the flow's events carry none (PutEvents from the handlers sets no Resources).
    resources: [],
    detail: details.detail as Record<string, unknown>,
  };
}

function replaySummary(events: ReplayedEvent[], skipped: number, executions: RerunExecution[], request: ReplayRequest) {
  const scope = request.orderId ? `order ${request.orderId}` : 'the window';
  const only = request.rule ? ` to rule ${request.rule}` : '';
  if (events.length === 0)
    return `nothing to replay: no recorded events of ${scope}${request.rule ? ` match rule ${request.rule}` : ' reach a rule'}`;
  if (request.dryRun)
    return `dry run: ${events.length} event(s) of ${scope} would be replayed${only} (${skipped} reach no rule)`;
  const outcomes = executions.map((x) => `${x.orderId} execution ${x.execution} ${x.status}`).join(', ');
  return `replayed ${events.length} event(s) of ${scope}${only} (${skipped} reach no rule)${outcomes ? `; ${outcomes}` : ''}`;
}

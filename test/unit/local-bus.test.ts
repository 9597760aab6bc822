import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LOCAL_ACCOUNT_ID, naming } from '../../src/lib/blueprint/naming.js';
import { FORGET_ENDED_AFTER_MS, LocalEventBus } from '../../src/lib/local/bus.js';
import type { LocalRuntimeSpec } from '../../src/lib/local/deploy.js';
import type { LocalLambda } from '../../src/lib/local/lambda.js';
import { Recorder } from '../../src/lib/local/recorder.js';
import { LocalStore } from '../../src/lib/local/store.js';
import { tempDir, templateProject } from '../helpers/cli.js';
import { placeOrder } from '../helpers/bus.js';

// PutEvents as EventBridge validates it, on the in-process API and over the loopback JSON protocol.
describe('the local event bus: PutEvents', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  const blueprint = loadBlueprint(tmp.dir);
  const names = naming('test-shop', 'test', 'eu-central-1', LOCAL_ACCOUNT_ID);
  const { file: _file, ...events } = blueprint.events!;
  const store = new LocalStore(tmp.dir, 'test');
  // No rule matches these sources, so nothing is delivered: this is about acceptance and the envelope.
  const recorder = new Recorder(store);
  const bus = new LocalEventBus({ events } as unknown as LocalRuntimeSpec, names, store, recorder);
  afterAll(async () => {
    await bus.close();
    store.close();
    tmp.cleanup();
  });
  const entry = (over: Record<string, unknown> = {}) => ({
    EventBusName: names.busName(),
    Source: 'test.source',
    DetailType: 'Probe',
    Detail: '{"orderId":"p-1"}',
    ...over,
  });

  it.each([
    ['accepted', entry(), { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) }],
    ['bus by ARN', entry({ EventBusName: names.busArn() }), { EventId: expect.any(String) }],
    [
      'unknown bus',
      entry({ EventBusName: 'other' }),
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus other does not exist.' },
    ],
    [
      'detail not JSON',
      entry({ Detail: '{oops' }),
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ],
    [
      'detail an array',
      entry({ Detail: '[1,2]' }),
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ],
    [
      'detail a string',
      entry({ Detail: '"x"' }),
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ],
    [
      'no source',
      entry({ Source: undefined }),
      { ErrorCode: 'InvalidArgument', ErrorMessage: expect.stringMatching(/Source, DetailType, or Detail/) },
    ],
  ])('%s', (_name, e, expected) => {
    const response = bus.putEvents({ Entries: [e] });
    expect(response.Entries).toEqual([expected]);
    expect(response.FailedEntryCount).toBe('ErrorCode' in expected ? 1 : 0);
  });

  it('refuses more than 10 entries and oversized requests as a whole', () => {
    expect(() => bus.putEvents({ Entries: Array.from({ length: 11 }, () => entry()) })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
    expect(() =>
      bus.putEvents({ Entries: [entry({ Detail: JSON.stringify({ big: 'x'.repeat(300 * 1024) }) })] }),
    ).toThrow(/over the limit/);
    expect(() => bus.putEvents({ Entries: [] })).toThrow(expect.objectContaining({ name: 'ValidationException' }));
  });

  it("queues a function's event once per rule it matches, in the turn that accepted it", async () => {
    // Deliveries that never end, so what the bus queued stays in the store.
    const routed = new LocalEventBus({ events } as unknown as LocalRuntimeSpec, names, store, recorder);
    routed.attach({ invoke: () => new Promise(() => undefined) } as unknown as LocalLambda);
    const put = (source: string, detailType: string) =>
      routed.putEvents({
        Entries: [{ ...entry(), Source: source, DetailType: detailType, Detail: '{"orderId":"q-1"}' }],
      });
    await store.grouped(() => put(events.source, events.orderPlaced));
    await new Promise((resolve) => setImmediate(resolve)); // the placed order is routed
    put('fulfill.authorize-payment', 'PaymentAuthorized');
    store.commit();
    // Durable with the accept: the fan-out's two rules, and no unrouted copy of the event.
    const queued = store.queuedDeliveries().filter((d) => d.orderId === 'q-1');
    expect(queued.map((d) => [d.rule, d.event['detail-type']])).toEqual([
      ['authorize-payment', 'OrderPlaced'],
      ['confirm-payment', 'PaymentAuthorized'],
      ['determine-seller', 'PaymentAuthorized'],
    ]);
  });

  it('speaks the EventBridge JSON protocol to the real SDK client, and records the envelope', async () => {
    const endpoint = await bus.listen();
    const client = new EventBridgeClient({
      region: 'eu-central-1',
      endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const out = await client.send(
      new PutEventsCommand({ Entries: [entry({ Detail: '{"orderId":"sdk-1"}' }), entry({ Detail: 'nope' })] }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    await bus.idle();
    recorder.flush(); // the recorder appends once per event-loop turn
    const published = store.readLog({ orderId: 'sdk-1' }).find((e) => e.type === 'EventPublished')!;
    expect(published).toMatchObject({
      name: 'Probe',
      details: { source: 'test.source', detail: { orderId: 'sdk-1' } },
    });
    const matched = store.readLog({ orderId: 'sdk-1' }).find((e) => e.type === 'RulesMatched')!;
    expect(matched.details?.rules).toEqual([]);
    client.destroy();
  });
});

// A long run (send-order --count 10000, serve) must not grow per order: an ended execution's state goes.
describe('the local event bus: memory over many orders', () => {
  const tmp = tempDir();
  templateProject(tmp.dir, { mode: 'events' });
  const { file: _file, ...events } = loadBlueprint(tmp.dir).events!;
  const names = naming('test-shop', 'test', 'eu-central-1', LOCAL_ACCOUNT_ID);
  const store = new LocalStore(tmp.dir, 'test');
  const recorder = new Recorder(store);
  const bus = new LocalEventBus({ events } as unknown as LocalRuntimeSpec, names, store, recorder);
  // The first target ends the order at once, as a one-step flow would: it publishes the terminal event.
  bus.attach({
    invoke: (_target: string, _input: unknown, meta: { orderId: string }) => {
      bus.putEvents({
        Entries: [
          {
            EventBusName: names.busName(),
            Source: 'fulfill.issue-invoices',
            DetailType: events.outcome.succeeded[0],
            Detail: JSON.stringify({ orderId: meta.orderId }),
          },
        ],
      });
      return Promise.resolve({});
    },
  } as unknown as LocalLambda);
  afterAll(async () => {
    jest.useRealTimers();
    await bus.close();
    store.close();
    tmp.cleanup();
  });

  it("forgets an ended order's execution and loop-guard counts once it has been idle, and keeps its history", async () => {
    // Only the cleanup's timer is driven by the test; turns (setImmediate) and the store run for real.
    jest.useFakeTimers({
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'Date', 'hrtime', 'performance'],
    });
    const ids = ['m-1', 'm-2', 'm-3'];
    for (const orderId of ids) await placeOrder(bus, store, names.busName(), events, orderId);
    const outcomes = await Promise.all(ids.map((id) => bus.outcome(id)!));
    expect(outcomes.map((o) => o.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    await bus.idle();
    // Ended and idle: still known for a while (a late event of theirs belongs to them)...
    expect(bus.retained()).toEqual({ executions: 3, loopGuards: 3 });
    jest.advanceTimersByTime(FORGET_ENDED_AFTER_MS - 1);
    expect(bus.retained()).toEqual({ executions: 3, loopGuards: 3 });
    // ...then nothing of them stays in memory (the loop guard's counts were kept up to 10,000 orders).
    jest.advanceTimersByTime(1);
    expect(bus.retained()).toEqual({ executions: 0, loopGuards: 0 });
    // What `logs` and `trace` read is the store's, not the bus's memory: every order keeps its whole history.
    recorder.flush();
    for (const orderId of ids) {
      const types = store.readLog({ orderId }).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['EventPublished', 'DeliverySucceeded', 'OutcomeRecorded']));
      expect(store.readExecutionOutcome(store.latestExecution(orderId)!.id)?.status).toBe('SUCCEEDED');
    }
  });
});

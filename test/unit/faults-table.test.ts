import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LocalBackend } from '../../src/lib/local/backend.js';
import { fastClock } from '../../src/lib/local/clock.js';
import { localDeploySteps } from '../../src/lib/local/deploy.js';
import { parseFaults, type Fault } from '../../src/lib/local/faults.js';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import type { Order } from '../../src/lib/order/model.js';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import { tempDir, templateProject } from '../helpers/cli.js';

function testOrder(orderId: string, sellerId: string): Order {
  return {
    orderId,
    customerId: 'customer-1',
    paymentInstrumentType: 'creditCard',
    sellerId,
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity: 1, unitPrice: 19.99 }],
    shipTo: { country: 'DE', postalCode: '10115' },
  };
}

// What each mode reaches. DEAD_LETTERED: a delivery was dead-lettered and the order FAILED with the handler's error;
// FLOW_STOPPED: the order FAILED with FlowStopped (an event was lost, nothing led on to a terminal event). A fan-out
// branch (notify-customer after PaymentAuthorized) can fail without stopping the order in events mode, where
// orchestration runs it in line.
type Reached = 'SUCCEEDED' | 'FAILED' | 'DEAD_LETTERED' | 'FLOW_STOPPED';
const STEPS: Array<{ handler: string; seller: string; fanOut?: boolean }> = [
  { handler: 'authorize-payment', seller: 'shop' },
  { handler: 'notify-customer', seller: 'shop', fanOut: true },
  { handler: 'determine-seller', seller: 'shop' },
  { handler: 'select-warehouse', seller: 'shop' },
  { handler: 'decide-fulfillment', seller: 'seller-7' },
  { handler: 'calculate-fee', seller: 'seller-7' },
  { handler: 'issue-invoices', seller: 'seller-7' },
];
interface Case {
  name: string;
  spec: string;
  seller: string;
  orchestration: Reached;
  events: Reached;
  error?: string;
}
const CASES: Case[] = [
  ...STEPS.flatMap(({ handler, seller, fanOut }): Case[] => [
    {
      name: `${handler} throws Error`,
      spec: `${handler}:throw:Error:boom`,
      seller,
      // A main-chain error ends the order in both modes (a Catch-all: the state machine's error path, the
      // events flow's onError States.ALL); the notification branch's error is caught and the order goes on.
      orchestration: fanOut ? 'SUCCEEDED' : 'FAILED',
      events: fanOut ? 'SUCCEEDED' : 'FAILED',
      error: 'Error',
    },
    {
      name: `${handler} is slow`,
      spec: `${handler}:delay:200ms`,
      seller,
      orchestration: 'SUCCEEDED',
      events: 'SUCCEEDED',
    },
    {
      name: `${handler} times out`,
      spec: `${handler}:timeout`,
      seller,
      orchestration: fanOut ? 'SUCCEEDED' : 'FAILED',
      events: fanOut ? 'SUCCEEDED' : 'DEAD_LETTERED',
      error: 'Sandbox.Timedout',
    },
    {
      name: `${handler} fails once (retried)`,
      spec: `${handler}:fail:1`,
      seller,
      orchestration: 'SUCCEEDED',
      events: 'SUCCEEDED',
    },
    // Step Functions Retry: MaxAttempts 3 (4 attempts); the bus: maximumRetryAttempts 2 (3 attempts).
    {
      name: `${handler} fails 3 times`,
      spec: `${handler}:fail:3`,
      seller,
      orchestration: 'SUCCEEDED',
      events: fanOut ? 'SUCCEEDED' : 'DEAD_LETTERED',
    },
  ]),
  {
    name: 'authorize-payment declines (caught in both)',
    spec: 'authorize-payment:throw:PaymentAuthorizationFailed',
    seller: 'shop',
    orchestration: 'FAILED',
    events: 'FAILED',
    error: 'PaymentAuthorizationFailed',
  },
  {
    name: 'OrderPlaced dropped',
    spec: 'event:OrderPlaced:drop',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'FLOW_STOPPED',
  },
  {
    name: 'PaymentAuthorized dropped',
    spec: 'event:PaymentAuthorized:drop',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'FLOW_STOPPED',
  },
  {
    name: 'SellerDetermined dropped',
    spec: 'event:SellerDetermined:drop',
    seller: 'seller-7',
    orchestration: 'SUCCEEDED',
    events: 'FLOW_STOPPED',
  },
  {
    name: 'OrderCompleted dropped (nobody sees the end)',
    spec: 'event:OrderCompleted:drop',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'FLOW_STOPPED',
  },
  {
    name: 'OrderPlaced delivered twice',
    spec: 'event:OrderPlaced:duplicate',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'SUCCEEDED',
  },
  {
    name: 'FulfillmentDecided delivered twice',
    spec: 'event:FulfillmentDecided:duplicate',
    seller: 'seller-7',
    orchestration: 'SUCCEEDED',
    events: 'SUCCEEDED',
  },
  {
    name: 'PaymentAuthorized late',
    spec: 'event:PaymentAuthorized:delay:300ms',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'SUCCEEDED',
  },
  {
    name: 'WarehouseSelected late',
    spec: 'event:WarehouseSelected:delay:300ms',
    seller: 'shop',
    orchestration: 'SUCCEEDED',
    events: 'SUCCEEDED',
  },
];

interface Observed {
  reached: Reached;
  outcome?: OrderOutcome;
  entries: LogEntry[];
}

describe('every injected fault at every step, in both modes', () => {
  const tmp = tempDir();
  const observed: Record<'orchestration' | 'events', Map<string, Observed>> = {
    orchestration: new Map(),
    events: new Map(),
  };

  beforeAll(async () => {
    // A short function timeout keeps the timeout cases fast; generous enough for a cold worker on a busy machine.
    templateProject(tmp.dir, { functions: { timeoutSeconds: 3, memoryMb: 256 } });
    await Promise.all(
      (['orchestration', 'events'] as const).map(async (mode) => {
        const stage = mode === 'orchestration' ? 'f-orch' : 'f-ev';
        for (const step of localDeploySteps(loadBlueprint(tmp.dir, { mode, stage })).steps) await step.run();
        // One backend per mode; each fault is limited to its own order, so all cases run at once.
        const faults: Fault[] = CASES.flatMap((c, i) =>
          parseFaults([c.spec]).faults.map((f) => ({ ...f, orderId: `case-${i}` })),
        );
        const backend = await LocalBackend.start(tmp.dir, stage, {
          recordFunctionLogs: false,
          // Retry intervals (1 s, 2 s, 4 s), back-off, injected delays and timeouts 50 times faster; the handlers
          // run in real time.
          clock: fastClock(50),
          faults: { faults: faults.filter((f) => mode === 'events' || !('detailType' in f)) },
        });
        const entries = new Map<string, LogEntry[]>();
        backend.recorder.subscribe((e) => entries.set(e.orderId, [...(entries.get(e.orderId) ?? []), e]));
        try {
          // Warm every execution environment first: a cold start under 46 queued invocations could itself time out.
          for (const [id, seller] of [
            ['warm-1p', 'shop'],
            ['warm-3p', 'seller-7'],
          ] as const) {
            await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(testOrder(id, seller)) });
            expect((await backend.waitForOutcome(id, 30_000)).status).toBe('SUCCEEDED');
          }
          const outcomes = await Promise.all(
            CASES.map(async (c, i) => {
              const orderId = `case-${i}`;
              const response = await backend.api.handle({
                method: 'POST',
                path: '/orders',
                body: JSON.stringify(testOrder(orderId, c.seller)),
              });
              expect(response.statusCode).toBe(200);
              return backend.waitForOutcome(orderId, 60_000);
            }),
          );
          // Let fan-out branches and their retries finish, so the log shows everything the fault caused (in
          // orchestration they run in line, before the outcome).
          await backend.events?.idle();
          for (const outcome of outcomes)
            observed[mode].set(outcome.orderId, reached(outcome, entries.get(outcome.orderId) ?? []));
        } finally {
          await backend.close();
        }
      }),
    );
  }, 120_000);
  afterAll(() => tmp.cleanup());

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    for (const mode of ['orchestration', 'events'] as const) {
      const seen = observed[mode].get(`case-${i}`)!;
      const expected = c[mode];
      const injected = seen.entries.filter((e) => e.type === 'FaultInjected');
      const applies = mode === 'events' || !c.spec.startsWith('event:');
      // The fault is visible in the order's log as injected, wherever it applies.
      if (applies) expect(injected.length).toBeGreaterThan(0);
      for (const e of injected) expect(e.details).toMatchObject({ injected: true, spec: c.spec });
      expect({ mode, reached: seen.reached }).toEqual({ mode, reached: expected });
      if (expected === 'DEAD_LETTERED') expect(seen.entries.some((e) => e.type === 'DeadLettered')).toBe(true);
      if (expected === 'FAILED' && c.error) expect(seen.outcome?.error?.error).toBe(c.error);
      if (expected === 'SUCCEEDED') expect(seen.outcome?.invoices.length).toBeGreaterThan(0);
    }
  });

  it('retries are visible: fail:3 takes 4 attempts in orchestration and 3 deliveries before the dead letter in events', () => {
    const i = CASES.findIndex((c) => c.spec === 'determine-seller:fail:3');
    const orch = observed.orchestration.get(`case-${i}`)!.entries;
    const ev = observed.events.get(`case-${i}`)!.entries;
    expect(orch.filter((e) => e.type === 'LambdaFunctionStarted' && e.name === 'DetermineSeller')).toHaveLength(4);
    expect(ev.filter((e) => e.type === 'DeliveryFailed' && e.details?.target === 'determine-seller')).toHaveLength(3);
  });

  it('a duplicated event runs its consumers twice in events mode', () => {
    const i = CASES.findIndex((c) => c.spec === 'event:OrderPlaced:duplicate');
    const ev = observed.events.get(`case-${i}`)!.entries;
    expect(ev.filter((e) => e.type === 'DeliverySucceeded' && e.details?.target === 'authorize-payment')).toHaveLength(
      2,
    );
  });
});

/** Names what the order reached, from its one outcome and its log. */
function reached(outcome: OrderOutcome, entries: LogEntry[]): Observed {
  const deadLettered = entries.some((e) => e.type === 'DeadLettered');
  const reached: Reached =
    outcome.status !== 'FAILED'
      ? (outcome.status as Reached)
      : outcome.error?.error === 'FlowStopped'
        ? 'FLOW_STOPPED'
        : deadLettered
          ? 'DEAD_LETTERED'
          : 'FAILED';
  return { reached, outcome, entries };
}

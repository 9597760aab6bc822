import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from '../../src/lib/logs/entry.js';
import { LocalBackend } from '../../src/lib/local/backend.js';
import type { OrderOutcome } from '../../src/lib/order/outcome.js';
import { envelope, jsonLines, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { openStateDb } from '../helpers/state.js';

describe('events mode on the local target, end to end', () => {
  const tmp = tempDir();
  const project = join(tmp.dir, 'shop');

  beforeAll(async () => {
    expect(
      (await runInProcess(['init', project, '--name', 'ev-shop', '--mode', 'events', '--yes'], { cwd: tmp.dir })).code,
    ).toBe(0);
    const deploy = await runInProcess(['deploy', '--json'], { cwd: project });
    expect(deploy.code).toBe(0);
    const changes = envelope<{ mode: string; changes: Array<{ kind: string; action: string }> }>(deploy).result;
    expect(changes.mode).toBe('events');
    expect(changes.changes.filter((c) => c.kind === 'rule')).toHaveLength(8);
  });
  afterAll(() => tmp.cleanup());

  const send = async (args: string[]) => {
    const run = await runInProcess(['send-order', ...args, '--json'], { cwd: project });
    expect(run.code).toBe(0);
    return envelope<{ outcome: OrderOutcome }>(run).result.outcome;
  };
  const chain = async (orderId: string) => {
    const entries = jsonLines<LogEntry>(
      (await runInProcess(['logs', '--order', orderId, '--json', '--source', 'events'], { cwd: project })).stdout,
    );
    return entries.filter((e) => e.type === 'EventPublished').map((e) => e.name);
  };

  it('starts ahead only the environment every order reaches first, the others when an order reaches them', async () => {
    const started = (backend: LocalBackend) =>
      Object.entries(backend.environments())
        .filter(([, pool]) => pool.environments > 0)
        .map(([name]) => name)
        .sort();
    // Redrive and replay start no new orders: nothing ahead.
    const rerun = await LocalBackend.start(project, 'dev', { prewarm: false, recordFunctionLogs: false });
    try {
      expect(started(rerun)).toEqual([]);
    } finally {
      await rerun.close();
    }
    const backend = await LocalBackend.start(project, 'dev', { recordFunctionLogs: false });
    try {
      // The target of the rule every OrderPlaced matches, and no other.
      expect(started(backend)).toEqual(['authorize-payment']);
      // A declined payment reaches two of the seven functions: only theirs start.
      const order = {
        orderId: 'ev-warm',
        customerId: 'customer-1',
        paymentInstrumentType: 'giftCard',
        sellerId: 'shop',
        currency: 'EUR',
        items: [{ sku: 'sku-1', quantity: 1, unitPrice: 9.5 }],
        shipTo: { country: 'DE', postalCode: '10115' },
      };
      const response = await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(order) });
      expect(response.statusCode).toBe(200);
      expect((await backend.waitForOutcome('ev-warm', 60_000)).status).toBe('FAILED');
      expect(started(backend)).toEqual(['authorize-payment', 'notify-customer']);
    } finally {
      await backend.close();
    }
  });

  it('creditCard 1P: OrderPlaced -> ... -> OrderCompleted, with the warehouse', async () => {
    const outcome = await send(['--payment', 'creditCard', '--order-id', 'ev-1p']);
    expect(outcome).toMatchObject({
      mode: 'events',
      status: 'SUCCEEDED',
      seller: { type: '1P' },
      warehouse: 'FRA1',
      fulfilledBy: 'shop',
      payment: { authorized: true },
    });
    const events = await chain('ev-1p');
    expect(events).toEqual(
      expect.arrayContaining([
        'OrderPlaced',
        'PaymentAuthorized',
        'CustomerNotified',
        'SellerDetermined',
        'WarehouseSelected',
        'OrderCompleted',
      ]),
    );
    expect(events).not.toContain('FulfillmentDecided');
  });

  it('creditCard 3P: routed on detail.seller.type to the fulfillment decision and the fee', async () => {
    const outcome = await send(['--payment', 'creditCard', '--seller', '3P', '--ship-to', 'JP', '--order-id', 'ev-3p']);
    // JP is outside the network: the seller fulfills, 8% fee, minimum 0.30 -> 1.60 on 19.99.
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      seller: { type: '3P' },
      fulfilledBy: 'seller',
      warehouse: null,
      fee: { rate: 0.08, amount: 1.6 },
    });
    expect(outcome.invoices.map((i) => i.type)).toEqual(['customer', 'seller-fee']);
    const events = await chain('ev-3p');
    expect(events).toEqual(
      expect.arrayContaining(['SellerDetermined', 'FulfillmentDecided', 'FeeCalculated', 'OrderCompleted']),
    );
    expect(events).not.toContain('WarehouseSelected');
  });

  it('a failed payment ends in OrderFailed, with the matched rules in the log', async () => {
    const outcome = await send(['--payment', 'giftCard', '--order-id', 'ev-fail']);
    expect(outcome).toMatchObject({
      status: 'FAILED',
      error: { error: 'PaymentAuthorizationFailed', cause: 'Payment Authorization Failed' },
    });
    expect(await chain('ev-fail')).toEqual(['OrderPlaced', 'PaymentFailed', 'OrderFailed']);
    const entries = jsonLines<LogEntry>(
      (await runInProcess(['logs', '--order', 'ev-fail', '--json'], { cwd: project })).stdout,
    );
    const matched = entries.filter((e) => e.type === 'RulesMatched').map((e) => e.details?.rules);
    expect(matched).toEqual([['authorize-payment'], ['payment-failed'], []]);
  });

  // A handler's own error becomes OrderFailed (events.json's States.ALL onError); a crash of its environment
  // happens outside the wrapper, so the delivery is retried and then dead-lettered.
  it('a subscriber that crashes is retried, then dead-lettered, with every attempt in the log', async () => {
    const handler = join(project, 'handlers', 'select-warehouse.ts');
    const original = readFileSync(handler, 'utf8');
    writeFileSync(
      handler,
      original.replace(
        'return warehouseFor',
        "if (order.shipTo.country === 'XX') { setImmediate(() => { throw new Error('warehouse system down'); }); await new Promise(() => {}); }\n  return warehouseFor",
      ),
    );
    try {
      expect((await runInProcess(['deploy'], { cwd: project })).code).toBe(0);
      const run = await runInProcess(
        ['send-order', '--ship-to', 'XX', '--order-id', 'ev-dlq', '--timeout', '30', '--json'],
        {
          cwd: project,
        },
      );
      // The dead letter ends the order FAILED at once, with the handler's error, the rule and the target.
      expect(run.code).toBe(0);
      expect(envelope<{ outcome: OrderOutcome }>(run).result.outcome).toMatchObject({
        status: 'FAILED',
        error: {
          error: 'Runtime.ExitError',
          cause: expect.stringMatching(/Runtime exited with error: warehouse system down$/),
        },
      });
      const trace = await runInProcess(['trace', 'ev-dlq', '--json'], { cwd: project });
      expect(envelope<{ status: string }>(trace).result.status).toBe('FAILED');
      const sla = envelope<{ orders: Array<{ orderId: string; status: string }> }>(
        await runInProcess(['trace', '--slowest', '50', '--json'], { cwd: project }),
      );
      expect(sla.result.orders).toContainEqual(expect.objectContaining({ orderId: 'ev-dlq', status: 'FAILED' }));
      const entries = jsonLines<LogEntry>(
        (await runInProcess(['logs', '--order', 'ev-dlq', '--json'], { cwd: project })).stdout,
      );
      const failures = entries.filter((e) => e.type === 'DeliveryFailed' && e.details?.rule === 'select-warehouse-1p');
      expect(failures.map((e) => e.details?.attempt)).toEqual([1, 2, 3]); // maximumRetryAttempts: 2
      expect(failures[0].details).toMatchObject({
        error: 'Runtime.ExitError',
        cause: expect.stringContaining('Runtime exited with error: warehouse system down'),
      });
      expect(entries.filter((e) => e.type === 'DeadLettered')).toHaveLength(1);
      const db = openStateDb(project, 'dev');
      const dlq = (
        db.prepare("SELECT rule, attempts, event FROM dead_letters WHERE order_id = 'ev-dlq'").all() as Array<
          Record<string, unknown>
        >
      ).map((r) => ({ rule: r.rule, attempts: r.attempts, event: JSON.parse(String(r.event)) as unknown }));
      db.close();
      expect(dlq).toEqual([
        expect.objectContaining({
          rule: 'select-warehouse-1p',
          attempts: 3,
          event: expect.objectContaining({ detail: expect.objectContaining({ orderId: 'ev-dlq' }) }),
        }),
      ]);
    } finally {
      writeFileSync(handler, original);
      await runInProcess(['deploy'], { cwd: project });
    }
  });
});

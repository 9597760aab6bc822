import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadBlueprint } from '../../src/lib/blueprint/blueprint.js';
import { LocalBackend } from '../../src/lib/local/backend.js';
import { localDeploySteps } from '../../src/lib/local/deploy.js';
import type { Order } from '../../src/lib/order/model.js';
import { comparableOutcome, type OrderOutcome } from '../../src/lib/order/outcome.js';
import { tempDir, templateProject } from '../helpers/cli.js';

/** Builds a full valid order with overrides (a fixture builder, not copied JSON). */
function testOrder(overrides: Partial<Order> & { quantity?: number; price?: number; country?: string } = {}): Order {
  const { quantity = 1, price = 19.99, country = 'DE', ...rest } = overrides;
  return {
    orderId: 'x',
    customerId: 'customer-1',
    paymentInstrumentType: 'creditCard',
    sellerId: 'shop',
    currency: 'EUR',
    items: [{ sku: 'sku-1', quantity, unitPrice: price }],
    shipTo: { country, postalCode: '10115' },
    ...rest,
  };
}

// Payment types x 1P/3P x quantities x destinations: every branch of both wirings.
const ORDERS: Array<[string, Order]> = [
  ['1P creditCard DE', testOrder()],
  ['1P creditCard FR', testOrder({ country: 'FR' })],
  ['1P creditCard GB x3', testOrder({ country: 'GB', quantity: 3 })],
  ['1P creditCard US', testOrder({ country: 'US', price: 250 })],
  ['1P creditCard JP (main hub)', testOrder({ country: 'JP' })],
  [
    '1P creditCard two items',
    testOrder({
      items: [
        { sku: 'a', quantity: 2, unitPrice: 1.005 },
        { sku: 'b', quantity: 1, unitPrice: 0.1 },
      ],
    }),
  ],
  ['1P giftCard', testOrder({ paymentInstrumentType: 'giftCard' })],
  ['1P paypal', testOrder({ paymentInstrumentType: 'paypal' })],
  ['1P invoice FR', testOrder({ paymentInstrumentType: 'invoice', country: 'FR' })],
  ['3P creditCard DE small (shop fulfills)', testOrder({ sellerId: 'seller-7' })],
  ['3P creditCard DE x10 (shop fulfills)', testOrder({ sellerId: 'seller-7', quantity: 10 })],
  ['3P creditCard DE x11 (seller fulfills)', testOrder({ sellerId: 'seller-7', quantity: 11 })],
  ['3P creditCard FR', testOrder({ sellerId: 'marketplace-seller-1', country: 'FR', price: 99.5 })],
  ['3P creditCard JP (seller fulfills)', testOrder({ sellerId: 'seller-7', country: 'JP' })],
  ['3P creditCard minimum fee', testOrder({ sellerId: 'seller-7', price: 1 })],
  ['3P creditCard US big', testOrder({ sellerId: 'seller-9', country: 'US', quantity: 5, price: 1234.56 })],
  ['3P creditCard CA x1000', testOrder({ sellerId: 'seller-9', country: 'CA', quantity: 1000, price: 0.01 })],
  ['3P giftCard', testOrder({ sellerId: 'seller-7', paymentInstrumentType: 'giftCard' })],
  ['3P debitCard JP', testOrder({ sellerId: 'seller-7', paymentInstrumentType: 'debitCard', country: 'JP' })],
  ['3P creditCard USD', testOrder({ sellerId: 'seller-7', currency: 'USD', country: 'US' })],
  ['1P creditCard CHF', testOrder({ currency: 'CHF', country: 'CH' })],
  [
    '3P creditCard three items GB',
    testOrder({
      sellerId: 'seller-3',
      country: 'GB',
      items: [
        { sku: 'a', quantity: 3, unitPrice: 5 },
        { sku: 'b', quantity: 3, unitPrice: 7.25 },
        { sku: 'c', quantity: 4, unitPrice: 0.99 },
      ],
    }),
  ],
];

describe('both modes reach the same outcome for the same order', () => {
  const tmp = tempDir();
  const backends: Record<string, LocalBackend> = {};

  beforeAll(async () => {
    templateProject(tmp.dir);
    for (const [stage, mode] of [
      ['orch', 'orchestration'],
      ['ev', 'events'],
    ] as const) {
      const { steps } = localDeploySteps(loadBlueprint(tmp.dir, { mode, stage }));
      for (const step of steps) await step.run();
      backends[mode] = await LocalBackend.start(tmp.dir, stage, { recordFunctionLogs: false });
    }
  }, 120_000);
  afterAll(async () => {
    await Promise.all(Object.values(backends).map((b) => b.close()));
    tmp.cleanup();
  });

  const run = async (backend: LocalBackend, order: Order): Promise<OrderOutcome> => {
    const response = await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(order) });
    expect(response.statusCode).toBe(200);
    return backend.waitForOutcome(order.orderId, 30_000);
  };

  it.each(ORDERS.map(([name, order], i) => [name, { ...order, orderId: `x-${i}` }] as const))(
    '%s',
    async (_name, order) => {
      const [orchestrated, choreographed] = await Promise.all([
        run(backends.orchestration, order),
        run(backends.events, order),
      ]);
      expect(orchestrated.mode).toBe('orchestration');
      expect(choreographed.mode).toBe('events');
      expect(comparableOutcome(choreographed)).toEqual(comparableOutcome(orchestrated));
    },
  );

  it('covers both outcomes and both seller types', async () => {
    const outcomes = await Promise.all(
      ORDERS.map((_entry, i) => backends.orchestration.waitForOutcome(`x-${i}`, 30_000)),
    );
    expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set(['SUCCEEDED', 'FAILED']));
    expect(new Set(outcomes.map((o) => o.fulfilledBy))).toEqual(new Set(['shop', 'seller', null]));
  });
});

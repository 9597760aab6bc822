import { existsSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { globSync } from 'tinyglobby';
import { UserError } from '../errors.js';
import { orderFromFile } from '../order/from-input.js';
import type { Order } from '../order/model.js';

/** An order to send to both modes, with where it came from (a file, or its place in the `--count` mix). */
export interface ComparedOrder {
  order: Order;
  origin: string;
}

/**
 * The orders of a comparison: `--file` globs (relative to the project), else the project's sample orders
 * (`orders/*.json`). Each order id gets the run's suffix, so a re-run starts new executions in both modes.
 */
export function ordersFromFiles(projectDir: string, patterns: readonly string[], runId: string): ComparedOrder[] {
  const globs = patterns.length ? patterns : ['orders/*.json'];
  const files = [
    ...new Set(
      globs.flatMap((pattern) => {
        const found = globSync(pattern, { cwd: projectDir, absolute: true, onlyFiles: true });
        if (found.length === 0 && !(isAbsolute(pattern) && existsSync(pattern))) {
          throw new UserError(`--file ${pattern}: no file matches in ${projectDir}`, [
            'Pass order JSON files or globs, e.g. --file "orders/*.json".',
          ]);
        }
        return found.length ? found.sort() : [pattern];
      }),
    ),
  ];
  const seen = new Map<string, string>();
  return files.map((file) => {
    const order = orderFromFile(file);
    const name = relative(projectDir, file) || file;
    const earlier = seen.get(order.orderId);
    if (earlier)
      throw new UserError(
        `${name}: order id "${order.orderId}" is also used by ${earlier}; every compared order needs its own id`,
      );
    seen.set(order.orderId, name);
    return { order: { ...order, orderId: withRun(order.orderId, runId) }, origin: name };
  });
}

/** The `--count` mix: each kind in turn, so every branch of both wirings is taken (payment, 1P/3P, who ships). */
export const ORDER_MIX: ReadonlyArray<{ kind: string; order: Omit<Order, 'orderId'> }> = [
  { kind: '1P creditCard DE', order: base({}) },
  { kind: '3P creditCard DE (shop fulfills)', order: base({ sellerId: 'marketplace-seller-1' }) },
  { kind: '1P giftCard (payment fails)', order: base({ paymentInstrumentType: 'giftCard' }) },
  {
    kind: '3P creditCard JP (seller fulfills)',
    order: base({ sellerId: 'seller-7', shipTo: { country: 'JP', postalCode: '100-0001' } }),
  },
  {
    kind: '1P creditCard FR x3',
    order: base({
      shipTo: { country: 'FR', postalCode: '69001' },
      items: [{ sku: 'lamp-oak', quantity: 3, unitPrice: 89.5 }],
    }),
  },
  { kind: '3P paypal (payment fails)', order: base({ sellerId: 'seller-7', paymentInstrumentType: 'paypal' }) },
  {
    kind: '3P creditCard DE x11 (seller fulfills)',
    order: base({ sellerId: 'seller-9', items: [{ sku: 'mug-blue', quantity: 11, unitPrice: 12 }] }),
  },
  { kind: '1P creditCard US', order: base({ currency: 'USD', shipTo: { country: 'US', postalCode: '10001' } }) },
];

export function ordersFromMix(count: number, runId: string): ComparedOrder[] {
  return Array.from({ length: count }, (_, i) => {
    const { kind, order } = ORDER_MIX[i % ORDER_MIX.length];
    return { order: { ...order, orderId: `cmp-${runId}-${i + 1}` }, origin: kind };
  });
}

function base(overrides: Partial<Order>): Omit<Order, 'orderId'> {
  return {
    customerId: 'customer-42',
    paymentInstrumentType: 'creditCard',
    sellerId: 'shop',
    currency: 'EUR',
    items: [{ sku: 'book-978-3-16', quantity: 1, unitPrice: 19.99 }],
    shipTo: { country: 'DE', postalCode: '10115' },
    ...overrides,
  };
}

function withRun(orderId: string, runId: string): string {
  // Execution names are at most 80 characters: keep the suffix, shorten the original id.
  const suffix = `-${runId}`;
  return `${orderId.slice(0, 80 - suffix.length)}${suffix}`;
}

export function newRunId(now = Date.now()): string {
  return now.toString(36);
}

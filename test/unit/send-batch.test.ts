import { describe, expect, it } from '@jest/globals';
import { StateError } from '../../src/lib/local/state-error.js';
import type { Order } from '../../src/lib/order/model.js';
import { sendBatch, type OrderSender, type SendOrderResult } from '../../src/lib/order/send.js';

const template: Order = {
  orderId: 'b',
  customerId: 'c-1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 'sku-1', quantity: 1, unitPrice: 1 }],
  shipTo: { country: 'DE', postalCode: '10115' },
};

describe('sendBatch', () => {
  it('stops at the first state error: the orders in flight end, no next one is sent after it rejects', async () => {
    const sent: string[] = [];
    let inFlight = 0;
    const sender: OrderSender = {
      send: async (order): Promise<SendOrderResult> => {
        sent.push(order.orderId);
        inFlight++;
        try {
          // Order 3 meets a full disk; the others take a few turns of the event loop, as real orders do.
          for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
          if (order.orderId === 'b-3') throw new StateError('state.db: the disk is full');
          return { orderId: order.orderId, api: { statusCode: 200, body: {} }, duplicate: false };
        } finally {
          inFlight--;
        }
      },
      outcome: () => Promise.reject(new Error('not used')),
      close: () => Promise.resolve(),
    };
    await expect(sendBatch(sender, template, 100, 4, 1000)).rejects.toThrow(/disk is full/);
    expect(inFlight).toBe(0);
    const sentWhenRejected = sent.length;
    expect(sentWhenRejected).toBeLessThan(100);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toHaveLength(sentWhenRejected);
  });
});

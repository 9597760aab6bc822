import { describe, expect, it } from '@jest/globals';
import { buildOutcome, causeMessage, comparableOutcome } from '../../src/lib/order/outcome.js';

const order = {
  orderId: 'o1',
  customerId: 'c1',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 's', quantity: 1, unitPrice: 10 }],
  shipTo: { country: 'DE', postalCode: '1' },
};

describe('the outcome document', () => {
  it('answers every question for a 1P order', () => {
    const outcome = buildOutcome({
      orderId: 'o1',
      mode: 'orchestration',
      status: 'SUCCEEDED',
      state: {
        ...order,
        payment: { instrument: 'creditCard', authorized: true, authorizationId: 'auth-o1', amount: 10 },
        seller: { sellerId: 'shop', type: '1P' },
        warehouse: { id: 'FRA1', country: 'DE' },
        invoices: [
          { invoiceId: 'o1-C', type: 'customer', issuer: 'shop', recipient: 'c1', amount: 10, currency: 'EUR' },
        ],
      },
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:00.250Z',
    });
    expect(outcome).toMatchObject({
      status: 'SUCCEEDED',
      warehouse: 'FRA1',
      fulfilledBy: 'shop',
      fee: null,
      error: null,
      durationMs: 250,
      seller: { type: '1P' },
    });
  });

  it('takes the message out of a Lambda error payload in Cause, and keeps plain causes', () => {
    expect(
      causeMessage(
        JSON.stringify({
          errorType: 'PaymentAuthorizationFailed',
          errorMessage: 'Payment Authorization Failed',
          trace: [],
        }),
      ),
    ).toBe('Payment Authorization Failed');
    expect(causeMessage('determine-seller returned a seller type other than 1P or 3P')).toBe(
      'determine-seller returned a seller type other than 1P or 3P',
    );
  });

  it('reads a caught error from the state when the failure is not given', () => {
    const outcome = buildOutcome({
      orderId: 'o1',
      mode: 'events',
      status: 'FAILED',
      state: {
        ...order,
        paymentInstrumentType: 'giftCard',
        error: {
          Error: 'PaymentAuthorizationFailed',
          Cause: '{"errorType":"PaymentAuthorizationFailed","errorMessage":"Payment Authorization Failed"}',
        },
      },
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(outcome.error).toEqual({ error: 'PaymentAuthorizationFailed', cause: 'Payment Authorization Failed' });
    expect(outcome.payment).toEqual({ instrument: 'giftCard', authorized: false, authorizationId: null, amount: null });
    expect(outcome.finishedAt).toBeNull();
  });

  it('compares without timing and mode', () => {
    const a = buildOutcome({
      orderId: 'o1',
      mode: 'events',
      status: 'FAILED',
      state: order,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    const b = buildOutcome({
      orderId: 'o1',
      mode: 'orchestration',
      status: 'FAILED',
      state: order,
      startedAt: '2026-02-01T00:00:00.000Z',
      finishedAt: '2026-02-01T00:00:01.000Z',
    });
    expect(comparableOutcome(a)).toEqual(comparableOutcome(b));
  });
});

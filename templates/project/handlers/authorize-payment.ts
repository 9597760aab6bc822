// Payment authorization: is the receivable secured? Only credit cards are authorized; any other
// instrument fails with PaymentAuthorizationFailed, which the workflow catches (orchestration) or which
// is published as PaymentFailed (events).
import { orderTotal } from './lib/rules.js';
import type { Context, OrderState, Payment } from './lib/types.js';

export class PaymentAuthorizationFailed extends Error {
  constructor(message = 'Payment Authorization Failed') {
    super(message);
    // Lambda reports `errorType` from the error's name; Step Functions Retry/Catch match on it.
    this.name = 'PaymentAuthorizationFailed';
  }
}

export async function handler(order: OrderState, _context?: Context): Promise<Payment> {
  if (order.paymentInstrumentType !== 'creditCard') throw new PaymentAuthorizationFailed();
  return {
    instrument: order.paymentInstrumentType,
    authorized: true,
    // Derived from the order id so that re-running an order (and both modes) gives the same answer.
    authorizationId: `auth-${order.orderId}`,
    amount: orderTotal(order),
  };
}

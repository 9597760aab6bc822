// Customer notification: confirms an authorized payment, or tells the customer that the order failed.
// Pure: it returns the notification to send; delivery (email, push) is outside this example.
import type { Context, Notification, OrderState } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Notification> {
  return {
    channel: 'email',
    recipient: order.customerId,
    template: order.error ? 'order-failed' : 'payment-confirmed',
  };
}

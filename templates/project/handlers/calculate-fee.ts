// 3P fee: a share of the item total, higher when the shop fulfills (it warehouses and ships), never
// below the minimum fee.
import { FEE_RATE, MINIMUM_FEE, orderTotal, roundCents } from './lib/rules.js';
import type { Context, Fee, OrderState } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Fee> {
  if (!order.fulfillment) throw new Error('calculate-fee needs the fulfillment decision (state.fulfillment)');
  const rate = FEE_RATE[order.fulfillment.by];
  return { rate, amount: Math.max(MINIMUM_FEE, roundCents(orderTotal(order) * rate)), currency: order.currency };
}

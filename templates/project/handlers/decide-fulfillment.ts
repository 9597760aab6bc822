// Fulfillment decision (3P): the shop fulfills a marketplace order itself when the destination is inside
// its warehouse network and the order is small enough; otherwise the seller ships it.
import { SHOP_FULFILLMENT_MAX_UNITS, totalUnits, warehouseFor } from './lib/rules.js';
import type { Context, Fulfillment, OrderState } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Fulfillment> {
  const warehouse = warehouseFor(order.shipTo.country);
  if (warehouse && totalUnits(order) <= SHOP_FULFILLMENT_MAX_UNITS) return { by: 'shop', warehouse };
  return { by: 'seller' };
}

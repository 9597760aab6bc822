// Warehouse selection (1P): the warehouse that serves the destination country, else the main hub.
import { MAIN_HUB, warehouseFor } from './lib/rules.js';
import type { Context, OrderState, Warehouse } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Warehouse> {
  return warehouseFor(order.shipTo.country) ?? MAIN_HUB;
}

// Seller determination: is the order sold by the shop itself (1P) or by a marketplace seller (3P)?
import { FIRST_PARTY_SELLERS } from './lib/rules.js';
import type { Context, OrderState, Seller } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Seller> {
  return { sellerId: order.sellerId, type: FIRST_PARTY_SELLERS.has(order.sellerId) ? '1P' : '3P' };
}

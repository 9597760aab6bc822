// Business rules shared by several handlers. Change them here; `fulfill deploy` bundles this file into
// every handler that imports it.
import type { Order, Warehouse } from './types.js';

/** Sellers that are the shop itself (first party, 1P). Every other seller is a marketplace seller (3P). */
export const FIRST_PARTY_SELLERS = new Set(['shop']);

/** The shop's warehouse network: destination country -> the warehouse that ships there. */
const WAREHOUSE_BY_COUNTRY: Record<string, string> = {
  DE: 'FRA1', AT: 'FRA1', CH: 'FRA1', NL: 'FRA1', BE: 'FRA1', LU: 'FRA1', PL: 'FRA1', CZ: 'FRA1', DK: 'FRA1',
  FR: 'LYS1', ES: 'LYS1', PT: 'LYS1', IT: 'LYS1',
  GB: 'MAN1', IE: 'MAN1',
  US: 'IAD1', CA: 'IAD1',
};

/** International shipments outside the network leave from the main hub. */
export const MAIN_HUB: Warehouse = { id: 'FRA1', country: 'DE' };
const WAREHOUSE_COUNTRY: Record<string, string> = { FRA1: 'DE', LYS1: 'FR', MAN1: 'GB', IAD1: 'US' };

export function warehouseFor(country: string): Warehouse | undefined {
  const id = WAREHOUSE_BY_COUNTRY[country];
  return id ? { id, country: WAREHOUSE_COUNTRY[id]! } : undefined;
}

/** The shop fulfills a 3P order itself only inside its network and up to this many units. */
export const SHOP_FULFILLMENT_MAX_UNITS = 10;

/** Fee charged to 3P sellers, as a share of the item total. Shop fulfillment includes warehousing and shipping. */
export const FEE_RATE = { seller: 0.08, shop: 0.15 } as const;
export const MINIMUM_FEE = 0.3;

export function orderTotal(order: Order): number {
  return roundCents(order.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0));
}

export function totalUnits(order: Order): number {
  return order.items.reduce((sum, item) => sum + item.quantity, 0);
}

/** Rounds half away from zero to cents, on the decimal value (avoids 1.005 -> 1.00). */
export function roundCents(value: number): number {
  return Math.sign(value) * Math.round(Number(`${Math.abs(value)}e2`)) / 100;
}

// The cart and the orders this browser placed, kept in localStorage so a reload or the order page's link
// keeps them. The API's order view has no items, so the order page shows them from this record.
const CART_KEY = 'fulfill-storefront-cart';
const ORDERS_KEY = 'fulfill-storefront-orders';
export const MAX_QUANTITY = 99;

function read(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') ?? fallback;
  } catch {
    return fallback;
  }
}

function write(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full quota: the cart then lives only as long as the page.
  }
}

export class Cart {
  constructor(products) {
    this.products = new Map(products.map((p) => [p.sku, p]));
    // Only products still in the catalogue, with sane quantities.
    this.lines = new Map(
      Object.entries(read(CART_KEY, {})).filter(
        ([sku, qty]) => this.products.has(sku) && Number.isInteger(qty) && qty > 0,
      ),
    );
    this.listeners = new Set();
  }

  onChange(listener) {
    this.listeners.add(listener);
  }

  set(sku, quantity) {
    if (!this.products.has(sku)) return;
    const qty = Math.max(0, Math.min(MAX_QUANTITY, Math.trunc(Number(quantity) || 0)));
    if (qty === 0) this.lines.delete(sku);
    else this.lines.set(sku, qty);
    write(CART_KEY, Object.fromEntries(this.lines));
    for (const listener of this.listeners) listener();
  }

  add(sku, quantity = 1) {
    this.set(sku, (this.lines.get(sku) ?? 0) + quantity);
  }

  clear() {
    for (const sku of [...this.lines.keys()]) this.lines.delete(sku);
    write(CART_KEY, {});
    for (const listener of this.listeners) listener();
  }

  get count() {
    let n = 0;
    for (const qty of this.lines.values()) n += qty;
    return n;
  }

  /** Cart lines grouped by seller: one order (one shipment) per seller, as the order schema has one seller. */
  shipments() {
    const bySeller = new Map();
    for (const [sku, quantity] of this.lines) {
      const product = this.products.get(sku);
      const group = bySeller.get(product.sellerId) ?? { sellerId: product.sellerId, lines: [], total: 0 };
      group.lines.push({ product, quantity });
      group.total = roundCents(group.total + product.price * quantity);
      bySeller.set(product.sellerId, group);
    }
    return [...bySeller.values()];
  }

  get total() {
    return roundCents(this.shipments().reduce((sum, s) => sum + s.total, 0));
  }
}

export function roundCents(value) {
  return Math.round(value * 100) / 100;
}

/** Orders placed from this browser: { [orderId]: { sellerId, items, shipTo, customerId, payment, placedAt } }. */
export function rememberOrder(orderId, record) {
  const orders = read(ORDERS_KEY, {});
  orders[orderId] = record;
  // Keep the 30 newest.
  const kept = Object.entries(orders)
    .sort((a, b) => String(b[1].placedAt).localeCompare(String(a[1].placedAt)))
    .slice(0, 30);
  write(ORDERS_KEY, Object.fromEntries(kept));
}

export function placedOrder(orderId) {
  return read(ORDERS_KEY, {})[orderId];
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError, formatPath } from '../errors.js';
import { parseUserJson } from '../json.js';
import { DEFAULT_3P_SELLER_ID, FIRST_PARTY_SELLER_ID, orderSchema, type Order } from './model.js';

export interface OrderFlags {
  'order-id'?: string;
  payment: string;
  seller: '1P' | '3P';
  'seller-id'?: string;
  sku: string;
  quantity: string;
  price: string;
  currency: string;
  'ship-to': string;
  'postal-code': string;
  customer: string;
}

const FLAG_FOR_FIELD: Record<string, string> = {
  orderId: '--order-id',
  customerId: '--customer',
  paymentInstrumentType: '--payment',
  sellerId: '--seller-id',
  currency: '--currency',
  'items[0].sku': '--sku',
  'items[0].quantity': '--quantity',
  'items[0].unitPrice': '--price',
  'shipTo.country': '--ship-to',
  'shipTo.postalCode': '--postal-code',
};

/** A fresh order id: sortable by time, unique across processes, valid as a Step Functions execution name. */
export function newOrderId(now = Date.now()): string {
  return `ord-${now.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Builds an order from `send-order` flags; errors name the flag. */
export function orderFromFlags(flags: OrderFlags): Order {
  const quantity = parseNumber(flags.quantity, '--quantity');
  const price = parseNumber(flags.price, '--price');
  const candidate = {
    orderId: flags['order-id'] ?? newOrderId(),
    customerId: flags.customer,
    paymentInstrumentType: flags.payment,
    sellerId: flags['seller-id'] ?? (flags.seller === '1P' ? FIRST_PARTY_SELLER_ID : DEFAULT_3P_SELLER_ID),
    currency: flags.currency,
    items: [{ sku: flags.sku, quantity, unitPrice: price }],
    shipTo: { country: flags['ship-to'].toUpperCase(), postalCode: flags['postal-code'] },
  };
  const result = orderSchema.safeParse(candidate);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = formatPath(issue.path);
  const flag = FLAG_FOR_FIELD[field] ?? field;
  throw new UserError(`${flag} ${issue.message} (got ${JSON.stringify(valueOf(candidate, field))})`);
}

/**
 * Reads an order from a JSON file. Flags given on the command line override the file's fields (as `--order-id`
 * always did), so `--file base.json --payment giftCard` sends the file's order paid by gift card.
 */
export function orderFromFile(file: string, overrides: Partial<OrderFlags> = {}): Order {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`--file ${file}: cannot read the file`, [
      'Pass the path of an order JSON file, e.g. orders/credit-card-1p.json.',
    ]);
  }
  const raw = parseUserJson(text, file);
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new UserError(`${file}: an order must be a JSON object`);
  const candidate = applyOverrides({ ...(raw as Record<string, unknown>) }, overrides);
  if (candidate.orderId === undefined) candidate.orderId = newOrderId();
  const result = orderSchema.safeParse(candidate);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = formatPath(issue.path);
  const flag = FLAG_FOR_FIELD[field];
  const given = flag !== undefined && Object.keys(overrides).some((name) => `--${name}` === flag);
  throw new UserError(
    given
      ? `${flag} ${issue.message} (got ${JSON.stringify(valueOf(candidate, field))})`
      : `${file}: "${field}" ${issue.message}`,
  );
}

function applyOverrides(order: Record<string, unknown>, flags: Partial<OrderFlags>): Record<string, unknown> {
  const set = (field: string, value: unknown) => {
    if (value !== undefined) order[field] = value;
  };
  set('orderId', flags['order-id']);
  set('customerId', flags.customer);
  set('paymentInstrumentType', flags.payment);
  set('currency', flags.currency);
  set(
    'sellerId',
    flags['seller-id'] ??
      (flags.seller ? (flags.seller === '1P' ? FIRST_PARTY_SELLER_ID : DEFAULT_3P_SELLER_ID) : undefined),
  );
  if (flags['ship-to'] !== undefined || flags['postal-code'] !== undefined) {
    const shipTo = { ...((order.shipTo as Record<string, unknown> | undefined) ?? {}) };
    if (flags['ship-to'] !== undefined) shipTo.country = flags['ship-to'].toUpperCase();
    if (flags['postal-code'] !== undefined) shipTo.postalCode = flags['postal-code'];
    order.shipTo = shipTo;
  }
  if (flags.sku !== undefined || flags.quantity !== undefined || flags.price !== undefined) {
    // The item flags describe one item: they override the file's first item.
    const items = Array.isArray(order.items) ? [...(order.items as unknown[])] : [];
    const first = { ...((items[0] as Record<string, unknown> | undefined) ?? {}) };
    if (flags.sku !== undefined) first.sku = flags.sku;
    if (flags.quantity !== undefined) first.quantity = parseNumber(flags.quantity, '--quantity');
    if (flags.price !== undefined) first.unitPrice = parseNumber(flags.price, '--price');
    items[0] = first;
    order.items = items;
  }
  return order;
}

function parseNumber(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new UserError(`${flag} must be a number (got ${JSON.stringify(text)})`);
  return value;
}

function valueOf(candidate: Record<string, unknown>, field: string): unknown {
  return field
    .split(/\.|\[(\d+)\]/)
    .filter(Boolean)
    .reduce<unknown>((cur, key) => (cur as Record<string, unknown> | undefined)?.[key], candidate);
}

// Invoicing: the customer always gets an invoice from whoever sold the goods (the shop for 1P, the
// marketplace seller for 3P, issued by the shop on the seller's behalf); for 3P the shop also invoices
// the seller for its fee.
import { orderTotal } from './lib/rules.js';
import type { Context, Invoice, OrderState } from './lib/types.js';

export async function handler(order: OrderState, _context?: Context): Promise<Invoice[]> {
  if (!order.seller) throw new Error('issue-invoices needs the seller (state.seller)');
  const invoices: Invoice[] = [
    {
      invoiceId: `${order.orderId}-C`,
      type: 'customer',
      issuer: order.seller.sellerId,
      recipient: order.customerId,
      amount: orderTotal(order),
      currency: order.currency,
    },
  ];
  if (order.seller.type === '3P') {
    if (!order.fee) throw new Error('issue-invoices needs the 3P fee (state.fee)');
    invoices.push({
      invoiceId: `${order.orderId}-F`,
      type: 'seller-fee',
      issuer: 'shop',
      recipient: order.seller.sellerId,
      amount: order.fee.amount,
      currency: order.fee.currency,
    });
  }
  return invoices;
}

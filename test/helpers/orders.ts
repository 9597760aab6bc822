/** The smallest order the API accepts (one item, card payment), for tests where its content is not the point. */
export const MINIMAL_ORDER = {
  orderId: 'o-1',
  customerId: 'c',
  paymentInstrumentType: 'creditCard',
  sellerId: 'shop',
  currency: 'EUR',
  items: [{ sku: 'a', quantity: 1, unitPrice: 10 }],
  shipTo: { country: 'DE', postalCode: '1' },
};

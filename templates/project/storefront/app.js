// The storefront: a cart, a payment choice, and "Place order". It POSTs the order to the fulfillment API
// (the same origin when served by `fulfill serve`, or any API URL, e.g. the invoke URL printed by deploy),
// then polls GET /orders/{id} (available on `fulfill serve`) to show the timeline and the outcome.
const CART = [
  { sku: 'book-978-3-16', title: 'Domain-Driven Design (sold by the shop, 1P)', unitPrice: 39.9, sellerId: 'shop' },
  { sku: 'lamp-oak', title: 'Oak desk lamp (sold by Lumen & Co, 3P)', unitPrice: 89.5, sellerId: 'marketplace-seller-1' },
];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
if (params.get('api')) $('api').value = params.get('api');

$('items').innerHTML = CART.map((item, i) => `<li><label><input type="radio" name="item" value="${i}" ${i === 0 ? 'checked' : ''}> ${item.title} — ${item.unitPrice.toFixed(2)} EUR</label></li>`).join('');

function apiBase() {
  return ($('api').value || location.origin).replace(/\/+$/, '').replace(/\/orders$/, '');
}

function render(view) {
  const outcome = view.outcome;
  $('status').textContent = outcome ? `${outcome.orderId}: ${outcome.status}${outcome.error ? ` — ${outcome.error.cause}` : ''}` : `${view.orderId}: ${view.status}`;
  $('status').className = outcome ? outcome.status : '';
  if (outcome) {
    const rows = [
      ['Payment', `${outcome.payment.instrument} ${outcome.payment.authorized ? 'authorized' : 'not authorized'}`],
      ['Seller', outcome.seller.type ? `${outcome.seller.sellerId} (${outcome.seller.type})` : '-'],
      ['Fulfilled by', outcome.fulfilledBy ? `${outcome.fulfilledBy}${outcome.warehouse ? ` from ${outcome.warehouse}` : ''}` : '-'],
      ['Fee', outcome.fee ? `${outcome.fee.amount.toFixed(2)} ${outcome.fee.currency}` : '-'],
      ['Invoices', outcome.invoices.map((i) => `${i.invoiceId} (${i.type})`).join(', ') || '-'],
    ];
    $('outcome').innerHTML = rows.map(([k, v]) => `<dt>${k}</dt><dd data-field="${k.toLowerCase().replace(/ /g, '-')}">${v}</dd>`).join('');
  }
  $('timeline').innerHTML = (view.timeline ?? []).map((e) => `<li>${e.timestamp.slice(11, 23)} ${e.source} ${e.type} ${e.name ?? ''}</li>`).join('');
}

async function follow(orderId) {
  for (let i = 0; i < 120; i++) {
    const res = await fetch(`${apiBase()}/orders/${encodeURIComponent(orderId)}`);
    if (res.status === 404 && i > 5) break;
    if (res.ok) {
      const view = await res.json();
      render(view);
      if (view.outcome) return;
    } else if (res.status !== 404) {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

$('place').addEventListener('click', async () => {
  const item = CART[Number(document.querySelector('input[name=item]:checked').value)];
  const order = {
    orderId: `web-${Date.now().toString(36)}-${Math.random().toString(16).slice(2, 8)}`,
    customerId: 'web-customer',
    paymentInstrumentType: $('payment').value,
    sellerId: item.sellerId,
    currency: 'EUR',
    items: [{ sku: item.sku, quantity: 1, unitPrice: item.unitPrice }],
    shipTo: { country: $('country').value, postalCode: '10115' },
  };
  $('place').disabled = true;
  $('outcome').innerHTML = '';
  $('timeline').innerHTML = '';
  $('status').className = '';
  $('status').textContent = `Placing ${order.orderId}…`;
  try {
    const res = await fetch(`${apiBase()}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(order) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(`${res.status}: ${body.message ?? 'request failed'}${body.details ? ` (${body.details})` : ''}`);
    $('status').textContent = `${order.orderId}: accepted`;
    await follow(order.orderId);
  } catch (error) {
    $('status').textContent = `Could not place the order: ${error.message}`;
    $('status').className = 'error';
  } finally {
    $('place').disabled = false;
  }
});

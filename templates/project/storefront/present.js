// Turns the API's order view ({ orderId, status, outcome?, timeline }) into what a shop tells its customer:
// a progress list and a few plain facts. The outcome is the answer; the timeline only moves the progress
// along while the order runs, so a renamed state or event just means a step shows up when the outcome does.

/**
 * Steps of the progress list, and the timeline entries that complete each one while the order runs:
 * a Lambda task that succeeded (orchestration: the state name) or an event published (events: the detail-type).
 */
const STEPS = [
  { key: 'received', done: 'Order received', pending: 'Receiving order' },
  {
    key: 'payment',
    done: 'Payment authorized',
    pending: 'Authorizing payment',
    names: ['AuthorizePayment', 'PaymentAuthorized'],
  },
  {
    key: 'shipping',
    done: 'Shipping arranged',
    pending: 'Arranging shipping',
    names: ['SelectWarehouse', 'DecideFulfillment', 'WarehouseSelected', 'FulfillmentDecided'],
  },
  { key: 'invoices', done: 'Invoices issued', pending: 'Issuing invoices', names: ['IssueInvoices', 'OrderCompleted'] },
  { key: 'confirmed', done: 'Order confirmed', pending: 'Confirming order' },
];

function reachedAt(timeline, names) {
  const entry = timeline.find(
    (e) =>
      names.includes(e.name) &&
      ((e.source === 'execution' && e.type === 'LambdaFunctionSucceeded') ||
        (e.source === 'events' && e.type === 'EventPublished')),
  );
  return entry?.timestamp;
}

/** [{ key, label, state: 'done' | 'current' | 'failed' | 'upcoming' | 'skipped', at?, detail? }] */
export function progressSteps(view, words) {
  const timeline = Array.isArray(view.timeline) ? view.timeline : [];
  const outcome = view.outcome;
  const steps = STEPS.map((step) => ({
    ...step,
    at: step.key === 'received' ? timeline[0]?.timestamp : step.names && reachedAt(timeline, step.names),
  }));
  if (outcome?.status === 'SUCCEEDED') {
    steps.at(-1).at = outcome.finishedAt ?? undefined;
    for (const step of steps) step.state = 'done';
  } else {
    // Everything up to the last step reached is done; the next one is running, failed or stopped.
    let last = 0;
    steps.forEach((step, i) => {
      if (step.at) last = i;
    });
    steps.forEach((step, i) => {
      step.state = i <= last ? 'done' : i === last + 1 ? 'current' : 'upcoming';
    });
    if (outcome) {
      const next = steps[last + 1];
      const paymentDeclined = outcome.payment && !outcome.payment.authorized && last < 1;
      const failing = paymentDeclined ? steps[1] : next;
      if (failing) {
        failing.state = 'failed';
        failing.at = outcome.finishedAt ?? undefined;
      }
      for (const step of steps) if (step.state === 'upcoming' || step.state === 'current') step.state = 'skipped';
    }
  }
  return steps.map((step) => ({
    key: step.key,
    state: step.state,
    at: step.at,
    label: stepLabel(step),
    detail: step.key === 'shipping' && step.state === 'done' && outcome ? words.shortShipping(outcome) : undefined,
  }));
}

function stepLabel(step) {
  if (step.state === 'done') return step.done;
  if (step.state === 'failed') {
    if (step.key === 'payment') return 'Payment declined';
    return `${step.pending} stopped`;
  }
  return step.pending;
}

/** The one-line status a customer reads (also announced to screen readers). */
export function headline(view, words) {
  const outcome = view.outcome;
  if (!outcome) return 'Processing your order…';
  switch (outcome.status) {
    case 'SUCCEEDED':
      return `Confirmed. ${words.shipping(outcome)}.`;
    case 'FAILED':
      if (!outcome.payment?.authorized) return 'Payment declined. You have not been charged.';
      return `We could not complete this order${outcome.error ? `: ${outcome.error.cause}` : ''}.`;
    case 'TIMED_OUT':
      return 'This order took too long and was stopped. Please contact us with the order number.';
    case 'ABORTED':
      return 'This order was interrupted before it finished. Please contact us with the order number.';
    default:
      return `Order status: ${outcome.status}`;
  }
}

/** Shop wording that needs the catalogue (seller names, warehouses, payment names, money). */
export function wordsFor(catalog) {
  const shopName = catalog.shop?.name ?? 'the shop';
  const money = new Intl.NumberFormat(catalog.shop?.locale ?? 'en', {
    style: 'currency',
    currency: catalog.shop?.currency ?? 'EUR',
  });
  const formatMoney = (amount, currency) =>
    currency && currency !== (catalog.shop?.currency ?? 'EUR')
      ? new Intl.NumberFormat(catalog.shop?.locale ?? 'en', { style: 'currency', currency }).format(amount)
      : money.format(amount);
  const sellerName = (id) => (id === 'shop' ? shopName : (catalog.sellers?.[id]?.name ?? id ?? 'the seller'));
  const warehouse = (id) => (catalog.warehouses?.[id] ? `${catalog.warehouses[id]} (${id})` : id);
  const payment = (type) => catalog.payments?.find((p) => p.type === type)?.name ?? type ?? 'Payment';
  return {
    shopName,
    money: formatMoney,
    sellerName,
    payment,
    warehouse,
    shortShipping(outcome) {
      if (outcome.fulfilledBy === 'seller') return `by ${sellerName(outcome.seller?.sellerId)}`;
      if (outcome.warehouse)
        return `from ${(catalog.warehouses?.[outcome.warehouse] ?? outcome.warehouse).split(',')[0]}`;
      return undefined;
    },
    shipping(outcome) {
      if (outcome.fulfilledBy === 'seller') return `Shipped by ${sellerName(outcome.seller?.sellerId)}`;
      if (outcome.warehouse) return `Ships from our warehouse in ${warehouse(outcome.warehouse)}`;
      return 'Shipping not arranged';
    },
  };
}

/** [{ field, label, value, detail? }] for the outcome, in the order a customer cares about. */
export function outcomeFacts(outcome, words) {
  const facts = [];
  const pay = outcome.payment ?? {};
  facts.push({
    field: 'payment',
    label: 'Payment',
    value: pay.authorized
      ? `${words.payment(pay.instrument)}, authorized${pay.amount != null ? `: ${words.money(pay.amount)}` : ''}`
      : `${words.payment(pay.instrument)}, declined${outcome.error ? ` (${outcome.error.cause})` : ''}`,
    detail: pay.authorizationId ? `Authorization ${pay.authorizationId}` : undefined,
  });
  if (outcome.seller?.sellerId) {
    const firstParty = outcome.seller.type === '1P';
    facts.push({
      field: 'seller',
      label: 'Sold by',
      value: firstParty
        ? words.shopName
        : outcome.seller.type === '3P'
          ? `${words.sellerName(outcome.seller.sellerId)}, marketplace seller`
          : words.sellerName(outcome.seller.sellerId),
    });
  }
  if (outcome.fulfilledBy) facts.push({ field: 'shipping', label: 'Shipping', value: words.shipping(outcome) });
  if (outcome.fee) {
    facts.push({
      field: 'fee',
      label: 'Seller fee',
      value: `${words.money(outcome.fee.amount, outcome.fee.currency)} (${Math.round(outcome.fee.rate * 1000) / 10} %)`,
      detail:
        `Paid by ${words.sellerName(outcome.seller?.sellerId)} to ${words.shopName}, `
        + (outcome.fulfilledBy === 'shop' ? 'including storage and shipping by us' : 'for the marketplace listing'),
    });
  }
  return facts;
}

/** Invoices in words: "Invoice HG-…-C from Lumen & Co to you: €89.50". */
export function invoiceLines(outcome, words, customerId) {
  return (outcome.invoices ?? []).map((invoice) => ({
    id: invoice.invoiceId,
    kind: invoice.type === 'seller-fee' ? 'Seller fee invoice' : 'Invoice',
    from: words.sellerName(invoice.issuer),
    to: invoice.recipient === customerId ? 'you' : words.sellerName(invoice.recipient),
    amount: words.money(invoice.amount, invoice.currency),
  }));
}

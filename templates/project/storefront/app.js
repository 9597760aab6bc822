// The storefront: catalogue and cart (#/), checkout (#/checkout), and the order page (#/order/ID[,ID...]).
// Plain ES modules, no build step. Checkout places one order per seller (the order schema has one seller),
// then the order page polls GET /orders/{id} for each and tells the answer in shop language.
import { ApiUnreachable, getOrder, loadSettings, postOrder } from './api.js';
import { productArt } from './art.js';
import { Cart, MAX_QUANTITY, placedOrder, rememberOrder } from './cart.js';
import { headline, invoiceLines, outcomeFacts, progressSteps, wordsFor } from './present.js';

const main = document.getElementById('main');
const announcer = document.getElementById('announcer');
const esc = (value) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

let settings;
let words;
let cart;
/** Stops the polling of the order page that is being left. */
let leaveView = () => {};

function announce(text) {
  // Cleared first so the same message twice is announced twice.
  announcer.textContent = '';
  setTimeout(() => (announcer.textContent = text), 50);
}

function showView(title, html) {
  leaveView();
  leaveView = () => {};
  main.innerHTML = html;
  document.title = `${title} · ${words.shopName}`;
  main.querySelector('h1')?.focus({ preventScroll: false });
}

// ---------------------------------------------------------------- catalogue and cart

function sellerLine(product) {
  const seller = settings.catalog.sellers?.[product.sellerId];
  return seller?.firstParty
    ? `Sold and shipped by ${esc(words.shopName)}`
    : `Sold by ${esc(seller?.name ?? product.sellerId)}`;
}

function productCard(product) {
  const id = `product-${esc(product.sku)}`;
  return `<li class="product">
    <article aria-labelledby="${id}">
      <div class="art">${productArt(product.art)}${
        settings.catalog.sellers?.[product.sellerId]?.firstParty ? '' : '<span class="tag">Marketplace</span>'
      }</div>
      <div class="product-body">
        <h2 id="${id}">${esc(product.name)}</h2>
        <p class="seller">${sellerLine(product)}</p>
        <p class="description">${esc(product.description)}</p>
        <div class="buy">
          <span class="price">${esc(words.money(product.price))}</span>
          <button type="button" class="button" data-add="${esc(product.sku)}">Add<span class="visually-hidden">
            ${esc(product.name)}</span> to cart</button>
        </div>
      </div>
    </article>
  </li>`;
}

function cartLines(editable) {
  const shipments = cart.shipments();
  if (shipments.length === 0) return '<p class="empty">Your cart is empty.</p>';
  return shipments
    .map(
      (shipment, i) => `<section class="shipment-group" aria-label="Shipment ${i + 1} of ${shipments.length}">
        <h3>${shipments.length > 1 ? `Shipment ${i + 1} of ${shipments.length}: ` : ''}sold by
          ${esc(words.sellerName(shipment.sellerId))}</h3>
        <ul class="lines">${shipment.lines
          .map(({ product, quantity }) => {
            const qtyId = `qty-${esc(product.sku)}${editable ? '' : '-summary'}`;
            return `<li class="line">
              <span class="line-name">${esc(product.name)}</span>
              ${
                editable
                  ? `<span class="qty">
                  <button type="button" class="icon" data-step="-1" data-sku="${esc(product.sku)}"
                    aria-label="One less ${esc(product.name)}">−</button>
                  <label class="visually-hidden" for="${qtyId}">Quantity of ${esc(product.name)}</label>
                  <input id="${qtyId}" type="number" inputmode="numeric" min="0" max="${MAX_QUANTITY}"
                    value="${quantity}"
                    data-qty="${esc(product.sku)}">
                  <button type="button" class="icon" data-step="1" data-sku="${esc(product.sku)}"
                    aria-label="One more ${esc(product.name)}">+</button>
                  <button type="button" class="link" data-remove="${esc(product.sku)}">Remove<span
                    class="visually-hidden"> ${esc(product.name)}</span></button>
                </span>`
                  : `<span class="qty-summary">× ${quantity}</span>`
              }
              <span class="line-price">${esc(words.money(product.price * quantity))}</span>
            </li>`;
          })
          .join('')}</ul>
      </section>`,
    )
    .join('');
}

function cartPanel() {
  return `<h2 id="cart-title">Your cart</h2>
    <div id="cart-lines">${cartLines(true)}</div>
    <p class="total"><span>Total</span> <span data-total>${esc(words.money(cart.total))}</span></p>
    ${cart.count > 0 ? '<a class="button wide" href="#/checkout">Go to checkout</a>' : ''}`;
}

function bindCartControls(container, rerender) {
  container.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    if (target.dataset.step) {
      const sku = target.dataset.sku;
      cart.set(sku, (cart.lines.get(sku) ?? 0) + Number(target.dataset.step));
      rerender(`[data-step="${CSS.escape(target.dataset.step)}"][data-sku="${CSS.escape(sku)}"]`);
    } else if (target.dataset.remove) {
      const name = cart.products.get(target.dataset.remove)?.name;
      cart.set(target.dataset.remove, 0);
      announce(`Removed ${name} from your cart.`);
      rerender('');
    }
  });
  container.addEventListener('change', (event) => {
    const sku = event.target.dataset?.qty;
    if (!sku) return;
    // An empty or unreadable number restores the quantity instead of silently removing the line.
    const typed = event.target.value.trim();
    if (typed !== '' && Number.isFinite(Number(typed))) cart.set(sku, typed);
    rerender(`[data-qty="${CSS.escape(sku)}"]`);
  });
}

/** Re-renders a cart area and puts focus back on the same control (or the area's heading when it is gone). */
function refreshCart(area, render, focusSelector) {
  area.innerHTML = render();
  const again = focusSelector ? area.querySelector(focusSelector) : null;
  if (again) {
    again.focus();
  } else if (focusSelector !== undefined) {
    const heading = area.querySelector('h2, h3');
    heading?.setAttribute('tabindex', '-1');
    heading?.focus();
  }
}

function catalogView() {
  const products = settings.catalog.products ?? [];
  showView(
    'Shop',
    `<div class="catalog-layout">
      <section class="catalog" aria-labelledby="catalog-title">
        <h1 id="catalog-title" tabindex="-1">${esc(settings.catalog.shop?.tagline ?? words.shopName)}</h1>
        <ul class="products">${products.map(productCard).join('')}</ul>
      </section>
      <aside class="cart-panel" id="cart-panel" aria-labelledby="cart-title">${cartPanel()}</aside>
    </div>`,
  );
  const panel = document.getElementById('cart-panel');
  main.querySelector('.products').addEventListener('click', (event) => {
    const sku = event.target.closest('button[data-add]')?.dataset.add;
    if (!sku) return;
    cart.add(sku);
    panel.innerHTML = cartPanel();
    announce(
      `Added ${cart.products.get(sku).name} to your cart. ${cart.count} ${cart.count === 1 ? 'item' : 'items'} in ` +
        'cart.',
    );
  });
  bindCartControls(panel, (focus) => refreshCart(panel, cartPanel, focus));
}

// ---------------------------------------------------------------- checkout

function checkoutSummary() {
  return `<h2 id="summary-title">Order summary</h2>
    ${cartLines(false)}
    <p class="total"><span>Total</span> <span data-total>${esc(words.money(cart.total))}</span></p>
    <p class="fine">Items from different sellers ship separately; each shipment is paid and invoiced on its own.</p>`;
}

function checkoutView(notice = '') {
  if (cart.count === 0 && !notice) {
    showView(
      'Checkout',
      `<section class="narrow"><h1 tabindex="-1">Checkout</h1><p>Your cart is empty.</p>
      <a class="button" href="#/">Continue shopping</a></section>`,
    );
    return;
  }
  const saved = loadCustomer();
  const countries = settings.catalog.countries ?? [{ code: 'DE', name: 'Germany' }];
  const payments = settings.catalog.payments ?? [{ type: 'creditCard', name: 'Credit card' }];
  showView(
    'Checkout',
    `<div class="checkout-layout">
      <section class="checkout" aria-labelledby="checkout-title">
        <h1 id="checkout-title" tabindex="-1">Checkout</h1>
        <div id="checkout-error" class="alert" role="alert" tabindex="-1" ${notice ? '' : 'hidden'}>${esc(notice)}</div>
        <form id="checkout-form" novalidate>
          <fieldset class="cart-edit" id="cart-edit"><legend>Your cart</legend>
            <div id="cart-lines">${cartLines(true)}</div>
          </fieldset>
          <fieldset>
            <legend>Contact</legend>
            <label for="email">Email</label>
            <input id="email" name="email" type="email" autocomplete="email" required maxlength="128"
              value="${esc(saved.email)}" aria-describedby="email-hint email-error">
            <p class="hint" id="email-hint">Your order confirmation and invoices go here.</p>
            <p class="field-error" id="email-error" hidden></p>
          </fieldset>
          <fieldset>
            <legend>Shipping address</legend>
            <div class="row">
              <div>
                <label for="country">Country</label>
                <select id="country" name="country" autocomplete="country">
                  ${countries
                    .map(
                      (c) => `<option value="${esc(c.code)}" ${c.code === (saved.country ?? 'DE') ? 'selected' : ''}>
                      ${esc(c.name)}</option>`,
                    )
                    .join('')}
                </select>
              </div>
              <div>
                <label for="postal-code">Postal code</label>
                <input id="postal-code" name="postalCode" autocomplete="postal-code" required maxlength="16"
                  value="${esc(saved.postalCode)}" aria-describedby="postal-code-error">
                <p class="field-error" id="postal-code-error" hidden></p>
              </div>
            </div>
          </fieldset>
          <fieldset>
            <legend>Payment method</legend>
            <div class="choices">
              ${payments
                .map(
                  (p, i) => `<label class="choice"><input type="radio" name="payment" value="${esc(p.type)}"
                ${(saved.payment ? saved.payment === p.type : i === 0) ? 'checked' : ''}> ${esc(p.name)}</label>`,
                )
                .join('')}
            </div>
          </fieldset>
          <button class="button wide" type="submit" id="place-order">Place order</button>
          <a class="link back" href="#/">Continue shopping</a>
        </form>
      </section>
      <aside class="summary" id="summary" aria-labelledby="summary-title">${checkoutSummary()}</aside>
    </div>`,
  );
  const edit = document.getElementById('cart-lines');
  bindCartControls(edit, (focus) => {
    if (cart.count === 0) return checkoutView();
    refreshCart(edit, () => cartLines(true), focus);
    document.getElementById('summary').innerHTML = checkoutSummary();
  });
  document.getElementById('checkout-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void placeOrders(event.target);
  });
}

// This tab's memory (the customer's address, refused parts of an order); a browser that refuses storage just forgets.
function session(key, fallback) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? 'null') ?? fallback;
  } catch {
    return fallback;
  }
}

function remember(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Not stored: the checkout form just starts empty next time.
  }
}

function loadCustomer() {
  return session('fulfill-storefront-customer', {});
}

/** Shows one message under a field (or clears it); returns whether the field is fine. */
function fieldMessage(input, message) {
  const error = document.getElementById(`${input.id}-error`);
  error.hidden = !message;
  error.textContent = message ?? '';
  input.setAttribute('aria-invalid', message ? 'true' : 'false');
  return !message;
}

function validate(form) {
  const email = form.elements.email;
  const postal = form.elements.postalCode;
  email.value = email.value.trim();
  postal.value = postal.value.trim();
  const emailOk = fieldMessage(
    email,
    email.value === ''
      ? 'Enter your email address.'
      : !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.value)
        ? 'Enter an email address like name@example.com.'
        : undefined,
  );
  const postalOk = fieldMessage(
    postal,
    postal.value === ''
      ? 'Enter your postal code.'
      : !/^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$/.test(postal.value)
        ? 'Use letters, digits, spaces or dashes.'
        : undefined,
  );
  if (!emailOk) email.focus();
  else if (!postalOk) postal.focus();
  return emailOk && postalOk;
}

function newOrderNumber() {
  const prefix = (words.shopName.match(/\b[A-Za-z0-9]/g) ?? ['W']).join('').toUpperCase().slice(0, 4);
  const random = [...crypto.getRandomValues(new Uint8Array(3))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${prefix}-${Date.now().toString(36).toUpperCase()}-${random.toUpperCase()}`;
}

async function placeOrders(form) {
  const errorBox = document.getElementById('checkout-error');
  errorBox.hidden = true;
  if (!validate(form)) return;
  const customer = {
    email: form.elements.email.value,
    country: form.elements.country.value,
    postalCode: form.elements.postalCode.value,
    payment: form.elements.payment.value,
  };
  remember('fulfill-storefront-customer', customer);
  const button = document.getElementById('place-order');
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  button.textContent = 'Placing your order…';
  const number = newOrderNumber();
  const shipments = cart.shipments();
  const placed = [];
  const refused = [];
  try {
    for (const [i, shipment] of shipments.entries()) {
      const order = {
        orderId: shipments.length > 1 ? `${number}-${i + 1}` : number,
        customerId: customer.email.toLowerCase(),
        paymentInstrumentType: customer.payment,
        sellerId: shipment.sellerId,
        currency: settings.catalog.shop?.currency ?? 'EUR',
        items: shipment.lines.map(({ product, quantity }) => ({
          sku: product.sku,
          quantity,
          unitPrice: product.price,
        })),
        shipTo: { country: customer.country, postalCode: customer.postalCode },
      };
      const answer = await postOrder(settings.apiBase, order);
      if (!answer.accepted) {
        refused.push(`${words.sellerName(shipment.sellerId)}: ${answer.message}`);
        continue;
      }
      rememberOrder(order.orderId, {
        sellerId: order.sellerId,
        customerId: order.customerId,
        payment: order.paymentInstrumentType,
        shipTo: order.shipTo,
        items: shipment.lines.map(({ product, quantity }) => ({
          sku: product.sku,
          name: product.name,
          quantity,
          unitPrice: product.price,
        })),
        placedAt: new Date().toISOString(),
      });
      placed.push(order.orderId);
      for (const { product } of shipment.lines) cart.set(product.sku, 0);
    }
  } catch (error) {
    if (!(error instanceof ApiUnreachable)) throw error;
    refused.push(
      `We could not reach the order service, so nothing was ordered or charged. Please try again. (${error.message})`,
    );
  } finally {
    button.disabled = false;
    form.removeAttribute('aria-busy');
    button.textContent = 'Place order';
  }
  if (placed.length > 0) {
    if (refused.length > 0) remember(`fulfill-storefront-refused-${placed[0]}`, refused);
    location.hash = `#/order/${placed.join(',')}`;
    return;
  }
  errorBox.textContent = refused.length === 1 ? refused[0] : `The order was not accepted. ${refused.join(' ')}`;
  errorBox.hidden = false;
  errorBox.focus();
}

// ---------------------------------------------------------------- order page

function orderView(ids) {
  const refused = session(`fulfill-storefront-refused-${ids[0]}`, []);
  const records = ids.map((id) => placedOrder(id));
  const number = ids.length > 1 ? ids[0].replace(/-\d+$/, '') : ids[0];
  showView(
    'Your order',
    `<div class="order-layout"><section class="order-page" aria-labelledby="order-title">
      <h1 id="order-title" tabindex="-1">Your order</h1>
      <p class="order-number">Order number <strong>${esc(number)}</strong>${
        ids.length > 1 ? ` · ${ids.length} shipments` : ''
      }</p>
      ${
        refused.length
          ? `<div class="alert" role="alert">Part of the order was not accepted: ${esc(refused.join(' '))}</div>`
          : ''
      }
      ${ids
        .map(
          (id, i) => `<article class="shipment" id="shipment-${esc(id)}" data-order="${esc(id)}" data-status="RUNNING"
            aria-labelledby="title-${esc(id)}">
            <h2 id="title-${esc(id)}">${ids.length > 1 ? `Shipment ${i + 1} of ${ids.length}` : 'Shipment'}${
              records[i] ? `: sold by ${esc(words.sellerName(records[i].sellerId))}` : ''
            }</h2>
            <p class="order-id">Order ${esc(id)}</p>
            <p class="status" role="status" data-headline>Processing your order…</p>
            <ol class="progress" data-progress aria-label="Progress"></ol>
            <div class="details">
              <dl class="facts" data-facts></dl>
              <div data-invoices></div>
              ${records[i] ? itemsList(records[i]) : ''}
            </div>
            <div data-actions></div>
          </article>`,
        )
        .join('')}
      <div class="developer">
        <button type="button" class="link" id="dev-toggle" aria-expanded="false" aria-controls="dev-panel">
          Show developer details</button>
        <div id="dev-panel" hidden>
          <p>API: <code>${esc(settings.apiBase)}</code> · polling <code>GET /orders/{id}</code></p>
          ${ids
            .map(
              (id) => `<h3>${esc(id)} <span data-dev-status="${esc(id)}"></span></h3>
            <div class="table-wrap"><table><caption class="visually-hidden">Timeline of ${esc(id)}</caption>
            <thead><tr><th scope="col">Time</th><th scope="col">Source</th><th scope="col">Type</th>
              <th scope="col">Name</th></tr></thead>
            <tbody data-dev-timeline="${esc(id)}"></tbody></table></div>`,
            )
            .join('')}
        </div>
      </div>
      <a class="button secondary" href="#/">Continue shopping</a>
    </section>${deliverySummary(records.filter(Boolean))}</div>`,
  );
  const toggle = document.getElementById('dev-toggle');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Hide developer details' : 'Show developer details';
    document.getElementById('dev-panel').hidden = !open;
  });
  const stops = ids.map((id, i) => follow(id, records[i]));
  leaveView = () => stops.forEach((stop) => stop());
}

/** Where it goes and what it costs, from this browser's record of the checkout (the API does not echo it). */
function deliverySummary(records) {
  if (records.length === 0) return '';
  const { shipTo, customerId, payment } = records[0];
  const country = settings.catalog.countries?.find((c) => c.code === shipTo.country)?.name ?? shipTo.country;
  const total = records.reduce((sum, r) => sum + r.items.reduce((s, i) => s + i.unitPrice * i.quantity, 0), 0);
  return `<aside class="summary" aria-labelledby="delivery-title">
    <h2 id="delivery-title">Delivery</h2>
    <dl class="facts compact">
      <dt>Ship to</dt><dd>${esc(shipTo.postalCode)}, ${esc(country)}</dd>
      <dt>Contact</dt><dd>${esc(customerId)}</dd>
      <dt>Payment</dt><dd>${esc(words.payment(payment))}</dd>
    </dl>
    <p class="total"><span>Order total</span> <span>${esc(words.money(total))}</span></p>
    <p class="fine">${records.length > 1 ? 'Each shipment is paid, shipped and invoiced on its own.' : ''}</p>
  </aside>`;
}

function itemsList(record) {
  return `<div class="items"><h3>Items</h3><ul>${record.items
    .map(
      (item) => `<li><span>${esc(item.name ?? item.sku)} × ${item.quantity}</span>
      <span>${esc(words.money(item.unitPrice * item.quantity))}</span></li>`,
    )
    .join('')}</ul></div>`;
}

/** Polls one order until it has an outcome; returns a function that stops polling. */
function follow(orderId, record) {
  const card = document.getElementById(`shipment-${orderId}`);
  let stopped = false;
  let timer;
  let misses = 0;
  const started = Date.now();
  const tick = async () => {
    if (stopped) return;
    const answer = await getOrder(settings.apiBase, orderId);
    if (stopped) return;
    if (answer.kind === 'view') {
      try {
        renderOrder(card, answer.view, record);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return setHeadline(card, `This order cannot be shown (${reason}).`, 'UNTRACKED');
      }
      if (answer.view.outcome) return;
    } else if (answer.kind === 'missing') {
      // Right after POST the order can take a moment to appear (events mode records it asynchronously).
      if (++misses > 20)
        return setHeadline(card, 'We cannot find this order. Please check the order number.', 'MISSING');
    } else {
      return setHeadline(
        card,
        `Your order was placed. Live tracking is not available from this shop's order service (${answer.reason}).`,
        'UNTRACKED',
      );
    }
    const elapsed = Date.now() - started;
    if (elapsed > 5 * 60_000)
      return setHeadline(card, 'Still processing. Refresh this page later to see the result.', 'RUNNING');
    // Quick at first (orders finish in about a second locally), then gentler.
    timer = setTimeout(tick, elapsed < 10_000 ? 300 : 2000);
  };
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function setHeadline(card, text, status) {
  const line = card.querySelector('[data-headline]');
  // Only real changes, so screen readers are not told the same thing on every poll.
  if (line.textContent !== text) line.textContent = text;
  card.dataset.status = status;
}

function renderOrder(card, view, record) {
  const outcome = view.outcome;
  setHeadline(card, headline(view, words), outcome?.status ?? 'RUNNING');
  card.querySelector('[data-progress]').innerHTML = progressSteps(view, words)
    .map(
      (step) => `<li class="step ${step.state}" data-step="${step.key}"
        ${step.state === 'current' ? 'aria-current="step"' : ''}>
      <span class="dot" aria-hidden="true"></span>
      <span class="step-label">${esc(step.label)}<span class="visually-hidden">:
        ${esc(stateWord(step.state))}</span></span>
      ${step.detail ? `<span class="step-detail">${esc(step.detail)}</span>` : ''}
      ${step.at ? `<time datetime="${esc(step.at)}">${esc(new Date(step.at).toLocaleTimeString())}</time>` : ''}
    </li>`,
    )
    .join('');
  if (outcome) {
    const customerId = record?.customerId ?? outcome.invoices?.find((i) => i.type === 'customer')?.recipient;
    card.querySelector('[data-facts]').innerHTML = outcomeFacts(outcome, words)
      .map(
        (f) =>
          `<dt>${esc(f.label)}</dt><dd data-field="${f.field}">${esc(f.value)}${
            f.detail ? `<span class="detail">${esc(f.detail)}</span>` : ''
          }</dd>`,
      )
      .join('');
    const invoices = invoiceLines(outcome, words, customerId);
    card.querySelector('[data-invoices]').innerHTML = invoices.length
      ? `<h3>Invoices</h3><ul class="invoices">${invoices
          .map(
            (inv) => `<li data-invoice="${esc(inv.id)}"><span>${esc(inv.kind)} ${esc(inv.id)}
          <span class="detail">from ${esc(inv.from)} to ${esc(inv.to)}</span></span>
          <span>${esc(inv.amount)}</span></li>`,
          )
          .join('')}</ul>`
      : '';
    if (outcome.status === 'FAILED' && !outcome.payment?.authorized && record) {
      card.querySelector('[data-actions]').innerHTML =
        '<button type="button" class="button" data-retry>Try another payment method</button>';
      card.querySelector('[data-retry]').addEventListener('click', () => {
        for (const item of record.items) cart.add(item.sku, item.quantity);
        location.hash = '#/checkout';
      });
    }
  }
  const devStatus = document.querySelector(`[data-dev-status="${CSS.escape(view.orderId)}"]`);
  if (devStatus)
    devStatus.textContent = `${view.status}${outcome ? ` · ${outcome.mode} · ${outcome.durationMs ?? '?'} ms` : ''}`;
  const devTimeline = document.querySelector(`[data-dev-timeline="${CSS.escape(view.orderId)}"]`);
  if (devTimeline) {
    devTimeline.innerHTML = (view.timeline ?? [])
      .map(
        (e) => `<tr><td>${esc(String(e.timestamp).slice(11, 23))}</td><td>${esc(e.source)}</td><td>${esc(e.type)}</td>
        <td>${esc(e.name ?? '')}</td></tr>`,
      )
      .join('');
  }
}

function stateWord(state) {
  return (
    { done: 'done', current: 'in progress', failed: 'failed', upcoming: 'not yet', skipped: 'not done' }[state] ?? state
  );
}

// ---------------------------------------------------------------- start

function route() {
  const hash = location.hash;
  // Only "#/..." are routes; any other hash (the skip link) leaves the view alone.
  if (hash && !hash.startsWith('#/')) return;
  const order = /^#\/order\/([A-Za-z0-9_,-]+)$/.exec(hash);
  if (order) orderView(order[1].split(',').filter(Boolean).slice(0, 20));
  else if (hash === '#/checkout') checkoutView();
  else catalogView();
}

function updateCartCount() {
  const count = cart.count;
  document.getElementById('cart-count').textContent = String(count);
  document.getElementById('cart-link').setAttribute('aria-label', `Cart, ${count} ${count === 1 ? 'item' : 'items'}`);
}

async function start() {
  try {
    settings = await loadSettings();
  } catch (error) {
    main.innerHTML = `<section class="narrow"><h1 tabindex="-1">The shop could not start</h1>
      <p class="alert" role="alert">${esc(error instanceof Error ? error.message : error)}</p></section>`;
    return;
  }
  words = wordsFor(settings.catalog);
  cart = new Cart(settings.catalog.products ?? []);
  cart.onChange(updateCartCount);
  for (const el of document.querySelectorAll('[data-shop-name]')) el.textContent = words.shopName;
  updateCartCount();
  window.addEventListener('hashchange', route);
  route();
  document.documentElement.dataset.ready = 'true';
}

void start();

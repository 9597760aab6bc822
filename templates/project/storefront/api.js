// The storefront's only contact with the backend: POST /orders (the order schema) and GET /orders/{id}
// ({ orderId, status, outcome?, timeline }). The API base comes from `?api=`, then `config.json` ("apiBase"),
// else the page's own origin (as `fulfill serve` serves both).

export class ApiUnreachable extends Error {}

/** The catalogue and the API base; throws with a readable message when either is unusable. */
export async function loadSettings() {
  const [catalog, config] = await Promise.all([getJson('catalog.json'), getJson('config.json').catch(() => ({}))]);
  // A link with ?api= could send a customer's order to anyone's server, so a page on a real host takes it only when
  // config.json says "allowApiParameter": true; on localhost / 127.0.0.1 (development) it always does.
  const fromQuery = new URLSearchParams(location.search).get('api');
  const queryAllowed = config.allowApiParameter === true || LOOPBACK.test(location.hostname);
  return { catalog, apiBase: apiBaseFrom((queryAllowed ? fromQuery : null) ?? config.apiBase ?? '') };
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** `https://id.execute-api.region.amazonaws.com/dev/orders` and `.../dev/` both mean `.../dev`. */
export function apiBaseFrom(value) {
  const text = String(value).trim();
  if (text === '') return location.origin;
  let url;
  try {
    url = new URL(text, location.href);
  } catch {
    throw new Error(`the API address "${text}" (from ?api= or config.json) is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`the API address "${text}" must be http(s)`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '').replace(/\/orders$/, '');
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${response.statusText}`);
  return response.json();
}

/** Posts one order. Resolves { accepted, status, message }; rejects with ApiUnreachable on network/CORS failure. */
export async function postOrder(apiBase, order) {
  let response;
  try {
    response = await fetch(`${apiBase}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
  } catch (error) {
    // fetch says only "Failed to fetch" for a refused connection and a CORS refusal alike.
    throw new ApiUnreachable(error instanceof Error ? error.message : String(error));
  }
  const body = await response.json().catch(() => ({}));
  const message = [body.message, body.details].filter(Boolean).join(': ') || `HTTP ${response.status}`;
  return { accepted: response.ok, status: response.status, message };
}

/**
 * One look at an order: { kind: 'view', view } | { kind: 'missing' } | { kind: 'unavailable', reason }.
 * 'unavailable' covers an API without GET /orders/{id} (an AWS stage answers 403 "Missing Authentication Token",
 * usually without CORS headers, so the browser reports a network error).
 */
export async function getOrder(apiBase, orderId) {
  let response;
  try {
    response = await fetch(`${apiBase}/orders/${encodeURIComponent(orderId)}`, { cache: 'no-store' });
  } catch (error) {
    return { kind: 'unavailable', reason: error instanceof Error ? error.message : String(error) };
  }
  if (response.status === 404) return { kind: 'missing' };
  if (!response.ok) return { kind: 'unavailable', reason: `HTTP ${response.status}` };
  const view = await response.json().catch(() => undefined);
  if (!view || typeof view.status !== 'string') return { kind: 'unavailable', reason: 'the answer is not an order' };
  return { kind: 'view', view };
}

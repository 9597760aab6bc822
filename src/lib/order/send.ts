import { ExpectationError, UserError } from '../errors.js';
import { LocalBackend } from '../local/backend.js';
import type { Order } from './model.js';
import type { OrderOutcome } from './outcome.js';

export interface SendOrderOptions {
  projectDir: string;
  stage: string;
  wait: boolean;
  timeoutMs: number;
}

export interface SendOrderResult {
  orderId: string;
  /** The API's answer: status code and body, as a client of the deployed API would see it. */
  api: { statusCode: number; body: unknown };
  /** True when the order id had been submitted before and no new execution was started. */
  duplicate: boolean;
  outcome?: OrderOutcome;
}

/**
 * Sends one order through the stage's API (local target): POST /orders with the order as body, exactly as
 * the deployed API receives it, then optionally waits for its outcome. The local engine runs in this
 * process, so it also lets the order finish before returning even without `wait`.
 */
export async function sendOrderLocal(order: Order, options: SendOrderOptions): Promise<SendOrderResult> {
  const backend = await LocalBackend.start(options.projectDir, options.stage);
  try {
    const response = await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(order), headers: { 'content-type': 'application/json' } });
    const body = safeJson(response.body);
    if (response.statusCode !== 200) {
      const type = (body as { type?: string })?.type;
      if (type?.endsWith('ExecutionAlreadyExists')) {
        const previous = backend.store.readOutcome(order.orderId);
        return { orderId: order.orderId, api: { statusCode: response.statusCode, body }, duplicate: true, ...(previous ? { outcome: previous } : {}) };
      }
      const message = (body as { message?: string })?.message ?? response.body;
      throw new UserError(`the API rejected order ${order.orderId} with ${response.statusCode}: ${message}${(body as { details?: string })?.details ? ` (${(body as { details: string }).details})` : ''}`);
    }
    // The engine runs here: the order must finish before this process exits, waited for or not.
    const outcome = await backend.waitForOutcome(order.orderId, options.timeoutMs);
    return { orderId: order.orderId, api: { statusCode: response.statusCode, body }, duplicate: false, ...(options.wait ? { outcome } : {}) };
  } finally {
    await backend.close();
  }
}

/** `--expect succeeded|failed`: throws (exit 1) when the outcome is not the expected one. */
export function checkExpectation(outcome: OrderOutcome | undefined, expect: 'succeeded' | 'failed' | undefined): void {
  if (!expect || !outcome) return;
  if (outcome.status.toLowerCase() !== expect) {
    throw new ExpectationError(`order ${outcome.orderId} ${outcome.status}, expected ${expect.toUpperCase()}${outcome.error ? ` (${outcome.error.error}: ${outcome.error.cause})` : ''}`, [
      `See what happened: fulfill logs --order ${outcome.orderId}`,
    ]);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

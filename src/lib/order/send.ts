import { ExpectationError, UserError } from '../errors.js';
import { LocalBackend, type LocalBackendOptions } from '../local/backend.js';
import { StateError } from '../local/state-error.js';
import type { Order } from './model.js';
import type { OrderOutcome } from './outcome.js';

export interface SendOrderResult {
  orderId: string;
  /** The API's answer: status code and body, as a client of the deployed API would see it. */
  api: { statusCode: number; body: unknown };
  /** True when the order id had been submitted before and no new execution was started. */
  duplicate: boolean;
  outcome?: OrderOutcome;
}

/** Sends orders to one stage on one target; `outcome` waits for an order sent before. */
export interface OrderSender {
  send(order: Order, wait: boolean, timeoutMs: number): Promise<SendOrderResult>;
  outcome(orderId: string, timeoutMs: number): Promise<OrderOutcome>;
  close(): Promise<void>;
}

/** The local target's sender: the stage runs in this process for as long as the sender is open. */
export async function localSender(projectDir: string, stage: string, options: LocalBackendOptions = {}): Promise<OrderSender> {
  const backend = await LocalBackend.start(projectDir, stage, options);
  return {
    send: (order, wait, timeoutMs) => submitLocal(backend, order, wait, timeoutMs),
    outcome: (orderId, timeoutMs) => backend.waitForOutcome(orderId, timeoutMs),
    close: () => backend.close(),
  };
}

export interface BatchSummary {
  sent: number;
  succeeded: number;
  failed: number;
  /** Orders without an outcome in time, or rejected by the API. */
  errors: number;
  latencyMs: { p50: number; p95: number; max: number };
  orders: Array<{ orderId: string; status: string; durationMs: number | null; error?: string }>;
}

/** `--count N --concurrency M`: N orders made from one template, M in flight, outcomes and latency percentiles. */
export async function sendBatch(sender: OrderSender, template: Order, count: number, concurrency: number, timeoutMs: number): Promise<BatchSummary> {
  const orders: BatchSummary['orders'] = [];
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        const order = { ...template, orderId: `${template.orderId}-${i + 1}` };
        const started = Date.now();
        try {
          const result = await sender.send(order, true, timeoutMs);
          const latency = Date.now() - started;
          latencies.push(latency);
          orders.push({ orderId: order.orderId, status: result.outcome?.status ?? 'UNKNOWN', durationMs: latency });
        } catch (error) {
          // The local state cannot take more orders (disk full, damaged): one line for the batch, not one per order.
          if (error instanceof StateError) throw error;
          orders.push({ orderId: order.orderId, status: 'ERROR', durationMs: null, error: (error as Error).message });
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]! : 0);
  orders.sort((a, b) => a.orderId.localeCompare(b.orderId, undefined, { numeric: true }));
  return {
    sent: count,
    succeeded: orders.filter((o) => o.status === 'SUCCEEDED').length,
    failed: orders.filter((o) => o.status === 'FAILED').length,
    errors: orders.filter((o) => o.status !== 'SUCCEEDED' && o.status !== 'FAILED').length,
    latencyMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) ?? 0 },
    orders,
  };
}

/**
 * Sends one order through the local stage's API: POST /orders with the order as body, exactly as the
 * deployed API receives it. The engine runs in this process, so the order finishes before this returns,
 * waited for or not.
 */
async function submitLocal(backend: LocalBackend, order: Order, wait: boolean, timeoutMs: number): Promise<SendOrderResult> {
  const response = await backend.api.handle({ method: 'POST', path: '/orders', body: JSON.stringify(order), headers: { 'content-type': 'application/json' } });
  const body = safeJson(response.body);
  if (response.statusCode !== 200) {
    if (backend.store.fault) throw backend.store.fault;
    const type = (body as { type?: string })?.type;
    if (type?.endsWith('ExecutionAlreadyExists')) {
      const previous = backend.store.readOutcome(order.orderId);
      return { orderId: order.orderId, api: { statusCode: response.statusCode, body }, duplicate: true, ...(previous ? { outcome: previous } : {}) };
    }
    const message = (body as { message?: string })?.message ?? response.body;
    throw new UserError(`the API rejected order ${order.orderId} with ${response.statusCode}: ${message}${(body as { details?: string })?.details ? ` (${(body as { details: string }).details})` : ''}`);
  }
  // The engine runs here: the order must finish before this process exits, waited for or not.
  const outcome = await backend.waitForOutcome(order.orderId, timeoutMs);
  return { orderId: order.orderId, api: { statusCode: response.statusCode, body }, duplicate: false, ...(wait ? { outcome } : {}) };
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

import { setFlagsFromString } from 'node:v8';
import { changedSources, sourcesChangedWarning } from '../blueprint/sources.js';
import { ExitCode, ExpectationError, UserError } from '../errors.js';
import { safeJson } from '../json.js';
import type { LocalBackend, LocalBackendOptions } from '../local/backend.js';
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
  /** Said before sending: e.g. the local stage runs code older than the project's sources. */
  readonly warnings?: readonly string[];
}

/** The local target's sender: the stage runs in this process for as long as the sender is open. */
export async function localSender(
  projectDir: string,
  stage: string,
  options: LocalBackendOptions = {},
): Promise<OrderSender> {
  // Loaded here, not at the top: `send-order` with bad flags, `--help` and the batch helpers need no runtime.
  const { LocalBackend } = await import('../local/backend.js');
  const backend = await LocalBackend.start(projectDir, stage, options);
  // Hashes of the recorded source files (no bundling): the stage would run code the user has since edited.
  const changed = changedSources(projectDir, backend.deployment);
  return {
    warnings: changed.length > 0 ? [sourcesChangedWarning(changed)] : [],
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
  /** Orders whose id had been submitted before: no new execution, their earlier outcome is reported. */
  duplicates: number;
  latencyMs: { p50: number; p95: number; max: number };
  orders: Array<{
    orderId: string;
    status: string;
    durationMs: number | null;
    duplicate?: boolean;
    error?: string;
    exit?: number;
  }>;
}

/**
 * How far V8 lets this thread's old generation grow past what its last full GC kept, while a batch runs: 30%
 * (or V8's minimum step of 8 MB, whichever is more) instead of V8's own factor, up to 4x on a machine with this
 * much memory, which it raises when the machine is busy. In events mode the main thread keeps ~20 MB live and
 * its heap went up to 100 MB between two full GCs; the peak RSS of `send-order --count 10000` followed it.
 * Process-wide (V8's flags are) and read at each full GC: set for the batch only, V8's default (0: its own
 * factor) comes back after. Measured in the commit that added it.
 */
const BATCH_HEAP_GROWING_PERCENT = 30;

/** `--count N --concurrency M`: N orders made from one template, M in flight, outcomes and latency percentiles. */
export async function sendBatch(
  sender: OrderSender,
  template: Order,
  count: number,
  concurrency: number,
  timeoutMs: number,
): Promise<BatchSummary> {
  const orders: BatchSummary['orders'] = [];
  const latencies: number[] = [];
  let next = 0;
  // The first state error stops the batch: every sender ends its order in flight and takes no next one, so
  // nothing is sent once this returns (the sender is closed next; a process that goes on would see the writes).
  let stateError: StateError | undefined;
  setFlagsFromString(`--heap-growing-percent=${BATCH_HEAP_GROWING_PERCENT}`);
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count && !stateError) {
        const i = next++;
        const order = { ...template, orderId: `${template.orderId}-${i + 1}` };
        const started = Date.now();
        try {
          const result = await sender.send(order, true, timeoutMs);
          const latency = Date.now() - started;
          latencies.push(latency);
          orders.push({
            orderId: order.orderId,
            status: result.outcome?.status ?? 'UNKNOWN',
            durationMs: latency,
            ...(result.duplicate ? { duplicate: true } : {}),
          });
        } catch (error) {
          // The local state cannot take more orders (disk full, damaged): one line for the batch, not one per order.
          if (error instanceof StateError) {
            stateError ??= error;
            return;
          }
          // The exit code an error of this order alone would have had (a timeout is 4, an API 5xx is 3, a bug is 70).
          const exit = error instanceof UserError ? error.exit : ExitCode.Internal;
          orders.push({
            orderId: order.orderId,
            status: 'ERROR',
            durationMs: null,
            error: (error as Error).message,
            exit,
          });
        }
      }
    }),
  ).finally(() => setFlagsFromString('--heap-growing-percent=0'));
  if (stateError) throw stateError;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] : 0;
  orders.sort((a, b) => a.orderId.localeCompare(b.orderId, undefined, { numeric: true }));
  return {
    sent: count,
    succeeded: orders.filter((o) => o.status === 'SUCCEEDED').length,
    failed: orders.filter((o) => o.status === 'FAILED').length,
    errors: orders.filter((o) => o.status !== 'SUCCEEDED' && o.status !== 'FAILED').length,
    duplicates: orders.filter((o) => o.duplicate).length,
    latencyMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) ?? 0 },
    orders,
  };
}

/**
 * Sends one order through the local stage's API: POST /orders with the order as body, exactly as the
 * deployed API receives it. The engine runs in this process, so the order finishes before this returns,
 * waited for or not.
 */
async function submitLocal(
  backend: LocalBackend,
  order: Order,
  wait: boolean,
  timeoutMs: number,
): Promise<SendOrderResult> {
  const response = await backend.api.handle({
    method: 'POST',
    path: '/orders',
    body: JSON.stringify(order),
    headers: { 'content-type': 'application/json' },
  });
  const body = safeJson(response.body);
  if (response.statusCode !== 200) {
    if (backend.store.fault) throw backend.store.fault;
    const type = (body as { type?: string })?.type;
    if (type?.endsWith('ExecutionAlreadyExists')) {
      const previous = backend.store.readOutcome(order.orderId);
      return {
        orderId: order.orderId,
        api: { statusCode: response.statusCode, body },
        duplicate: true,
        ...(previous ? { outcome: previous } : {}),
      };
    }
    const message = (body as { message?: string })?.message ?? response.body;
    const details = (body as { details?: string })?.details;
    // As on the AWS target: a 4xx is the order's fault (2), a 5xx the service's (3).
    throw new UserError(
      `the API rejected order ${order.orderId} with ${response.statusCode}: ${message}${details ? ` (${details})` : ''}`,
      [],
      response.statusCode >= 500 ? ExitCode.AwsError : ExitCode.BadInput,
    );
  }
  // The engine runs here: the order must finish before this process exits, waited for or not.
  const outcome = await backend.waitForOutcome(order.orderId, timeoutMs);
  return {
    orderId: order.orderId,
    api: { statusCode: response.statusCode, body },
    duplicate: false,
    ...(wait ? { outcome } : {}),
  };
}

/** `--expect succeeded|failed`: throws (exit 1) when the outcome is not the expected one. */
export function checkExpectation(outcome: OrderOutcome | undefined, expect: 'succeeded' | 'failed' | undefined): void {
  if (!expect || !outcome) return;
  if (outcome.status.toLowerCase() !== expect) {
    throw new ExpectationError(
      `order ${outcome.orderId} ${outcome.status}, expected ${expect.toUpperCase()}${outcome.error ? ` (${outcome.error.error}: ${outcome.error.cause})` : ''}`,
      [`See what happened: fulfill logs --order ${outcome.orderId}`],
    );
  }
}

/**
 * `--count` with `--expect`: every outcome must match (exit 1). Orders without an outcome fail the batch with
 * the exit code of the worst kind among them: a bug (70) over AWS (3) over a timeout (4) over bad input (2).
 */
export function checkBatch(summary: BatchSummary, expect: 'succeeded' | 'failed' | undefined): void {
  const duplicates =
    summary.duplicates > 0
      ? [`${summary.duplicates} of them had been sent before (same ids): use another --order-id to start new ones.`]
      : [];
  const unmet = expect ? summary.orders.filter((o) => o.status.toLowerCase() !== expect) : [];
  if (unmet.length > 0) {
    throw new ExpectationError(
      `${unmet.length} of ${summary.sent} orders did not end ${expect!.toUpperCase()} (first: ${unmet[0].orderId} ${unmet[0].status})`,
      duplicates,
    );
  }
  const failed = summary.orders.filter((o) => o.error);
  if (failed.length === 0) return;
  const rank = [ExitCode.Internal, ExitCode.AwsError, ExitCode.Timeout, ExitCode.BadInput];
  const exit = rank.find((code) => failed.some((o) => o.exit === code)) ?? ExitCode.Internal;
  throw new UserError(
    `${failed.length} of ${summary.sent} orders got no outcome`,
    [`First: ${failed[0].error}`],
    exit,
    ExitCode[exit],
  );
}

import type { Mode } from '../config/schema.js';

export type OutcomeStatus = 'SUCCEEDED' | 'FAILED' | 'RUNNING' | 'TIMED_OUT' | 'ABORTED';

export interface Invoice {
  invoiceId: string;
  type: string;
  issuer: string;
  recipient: string;
  amount: number;
  currency: string;
}

/**
 * The outcome document: one JSON answer per order, the same in both modes and on both targets
 * (documented in the README under "The outcome document").
 */
export interface OrderOutcome {
  orderId: string;
  mode: Mode;
  status: OutcomeStatus;
  payment: { instrument: string | null; authorized: boolean; authorizationId: string | null; amount: number | null };
  seller: { sellerId: string | null; type: '1P' | '3P' | null };
  /** The warehouse that ships the order: 1P always, 3P when the shop fulfills. */
  warehouse: string | null;
  fulfilledBy: 'shop' | 'seller' | null;
  fee: { rate: number; amount: number; currency: string } | null;
  invoices: Invoice[];
  error: { error: string; cause: string } | null;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
}

/** Fields that depend on timing, left out when comparing outcomes across modes. */
export const TIMING_FIELDS = ['startedAt', 'finishedAt', 'durationMs', 'mode'] as const;

export interface OutcomeSource {
  orderId: string;
  mode: Mode;
  status: OutcomeStatus;
  /** The order state: the input merged with each step's result (Step Functions output, or the final event's detail). */
  state: Record<string, unknown>;
  /** The failure, as Step Functions reports it: `Error` name and `Cause` (a Lambda error payload JSON, or text). */
  failure?: { Error: string; Cause: string };
  startedAt: string;
  finishedAt?: string;
}

export function buildOutcome(source: OutcomeSource): OrderOutcome {
  const state = source.state;
  const payment = record(state.payment);
  const seller = record(state.seller);
  const warehouse = record(state.warehouse);
  const fulfillment = record(state.fulfillment);
  const fee = record(state.fee);
  const sellerType = seller.type === '1P' || seller.type === '3P' ? seller.type : null;
  const by =
    fulfillment.by === 'shop' || fulfillment.by === 'seller'
      ? fulfillment.by
      : sellerType === '1P' && warehouse.id
        ? 'shop'
        : null;
  const failure = source.failure ?? (isCaught(state.error) ? state.error : undefined);
  const finishedAt = source.finishedAt ?? null;
  return {
    orderId: source.orderId,
    mode: source.mode,
    status: source.status,
    payment: {
      instrument: str(payment.instrument) ?? str(state.paymentInstrumentType),
      authorized: payment.authorized === true,
      authorizationId: str(payment.authorizationId),
      amount: num(payment.amount),
    },
    seller: { sellerId: str(seller.sellerId) ?? str(state.sellerId), type: sellerType },
    warehouse: str(warehouse.id) ?? str(record(fulfillment.warehouse).id),
    fulfilledBy: by,
    fee:
      num(fee.amount) !== null
        ? { rate: num(fee.rate) ?? 0, amount: num(fee.amount)!, currency: str(fee.currency) ?? '' }
        : null,
    invoices: Array.isArray(state.invoices) ? (state.invoices as Invoice[]) : [],
    error: failure ? { error: failure.Error, cause: causeMessage(failure.Cause) } : null,
    startedAt: source.startedAt,
    finishedAt,
    durationMs: finishedAt ? Date.parse(finishedAt) - Date.parse(source.startedAt) : null,
  };
}

/** Step Functions puts a Lambda error's payload `{"errorType","errorMessage","trace"}` in Cause: show its message. */
export function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Cause is plain text (e.g. a Fail state's Cause).
  }
  return cause;
}

/** An outcome without the fields that depend on when and how it ran, for cross-mode comparison. */
export function comparableOutcome(outcome: OrderOutcome): Omit<OrderOutcome, (typeof TIMING_FIELDS)[number]> {
  const { startedAt: _s, finishedAt: _f, durationMs: _d, mode: _m, ...rest } = outcome;
  return rest;
}

function isCaught(value: unknown): value is { Error: string; Cause: string } {
  return typeof record(value).Error === 'string';
}
function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

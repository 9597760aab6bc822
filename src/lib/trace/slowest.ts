import { ExpectationError } from '../errors.js';
import type { OrderTiming } from '../targets/target.js';

export interface SlowestReport {
  orders: OrderTiming[];
  /** With an SLA: the orders over it. */
  breached?: OrderTiming[];
  slaMs?: number;
  /** Finished orders considered (since the window start). */
  considered: number;
}

/** `trace --slowest N --sla D`: finished orders since `since`, slowest first, and those over the SLA. */
export function rankSlowest(
  finished: readonly OrderTiming[],
  options: { since: number; slowest?: number; slaMs?: number },
): SlowestReport {
  const inWindow = finished.filter((o) => o.durationMs !== null && Date.parse(o.startedAt) >= options.since);
  const orders = inWindow
    .map(({ orderId, status, mode, startedAt, durationMs }) => ({ orderId, status, mode, startedAt, durationMs }))
    .sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))
    .slice(0, options.slowest ?? inWindow.length);
  if (options.slaMs === undefined) return { orders, considered: inWindow.length };
  const slaMs = options.slaMs;
  return { orders, breached: orders.filter((o) => (o.durationMs ?? 0) > slaMs), slaMs, considered: inWindow.length };
}

/** An SLA breach is an unmet expectation (exit 1). */
export function checkSla(report: SlowestReport, summary: string): void {
  if (report.breached && report.breached.length > 0)
    throw new ExpectationError(summary, [`Trace one: fulfill trace ${report.breached[0].orderId}`]);
}

import { TIMING_FIELDS, type OrderOutcome } from '../order/outcome.js';

export interface OutcomeDifference {
  orderId: string;
  /** The field's path in the outcome document, e.g. `fee.amount` or `invoices[1].recipient`. */
  field: string;
  orchestration: unknown;
  events: unknown;
}

const IGNORED = new Set<string>(TIMING_FIELDS);

/**
 * Field-by-field differences between the two modes' outcome documents of one order, leaving out the
 * timing fields (`TIMING_FIELDS`). A missing outcome differs in `status` from any recorded one.
 */
export function diffOutcomes(
  orderId: string,
  orchestration: OrderOutcome | undefined,
  events: OrderOutcome | undefined,
): OutcomeDifference[] {
  if (!orchestration || !events) {
    if (!orchestration && !events) return [];
    return [
      {
        orderId,
        field: 'status',
        orchestration: orchestration?.status ?? 'no outcome',
        events: events?.status ?? 'no outcome',
      },
    ];
  }
  const differences: OutcomeDifference[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (path === '' && IGNORED.has(key)) continue;
        walk(a[key], b[key], path ? `${path}.${key}` : key);
      }
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b))
      differences.push({ orderId, field: path, orchestration: a ?? null, events: b ?? null });
  };
  walk(orchestration, events, '');
  return differences;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

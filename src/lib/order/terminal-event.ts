import type { EventFlow } from '../blueprint/event-flow.js';
import { buildOutcome, type OrderOutcome } from './outcome.js';
import { text } from '../json.js';

/**
 * Events mode: an order ends with the first of the flow's terminal events (`outcome.succeeded` /
 * `outcome.failed` in events.json). One rule for both targets: the local bus and the AWS event log group.
 */
export function terminalStatus(
  flow: Pick<EventFlow, 'outcome'>,
  detailType: string,
): 'SUCCEEDED' | 'FAILED' | undefined {
  if (flow.outcome.succeeded.includes(detailType)) return 'SUCCEEDED';
  if (flow.outcome.failed.includes(detailType)) return 'FAILED';
  return undefined;
}

export interface TerminalEvent {
  'detail-type': string;
  detail: Record<string, unknown>;
}

/**
 * The outcome document from a terminal event: its detail is the order's final state; a failure is the
 * caught error the flow put in `detail.error` (as a Catch would), else the event's name.
 */
export function outcomeFromTerminalEvent(
  flow: Pick<EventFlow, 'outcome'>,
  event: TerminalEvent,
  orderId: string,
  timing: { startedAt: string; finishedAt: string },
): OrderOutcome | undefined {
  const status = terminalStatus(flow, event['detail-type']);
  if (!status) return undefined;
  const error = event.detail.error as { Error?: unknown; Cause?: unknown } | undefined;
  return buildOutcome({
    orderId,
    mode: 'events',
    status,
    state: event.detail,
    ...(status === 'FAILED'
      ? { failure: { Error: text(error?.Error ?? event['detail-type']), Cause: text(error?.Cause ?? '') } }
      : {}),
    ...timing,
  });
}

/**
 * One log model for everything `fulfill logs` and `fulfill trace` show, on both targets:
 * - `execution`: Step Functions history events, with GetExecutionHistory's type names
 *   (ExecutionStarted, TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionSucceeded, ...);
 * - `events`: what the bus did (EventPublished, RuleMatched, DeliverySucceeded, DeliveryFailed, DeadLettered);
 * - `api`: requests the API accepted or rejected;
 * - `function`: lines a handler logged.
 * Stored as JSON lines; `--json` prints these objects unchanged (the schema is documented in the README).
 */
export type LogSource = 'execution' | 'events' | 'api' | 'function';

export interface LogEntry {
  /** ISO 8601 time with milliseconds. */
  timestamp: string;
  orderId: string;
  /** Which submission of the order this entry belongs to (1, 2, ...): each submission is its own execution. */
  execution?: number;
  source: LogSource;
  type: string;
  /** Position in the order's history on this stream (1, 2, ...), like GetExecutionHistory's event id. */
  id: number;
  previousEventId?: number;
  /** State name, detail-type or function name. */
  name?: string;
  details?: Record<string, unknown>;
}

export interface LogFilter {
  orderId?: string;
  /** Only this submission of the order (with orderId). */
  execution?: number;
  /** Only entries at or after this time (ms since epoch). */
  since?: number;
  sources?: readonly LogSource[];
}

export function matchesFilter(entry: LogEntry, filter: LogFilter): boolean {
  if (filter.orderId && entry.orderId !== filter.orderId) return false;
  if (filter.execution !== undefined && entry.execution !== undefined && entry.execution !== filter.execution)
    return false;
  if (filter.since !== undefined && Date.parse(entry.timestamp) < filter.since) return false;
  if (filter.sources && !filter.sources.includes(entry.source)) return false;
  return true;
}

/** Hands out per-order, per-stream event ids, so each order's history reads like one execution's. */
export class LogSequencer {
  private readonly last = new Map<string, number>();

  next(orderId: string, source: LogSource): { id: number; previousEventId?: number } {
    const key = `${source}:${orderId}`;
    const previous = this.last.get(key);
    const id = (previous ?? 0) + 1;
    this.last.set(key, id);
    return previous === undefined ? { id } : { id, previousEventId: previous };
  }

  /** Drops an order's streams (every source), so a long run's memory stays flat. */
  forget(orderId: string, sources: readonly LogSource[] = ['execution', 'events', 'api', 'function']): void {
    for (const source of sources) this.last.delete(`${source}:${orderId}`);
  }
}

import { UserError } from '../errors.js';
import { LocalStore } from '../local/store.js';
import type { OrderOutcome } from '../order/outcome.js';
import type { LogEntry, LogFilter } from './entry.js';

export interface LogQuery extends LogFilter {
  limit?: number;
}

/** Reads a local stage's log. Refuses a stage that was never deployed (nothing can have been logged). */
export function openLocalLog(projectDir: string, stage: string): LocalStore {
  const store = new LocalStore(projectDir, stage);
  let deployed: boolean;
  try {
    deployed = store.readDeployment() !== undefined;
  } catch (error) {
    store.close();
    throw error;
  }
  if (!deployed) {
    store.close();
    throw new UserError(`stage "${stage}" is not deployed on the local target, so it has no logs`, [
      'Run `fulfill deploy`, then `fulfill send-order`.',
    ]);
  }
  return store;
}

/** Entries matching the query; `offset` is where `followLog` continues (the last row read). */
export function queryLog(store: LocalStore, query: LogQuery): { entries: LogEntry[]; offset: number } {
  const { entries, offset } = store.readLogFrom(0, query);
  return {
    entries: query.limit !== undefined ? entries.slice(-query.limit) : entries,
    offset: Math.max(offset, store.lastLogOffset()),
  };
}

export interface FollowOptions {
  intervalMs?: number;
  /**
   * With an order id: stop once the order's latest execution has an outcome and every entry up to it was
   * handed to `onEntry`; resolves with that outcome.
   */
  untilOutcomeOf?: string;
}

/**
 * Follows the log as other processes write to it, until `signal` aborts (or, with `untilOutcomeOf`, the
 * order ends). Reads rows after the last one seen, so an entry is printed once; one abort listener for the
 * whole loop (not one per poll).
 */
export async function followLog(
  store: LocalStore,
  from: number,
  query: LogFilter,
  onEntry: (e: LogEntry) => void,
  signal: AbortSignal,
  intervalOrOptions: number | FollowOptions = 200,
): Promise<OrderOutcome | undefined> {
  const options = typeof intervalOrOptions === 'number' ? { intervalMs: intervalOrOptions } : intervalOrOptions;
  const intervalMs = options.intervalMs ?? 200;
  let offset = from;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    clearTimeout(timer);
    wake?.();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    while (!signal.aborted) {
      // Read the outcome first: the entries committed before it are then all in the read that follows.
      const outcome = options.untilOutcomeOf ? outcomeOfLatest(store, options.untilOutcomeOf) : undefined;
      const next = store.readLogFrom(offset, query);
      offset = next.offset;
      for (const entry of next.entries) onEntry(entry);
      if (outcome) return outcome;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, intervalMs);
      });
    }
    return undefined;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

function outcomeOfLatest(store: LocalStore, orderId: string): OrderOutcome | undefined {
  const latest = store.latestExecution(orderId);
  return latest ? store.readExecutionOutcome(latest.id) : undefined;
}

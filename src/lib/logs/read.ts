import { UserError } from '../errors.js';
import { LocalStore } from '../local/store.js';
import type { LogEntry, LogFilter } from './entry.js';

export interface LogQuery extends LogFilter {
  limit?: number;
}

/** Reads a local stage's log. Refuses a stage that was never deployed (nothing can have been logged). */
export function openLocalLog(projectDir: string, stage: string): LocalStore {
  const store = new LocalStore(projectDir, stage);
  if (!store.readDeployment()) {
    throw new UserError(`stage "${stage}" is not deployed on the local target, so it has no logs`, ['Run `fulfill deploy`, then `fulfill send-order`.']);
  }
  return store;
}

export function queryLog(store: LocalStore, query: LogQuery): { entries: LogEntry[]; offset: number } {
  const { entries, offset } = store.readLogFrom(0, query);
  return { entries: query.limit !== undefined ? entries.slice(-query.limit) : entries, offset };
}

/**
 * Follows the log as other processes append to it, until `signal` aborts. Reads from a byte offset, so an
 * entry is printed once; a partial last line waits for the next poll.
 */
export async function followLog(store: LocalStore, from: number, query: LogFilter, onEntry: (e: LogEntry) => void, signal: AbortSignal, intervalMs = 200): Promise<void> {
  let offset = from;
  while (!signal.aborted) {
    const next = store.readLogFrom(offset, query);
    offset = next.offset;
    for (const entry of next.entries) onEntry(entry);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}
